# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test: is a value a mail address."""

from __future__ import annotations

DOCUMENTATION = r"""
name: email_address
short_description: Whether a value is a mail address such as alice@example.org
version_added: 0.1.0
description:
  - True for C(local@domain) where the local part is an RFC 5321 dot-atom (at most 64 characters) and
    the domain passes P(postmaster.mail.domain_name#test).
options:
  _input:
    description: The value.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse a bad report address
  ansible.builtin.assert:
    that: mail_dmarc_rua is postmaster.mail.email_address
"""

RETURN = r"""
_value:
  description: Whether the value is a mail address.
  type: bool
"""

from ansible_collections.postmaster.mail.plugins.module_utils._names import is_email_address


class TestModule:
    def tests(self):
        return {"email_address": is_email_address}
