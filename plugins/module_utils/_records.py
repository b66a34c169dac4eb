# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DNS records a mail server needs, as zone-file fragments. Pure functions. Private.

Fragments use absolute names and no SOA, so a DNS server loads them with $INCLUDE and a person
can paste them into a provider's form line by line.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.postmaster.mail.plugins.module_utils import _dane, _doctor, _mta_sts

TXT_STRING_MAX = 255

# The client services of RFC 6186 and RFC 8314 (7.2), and ManageSieve (RFC 5804 1.8): SRV name,
# port, priority. A lower priority is preferred, across IMAP and POP3 too (RFC 6186 3.4): implicit
# TLS first, IMAP before POP3.
CLIENT_SERVICES = (
    ("submissions", 465, 0),
    ("submission", 587, 10),
    ("imaps", 993, 0),
    ("imap", 143, 10),
    ("pop3s", 995, 20),
    ("pop3", 110, 30),
    ("sieve", 4190, 0),
)
# What Postfix and Dovecot serve unless told otherwise (143 and 110 are off).
DEFAULT_SERVICES = {"submissions": True, "submission": True, "imaps": True, "imap": False, "pop3s": True, "pop3": False,
                    "sieve": True}
# "Decidedly not available" (RFC 2782, RFC 6186 3.4): clients do not try the port.
SRV_NOT_OFFERED = "0 0 0 ."


def txt_strings(value, limit=TXT_STRING_MAX):
    return [value[i:i + limit] for i in range(0, len(value), limit)] or [""]


def quote(strings):
    return " ".join('"%s"' % s.replace("\\", "\\\\").replace('"', '\\"') for s in strings)


def address_warnings(ipv4, ipv6, given=False):
    """Warnings about the addresses; `given` says they were set, not taken from the host's facts."""
    warnings = []
    for variable, addresses in (("mail_public_ipv4", ipv4), ("mail_public_ipv6", ipv6)):
        for address in addresses:
            if ipaddress.ip_address(address).is_global:
                continue
            if given:
                warnings.append("%s: %s is not a public address: fine for a lab or an internal server, but the "
                                "internet reaches a mail server only at a public one" % (variable, address))
            else:
                warnings.append("%s: %s, the host's own address, is not public (NAT?): set %s to the address the "
                                "world reaches this server at" % (variable, address, variable))
    if not ipv4 and not ipv6:
        warnings.append("mail_public_ipv4 / mail_public_ipv6: no address of this server is known, so the host's A/AAAA, "
                        "SPF and PTR cannot be generated; set them")
    return warnings


def client_srv(hostname, services=None):
    """The SRV values of a domain's client services: [(service, value)] in CLIENT_SERVICES order.
    services: {service: offered}; missing keys take DEFAULT_SERVICES."""
    offered = dict(DEFAULT_SERVICES, **(services or {}))
    return [(service, "%d 1 %d %s." % (priority, port, hostname) if offered[service] else SRV_NOT_OFFERED)
            for service, port, priority in CLIENT_SERVICES]


def tls_rpt_value(rua):
    """The TLS-RPT record (RFC 8460 3) sending the reports to these addresses."""
    return "v=TLSRPTv1; rua=%s" % ",".join("mailto:%s" % address for address in rua)


