#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dkim_record_info
short_description: Whether DKIM key records are published, as given resolvers see them
version_added: 0.1.0
description:
  - Looks up the TXT record at each DKIM name and says which carry the given key (the same C(p=) and
    C(k=), however the record is split or spaced), with the doctor's verdict for each.
  - A DKIM rotation switches signing to a next key only once this module finds its record, so receivers
    can verify from the first message it signs.
author:
  - postmaster.mail developers (@postmaster-mail)
extends_documentation_fragment:
  - postmaster.mail.dns
options:
  records:
    description: DNS name (C(<selector>._domainkey.<domain>)) => the record's value, as published.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Is the next key published?
  postmaster.mail.dkim_record_info:
    records: {"mail-20261206._domainkey.example.org": "v=DKIM1; k=rsa; p=MIIBIjANBgkqh..."}
    resolvers: [9.9.9.9]
  delegate_to: localhost
  register: dkim
"""

RETURN = r"""
published:
  description: The names of O(records) whose record DNS shows with that key.
  returned: always
  type: list
  elements: str
checks:
  description: The doctor's check of each name (status, found, remedy), in the order of the names.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _dns_module, _doctor


def main():
    module = AnsibleModule(
        argument_spec=dict(records=dict(type="dict", required=True), **_dns_module.RESOLVER_OPTIONS),
        supports_check_mode=True,
    )
    lookup = _dns_module.lookup_for(module)
    checks, published = [], []
    for name, value in sorted(module.params["records"].items()):
        name = name.lower().rstrip(".")
        if "._domainkey." not in name:
            module.fail_json(msg="records: %s is not a DKIM name (<selector>._domainkey.<domain>)" % name)
        result = _doctor.check_dkim(lookup, name.split("._domainkey.", 1)[1], name, str(value))
        checks.append(result)
        if result["status"] == _doctor.OK:
            published.append(name)
    module.exit_json(changed=False, published=published, checks=checks)


if __name__ == "__main__":
    main()
