# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Asking DNS the way the world does: one resolver, structured answers. Private: no stable API.

Every lookup returns a plain dict (see answer()) instead of raising, so the checks above it are
pure functions of "what DNS said" and unit tests can hand them a fake lookup. The only
third-party import is guarded here: callers check HAS_DNSPYTHON and report DNSPYTHON_IMPORT_ERROR
with missing_required_lib("dnspython").
"""

from __future__ import annotations

import ipaddress

from ansible_collections.postmaster.mail.plugins.module_utils._names import parse_resolver

try:
    import dns.exception
    import dns.flags
    import dns.rdatatype
    import dns.resolver

    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = exc
try:  # dnspython 2.4 and later: servers on other ports than 53
    import dns.nameserver
except ImportError:  # pragma: no cover - Debian 12's dnspython 2.3
    pass

OK = "ok"
NXDOMAIN = "nxdomain"
NOANSWER = "noanswer"
TIMEOUT = "timeout"
SERVFAIL = "servfail"
ERROR = "error"
# Statuses that mean "the name or the record type does not exist" (RFC 7208 void lookups).
VOID = (NXDOMAIN, NOANSWER)
# Statuses that mean "we could not find out": the answer is unknown, not negative.
UNKNOWN = (TIMEOUT, SERVFAIL, ERROR)


def answer(status, records=None, cname_chain=None, msg="", signed=False, authenticated=False):
    """The result of one lookup: status, records (type-specific, see _records_of), CNAMEs followed;
    signed: the answer came with its RRSIG (the zone is DNSSEC-signed); authenticated: the resolver
    validated it (the AD flag of a validating resolver)."""
    return {"status": status, "records": list(records or []), "cname_chain": list(cname_chain or []), "msg": msg,
            "signed": bool(signed), "authenticated": bool(authenticated)}


def make_resolver(resolvers=None, timeout=3.0, lifetime=5.0):
    """A dnspython resolver asking the given servers, or the system's when the list is empty.

    dnspython asks one port for all nameservers; servers on different ports become a list of
    nameserver objects, which dnspython >= 2.4 supports.
    """
    if resolvers:
        resolver = dns.resolver.Resolver(configure=False)
        parsed = [parse_resolver(spec) for spec in resolvers]
        if all(pair[1] == 53 for pair in parsed):
            # Plain addresses: what every dnspython takes (Debian 12's 2.3 has no dns.nameserver).
            resolver.nameservers = [pair[0] for pair in parsed]
        else:
            resolver.nameservers = [dns.nameserver.Do53Nameserver(address, port) for address, port in parsed]
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = float(timeout)
    resolver.lifetime = float(lifetime)
    # DO: the answers come with their signatures, so a check can say whether a zone is signed.
    resolver.use_edns(0, dns.flags.DO, 1232)
    # The checks want what the world sees now, not what this process saw a second ago.
    resolver.cache = None
    return resolver


def _records_of(rdtype, rrset):
    if rdtype in ("A", "AAAA"):
        return [str(ipaddress.ip_address(r.address)) for r in rrset]
    if rdtype == "MX":
        return sorted(({"preference": r.preference, "exchange": _name(r.exchange)} for r in rrset),
                      key=lambda mx: (mx["preference"], mx["exchange"]))
    if rdtype == "TXT":
        # Each record is one value made of its character-strings joined without spaces (RFC 7208
        # 3.3, RFC 6376 3.6.2.2); the strings are kept too, for the length checks.
        return [{"value": b"".join(r.strings).decode("utf-8", "replace"),
                 "strings": [s.decode("utf-8", "replace") for s in r.strings]} for r in rrset]
    if rdtype in ("PTR", "CNAME", "NS"):
        return [_name(r.target) for r in rrset]
    return [r.to_text() for r in rrset]


def _name(name):
    return name.to_text(omit_final_dot=True).lower()


class Lookup:
    """lookup(name, rdtype) -> answer dict, asking one resolver; remembers answers for one run."""

    def __init__(self, resolver):
        self.resolver = resolver
        self.seen = {}

    def __call__(self, name, rdtype):
        key = (name.lower().rstrip("."), rdtype)
        if key not in self.seen:
            self.seen[key] = self._ask(key[0], rdtype)
        return self.seen[key]

    def _ask(self, name, rdtype):
        try:
            result = self.resolver.resolve(name, rdtype, search=False, raise_on_no_answer=True)
        except dns.resolver.NXDOMAIN:
            return answer(NXDOMAIN, msg="%s does not exist (NXDOMAIN)" % name)
        except dns.resolver.NoAnswer:
            return answer(NOANSWER, msg="%s has no %s record" % (name, rdtype))
        except dns.resolver.LifetimeTimeout:
            return answer(TIMEOUT, msg="no resolver answered for %s %s in time" % (name, rdtype))
        except dns.resolver.NoNameservers as exc:
            return answer(SERVFAIL, msg="no resolver could answer %s %s: %s" % (name, rdtype, _first_line(exc)))
        except dns.exception.DNSException as exc:
            return answer(ERROR, msg="%s %s: %s" % (name, rdtype, _first_line(exc)))
        response = result.response
        wanted = dns.rdatatype.from_text(rdtype)
        signed = any(rrset.rdtype == dns.rdatatype.RRSIG and rrset.covers == wanted for rrset in response.answer)
        return answer(OK, _records_of(rdtype, result.rrset), _cname_targets(result),
                      signed=signed, authenticated=bool(response.flags & dns.flags.AD))


def _cname_targets(result):
    """The names the resolver was sent to by CNAMEs on the way to the answer."""
    targets = []
    for rrset in getattr(result.chaining_result, "cnames", []):
        targets.extend(_name(r.target) for r in rrset)
    return targets


def _first_line(exc):
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


def reverse_name(address):
    """The in-addr.arpa / ip6.arpa name of an address, without the final dot."""
    return ipaddress.ip_address(address).reverse_pointer


def addresses_of(lookup, name):
    """A and AAAA of a name: (addresses, status, msg). Status is ok when either type answered."""
    found, statuses, msgs = [], [], []
    for rdtype in ("A", "AAAA"):
        result = lookup(name, rdtype)
        statuses.append(result["status"])
        if result["status"] == OK:
            found.extend(result["records"])
        elif result["status"] not in VOID:
            msgs.append(result["msg"])
    if found:
        return found, OK, ""
    for status in (TIMEOUT, SERVFAIL, ERROR, NXDOMAIN):
        if status in statuses:
            return [], status, "; ".join(msgs) or "%s does not exist (NXDOMAIN)" % name
    return [], NOANSWER, "%s has no A or AAAA record" % name


def name_info(lookup, name):
    """What the module dns_name_info returns for one name."""
    found, status, msg = addresses_of(lookup, name)
    chain = []
    for rdtype in ("A", "AAAA"):
        for target in lookup(name, rdtype)["cname_chain"]:
            if target not in chain:
                chain.append(target)
    return {"status": status, "addresses": found, "cname_chain": chain, "msg": msg}


def address_problem(info, expected):
    """What keeps a name (name_info's answer) from pointing at the expected addresses only, or ""."""
    wanted = {str(ipaddress.ip_address(a)) for a in expected}
    if info["status"] != OK or not info["addresses"]:
        return "has no A/AAAA record (%s%s)" % (info["status"], ": " + info["msg"] if info["msg"] else "")
    others = [a for a in info["addresses"] if str(ipaddress.ip_address(a)) not in wanted]
    if others:
        return "resolves to %s, not only to %s" % (", ".join(info["addresses"]), ", ".join(sorted(wanted)))
    return ""


def reverse_info(lookup, address, expected_name=None):
    """PTR names of an address, their forward addresses, and whether it is forward-confirmed."""
    address = str(ipaddress.ip_address(address))
    ptr = lookup(reverse_name(address), "PTR")
    names = []
    for target in ptr["records"] if ptr["status"] == OK else []:
        forward, status, msg = addresses_of(lookup, target)
        names.append({"name": target, "addresses": forward, "status": status, "msg": msg,
                      "confirmed": address in forward})
    expected = expected_name.lower().rstrip(".") if expected_name else None
    return {
        "address": address,
        "reverse_name": reverse_name(address),
        "status": ptr["status"],
        "msg": ptr["msg"],
        "ptr": names,
        "fcrdns": any(n["confirmed"] for n in names),
        "matches_expected": None if expected is None else any(n["name"] == expected for n in names),
        "expected": expected,
    }
