#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_doctor_info
short_description: Check what the world's DNS says about a mail server, and say how to fix it
version_added: 0.1.0
description:
  - Asks the given resolvers what a receiving mail server would ask, and returns one verdict per
    domain and check, V(ok), V(warn) or V(fail), with what was expected, what was found, and a remedy
    for everything that is not V(ok).
  - "Checks: the host's A/AAAA equal its public addresses; the PTR of each address is the host name and
    forward-confirmed; per domain, the MX points at the host and not at a CNAME; exactly one SPF record,
    evaluated (RFC 7208, with the 10-lookup and 2-void-lookup limits) for each public address; each
    DKIM record present with the key on the server; the DMARC record present and valid, and the
    authorisation record when reports go to another domain (RFC 7489 7.1); given O(records), the TLSA
    of SMTP (DANE) and whether its zone is DNSSEC-signed, the client SRV records and TLS-RPT."
  - With O(https) (the default) and O(records) naming them, it also fetches over HTTPS from the controller
    what senders and mail clients fetch, verifying certificates as they do, with no redirect followed
    (RFC 8461 3.3), namely each domain's MTA-STS policy (C(mta-sts)) and the autoconfig and autodiscover
    files (C(autoconfig)).
  - The module never fails because of a verdict; the play decides (see RV(verdict)). When the
    resolvers do not answer at all, a single V(fail) check named C(resolvers) says so.
author:
  - postmaster.mail developers (@postmaster-mail)
extends_documentation_fragment:
  - postmaster.mail.dns
