#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: reverse_dns_info
short_description: Reverse DNS of addresses, forward-confirmed (FCrDNS), as given resolvers see it
version_added: 0.1.0
description:
  - For each IPv4 or IPv6 address, the PTR names, the A/AAAA addresses of each PTR name, whether the
    address is forward-confirmed (a PTR name resolves back to it), and whether a PTR name is the
    expected host name.
  - Receiving mail servers check exactly this before they accept mail, so it is asked of the
    resolvers the world uses, not of the mail host.
author:
  - postmaster.mail developers (@postmaster-mail)
extends_documentation_fragment:
  - postmaster.mail.dns
options:
  addresses:
    description: IPv4 and IPv6 addresses.
    type: list
    elements: str
    required: true
  expected_name:
    description: The host name the PTR should give (the mail server's C(mail_hostname)).
    type: str
"""

EXAMPLES = r"""
- name: Is the server's reverse DNS right?
  postmaster.mail.reverse_dns_info:
    addresses: [192.0.2.25, "2001:db8::25"]
    expected_name: mail.example.org
  delegate_to: localhost
  register: rdns

- name: Say which addresses are not forward-confirmed
  ansible.builtin.debug:
    msg: "{{ rdns.addresses | rejectattr('fcrdns') | map(attribute='address') }}"
"""

RETURN = r"""
addresses:
  description: One entry per address, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    address:
      description: The address, normalised.
      type: str
    reverse_name:
      description: Its in-addr.arpa or ip6.arpa name.
      type: str
    status:
      description: Outcome of the PTR lookup, V(ok), V(nxdomain), V(noanswer), V(timeout), V(servfail) or V(error).
      type: str
    msg:
      description: What went wrong, empty when RV(addresses.status) is V(ok).
      type: str
    ptr:
      description: Each PTR name with its forward addresses and whether one of them is the address.
      type: list
      elements: dict
    fcrdns:
      description: Whether a PTR name resolves back to the address.
      type: bool
    matches_expected:
      description: Whether a PTR name equals O(expected_name); null without it.
      type: bool
    expected:
      description: O(expected_name), normalised.
      type: str
  sample:
    - address: 192.0.2.25
      reverse_name: 25.2.0.192.in-addr.arpa
      status: ok
      msg: ""
      ptr: [{name: mail.example.org, addresses: [192.0.2.25], status: ok, msg: "", confirmed: true}]
      fcrdns: true
      matches_expected: true
      expected: mail.example.org
"""

import ipaddress

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _dns, _dns_module


def main():
    module = AnsibleModule(
        argument_spec=dict(
            addresses=dict(type="list", elements="str", required=True),
            expected_name=dict(type="str"),
            **_dns_module.RESOLVER_OPTIONS
        ),
        supports_check_mode=True,
    )
    bad = [a for a in module.params["addresses"] if not _is_address(a)]
    if bad:
        module.fail_json(msg="addresses: %s: not an IPv4 or IPv6 address" % ", ".join(bad))
    lookup = _dns_module.lookup_for(module)
    results = [_dns.reverse_info(lookup, a, module.params["expected_name"]) for a in module.params["addresses"]]
    module.exit_json(changed=False, addresses=results)


def _is_address(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    main()
