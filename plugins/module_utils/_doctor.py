# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mail doctor: what the world's DNS says about a mail server, check by check. Private.

Every check is a dict: domain, check, status (ok / warn / fail), expected, found, remedy (empty
only when ok). lookup(name, rdtype) returns _dns.answer() dicts, so all of this is pure and the
unit tests run it against a fake DNS. The HTTPS checks (MTA-STS, client autoconfig) get a fetcher
the same way: fetch(url, method="GET", body=None) returns {'status': 'ok' or 'error', 'code': the
HTTP status or None, 'body': text, 'msg': why it failed}.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET

from ansible_collections.postmaster.mail.plugins.module_utils import _dane, _dns, _mta_sts, _psl, _spf

OK, WARN, FAIL = "ok", "warn", "fail"
DMARC_POLICIES = ("none", "quarantine", "reject")


def check(domain, name, status, expected, found, remedy=""):
    if status != OK and not remedy:
        raise ValueError("a %s check needs a remedy: %s %s" % (status, domain, name))
    return {"domain": domain, "check": name, "status": status, "expected": expected, "found": found,
            "remedy": remedy if status != OK else ""}


def _unknown(domain, name, expected, result):
    return check(domain, name, FAIL, expected, "no answer: %s" % result["msg"],
                 "the resolvers did not answer; check mail_dns_resolvers and the network, then rerun")


def host_domain(hostname, domains):
    """The served domain a host name lies in (the longest match), or the host name itself."""
    best = None
    for domain in domains:
        if hostname == domain or hostname.endswith("." + domain):
            if best is None or len(domain) > len(best):
                best = domain
    return best or hostname


def diagnose(lookup, hostname, domains, addresses, dkim_records=None, resolvers_label="the resolvers", psl=None,
             records=None, fetch=None, mta_sts_policy=None, mx_preference=10, backup_mx=False):
    """All checks for a server. addresses: its public IPv4/IPv6 addresses (strings). psl: the
    parsed Public Suffix List (_psl.load()) for organisational domains; None: a DMARC report
    address outside the domain's own tree counts as external (dns_doctor_info warns). records:
    the rows _records.generate() made; its TLSA, SRV and TLS-RPT rows are checked too. fetch: the
    HTTPS fetcher (see above); with it, the `_mta-sts` TXT rows and the autoconfig names of records
    are checked over HTTPS too, the policy against mta_sts_policy (its text) when given; None: no
    HTTPS check runs. mx_preference: the server's MX preference; the MX rows of records (a
    fleet's) are all wanted. backup_mx: only the server's own records are checked (host, PTR, its
    MX row, TLSA); the domains' other records are the primary's."""
    hostname = hostname.lower().rstrip(".")
    domains = [d.lower().rstrip(".") for d in domains]
    addresses = [str(ipaddress.ip_address(a)) for a in addresses]
    probe = lookup(domains[0] if domains else hostname, "SOA")
    if probe["status"] in _dns.UNKNOWN:
        # One clear verdict instead of a page of failures that all say the same thing.
        if probe["status"] == _dns.TIMEOUT:
            remedy = ("DNS could not be asked: check mail_dns_resolvers (%s) and that they are reachable, "
                      "then rerun; nothing else was checked" % resolvers_label)
        else:
            remedy = ("%s could not get an answer for %s: its DNS servers may be down or misconfigured "
                      "(delegation, DNSSEC), or the resolvers refuse to recurse; nothing else was checked"
                      % (resolvers_label, domains[0] if domains else hostname))
        return [check("*", "resolvers", FAIL, "%s answer" % resolvers_label, probe["msg"], remedy)]
    results = []
    home = host_domain(hostname, domains)
    results.extend(check_host_addresses(lookup, home, hostname, addresses))
    results.extend(check_ptr(lookup, home, hostname, addresses))
    if hostname not in domains:
        # HELO checks and the SRS senders of forwarded mail (records: the host name's SPF).
        results.extend(check_spf(lookup, hostname, hostname, addresses))
    rows = [dict(row, name=row["name"].lower().rstrip(".")) for row in records or []]
    if backup_mx:
        results.extend(check_mx(lookup, domain, hostname, mx_preference, backup_mx=True) for domain in domains)
        tlsa = [row["value"] for row in rows if row["type"] == "TLSA" and row["name"] == _dane.tlsa_name(hostname)]
        if tlsa:
            results.append(check_tlsa(lookup, home, hostname, tlsa))
        return results
    for domain in domains:
        others = [row["value"] for row in rows if row["type"] == "MX" and row["name"] == domain
                  and row["value"].split()[-1].rstrip(".").lower() != hostname]
        results.append(check_mx(lookup, domain, hostname, mx_preference, others=others))
        results.extend(check_spf(lookup, domain, hostname, addresses))
        for name, strings in sorted((dkim_records or {}).items()):
            if name.lower().rstrip(".").endswith("._domainkey." + domain):
                results.append(check_dkim(lookup, domain, name.lower().rstrip("."), strings))
        results.extend(check_dmarc(lookup, domain, psl))
    tlsa = [row["value"] for row in rows if row["type"] == "TLSA" and row["name"] == _dane.tlsa_name(hostname)]
    if tlsa:
        results.append(check_tlsa(lookup, home, hostname, tlsa))
        results.extend(check_dane_mx(lookup, domain) for domain in domains)
    for domain in domains:
        srv = [row for row in rows if row["type"] == "SRV" and row["name"].endswith("._tcp." + domain)
               and row["name"].count(".") == domain.count(".") + 2]
        if srv:
            results.append(check_client_srv(lookup, domain, srv))
        if any(row["type"] == "TXT" and row["name"] == "_smtp._tls." + domain for row in rows):
            results.append(check_tls_rpt(lookup, domain))
        if fetch is None:
            continue
        sts = [row["value"] for row in rows if row["type"] == "TXT" and row["name"] == "_mta-sts." + domain]
        if sts:
            results.append(check_mta_sts(lookup, fetch, domain, sts[0], mta_sts_policy))
        if any(row["type"] in ("A", "AAAA") and row["name"] == "autoconfig." + domain for row in rows):
            results.append(check_autoconfig(fetch, domain, hostname))
    return results


