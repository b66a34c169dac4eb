# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How site.yml turns mail_users/mail_aliases into Postfix's tables. Private: no stable API."""

from __future__ import annotations

ROLE_ACCOUNTS = ("postmaster", "abuse")
# The host's own mail is from the primary domain (myorigin): its system accounts live there.
SYSTEM_ACCOUNTS = ("root",)


def postfix_maps(users, aliases, domains):
    """Return the virtual mailbox, virtual alias and sender login maps.

    - every user is a mailbox;
    - postmaster@ and abuse@ of every served domain go to the first user, unless mapped already,
      and so does root@ of the first domain (the host's own mail: cron, root; Postfix's myorigin);
    - in a domain with a catch-all ("@domain"), each mailbox maps to itself, so the catch-all
      never swallows it;
    - a user may send as themselves and as every alias (not catch-all) whose targets include them;
    - the aliases (and catch-alls) with a target outside the served domains are the forwarding
      recipients: mail to them leaves this server again.
    Addresses are compared and written in lower case. Raises ValueError for an address without
    a domain (site.yml checks the addresses first, so a user should never see it).
    """
    for entry in list(users) + list(aliases):
        if "@" not in str(entry.get("address", "")):
            raise ValueError("%r is not an address (user@domain or @domain)" % (entry.get("address"),))
    mailboxes = [u["address"].lower() for u in users]
    aliases = [{"address": a["address"].lower(), "to": [t.lower() for t in a["to"]]} for a in aliases]
    mapped = set(mailboxes) | {a["address"] for a in aliases}
    if mailboxes:
        for index, domain in enumerate(domains):
            for account in ROLE_ACCOUNTS + (SYSTEM_ACCOUNTS if index == 0 else ()):
                address = "%s@%s" % (account, domain.lower())
                if address not in mapped:
                    aliases.append({"address": address, "to": [mailboxes[0]]})

    alias_map = {}
    for alias in aliases:
        alias_map.setdefault(alias["address"], [])
        alias_map[alias["address"]] += [t for t in alias["to"] if t not in alias_map[alias["address"]]]
    catchall_domains = {a["address"][1:] for a in aliases if a["address"].startswith("@")}
    for mailbox in mailboxes:
        if mailbox.split("@", 1)[1] in catchall_domains and mailbox not in alias_map:
            alias_map[mailbox] = [mailbox]

    sender_logins = {mailbox: [mailbox] for mailbox in mailboxes}
    for alias in aliases:
        if alias["address"].startswith("@"):
            continue
        owners = [t for t in alias["to"] if t in sender_logins and t in mailboxes]
        if owners:
            logins = sender_logins.setdefault(alias["address"], [])
            logins += [o for o in owners if o not in logins]

    served = {domain.lower() for domain in domains}
    forwarding = sorted(address for address, targets in alias_map.items()
                        if any(target.rpartition("@")[2] not in served for target in targets))

    return {
        "virtual_mailbox_maps": {mailbox: "OK" for mailbox in mailboxes},
        "virtual_alias_maps": alias_map,
        "sender_login_maps": sender_logins,
        "forwarding_recipients": forwarding,
    }
