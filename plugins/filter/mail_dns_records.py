# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that writes the DNS records a mail server needs as zone-file fragments."""

from __future__ import annotations

DOCUMENTATION = r"""
name: mail_dns_records
short_description: The MX, A/AAAA, SPF, DKIM, DMARC, TLSA, SRV, TLS-RPT and PTR records to publish for a mail server
version_added: 0.1.0
description:
  - From the server's configuration, returns one zone-file fragment per served domain (absolute
    names, no SOA, loadable with C($INCLUDE)), a reverse fragment with the PTR records to ask the
    hosting provider for, every record as a row for a table, and warnings about missing or private
    addresses naming the variable to set.
  - The host's A/AAAA records go into the fragment of the served domain the host name lies in, or
    into a fragment of their own named after the host when it lies outside the served domains.
  - SPF authorises the public addresses with C(ip4:)/C(ip6:) (no DNS lookups for receivers), or the
    host name with C(a:) when no address is known. When DMARC reports go to another domain, that
    domain's authorisation record (RFC 7489 7.1) is included.
options:
  _input:
    description: The mail server's host name (C(mail_hostname)).
    type: str
    required: true
  domains:
    description: The served domains (C(mail_domains)).
    type: list
    elements: str
    required: true
  ipv4:
    description: Public IPv4 addresses.
    type: list
    elements: str
    default: []
  ipv6:
    description: Public IPv6 addresses.
    type: list
    elements: str
    default: []
  dkim_records:
    description: DKIM DNS name to TXT strings, as C(opendkim_dns_records).
    type: dict
    default: {}
  dmarc_policy:
    description: The DMARC C(p=) policy.
    type: str
    default: none
  dmarc_rua:
    description: Where aggregate reports go; defaults to C(postmaster@) the first domain.
    type: raw
  spf_all:
    description: The closing mechanism of the SPF record; C(+all) is refused.
    type: str
    default: "~all"
  spf_extra:
    description: Further SPF mechanisms, such as a smarthost provider's C(include:spf.example.net), before O(spf_all).
    type: list
    elements: str
    default: []
  ttl:
    description: TTL of every record.
    type: int
    default: 3600
  certificates:
    description:
      - The certificate chains (PEM text) the server serves on port 25, the key in use first and a
        prepared next key after it. Each gives a C(_25._tcp.<host> TLSA 3 1 1) record (DANE-EE,
        SHA-256 of the public key), which a renewal over the same key keeps valid.
      - Needs C(cryptography) on the controller (ansible-core's own dependency).
    type: list
    elements: str
    default: []
  services:
    description:
      - The client services offered, service name to true or false (such as C(imaps), C(pop3s));
        missing keys default to submissions, submission, imaps and pop3s offered, imap (143) and pop3
        (110) not. Each domain gets the RFC 6186/8314 SRV records, C(0 0 0 .) for a service not offered.
      - Null publishes no SRV record.
    type: dict
  tls_rpt_rua:
    description: Where TLS reports (RFC 8460) go; each domain gets C(_smtp._tls) TXT C(v=TLSRPTv1). Empty, none.
    type: list
    elements: str
    default: []
  mta_sts:
    description:
      - Publishes an MTA-STS policy (RFC 8461) naming the host as the only MX, C(mode) (V(testing),
        V(enforce) or V(none)) and C(max_age) (seconds) its fields; each domain gets C(mta-sts.<domain>)
        A/AAAA and C(_mta-sts.<domain>) TXT C(v=STSv1; id=...), whose id is a digest of the policy text,
        so it changes exactly when the policy does. The text is in the result's C(mta_sts_policy).
      - Null publishes none.
    type: dict
  autoconfig:
    description: Each domain gets C(autoconfig.<domain>) and C(autodiscover.<domain>) A/AAAA, where mail
      clients fetch their settings.
    type: bool
    default: false
  mx_preference:
    description: The MX preference of this host (10 for a primary, 20 for a backup MX unless set).
    type: int
    default: 10
  backup_mx:
    description:
      - This host is a backup MX; its result holds only its own records (its A/AAAA, TLSA, host-name
        SPF and MX rows); the domains' other records are their primary's.
    type: bool
    default: false
  fleet:
    description:
      - The other hosts of the inventory, each C(hostname), C(domains), C(backup_mx), C(preference)
        (null for its kind's), C(ipv4), C(ipv6) and C(certificates) (as O(certificates)), or without
        them C(tlsa) (the TLSA values, as that host last wrote them). Those
        serving one of O(domains) join this host's records - their MX rows, the primaries' addresses in
        SPF, and the A/AAAA, TLSA and host-name SPF of those whose names lie in a served domain; the
        MTA-STS policy names every MX.
    type: list
    elements: dict
    default: []
  addresses_given:
    description: Whether the addresses were set by the user rather than read from the host; only the wording of
      the warning about a private address depends on it.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write the fragment of the first domain
  ansible.builtin.copy:
    content: "{{ (mail_hostname | postmaster.mail.mail_dns_records(domains=mail_domains, ipv4=['192.0.2.25'])).zones[mail_domains[0]] }}"
    dest: "dns-records/{{ mail_domains[0] }}.zone"
    mode: "0644"
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: C(zones) (name to fragment text), C(reverse) (fragment text), C(records) (rows with zone,
    name, type, value, rdata), C(warnings) (list of messages), C(tlsa) (the TLSA values), C(mta_sts_policy)
    (the policy text, empty without one) and C(web_names) (the host names the web endpoint serves).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils import _dane, _fleet, _records


def _tlsa(certificates, where):
    tlsa = []
    for index, pem in enumerate(certificates or []):
        if not _dane.HAS_CRYPTOGRAPHY:
            raise AnsibleFilterError("mail_dns_records: certificates: the TLSA records need the Python library "
                                     "cryptography on the controller (pip install cryptography)")
        try:
            value = _dane.tlsa_of_certificate(pem)
        except _dane.NotACertificate as exc:
            raise AnsibleFilterError("mail_dns_records: %s[%d]: %s" % (where, index, exc)) from None
        if value not in tlsa:
            tlsa.append(value)
    return tlsa


def mail_dns_records(hostname, domains, ipv4=None, ipv6=None, dkim_records=None, dmarc_policy="none",
                     dmarc_rua=None, spf_all="~all", ttl=3600, addresses_given=False, certificates=None,
                     services=None, tls_rpt_rua=None, mta_sts=None, autoconfig=False, spf_extra=None,
                     mx_preference=10, backup_mx=False, fleet=None):
    if spf_all.strip().lstrip("+") == "all":
        raise AnsibleFilterError("spf_all: +all authorises every server on the internet; use ~all or -all")
    tlsa = _tlsa(certificates, "certificates")
    # A host's certificates (it ran in this play) give its TLSA; else the values it left (tlsa).
    hosts = [dict(host, tlsa=_tlsa(host.get("certificates"), "fleet[%d].certificates" % index) if host.get("certificates")
                  else list(host.get("tlsa") or []))
             for index, host in enumerate(fleet or [])]
    try:
        members = _fleet.members(hosts, hostname, domains)
        return _records.generate(hostname, domains, ipv4 or [], ipv6 or [], dkim_records or {}, dmarc_policy,
                                 dmarc_rua, spf_all, ttl, mx_preference=int(mx_preference),
                                 addresses_given=addresses_given, tlsa=tlsa,
                                 services=services, tls_rpt_rua=list(tls_rpt_rua or []), mta_sts=mta_sts,
                                 autoconfig=bool(autoconfig), spf_extra=list(spf_extra or []),
                                 backup_mx=bool(backup_mx), fleet=members)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise AnsibleFilterError("mail_dns_records: %s" % (exc,)) from exc


class FilterModule:
    def filters(self):
        return {"mail_dns_records": mail_dns_records}