def check_host_addresses(lookup, domain, hostname, addresses):
    found, status, msg = _dns.addresses_of(lookup, hostname)
    chain = lookup(hostname, "A")["cname_chain"] + lookup(hostname, "AAAA")["cname_chain"]
    expected = " ".join(addresses) or "the server's public addresses"
    if status in _dns.UNKNOWN:
        return [_unknown(domain, "host address", expected, {"msg": msg})]
    if not addresses:
        return [check(domain, "host address", WARN, "the server's public addresses", " ".join(found) or msg,
                      "set mail_public_ipv4 / mail_public_ipv6 to the addresses the world reaches this server at")]
    missing = [a for a in addresses if a not in found]
    extra = [a for a in found if a not in addresses]
    if missing:
        return [check(domain, "host address", FAIL, expected, " ".join(found) or msg,
                      "publish %s" % "; ".join("%s. %s %s" % (hostname, "A" if ":" not in a else "AAAA", a)
                                               for a in missing))]
    if extra:
        return [check(domain, "host address", WARN, expected, " ".join(found),
                      "%s also resolves to %s: remove those records or add them to mail_public_ipv4/ipv6"
                      % (hostname, " ".join(extra)))]
    if chain:
        return [check(domain, "host address", WARN, "%s with A/AAAA records" % hostname,
                      "a CNAME to %s" % " -> ".join(chain),
                      "give %s its own A/AAAA records: an MX target and the PTR name must not be a CNAME"
                      % hostname)]
    return [check(domain, "host address", OK, expected, " ".join(found))]


def check_ptr(lookup, domain, hostname, addresses):
    results = []
    for address in addresses:
        info = _dns.reverse_info(lookup, address, hostname)
        name = "ptr %s" % address
        found = ", ".join("%s (%s)" % (n["name"], " ".join(n["addresses"]) or n["msg"]) for n in info["ptr"])
        ask = "ask the hosting provider to set the PTR of %s to %s (and keep %s's A/AAAA at %s)" % (
            address, hostname, hostname, address)
        if info["status"] in _dns.UNKNOWN:
            results.append(_unknown(domain, name, hostname, info))
        elif not info["ptr"]:
            results.append(check(domain, name, FAIL, hostname, info["msg"] or "no PTR", ask))
        elif not info["matches_expected"]:
            results.append(check(domain, name, FAIL, hostname, found, ask))
        elif not any(n["confirmed"] and n["name"] == hostname for n in info["ptr"]):
            results.append(check(domain, name, FAIL, "%s resolving back to %s" % (hostname, address), found,
                                 "the PTR is not forward-confirmed: publish %s. %s %s"
                                 % (hostname, "AAAA" if ":" in address else "A", address)))
        elif len(info["ptr"]) > 1:
            results.append(check(domain, name, WARN, hostname, found,
                                 "keep one PTR name per address; receivers may pick any of them"))
        else:
            results.append(check(domain, name, OK, hostname, found))
    return results


