# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that checks a list of mail users: the rules of mail_users and dovecot_users, defined once."""

from __future__ import annotations

DOCUMENTATION = r"""
name: user_errors
short_description: Check mail users, each a mapping {address, password} or {address, password_hash}
version_added: 0.2.0
description:
  - Applies the rules every user entry obeys (an e-mail address in a served domain, once, exactly
    one of C(password) or C(password_hash), a non-empty password, a hash of a known scheme) and
    returns one message per broken rule. The same rules check C(mail_users) in
    P(postmaster.mail.contract_errors#filter); the dovecot role checks C(dovecot_users) with them.
  - Messages name users by address, never by password or password hash. They do not name the
    variable, the caller puts its name in front.
  - Entries that are not mappings are left out (the caller says how it wants them refused).
positional: domains, domains_name
options:
  _input:
    description: The users.
    type: list
    elements: raw
    required: true
  domains:
    description: The served domains; every user must be in one. Empty, any domain.
    type: list
    elements: str
    required: true
  domains_name:
    description: How the messages name the list of served domains.
    type: str
    default: the served domains
"""

EXAMPLES = r"""
- name: Check the users
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "dovecot_users: {{ __errors | join('; ') }}"
  vars:
    __errors: "{{ dovecot_users | postmaster.mail.user_errors(dovecot_domains, 'dovecot_domains') }}"
"""

RETURN = r"""
_value:
  description: The messages, one per broken rule; empty when every rule holds.
  type: list
  elements: str
"""

from collections.abc import Mapping

from ansible_collections.postmaster.mail.plugins.module_utils._contract import plain_data, user_entry_errors


def user_errors(users, domains, domains_name="the served domains"):
    entries = [user for user in plain_data(users or []) if isinstance(user, Mapping)]
    return list(user_entry_errors(entries, plain_data(domains or []), domains_name))


class FilterModule:
    def filters(self):
        return {"user_errors": user_errors}
