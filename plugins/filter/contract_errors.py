# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that checks site.yml's public mail_* variables against the contract."""

from __future__ import annotations

DOCUMENTATION = r"""
name: contract_errors
short_description: Check the public mail_* variables of postmaster.mail.site
version_added: 0.1.0
description:
  - Applies the rules of the public contract (the role C(postmaster.mail.server) documents every
    variable) to the C(mail_*) variables given, and returns one message per broken rule, in a
    fixed order. An empty list means the values are valid.
  - "Each message names the variable and what it expects: C(<variable>: <what is expected>, got ...)."
  - Give only the variables that are defined; an absent one takes its default, as in the contract.
  - Messages about C(mail_users) name users by position (from 1) or by address, never by
    password or password hash.
  - C(mail_acme_ca_bundle) is looked up on the controller, where filters run.
options:
  _input:
    description:
      - The C(mail_*) variables the user defined, as a mapping of name to value.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the public variables before anything changes
  ansible.builtin.assert:
    that: __mail_contract_errors | length == 0
    fail_msg: "{{ __mail_contract_errors }}"
    quiet: true
  vars:
    __mail_names: "{{ query('ansible.builtin.varnames', '^mail_') }}"
    __mail_contract_errors: >-
      {{ dict(__mail_names | zip(query('ansible.builtin.vars', *__mail_names)))
         | postmaster.mail.contract_errors }}

- name: One value
  ansible.builtin.debug:
    msg: "{{ {'mail_hostname': 'mail', 'mail_domains': ['example.org']} | postmaster.mail.contract_errors }}"
  # ["mail_hostname: must be the server's fully qualified host name, e.g. mail.example.org, got \"mail\""]
"""

RETURN = r"""
_value:
  description: The messages, one per broken rule; empty when every rule holds.
  type: list
  elements: str
"""

import os

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils._contract import contract_errors as _contract_errors, plain_data


def contract_errors(values):
    if not isinstance(values, Mapping):
        raise AnsibleFilterError(
            "postmaster.mail.contract_errors needs a mapping of the mail_* variables, got %s" % type(values).__name__
        )
    return _contract_errors(plain_data(values), file_exists=os.path.isfile)


class FilterModule:
    def filters(self):
        return {"contract_errors": contract_errors}