def check_mx(lookup, domain, hostname, preference=10, others=(), backup_mx=False):
    """The domain's MX records: this host's at its preference; `others` ("20 mx2.example.org.") are
    the rest of the fleet's, wanted too; a backup MX wants a preferred MX besides itself."""
    mx = lookup(domain, "MX")
    wanted = sorted([(int(preference), hostname)] + [(int(v.split()[0]), v.split()[1].rstrip(".").lower()) for v in others])
    expected = "%s. MX %s" % (domain, ", ".join("%d %s." % pair for pair in wanted))
    publish = ("publish %s (and remove MX records that point elsewhere)" % expected if not backup_mx else
               "publish %s. MX %d %s. beside the primary's MX (the primary's zone fragment has it)" % (domain, preference, hostname))
    if mx["status"] in _dns.UNKNOWN:
        return _unknown(domain, "mx", expected, mx)
    records = mx["records"] if mx["status"] == _dns.OK else []
    found = ", ".join("%d %s" % (r["preference"], r["exchange"] or ".") for r in records) or mx["msg"]
    if not records:
        return check(domain, "mx", FAIL, expected, found, publish)
    if any(r["exchange"] in ("", ".") for r in records):
        return check(domain, "mx", FAIL, expected, found, "a null MX (RFC 7505) says this domain takes no mail: " + publish)
    ours = [r for r in records if r["exchange"] == hostname]
    if not ours:
        return check(domain, "mx", FAIL, expected, found, publish)
    cname = lookup(hostname, "CNAME")
    if cname["status"] == _dns.OK:
        return check(domain, "mx", FAIL, "%s with its own A/AAAA records" % hostname,
                     "%s is a CNAME to %s" % (hostname, ", ".join(cname["records"])),
                     "an MX must not point at a CNAME (RFC 2181 10.3): give %s A/AAAA records" % hostname)
    published = {(r["preference"], r["exchange"]) for r in records}
    missing = [pair for pair in wanted if pair not in published]
    if missing:
        return check(domain, "mx", WARN, expected, found,
                     "publish %s (the fleet's MX records with their preferences)"
                     % ", ".join("%s. MX %d %s." % (domain, p, h) for p, h in missing))
    best = min(r["preference"] for r in records)
    if backup_mx and best >= ours[0]["preference"]:
        return check(domain, "mx", WARN, expected, found,
                     "%s is a backup MX, yet no MX is preferred over it: publish the primary's MX with a lower "
                     "preference, or mail waits here for a primary no one names" % hostname)
    if not backup_mx and ours[0]["preference"] > best and len(wanted) == 1:
        return check(domain, "mx", WARN, expected, found,
                     "other MX hosts are preferred over %s: make sure they deliver here, or remove them" % hostname)
    return check(domain, "mx", OK, expected, found)


def check_spf(lookup, domain, hostname, addresses):
    status, records, msg = _spf.spf_records(lookup, domain)
    expected = "one SPF record authorising %s" % (" ".join(addresses) or hostname)
    if status in _dns.UNKNOWN:
        return [_unknown(domain, "spf", expected, {"msg": msg})]
    if not records:
        return [check(domain, "spf", FAIL, expected, msg or "no SPF record",
                      'publish the SPF record of %s from the generated zone fragment' % domain)]
    if len(records) > 1:
        return [check(domain, "spf", FAIL, "exactly one SPF record", " | ".join(records),
                      "merge them into one TXT record starting v=spf1 (RFC 7208 3.2: two records are an error)")]
    if not addresses:
        return [check(domain, "spf", WARN, expected, records[0],
                      "set mail_public_ipv4 / mail_public_ipv6 so the record can be checked against them")]
    results = []
    for address in addresses:
        outcome = _spf.check_host(lookup, address, domain, "postmaster@%s" % domain, hostname)
        found = "%s: %s (%s; %d DNS lookups)" % (records[0], outcome["result"], outcome["msg"], outcome["lookups"])
        name = "spf %s" % address
        if outcome["result"] == "pass":
            status, remedy = (WARN, "; ".join(outcome["warnings"])) if outcome["warnings"] else (OK, "")
            results.append(check(domain, name, status, expected, found, remedy))
        elif outcome["result"] == "permerror":
            results.append(check(domain, name, FAIL, expected, found,
                                 "fix the SPF record: %s (receivers treat it as an error)" % outcome["msg"]))
        elif outcome["result"] == "temperror":
            results.append(_unknown(domain, name, expected, outcome))
        else:
            results.append(check(domain, name, FAIL, expected, found,
                                 "add %s:%s before the all mechanism of the SPF record of %s"
                                 % ("ip6" if ":" in address else "ip4", address, domain)))
    return results


def dkim_tags(value):
    """Tags of a DKIM key record; whitespace inside values is folding and is removed."""
    tags = {}
    for part in value.split(";"):
        if "=" in part:
            key, val = part.split("=", 1)
            tags[key.strip().lower()] = "".join(val.split())
    return tags


