# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether mail leaves over IPv6. Private to this collection: no stable API.

Large receivers (Gmail: 550-5.7.25) refuse mail over IPv6 from an address without a PTR that
resolves back to it, while they take the same mail over IPv4. So the SMTP client uses IPv6 only
when every public IPv6 address of the server is forward-confirmed under the server's name, or
when told to; otherwise IPv4 only. A server without IPv4 uses IPv6 whatever its PTRs say.
"""

from __future__ import annotations

MODES = ("auto", "true", "false")


def mode_of(value):
    """"auto", "true" or "false" from what a user may write (bools, yes/no, any case); None when
    it is none of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower()
    return {"yes": "true", "no": "false", "on": "true", "off": "false"}.get(text, text) if text in MODES + (
        "yes", "no", "on", "off") else None


def decide(mode, ipv4, ipv6, reverse=None, hostname=""):
    """{"ipv6": bool, "reason": str}: whether the SMTP client may use IPv6, and why (one line for
    the report). ``reverse``: reverse_dns_info's ``addresses`` for ``ipv6`` (None when DNS was
    not asked)."""
    mode = mode_of(mode) or "auto"
    if not ipv6:
        return {"ipv6": False, "reason": "IPv4 only: the server has no public IPv6 address"}
    if not ipv4:
        return {"ipv6": True, "reason": "IPv6: the server has no public IPv4 address"}
    if mode == "true":
        return {"ipv6": True, "reason": "IPv4 and IPv6 (mail_outbound_ipv6: true; PTRs not asked)"}
    if mode == "false":
        return {"ipv6": False, "reason": "IPv4 only (mail_outbound_ipv6: false)"}
    if reverse is None:
        return {"ipv6": False, "reason": "IPv4 only: the PTR of %s was not asked (mail_dns_check: skip); "
                                         "mail_outbound_ipv6: true sends over IPv6 anyway" % ", ".join(ipv6)}
    found = {entry.get("address"): entry for entry in reverse}
    missing = []
    for address in ipv6:
        entry = found.get(address) or {}
        if not (entry.get("fcrdns") and entry.get("matches_expected")):
            missing.append(address)
    if missing:
        return {"ipv6": False, "reason": "IPv4 only: %s has no PTR %s that resolves back to it (receivers such as Gmail "
                                         "refuse such mail over IPv6); IPv6 follows once it has"
                                         % (", ".join(missing), hostname or "of the server's name")}
    return {"ipv6": True, "reason": "IPv4 and IPv6: the PTR of %s is %s, forward-confirmed" % (", ".join(ipv6), hostname)}