options:
  hostname:
    description: The mail server's host name (C(mail_hostname)).
    type: str
    required: true
  domains:
    description: The domains it receives mail for (C(mail_domains)).
    type: list
    elements: str
    required: true
  public_ipv4:
    description: Its public IPv4 addresses. Without any address, the address, PTR and SPF checks warn.
    type: list
    elements: str
    default: []
  public_ipv6:
    description: Its public IPv6 addresses.
    type: list
    elements: str
    default: []
  dkim_records:
    description:
      - The DKIM records the server's keys need, DNS name to TXT strings (or the joined value), as
        the C(postmaster.mail.opendkim) role exports them in C(opendkim_dns_records).
    type: dict
    default: {}
  records:
    description:
      - The records the server asks for, as C(postmaster.mail.mail_dns_records) returns them in
        C(records) (rows with name, type, value). Its TLSA, SRV and C(_smtp._tls) TXT rows are checked,
        the TLSA of the key served on port 25 published and the zone DNSSEC-signed (C(tlsa)); the
        client SRV records of each domain exactly as generated (C(client srv)); one sound TLS-RPT
        record (C(tls-rpt)). The other rows are left to the checks above.
      - With O(https), a domain's C(_mta-sts) TXT row asks for the C(mta-sts) check, which wants exactly that
        one STSv1 record published, and the policy served at C(https://mta-sts.<domain>/.well-known/mta-sts.txt)
        with status 200 and a certificate valid for that name, well-formed (RFC 8461 3.2), covering every MX
        host of the domain, and equal to O(mta_sts_policy) when that is given. A wrong id with the right
        policy warns (senders keep their cached policy until the id changes); a missing record warns;
        everything senders cannot use fails.
      - With O(https), a domain's C(autoconfig.<domain>) A/AAAA row asks for the C(autoconfig) check,
        which wants C(https://autoconfig.<domain>/mail/config-v1.1.xml) (GET) to name O(hostname) for
        incoming and outgoing mail, and C(https://autodiscover.<domain>/autodiscover/autodiscover.xml)
        (POST, as Outlook asks) to name it in a C(Protocol). It only warns, since clients can still be set
        up by hand.
    type: list
    elements: dict
    default: []
  mx_preference:
    description: The preference of the server's MX records (C(mx) check).
    type: int
    default: 10
  backup_mx:
    description:
      - The server is a backup MX - its own records are checked (A/AAAA, PTR, host-name SPF, its MX row, TLSA),
        and that a preferred MX exists; the domains' SPF, DKIM, DMARC and the rest are the primary's doctor's.
    type: bool
    default: false
  https:
    description:
      - Run the HTTPS checks that O(records) asks for (C(mta-sts), C(autoconfig)), from the controller.
      - V(false) leaves them out, for a controller that cannot reach the server on port 443.
    type: bool
    default: true
  ca_bundle:
    description:
      - A PEM file on the controller with the CA certificates the HTTPS checks trust instead of the
        system's, for a lab or an internal CA. Empty, the system's trust store.
    type: path
    default: ""
  mta_sts_policy:
    description:
      - The MTA-STS policy this run wrote (its text), as C(postmaster.mail.mail_dns_records) returns it
        in C(mta_sts_policy). The C(mta-sts) check compares the served policy with it (mode, mx lines,
        max_age) and warns when they differ, or fails when the published id is not this policy's either.
        Empty, the served policy is only checked on its own.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Ask the world about the mail server
  postmaster.mail.dns_doctor_info:
    hostname: mail.example.org
    domains: [example.org]
    public_ipv4: [192.0.2.25]
    dkim_records: "{{ opendkim_dns_records }}"
    resolvers: [9.9.9.9]
  delegate_to: localhost
  register: doctor

- name: Fail the play on a failed check
  ansible.builtin.assert:
    that: doctor.verdict != 'fail'
    fail_msg: "{{ doctor.checks | rejectattr('status', 'eq', 'ok') | map(attribute='remedy') }}"
"""

RETURN = r"""
checks:
  description: One entry per domain and check.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain the check belongs to (the host's checks go with the domain it lies in).
      type: str
    check:
      description: C(host address), C(ptr <address>), C(mx), C(spf <address>), C(dkim <selector>), C(dmarc),
        C(dmarc report <domain>), C(tlsa), C(client srv), C(tls-rpt), C(mta-sts), C(autoconfig), or C(resolvers).
      type: str
    status:
      description: V(ok), V(warn) or V(fail).
      type: str
    expected:
      description: What should be there.
      type: str
    found:
      description: What DNS (or the HTTPS endpoint) said.
      type: str
    remedy:
      description: What to do; empty only when RV(checks.status) is V(ok).
      type: str
  sample:
    - domain: example.org
      check: mx
      status: fail
      expected: example.org. MX 10 mail.example.org.
      found: 10 mx.other.example
      remedy: publish example.org. MX 10 mail.example.org. (and remove MX records that point elsewhere)
verdict:
  description: V(fail) when a check failed, else V(warn) when one warned, else V(ok).
  returned: always
  type: str
counts:
  description: Number of checks per status.
  returned: always
  type: dict
  sample: {ok: 9, warn: 0, fail: 1}
"""

import ipaddress
import os
import ssl

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _doctor, _dns_module, _https, _psl
from ansible_collections.postmaster.mail.plugins.module_utils._https import make_fetch


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hostname=dict(type="str", required=True),
            domains=dict(type="list", elements="str", required=True),
            public_ipv4=dict(type="list", elements="str", default=[]),
            public_ipv6=dict(type="list", elements="str", default=[]),
            dkim_records=dict(type="dict", default={}),
            records=dict(type="list", elements="dict", default=[]),
            https=dict(type="bool", default=True),
            ca_bundle=dict(type="path", default=""),
            mta_sts_policy=dict(type="str", default=""),
            mx_preference=dict(type="int", default=10),
            backup_mx=dict(type="bool", default=False),
            **_dns_module.RESOLVER_OPTIONS
        ),
        supports_check_mode=True,
    )
    params = module.params
    for option, version in (("public_ipv4", 4), ("public_ipv6", 6)):
        for address in params[option]:
            try:
                if ipaddress.ip_address(address).version != version:
                    raise ValueError(address)
            except ValueError:
                module.fail_json(msg="%s: %r is not an IPv%d address" % (option, address, version))
    if not params["domains"]:
        module.fail_json(msg="domains: give at least one domain")
    for index, row in enumerate(params["records"]):
        if not all(isinstance(row.get(key), str) for key in ("name", "type", "value")):
            module.fail_json(msg="records[%d]: each record needs name, type and value (strings), got %r" % (index, row))
    lookup = _dns_module.lookup_for(module)
    fetch = None
    if params["https"]:
        if params["ca_bundle"] and not os.path.isfile(params["ca_bundle"]):
            module.fail_json(msg="ca_bundle: %s is not a file on the controller" % params["ca_bundle"])
        try:
            fetch = make_fetch(params["ca_bundle"] or None, resolve=lambda host: _https.addresses(lookup, host))
        except (ssl.SSLError, OSError) as exc:
            module.fail_json(msg="ca_bundle: %s holds no PEM certificate that can be loaded: %s"
                             % (params["ca_bundle"], exc))
    psl = _psl.load()
    if psl is None:
        module.warn(_psl.MISSING + "; DMARC report addresses are judged without it")
    checks = _doctor.diagnose(lookup, params["hostname"], params["domains"],
                              params["public_ipv4"] + params["public_ipv6"], params["dkim_records"],
                              _dns_module.resolvers_label(module), psl, params["records"],
                              fetch=fetch, mta_sts_policy=params["mta_sts_policy"] or None,
                              mx_preference=params["mx_preference"], backup_mx=params["backup_mx"])
    verdict, counts = _doctor.summary(checks)
    module.exit_json(changed=False, checks=checks, verdict=verdict, counts=counts)


if __name__ == "__main__":
    main()