def check_dkim(lookup, domain, name, expected_strings):
    expected_value = "".join(expected_strings) if isinstance(expected_strings, (list, tuple)) else expected_strings
    expected = dkim_tags(expected_value)
    label = "dkim %s" % name.split("._domainkey.")[0]
    shown = "%s. TXT %s" % (name, expected_value[:40] + "...")
    publish = "publish %s TXT with the strings from the generated zone fragment" % name
    txt = lookup(name, "TXT")
    if txt["status"] in _dns.UNKNOWN:
        return _unknown(domain, label, shown, txt)
    records = [r["value"] for r in txt["records"]] if txt["status"] == _dns.OK else []
    keys = [r for r in records if "p=" in r.replace(" ", "")]
    if not keys:
        return check(domain, label, FAIL, shown, txt["msg"] or "; ".join(records) or "no record", publish)
    if len(keys) > 1:
        return check(domain, label, FAIL, "one key record", "%d records" % len(keys),
                     "keep exactly one TXT record at %s" % name)
    found = dkim_tags(keys[0])
    same_key = found.get("p") == expected.get("p") and found.get("k", "rsa") == expected.get("k", "rsa")
    if not same_key:
        return check(domain, label, FAIL, _key_label(expected), _key_label(found),
                     "the published key is not the key on the server: replace the TXT record at %s "
                     "with the generated one" % name)
    # RFC 6376 3.6.1: h= lists the hash algorithms the key may be used with, s= the services, t=y
    # marks a domain that is testing (verifiers treat its mail as unsigned).
    hashes = [h.lower() for h in found["h"].split(":")] if "h" in found else ["sha256"]
    services = [v.lower() for v in found["s"].split(":")] if "s" in found else ["*"]
    flags = [f.lower() for f in found.get("t", "").split(":")]
    if "sha256" not in hashes:
        return check(domain, label, FAIL, "h= absent or with sha256", "h=%s" % found["h"],
                     "the key allows only %s, which verifiers refuse (RFC 8301): drop h= from the record at %s"
                     % (found["h"], name))
    if "email" not in services and "*" not in services:
        return check(domain, label, FAIL, "s= absent, * or email", "s=%s" % found["s"],
                     "the key is not for email: drop s= from the record at %s" % name)
    if "y" in flags:
        return check(domain, label, WARN, _key_label(expected), "%s t=%s" % (_key_label(found), found["t"]),
                     "t=y: receivers treat this domain's signatures as a test and its mail as unsigned; "
                     "drop t=y from the record at %s once signing works" % name)
    return check(domain, label, OK, _key_label(expected), _key_label(found))


def _key_label(tags):
    """Keys of one type share their first characters (the algorithm header): show the end."""
    return "k=%s p=...%s" % (tags.get("k", "rsa"), tags.get("p", "")[-16:])


def dmarc_problems(value):
    """Syntax problems of a DMARC record (RFC 7489 6.3/6.4); empty when it is valid."""
    parts = [p.strip() for p in value.split(";")]
    parts = [p for p in parts if p]
    problems = []
    if not parts or parts[0].replace(" ", "") != "v=DMARC1":
        problems.append("the record must start with v=DMARC1")
    tags = {}
    for part in parts[1:]:
        if "=" not in part:
            problems.append("%r is not tag=value" % part)
            continue
        key, val = part.split("=", 1)
        tags[key.strip().lower()] = val.strip()
    if "p" not in tags:
        problems.append("p= (none, quarantine or reject) is missing")
    elif tags["p"].lower() not in DMARC_POLICIES:
        problems.append("p=%s is not none, quarantine or reject" % tags["p"])
    if "sp" in tags and tags["sp"].lower() not in DMARC_POLICIES:
        problems.append("sp=%s is not none, quarantine or reject" % tags["sp"])
    for key in ("adkim", "aspf"):
        if key in tags and tags[key].lower() not in ("r", "s"):
            problems.append("%s=%s is not r or s" % (key, tags[key]))
    if "pct" in tags and not (tags["pct"].isdigit() and 0 <= int(tags["pct"]) <= 100):
        problems.append("pct=%s is not a number from 0 to 100" % tags["pct"])
    for key in ("rua", "ruf"):
        for uri in (u.strip() for u in tags.get(key, "").split(",") if u.strip()):
            address = uri.split("!")[0]
            if not address.lower().startswith("mailto:") or "@" not in address:
                problems.append("%s=%s is not a mailto: address" % (key, uri))
    return problems


def dmarc_report_domains(value):
    """Domains of the rua/ruf addresses of a DMARC record."""
    domains = []
    for part in value.split(";"):
        key, val = (part.split("=", 1) + [""])[:2]
        if key.strip().lower() in ("rua", "ruf"):
            for uri in val.split(","):
                address = uri.strip().split("!")[0]
                if "@" in address:
                    domain = address.rsplit("@", 1)[1].lower().rstrip(".")
                    if domain not in domains:
                        domains.append(domain)
    return domains


