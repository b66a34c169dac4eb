#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tlsa_info
short_description: Whether TLSA values are published, as given resolvers see them
version_added: 0.6.0
description:
  - Looks up the TLSA records of a name and says which of the given values they carry (the same
    values however the records are spelled, in case or spaces in the data).
  - The certbot role serves a prepared next key only once this module finds its C(3 1 1) value
    at C(_25._tcp.<mail host>), so senders that use DANE match the key from the moment it is used.
author:
  - postmaster.mail developers (@postmaster-mail)
extends_documentation_fragment:
  - postmaster.mail.dns
options:
  name:
    description: The TLSA record's owner name, such as C(_25._tcp.mail.example.org).
    type: str
    required: true
  values:
    description: The values to look for, as C(usage selector matching hex).
    type: list
    elements: str
    required: true
  missing_warning:
    description: A warning shown when a value is missing; C({msg}) is replaced by RV(msg).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Is the next key's TLSA published?
  postmaster.mail.tlsa_info:
    name: _25._tcp.mail.example.org
    values: ["3 1 1 0cb666dc60bc33b2ebcecafc3a133bdefe683b44df3d616a3fdd79b1ef640796"]
    resolvers: [9.9.9.9]
  delegate_to: localhost
  register: tlsa
- name: Say what is missing
  ansible.builtin.debug:
    msg: "{{ tlsa.msg }}"
  when: tlsa.missing | length > 0
"""

RETURN = r"""
status:
  description: What DNS said, V(ok), V(nxdomain), V(noanswer), V(timeout), V(servfail) or V(error).
  returned: always
  type: str
published:
  description: The TLSA records found, as text.
  returned: always
  type: list
  elements: str
present:
  description: The values of O(values) among them, in the order given.
  returned: always
  type: list
  elements: str
missing:
  description: The values of O(values) not among them (all of them when DNS did not answer).
  returned: always
  type: list
  elements: str
signed:
  description: The answer came with its RRSIG (the zone is DNSSEC-signed).
  returned: always
  type: bool
authenticated:
  description: The resolver validated the answer (its AD flag).
  returned: always
  type: bool
msg:
  description: Why the missing values are missing; empty when none is.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _dane, _dns_module


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(type="str", required=True),
                           values=dict(type="list", elements="str", required=True),
                           missing_warning=dict(type="str", default=""),
                           **_dns_module.RESOLVER_OPTIONS),
        supports_check_mode=True,
    )
    lookup = _dns_module.lookup_for(module)
    name = module.params["name"].lower().rstrip(".")
    answer = lookup(name, "TLSA")
    found = _dane.presence(answer, name, module.params["values"])
    if found["missing"] and module.params["missing_warning"]:
        module.warn(module.params["missing_warning"].replace("{msg}", found["msg"]))
    module.exit_json(changed=False, status=answer["status"], signed=answer["signed"],
                     authenticated=answer["authenticated"], **found)


if __name__ == "__main__":
    main()
