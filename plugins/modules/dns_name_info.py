#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_name_info
short_description: The A and AAAA addresses of host names, as given resolvers see them
version_added: 0.1.0
description:
  - Looks up the IPv4 and IPv6 addresses of each name, following CNAMEs, and returns them with a
    status per name. Used before asking an ACME server for a certificate, so a name that does not
    point at the server is found before a rate limit is spent on it.
author:
  - postmaster.mail developers (@postmaster-mail)
extends_documentation_fragment:
  - postmaster.mail.dns
options:
  names:
    description: Host names to look up.
    type: list
    elements: str
    required: true
  expected_addresses:
    description:
      - The addresses every name must resolve to (all of its A/AAAA among them). With them, RV(ready)
        lists the names that do and RV(waiting) says what is wrong with the others.
    type: list
    elements: str
    default: []
  waiting_warning:
    description:
      - With O(expected_addresses), a warning shown for each name that does not resolve to them. C({name})
        and C({problem}) are replaced.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Where does the mail host name point?
  postmaster.mail.dns_name_info:
    names: [mail.example.org]
    resolvers: [9.9.9.9]
  delegate_to: localhost
  register: names

- name: Show its addresses
  ansible.builtin.debug:
    msg: "{{ names.names['mail.example.org'].addresses }}"
"""

RETURN = r"""
names:
  description: For each name (lower case, no final dot), what DNS said.
  returned: always
  type: dict
  contains:
    status:
      description: V(ok), V(nxdomain), V(noanswer), V(timeout), V(servfail) or V(error).
      type: str
    addresses:
      description: A and AAAA values.
      type: list
      elements: str
    cname_chain:
      description: Names the lookup was sent to by CNAME records, in order.
      type: list
      elements: str
    msg:
      description: What went wrong, empty when RV(names.status) is V(ok).
      type: str
  sample:
    mail.example.org:
      status: ok
      addresses: [192.0.2.25, "2001:db8::25"]
      cname_chain: []
      msg: ""
ready:
  description: With O(expected_addresses), the names whose addresses are all among them, in the order given.
  returned: always
  type: list
  elements: str
unknown:
  description:
    - With O(expected_addresses), the names DNS gave no answer for (a timeout, a server failure), in the order
      given; neither RV(ready) nor RV(waiting), and without a warning.
  returned: always
  type: list
  elements: str
waiting:
  description: With O(expected_addresses), the names DNS says point elsewhere or nowhere, and what is wrong with each.
  returned: always
  type: dict
  sample:
    mta-sts.example.org: has no A/AAAA record (nxdomain)
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _dns, _dns_module


def main():
    module = AnsibleModule(
        argument_spec=dict(names=dict(type="list", elements="str", required=True),
                           expected_addresses=dict(type="list", elements="str", default=[]),
                           waiting_warning=dict(type="str", default=""),
                           **_dns_module.RESOLVER_OPTIONS),
        supports_check_mode=True,
    )
    lookup = _dns_module.lookup_for(module)
    names = {}
    ready, waiting, unknown = [], {}, []
    expected = module.params["expected_addresses"]
    for name in module.params["names"]:
        key = name.lower().rstrip(".")
        names[key] = _dns.name_info(lookup, key)
        if expected:
            problem = _dns.address_problem(names[key], expected)
            if names[key]["status"] in _dns.UNKNOWN:
                if key not in unknown:
                    unknown.append(key)
            elif problem:
                waiting[key] = problem
                if module.params["waiting_warning"]:
                    module.warn(module.params["waiting_warning"].replace("{name}", key).replace("{problem}", problem))
            elif key not in ready:
                ready.append(key)
    module.exit_json(changed=False, names=names, ready=ready, waiting=waiting, unknown=unknown)


if __name__ == "__main__":
    main()