def external(domain, report_domain, psl=None):
    """Whether reports for a domain go to another organisation (RFC 7489 7.1): organisational
    domains from the Public Suffix List; without one, the same domain and its parents or children
    count as the same organisation."""
    if psl is not None:
        return _psl.organisational(domain, psl) != _psl.organisational(report_domain, psl)
    return not (report_domain == domain or report_domain.endswith("." + domain) or domain.endswith("." + report_domain))


def check_dmarc(lookup, domain, psl=None):
    name = "_dmarc.%s" % domain
    expected = '%s. TXT "v=DMARC1; p=...; rua=mailto:..."' % name
    txt = lookup(name, "TXT")
    if txt["status"] in _dns.UNKNOWN:
        return [_unknown(domain, "dmarc", expected, txt)]
    records = [r["value"] for r in txt["records"]] if txt["status"] == _dns.OK else []
    # A record that mentions DMARC but does not start with it is a broken DMARC record, not noise.
    dmarc = [r for r in records if "v=dmarc" in r.replace(" ", "").lower()]
    if not dmarc:
        return [check(domain, "dmarc", FAIL, expected, txt["msg"] or "no DMARC record",
                      "publish the DMARC record from the generated zone fragment")]
    if len(dmarc) > 1:
        return [check(domain, "dmarc", FAIL, "one DMARC record", " | ".join(dmarc),
                      "keep one TXT record at %s: with two, receivers apply none (RFC 7489 6.6.3)" % name)]
    problems = dmarc_problems(dmarc[0])
    if problems:
        return [check(domain, "dmarc", FAIL, expected, dmarc[0], "fix the record at %s: %s" % (name, "; ".join(problems)))]
    policy = dict((part.split("=", 1) + [""])[:2] for part in (p.strip() for p in dmarc[0].split(";")) if "=" in part)
    if policy.get("p", "").strip().lower() == "none":
        results = [check(domain, "dmarc", WARN, "p=quarantine or p=reject", dmarc[0],
                         "p=none asks receivers to do nothing with forgeries: once the reports show your own "
                         "mail passing, publish p=quarantine, then p=reject (mail_dmarc_policy)")]
    else:
        results = [check(domain, "dmarc", OK, expected, dmarc[0])]
    for report_domain in dmarc_report_domains(dmarc[0]):
        if not external(domain, report_domain, psl):
            continue
        auth = "%s._report._dmarc.%s" % (domain, report_domain)
        answer = lookup(auth, "TXT")
        label = "dmarc report %s" % report_domain
        want = '%s. TXT "v=DMARC1"' % auth
        if answer["status"] in _dns.UNKNOWN:
            results.append(_unknown(domain, label, want, answer))
        elif any(r["value"].replace(" ", "").lower().startswith("v=dmarc1") for r in answer["records"]):
            results.append(check(domain, label, OK, want, answer["records"][0]["value"]))
        else:
            results.append(check(domain, label, FAIL, want, answer["msg"] or "no record",
                                 "publish %s, or reports to %s are dropped (RFC 7489 7.1)" % (want, report_domain)))
    return results


def summary(results):
    counts = {OK: 0, WARN: 0, FAIL: 0}
    for result in results:
        counts[result["status"]] += 1
    verdict = FAIL if counts[FAIL] else WARN if counts[WARN] else OK
    return verdict, counts


def _dnssec_words(result):
    if result["authenticated"]:
        return "DNSSEC-signed, validated"
    return "DNSSEC-signed" if result["signed"] else "not DNSSEC-signed"


