# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that checks a role's own variables: the rules its argument spec cannot express."""

from __future__ import annotations

DOCUMENTATION = r"""
name: role_errors
short_description: Check the variables of the certbot, postfix, dovecot or opendkim role
version_added: 0.2.0
description:
  - Applies the rules of one role's own variables that its argument spec cannot express (host and
    domain names, networks, addresses, URLs, absolute paths, ranges, the mail users) and returns one message per
    broken rule, each naming the variable and the form it expects. An empty list means the values
    are valid. C(certbot_ca_bundle) is looked up on the controller, where filters run.
  - Each role's C(preflight) entry point calls it before anything on the host changes. The rules are
    Python (C(plugins/module_utils/_role_rules.py)), each with unit tests; the DKIM selector rule is
    the one the OpenDKIM modules apply.
  - Messages about users name them by address, never by password or password hash.
positional: role
options:
  _input:
    description: The role's variables, as a mapping of name to value.
    type: dict
    required: true
  role:
    description: Whose rules.
    type: str
    choices: [certbot, postfix, dovecot, opendkim]
    required: true
"""

EXAMPLES = r"""
- name: Check the role's variables
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: "{{ {'opendkim_domains': opendkim_domains, 'opendkim_selector': opendkim_selector} | postmaster.mail.role_errors('opendkim') }}"
"""

RETURN = r"""
_value:
  description: The messages, one per broken rule; empty when every rule holds.
  type: list
  elements: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils._contract import plain_data
from ansible_collections.postmaster.mail.plugins.module_utils._role_rules import RULES, role_errors as _role_errors


def role_errors(values, role):
    if not isinstance(values, Mapping):
        raise AnsibleFilterError("postmaster.mail.role_errors needs a mapping of the role's variables, got %s"
                                 % type(values).__name__)
    if role not in RULES:
        raise AnsibleFilterError("postmaster.mail.role_errors: no rules for role %r (known: %s)"
                                 % (role, ", ".join(sorted(RULES))))
    return _role_errors(role, plain_data(values))


class FilterModule:
    def filters(self):
        return {"role_errors": role_errors}
