# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several hosts serving the same domains: who they are, their MX preferences, and which of them
writes a domain's zone fragment. Pure functions. Private.

A primary holds the mailboxes; a backup MX takes mail for the domains only to pass it on to the
primary when it is back. Every host of the inventory that has a mail_hostname and a domain in
common with another is a member of that host's fleet; hosts with the same mail_hostname are one
member (a new machine of the same server).
"""

from __future__ import annotations

import ipaddress

PRIMARY_PREFERENCE = 10
BACKUP_PREFERENCE = 20


def preference(backup_mx, given=None):
    """The MX preference of a host: the one given, else 10 for a primary and 20 for a backup MX."""
    if given is None or given == "":
        return BACKUP_PREFERENCE if backup_mx else PRIMARY_PREFERENCE
    return int(given)


def _addresses(value, version):
    values = [value] if isinstance(value, str) else list(value or [])
    out = []
    for item in values:
        try:
            address = ipaddress.ip_address(str(item))
        except ValueError:
            continue
        if address.version == version and str(address) not in out:
            out.append(str(address))
    return out


def members(hosts, hostname, domains):
    """The other hosts serving one of `domains`: [{hostname, domains (those in common), backup_mx,
    preference, ipv4, ipv6, tlsa}] sorted by (preference, hostname); the first entry of a host name wins.

    hosts: [{hostname, domains, backup_mx, preference (None: the kind's), ipv4, ipv6, tlsa}], as
    the inventory describes each host (a host that is not this one by name)."""
    hostname = hostname.lower().rstrip(".")
    mine = {d.lower().rstrip(".") for d in domains}
    seen = {hostname}
    out = []
    for host in hosts:
        name = str(host.get("hostname") or "").lower().rstrip(".")
        common = sorted(mine & {str(d).lower().rstrip(".") for d in host.get("domains") or []})
        if not name or name in seen or not common:
            continue
        seen.add(name)
        backup_mx = bool(host.get("backup_mx"))
        out.append({"hostname": name, "domains": common, "backup_mx": backup_mx,
                    "preference": preference(backup_mx, host.get("preference")),
                    "ipv4": _addresses(host.get("ipv4"), 4), "ipv6": _addresses(host.get("ipv6"), 6),
                    "tlsa": list(host.get("tlsa") or [])})
    return sorted(out, key=lambda member: (member["preference"], member["hostname"]))


def writes_domain(hostname, backup_mx, mx_preference, domain, fleet):
    """Whether this host writes `domain`'s fragment: a primary does, unless another primary serving
    the domain comes before it by (preference, host name). A backup MX never does."""
    if backup_mx:
        return False
    me = (int(mx_preference), hostname.lower().rstrip("."))
    return not any(not member["backup_mx"] and domain in member["domains"]
                   and (member["preference"], member["hostname"]) < me for member in fleet)


def relays(fleet):
    """The backup MX hosts of a primary: their host names and addresses (the primary trusts their mail)."""
    backups = [member for member in fleet if member["backup_mx"]]
    return {"hostnames": [member["hostname"] for member in backups],
            "addresses": [address for member in backups for address in member["ipv4"] + member["ipv6"]]}