def check_tlsa(lookup, domain, hostname, expected):
    """The TLSA records of SMTP on the host (DANE, RFC 7672): expected[0] is the key served on 25
    now, the rest prepared next keys. Judges the zone's DNSSEC too: without it, nobody uses them."""
    name = _dane.tlsa_name(hostname)
    label = "tlsa"
    want = "%s. TLSA %s" % (name, expected[0])
    answer = lookup(name, "TLSA")
    if answer["status"] in _dns.UNKNOWN:
        return _unknown(domain, label, want, answer)
    published = answer["records"] if answer["status"] == _dns.OK else []
    if not published:
        return check(domain, label, WARN, want, answer["msg"] or "no TLSA record",
                     "publish %s from the generated zone fragment: with a DNSSEC-signed zone, senders that use DANE "
                     "then insist on TLS with this key, so no one in between can strip STARTTLS" % want)
    found = "%s (%s)" % (" | ".join(published), _dnssec_words(answer))
    if expected[0] not in _dane.matches(published, expected[:1]):
        return check(domain, label, FAIL, want, found,
                     "no TLSA record matches the key served on port 25: senders that use DANE will defer every "
                     "message to this server; publish %s (keep records of keys about to be used, remove others)" % want)
    missing = [value for value in expected[1:] if value not in _dane.matches(published, [value])]
    if missing:
        return check(domain, label, WARN, want, found,
                     "publish the TLSA record of the next key too (%s), so it matches from the moment it is used"
                     % "; ".join(missing))
    if not answer["signed"]:
        return check(domain, label, WARN, "%s in a DNSSEC-signed zone" % want, found,
                     "the zone of %s is not DNSSEC-signed, so senders ignore its TLSA record: turn DNSSEC on at the "
                     "DNS provider (and publish its DS at the registrar) to protect mail to this server" % hostname)
    if not answer["authenticated"]:
        # Signed is not enough: a sender uses the record only once its resolver validates it.
        return check(domain, label, WARN, "%s, DNSSEC-validated" % want, found,
                     "the answer is signed but the resolvers asked did not validate it: either the chain of trust is "
                     "broken (publish the zone's DS record at the registrar) or they do not validate DNSSEC (set "
                     "mail_dns_resolvers to validating resolvers, such as 9.9.9.9) and rerun")
    return check(domain, label, OK, want, found)


def check_dane_mx(lookup, domain):
    """Senders use DANE for a domain only when its MX records are DNSSEC-validated too (RFC 7672
    2.2.1): an attacker could otherwise send them to another host."""
    label = "dane mx"
    answer = lookup(domain, "MX")
    want = "%s. MX, DNSSEC-validated" % domain
    if answer["status"] in _dns.UNKNOWN:
        return _unknown(domain, label, want, answer)
    if answer["status"] != _dns.OK:
        return check(domain, label, WARN, want, answer["msg"] or "no MX record",
                     "publish the MX record first (see the mx check); DANE then needs it DNSSEC-signed")
    found = _dnssec_words(answer)
    if answer["authenticated"]:
        return check(domain, label, OK, want, found)
    return check(domain, label, WARN, want, found,
                 "senders use the host's TLSA record for mail to %s only when its MX record is DNSSEC-validated "
                 "(RFC 7672 2.2.1): sign the zone of %s and publish its DS at the registrar (or, if it is signed, set "
                 "mail_dns_resolvers to validating resolvers)" % (domain, domain))


def check_client_srv(lookup, domain, rows):
    """The SRV records mail clients set themselves up with (RFC 6186, RFC 8314)."""
    label = "client srv"
    want = "; ".join("%s. SRV %s" % (row["name"], row["value"]) for row in rows)
    wrong, missing = [], []
    for row in rows:
        answer = lookup(row["name"], "SRV")
        if answer["status"] in _dns.UNKNOWN:
            return _unknown(domain, label, want, answer)
        found = [" ".join(text.lower().split()) for text in answer["records"]] if answer["status"] == _dns.OK else []
        if not found:
            missing.append("%s. SRV %s" % (row["name"], row["value"]))
        elif found != [row["value"].lower()]:
            wrong.append("%s. SRV %s (found %s)" % (row["name"], row["value"], " | ".join(found)))
    if wrong:
        return check(domain, label, FAIL, want, "; ".join(wrong),
                     "mail clients that look these up are sent elsewhere: publish exactly the SRV records of the "
                     "generated zone fragment")
    if missing:
        return check(domain, label, WARN, want, "missing: %s" % "; ".join(missing),
                     "publish the SRV records of the generated zone fragment, so mail clients find the server "
                     "and its ports from the address alone")
    return check(domain, label, OK, want, "%d SRV records as generated" % len(rows))


def tls_rpt_problems(value):
    """What is wrong with a TLS-RPT record (RFC 8460 3), as messages; [] when it is sound."""
    parts = [part.strip() for part in value.split(";")]
    if parts[0].replace(" ", "") != "v=TLSRPTv1":
        return ["it must start with v=TLSRPTv1"]
    tags = dict((part.split("=", 1) + [""])[:2] for part in parts[1:] if part)
    if "rua" not in tags:
        return ["rua= (where reports go) is missing"]
    bad = [uri for uri in (u.strip() for u in tags["rua"].split(",")) if not (uri.startswith("mailto:") and "@" in uri
                                                                              or uri.startswith("https://"))]
    return ["rua= takes mailto: and https: addresses, not %s" % ", ".join(bad)] if bad else []


