# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SPF evaluation (RFC 7208 check_host) over a lookup function. Private: no stable API.

lookup(name, rdtype) returns the dicts of _dns.answer(); nothing here talks to the network, so
unit tests evaluate loops, limits and macros against a fake DNS.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.postmaster.mail.plugins.module_utils import _dns

MAX_LOOKUPS = 10  # RFC 7208 4.6.4: terms that cause DNS queries
MAX_VOID_LOOKUPS = 2  # RFC 7208 4.6.4: lookups answered NXDOMAIN or with no records
MAX_MX_OR_PTR_NAMES = 10
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
_VERSION_RE = re.compile(r"^v=spf1(\s|$)", re.IGNORECASE)
_MACRO_RE = re.compile(r"%(?:\{([slodiphcrtv])(\d*)(r?)([.\-+,/_=]*)\}|%|_|-)", re.IGNORECASE)


class SpfError(Exception):
    """Ends the evaluation with result permerror or temperror."""

    def __init__(self, result, msg):
        super().__init__(msg)
        self.result = result
        self.msg = msg


def is_spf(value):
    return bool(_VERSION_RE.match(value.strip()))


def spf_records(lookup, domain):
    """(status, [SPF record values]) of a domain's TXT records."""
    txt = lookup(domain, "TXT")
    if txt["status"] != _dns.OK:
        return txt["status"], [], txt["msg"]
    return _dns.OK, [r["value"] for r in txt["records"] if is_spf(r["value"])], ""