def generate(hostname, domains, ipv4=(), ipv6=(), dkim_records=None, dmarc_policy="none", dmarc_rua=None,
             spf_all="~all", ttl=3600, mx_preference=10, addresses_given=False, tlsa=(), services=None,
             tls_rpt_rua=(), mta_sts=None, autoconfig=False, spf_extra=(), backup_mx=False, fleet=()):
    """{'zones': {name: fragment}, 'reverse': fragment, 'records': [rows], 'warnings': [...], 'tlsa': [...],
    'mta_sts_policy': text or '', 'web_names': [...]}.

    dkim_records: {dns name: [TXT strings] or value}. dmarc_rua: report address (str) or list.
    tlsa: TLSA values ("3 1 1 <hex>") of the keys served on port 25. services: see client_srv();
    None publishes no SRV record. tls_rpt_rua: where TLS reports go; empty: no TLS-RPT record.
    mta_sts: {'mode', 'max_age'} publishes an MTA-STS policy (its web name's A/AAAA and its
    `_mta-sts` TXT id); autoconfig: the autoconfig/autodiscover names' A/AAAA. web_names: the names
    the web endpoint serves, which its certificate covers. spf_extra: further SPF mechanisms (a
    smarthost's include:), before spf_all.

    Several hosts (_fleet.members() gives `fleet`, the others serving these domains): a primary's
    fragments hold every member's MX row (by preference), the primaries' addresses in SPF, and the
    A/AAAA, TLSA and host-name SPF of the members whose names lie in a served domain; the MTA-STS
    policy names every MX. A backup MX (backup_mx) has only its own rows: its host's records and
    its MX row; the domain's other records are the primary's.
    """
    hostname = hostname.lower().rstrip(".")
    domains = [d.lower().rstrip(".") for d in domains]
    ipv4 = [str(ipaddress.IPv4Address(a)) for a in ipv4 or []]
    ipv6 = [str(ipaddress.IPv6Address(a)) for a in ipv6 or []]
    rua = [dmarc_rua] if isinstance(dmarc_rua, str) else list(dmarc_rua or ["postmaster@%s" % domains[0]])
    rows = []

    def add(zone, name, rtype, value, strings=None):
        rows.append({"zone": zone, "name": name + ".", "type": rtype, "value": value,
                     "rdata": quote(strings) if strings is not None else value})

    fleet = list(fleet or ())
    sts_policy = (_mta_sts.policy(mta_sts["mode"], [hostname] + [m["hostname"] for m in fleet], mta_sts["max_age"])
                  if mta_sts else "")
    sts_txt = _mta_sts.txt_value(sts_policy) if sts_policy else ""
    home = _doctor.host_domain(hostname, domains)

    def mechanisms(host, host_ipv4, host_ipv6):
        return ["ip4:%s" % a for a in host_ipv4] + ["ip6:%s" % a for a in host_ipv6] or ["a:%s" % host]

    def host_rows(host, host_ipv4, host_ipv6, host_tlsa, extra=()):
        zone = _doctor.host_domain(host, domains)
        for address in host_ipv4:
            add(zone, host, "A", address)
        for address in host_ipv6:
            add(zone, host, "AAAA", address)
        for value in host_tlsa or ():
            add(zone, _dane.tlsa_name(host), "TLSA", value)
        # The host name's own SPF: receivers check the HELO name with it, and forwarded mail leaves
        # with an SRS envelope sender in the host name's domain.
        if host not in domains:
            value = " ".join(["v=spf1"] + mechanisms(host, host_ipv4, host_ipv6) + list(extra) + [spf_all])
            add(zone, host, "TXT", value, txt_strings(value))

    # A smarthost's provider sends for the host: its SPF mechanisms (e.g. include:...) join ours.
    host_rows(hostname, ipv4, ipv6, tlsa, spf_extra)
    if backup_mx:
        for domain in domains:
            add(domain, domain, "MX", "%d %s." % (mx_preference, hostname))
        fleet, domains = [], []
    for member in fleet:
        if _doctor.host_domain(member["hostname"], domains) in domains:
            host_rows(member["hostname"], member["ipv4"], member["ipv6"], member["tlsa"])
    for domain in domains:
        serving = [m for m in fleet if domain in m["domains"]]
        exchanges = sorted([(mx_preference, hostname)] + [(m["preference"], m["hostname"]) for m in serving])
        for preference, exchange in exchanges:
            add(domain, domain, "MX", "%d %s." % (preference, exchange))
        # Every primary of the domain sends as it; a backup MX passes mail on to them only.
        authorised = mechanisms(hostname, ipv4, ipv6) + list(spf_extra)
        for member in serving:
            if not member["backup_mx"]:
                authorised += [m for m in mechanisms(member["hostname"], member["ipv4"], member["ipv6"]) if m not in authorised]
        spf = " ".join(["v=spf1"] + authorised + [spf_all])
        add(domain, domain, "TXT", spf, txt_strings(spf))
        for name, strings in sorted((dkim_records or {}).items()):
            name = name.lower().rstrip(".")
            if name.endswith("._domainkey." + domain):
                strings = [strings] if isinstance(strings, str) else list(strings)
                value = "".join(strings)
                add(domain, name, "TXT", value, [s for v in strings for s in txt_strings(v)])
        dmarc = "v=DMARC1; p=%s; rua=%s" % (dmarc_policy, ",".join("mailto:%s" % a for a in rua))
        add(domain, "_dmarc.%s" % domain, "TXT", dmarc, txt_strings(dmarc))
        if tls_rpt_rua:
            report = tls_rpt_value(tls_rpt_rua)
            add(domain, "_smtp._tls.%s" % domain, "TXT", report, txt_strings(report))
        if services is not None:
            for service, value in client_srv(hostname, services):
                add(domain, "_%s._tcp.%s" % (service, domain), "SRV", value)
        if sts_policy:
            add(domain, "_mta-sts.%s" % domain, "TXT", sts_txt, [sts_txt])
        for name in _mta_sts.web_names([domain], bool(mta_sts), autoconfig):
            for address in ipv4:
                add(domain, name, "A", address)
            for address in ipv6:
                add(domain, name, "AAAA", address)
    # RFC 7489 7.1: a domain that receives another domain's reports says it wants them.
    for domain in domains:
        for address in rua:
            report_domain = address.rsplit("@", 1)[1].lower()
            if _doctor.external(domain, report_domain):
                zone = _doctor.host_domain(report_domain, domains)
                add(zone, "%s._report._dmarc.%s" % (domain, report_domain), "TXT", "v=DMARC1", ["v=DMARC1"])
    reverse = []
    for address in ipv4 + ipv6:
        reverse.append({"zone": "reverse", "name": ipaddress.ip_address(address).reverse_pointer + ".",
                        "type": "PTR", "value": hostname + ".", "rdata": hostname + "."})
    zones = {}
    for row in rows:
        zones.setdefault(row["zone"], []).append(row)
    fragments = {zone: _fragment(zone, zone_rows, ttl, hostname) for zone, zone_rows in zones.items()}
    return {
        "zones": fragments,
        "reverse": _fragment("reverse", reverse, ttl, hostname),
        "records": rows + reverse,
        "warnings": address_warnings(ipv4, ipv6, addresses_given),
        "tlsa": list(tlsa or ()),
        "mta_sts_policy": sts_policy,
        "web_names": _mta_sts.web_names(domains, bool(mta_sts), autoconfig),
    }


def _fragment(zone, rows, ttl, hostname):
    if zone == "reverse":
        head = ["; PTR records for %s: ask the hosting provider to set these (they own the reverse zone)." % hostname]
    else:
        head = ["; Records to publish for %s (mail server %s)." % (zone, hostname),
                "; Absolute names, no SOA: load with $INCLUDE or enter each line at your DNS provider."]
    lines = head + ["%s %d IN %s %s" % (row["name"], ttl, row["type"], row["rdata"]) for row in rows]
    return "\n".join(lines) + "\n"