def check_tls_rpt(lookup, domain):
    """Where sending servers report TLS failures (RFC 8460)."""
    name = "_smtp._tls.%s" % domain
    label = "tls-rpt"
    want = '%s. TXT "v=TLSRPTv1; rua=mailto:..."' % name
    txt = lookup(name, "TXT")
    if txt["status"] in _dns.UNKNOWN:
        return _unknown(domain, label, want, txt)
    records = [r["value"] for r in txt["records"] if r["value"].startswith("v=TLSRPT")] if txt["status"] == _dns.OK else []
    if not records:
        return check(domain, label, WARN, want, txt["msg"] or "no TLS-RPT record",
                     "publish the TLS-RPT record of the generated zone fragment, so senders report failed TLS to you")
    if len(records) > 1:
        return check(domain, label, FAIL, "one TLS-RPT record", " | ".join(records),
                     "keep one TXT record at %s: with two, senders send no report (RFC 8460 3)" % name)
    problems = tls_rpt_problems(records[0])
    if problems:
        return check(domain, label, FAIL, want, records[0], "fix the record at %s: %s" % (name, "; ".join(problems)))
    return check(domain, label, OK, want, records[0])


def _policy_words(fields, policy_id=None):
    """A parsed MTA-STS policy in one line: mode testing, mx mail.example.org, max_age 604800, id ..."""
    mx = " ".join(fields.get("mx") or []) or "none"
    words = "mode %s, mx %s, max_age %s" % (fields.get("mode", "?"), mx, fields.get("max_age", "?"))
    return words + (", id %s" % policy_id if policy_id else "")


def _same_policy(one, other):
    return (one.get("mode"), sorted(set(one.get("mx") or [])), one.get("max_age")) == \
        (other.get("mode"), sorted(set(other.get("mx") or [])), other.get("max_age"))


def _mx_hosts(lookup, domain):
    """The domain's MX hosts, or None when DNS did not say (the mx check reports that)."""
    answer = lookup(domain, "MX")
    if answer["status"] != _dns.OK:
        return None
    hosts = []
    for record in answer["records"]:
        exchange = record["exchange"] if isinstance(record, dict) else record.split()[-1]
        exchange = exchange.lower().rstrip(".")
        if exchange and exchange not in hosts:
            hosts.append(exchange)
    return hosts


def check_mta_sts(lookup, fetch, domain, expected_txt, expected_policy=None):
    """MTA-STS (RFC 8461) as a sender sees it: one `_mta-sts` TXT record with the id this run wrote,
    the policy fetched over HTTPS from mta-sts.<domain> with a valid certificate, sound, covering
    every MX host, and the policy this run wrote (expected_policy, its text; None or empty: not compared)."""
    label = "mta-sts"
    name = "_mta-sts.%s" % domain
    url = "https://mta-sts.%s%s" % (domain, _mta_sts.POLICY_PATH)
    expected_id = _mta_sts.parse_txt(expected_txt)
    wanted, wanted_problems = _mta_sts.parse_policy(expected_policy) if expected_policy else ({}, ["none given"])
    want = _policy_words(wanted, expected_id) if not wanted_problems else '%s. TXT "%s"' % (name, expected_txt)
    txt = lookup(name, "TXT")
    if txt["status"] in _dns.UNKNOWN:
        return _unknown(domain, label, want, txt)
    records = [r["value"] for r in txt["records"]] if txt["status"] == _dns.OK else []
    # RFC 8461 3.1: records that do not start with v=STSv1 are not STS records.
    sts = [r for r in records if r.replace(" ", "").startswith("v=STSv1")]
    if not sts:
        return check(domain, label, WARN, want, txt["msg"] or "no STSv1 record at %s" % name,
                     'publish %s. TXT "%s" from the generated zone fragment: without it senders do not look for '
                     "the policy and deliver without requiring verified TLS" % (name, expected_txt))
    if len(sts) > 1:
        return check(domain, label, FAIL, "one STSv1 record at %s" % name, " | ".join(sts),
                     'keep one TXT record at %s, "%s": with more than one, senders treat the domain as having no '
                     "policy (RFC 8461 3.1)" % (name, expected_txt))
    found_id = _mta_sts.parse_txt(sts[0])
    if found_id is None:
        return check(domain, label, FAIL, '%s. TXT "%s"' % (name, expected_txt), sts[0],
                     'replace the record at %s with "%s": an STSv1 record needs id= of 1 to 32 letters and digits '
                     "(RFC 8461 3.1)" % (name, expected_txt))
    answer = fetch(url)
    if answer["status"] != "ok":
        return check(domain, label, FAIL, want, "%s: %s" % (url, answer["msg"]),
                     "senders cannot fetch the policy: mta-sts.%s must resolve to the web endpoint, answer HTTPS "
                     "on port 443 with a certificate valid for mta-sts.%s (issued by a public CA), and serve %s"
                     % (domain, domain, _mta_sts.POLICY_PATH))
    if answer["code"] != 200:
        return check(domain, label, FAIL, want, ("%s: HTTP %s %s" % (url, answer["code"], answer["msg"])).rstrip(),
                     "serve the policy at %s with status 200 and no redirect (RFC 8461 3.3: senders follow none); "
                     "until then senders that cached the policy keep it, the others have none" % url)
    served, problems = _mta_sts.parse_policy(answer["body"])
    found = _policy_words(served, found_id)
    if problems:
        return check(domain, label, FAIL, want, "%s: %s" % (url, answer["body"][:200].strip()),
                     "fix the policy at %s: %s; senders ignore an invalid policy" % (url, "; ".join(problems)))
    hosts = _mx_hosts(lookup, domain)
    unmatched = [host for host in hosts or [] if not any(_mta_sts.mx_matches(p, host) for p in served["mx"])]
    if unmatched and served["mode"] != "none":
        return check(domain, label, FAIL, want, "%s; MX %s" % (found, " ".join(hosts)),
                     "the policy covers no mx for the MX host %s: add 'mx: %s' to the policy (or drop the MX "
                     "record); in mode enforce senders refuse to deliver to %s, in mode testing they report failures"
                     % (" ".join(unmatched), unmatched[0], " and ".join(unmatched)))
    stale = expected_id is not None and found_id != expected_id
    differs = not wanted_problems and not _same_policy(served, wanted)
    if stale and differs:
        return check(domain, label, FAIL, want, found,
                     "neither the id at %s nor the policy at %s is the one this run wrote: publish %s. TXT \"%s\" "
                     "and check that the web endpoint serves the generated policy" % (name, url, name, expected_txt))
    if stale:
        return check(domain, label, WARN, want, found,
                     'publish the new id, %s. TXT "%s": senders refresh their cached policy only when the id '
                     "changes" % (name, expected_txt))
    if differs:
        return check(domain, label, WARN, want, found,
                     "the endpoint serves another policy than this run wrote: check that %s is the file the web "
                     "endpoint serves (its nginx site) and that mta-sts.%s points at this server" % (url, domain))
    return check(domain, label, OK, want, found)


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xml(answer, url):
    """(root element, problem) of a fetched XML file."""
    if answer["status"] != "ok":
        return None, "%s: %s" % (url, answer["msg"])
    if answer["code"] != 200:
        return None, ("%s: HTTP %s %s" % (url, answer["code"], answer["msg"])).rstrip()
    try:
        return ET.fromstring(answer["body"].encode("utf-8")), ""
    except ET.ParseError as exc:
        return None, "%s: not XML (%s)" % (url, exc)


