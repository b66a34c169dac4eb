# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether mail leaves over IPv6. Private to this collection: no stable API.

Large receivers (Gmail: 550-5.7.25) refuse mail over IPv6 from an address without a PTR that
resolves back to it, while they take the same mail over IPv4. So the SMTP client uses IPv6 only
when every public IPv6 address of the server is forward-confirmed under the server's name, or
when told to; otherwise IPv4 only. A server without IPv4 uses IPv6 whatever its PTRs say.
"""

from __future__ import annotations

import re

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


# The smarthost (mail_relayhost / postfix_relayhost) ---------------------------------------------
RELAYHOST_KEYS = ("host", "port", "user", "password", "tls", "spf")
SPF_MECHANISM_RE = re.compile(r"^(include|a|mx|ip4|ip6|exists):[^\s\"\\;]+( (include|a|mx|ip4|ip6|exists):[^\s\"\\;]+)*\Z")
RELAYHOST_TLS = ("verify", "encrypt")


def relayhost_errors(settings, is_host):
    """[(key, message)] for a smarthost ``settings`` ({host, port, user, password, tls}); ``is_host``
    tells a host name or IP address. Empty settings: no smarthost, nothing to check. No message
    shows the password."""
    if not settings:
        return []
    if not isinstance(settings, dict):
        return [("", "must be a mapping {host, port, user, password, tls}")]
    errors = []
    unknown = sorted(str(key) for key in settings if key not in RELAYHOST_KEYS)
    if unknown:
        errors.append(("", "unknown keys %s (it takes %s)" % (", ".join(unknown), ", ".join(RELAYHOST_KEYS))))
    host = settings.get("host")
    if not (isinstance(host, str) and is_host(host)):
        errors.append(("host", "must be the smarthost's name (or address), such as smtp.example.net"))
    port = settings.get("port", 587)
    if isinstance(port, bool) or not str(port).isdigit() or not 1 <= int(port) <= 65535:
        errors.append(("port", "must be a TCP port: 587 (STARTTLS) or 465 (TLS from the start), got %s" % (port,)))
    user, password = settings.get("user"), settings.get("password")
    if (user is None) != (password is None):
        errors.append(("user", "user and password go together (or neither, for a smarthost that knows this host by "
                               "its address)"))
    for key, value in (("user", user), ("password", password)):
        if value is not None and (not isinstance(value, str) or not value or any(c in value for c in "\n\r")
                                  or value != value.strip() or (key == "user" and ":" in value)):
            errors.append((key, "must be a non-empty one-line string without spaces around it (and, for the "
                                "user, without a colon: Postfix keeps the login as user:password)"))
    spf = settings.get("spf")
    if spf is not None and not (isinstance(spf, str) and SPF_MECHANISM_RE.match(spf)):
        errors.append(("spf", "must be the SPF mechanisms that authorise the smarthost, such as "
                              "include:spf.example.net, got %s" % (spf,)))
    if settings.get("tls", "verify") not in RELAYHOST_TLS:
        errors.append(("tls", "must be verify (the certificate checked against the host name, the default) or "
                              "encrypt (TLS without checking it), got %s" % (settings.get("tls"),)))
    return errors