class Evaluation:
    """One check_host() run with its lookup counters (RFC 7208 4.6.4 limits span the whole run)."""

    def __init__(self, lookup, ip, sender, helo=None):
        self.lookup = lookup
        self.ip = ipaddress.ip_address(ip)
        self.sender = sender
        self.helo = helo or ""
        self.lookups = 0
        self.void_lookups = 0
        self.warnings = []
        self.trail = []

    def run(self, domain):
        """{'result', 'msg', 'lookups', 'void_lookups', 'warnings', 'trail'} for the address."""
        try:
            result, msg = self._check_host(domain.lower().rstrip("."), [])
        except SpfError as exc:
            result, msg = exc.result, exc.msg
        return {"result": result, "msg": msg, "lookups": self.lookups, "void_lookups": self.void_lookups,
                "warnings": self.warnings, "trail": self.trail}

    # -- RFC 7208 section 4 -------------------------------------------------------------------

    def _check_host(self, domain, stack):
        if domain in stack:
            raise SpfError("permerror", "include/redirect loop: %s" % " -> ".join(stack + [domain]))
        stack = stack + [domain]
        status, records, msg = spf_records(self.lookup, domain)
        if status in _dns.UNKNOWN:
            raise SpfError("temperror", "could not read the SPF record of %s: %s" % (domain, msg))
        if not records:
            return "none", "%s has no SPF record" % domain
        if len(records) > 1:
            raise SpfError("permerror", "%s has %d SPF records; RFC 7208 4.5 allows one" % (domain, len(records)))
        record = records[0]
        mechanisms, modifiers = self._parse(domain, record)
        for qualifier, name, arg, cidr4, cidr6, text in mechanisms:
            if self._matches(domain, name, arg, cidr4, cidr6, stack):
                self.trail.append("%s: %s matched" % (domain, text))
                return QUALIFIERS[qualifier], "%s matched %s in the SPF record of %s" % (self.ip, text, domain)
        if "redirect" in modifiers:
            self._count_lookup("redirect=%s" % modifiers["redirect"])
            target = self._expand(modifiers["redirect"], domain)
            result, msg = self._check_host(target, stack)
            if result == "none":
                raise SpfError("permerror", "redirect=%s of %s points at a domain without SPF" % (target, domain))
            return result, msg
        return "neutral", "no mechanism of the SPF record of %s matched %s (default neutral)" % (domain, self.ip)

    def _parse(self, domain, record):
        mechanisms, modifiers = [], {}
        for term in record.split()[1:]:
            modifier = re.match(r"^([a-z][a-z0-9_.\-]*)=(.*)$", term, re.IGNORECASE)
            if modifier:
                key = modifier.group(1).lower()
                if key in ("redirect", "exp") and key in modifiers:
                    raise SpfError("permerror", "%s appears twice in the SPF record of %s" % (key, domain))
                modifiers[key] = modifier.group(2)
                continue
            match = re.match(r"^([+\-~?]?)([a-z0-9]+)(?::([^/]*))?(?:/(\d+))?(?://(\d+))?$", term, re.IGNORECASE)
            if not match or match.group(2).lower() not in MECHANISMS:
                raise SpfError("permerror", "unknown term %r in the SPF record of %s" % (term, domain))
            qualifier = match.group(1) or "+"
            name = match.group(2).lower()
            arg, cidr4, cidr6 = match.group(3), match.group(4), match.group(5)
            if name in ("include", "exists", "ip4", "ip6") and not arg:
                raise SpfError("permerror", "%s needs an argument in the SPF record of %s" % (name, domain))
            if arg == "":  # "a:" or "mx:": a colon promises a domain
                raise SpfError("permerror", "%s: has an empty domain in the SPF record of %s" % (name, domain))
            if name in ("include", "exists", "all") and (cidr4 or cidr6):
                raise SpfError("permerror", "%s takes no prefix length (%s) in the SPF record of %s" % (name, term, domain))
            if name == "all" and arg is not None:
                raise SpfError("permerror", "all takes no argument (%s) in the SPF record of %s" % (term, domain))
            if name in ("ip4", "ip6"):
                # ip6 arguments contain colons: take the whole term after the first colon.
                arg = term.split(":", 1)[1]
                cidr4 = cidr6 = None
            mechanisms.append((qualifier, name, arg, cidr4, cidr6, term))
        if "redirect" in modifiers and any(m[1] == "all" for m in mechanisms):
            # RFC 7208 6.1: redirect is ignored when the record has "all".
            del modifiers["redirect"]
        return mechanisms, modifiers

    def _matches(self, domain, name, arg, cidr4, cidr6, stack):
        if name == "all":
            return True
        if name in ("ip4", "ip6"):
            try:
                network = ipaddress.ip_network(arg, strict=False)
            except ValueError:
                raise SpfError("permerror", "%s:%s in the SPF record of %s is not a network" % (name, arg, domain))
            if (name == "ip4") != (network.version == 4):
                raise SpfError("permerror", "%s:%s in the SPF record of %s has the wrong family" % (name, arg, domain))
            return self.ip in network
        self._count_lookup("%s%s" % (name, ":" + arg if arg else ""))
        target = self._expand(arg, domain) if arg else domain
        if name == "include":
            result, msg = self._check_host(target, stack)
            if result == "pass":
                return True
            if result == "none":
                raise SpfError("permerror", "include:%s of %s points at a domain without SPF" % (target, domain))
            return False
        if name == "a":
            return self._in_addresses(target, cidr4, cidr6)
        if name == "mx":
            mx = self._ask(target, "MX")
            if len(mx) > MAX_MX_OR_PTR_NAMES:
                raise SpfError("permerror", "mx of %s has more than %d names" % (target, MAX_MX_OR_PTR_NAMES))
            # Void lookups count per term (RFC 7208 4.6.4): the hosts' address lookups make the
            # mx term void only when none of them answers.
            answered = False
            for record in mx:
                addresses = self._ask(record["exchange"], self._address_type(), count_void=False)
                answered = answered or bool(addresses)
                if self._in_networks(addresses, cidr4, cidr6):
                    return True
            if mx and not answered:
                self._void("mx %s" % target, "A/AAAA")
            return False
        if name == "exists":
            return bool(self._ask(target, "A"))
        if name == "ptr":
            self.warnings.append("the SPF record of %s uses ptr, which RFC 7208 5.5 says not to use" % domain)
            names = self._ask(_dns.reverse_name(str(self.ip)), "PTR")[:MAX_MX_OR_PTR_NAMES]
            for ptr_name in names:
                if (ptr_name == target or ptr_name.endswith("." + target)) and self._in_addresses(ptr_name, None, None):
                    return True
            return False
        raise SpfError("permerror", "unsupported mechanism %s" % name)  # pragma: no cover - parse guards it

    def _address_type(self):
        return "A" if self.ip.version == 4 else "AAAA"

    def _in_networks(self, addresses, cidr4, cidr6):
        prefix = cidr4 if self.ip.version == 4 else cidr6
        suffix = "/%s" % prefix if prefix else ""
        return any(self.ip in ipaddress.ip_network(address + suffix, strict=False) for address in addresses)

    def _in_addresses(self, name, cidr4, cidr6):
        return self._in_networks(self._ask(name, self._address_type()), cidr4, cidr6)

    def _ask(self, name, rdtype, count_void=True):
        """The records; an empty answer is a void lookup of the term unless ``count_void`` is
        false (the caller counts the term once)."""
        result = self.lookup(name, rdtype)
        if result["status"] in _dns.UNKNOWN:
            raise SpfError("temperror", result["msg"])
        if result["status"] in _dns.VOID:
            if count_void:
                self._void(name, rdtype)
            return []
        return result["records"]

    def _void(self, name, rdtype):
        self.void_lookups += 1
        if self.void_lookups > MAX_VOID_LOOKUPS:
            raise SpfError("permerror", "more than %d void lookups (last: %s %s); RFC 7208 4.6.4"
                           % (MAX_VOID_LOOKUPS, name, rdtype))

    def _count_lookup(self, term):
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise SpfError("permerror", "more than %d DNS lookups (at %s); RFC 7208 4.6.4" % (MAX_LOOKUPS, term))

    # -- RFC 7208 section 7 -------------------------------------------------------------------

    def _expand(self, spec, domain):
        local, sender_domain = self.sender.rsplit("@", 1) if "@" in self.sender else ("", "")
        values = {
            "s": self.sender, "l": local or "postmaster", "o": sender_domain or self.helo, "d": domain,
            "i": self._dotted_ip(), "p": "unknown", "v": "in-addr" if self.ip.version == 4 else "ip6",
            "h": self.helo,
        }

        def replace(match):
            if match.group(0) == "%%":
                return "%"
            if match.group(0) == "%_":
                return " "
            if match.group(0) == "%-":
                return "%20"
            letter = match.group(1).lower()
            if letter not in values:
                raise SpfError("permerror", "macro %s is not allowed here (RFC 7208 7.2)" % match.group(0))
            parts = re.split("[%s]" % re.escape(match.group(4) or "."), values[letter])
            if match.group(3):
                parts.reverse()
            if match.group(2):
                parts = parts[-int(match.group(2)):]
            return ".".join(parts)

        expanded = _MACRO_RE.sub(replace, spec)
        if "%" in expanded.replace("%20", ""):
            raise SpfError("permerror", "malformed macro in %r" % spec)
        return expanded.lower().rstrip(".")

    def _dotted_ip(self):
        if self.ip.version == 4:
            return str(self.ip)
        return ".".join(self.ip.exploded.replace(":", ""))


def check_host(lookup, ip, domain, sender, helo=None):
    return Evaluation(lookup, ip, sender, helo).run(domain)