def _texts(element, tag):
    return [(child.text or "").strip().lower().rstrip(".") for child in element.iter() if _local(child.tag) == tag]


def autodiscover_request(address):
    """The request Outlook POSTs to autodiscover (POX, 2006 request schema)."""
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
            "<Request><EMailAddress>%s</EMailAddress>"
            "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
            "</AcceptableResponseSchema></Request></Autodiscover>" % address)


def check_autoconfig(fetch, domain, hostname):
    """The files mail clients set themselves up from: Thunderbird's autoconfig (GET) and Outlook's
    autodiscover (POST), both naming the host for incoming and outgoing mail."""
    label = "autoconfig"
    hostname = hostname.lower().rstrip(".")
    config_url = "https://autoconfig.%s%s" % (domain, _mta_sts.AUTOCONFIG_PATH)
    discover_url = "https://autodiscover.%s%s" % (domain, _mta_sts.AUTODISCOVER_PATH)
    want = "autoconfig and autodiscover naming %s" % hostname
    problems = []
    root, problem = _xml(fetch(config_url), config_url)
    if root is not None:
        for kind in ("incomingServer", "outgoingServer"):
            named = [text for server in root.iter() if _local(server.tag) == kind
                     for text in _texts(server, "hostname")]
            if hostname not in named:
                problem = "%s: no %s with hostname %s (found %s)" % (config_url, kind, hostname,
                                                                     ", ".join(named) or "none")
                break
    if problem:
        problems.append(problem)
    root, problem = _xml(fetch(discover_url, "POST", autodiscover_request("postmaster@%s" % domain)), discover_url)
    if root is not None:
        servers = [text for protocol in root.iter() if _local(protocol.tag) == "Protocol"
                   for text in _texts(protocol, "Server")]
        if hostname not in servers:
            found = ", ".join(servers) or "none"
            problem = "%s: no Protocol with Server %s (found %s)" % (discover_url, hostname, found)
    if problem:
        problems.append(problem)
    if problems:
        return check(domain, label, WARN, want, "; ".join(problems),
                     "mail clients then need manual setup: the web endpoint must answer GET %s and POST %s over "
                     "HTTPS (a certificate valid for autoconfig.%s and autodiscover.%s) with the generated files "
                     "naming %s" % (config_url, discover_url, domain, domain, hostname))
    return check(domain, label, OK, want, "both name %s" % hostname)
