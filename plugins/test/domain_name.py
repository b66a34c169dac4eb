# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test: is a value a fully qualified domain or host name."""

from __future__ import annotations

DOCUMENTATION = r"""
name: domain_name
short_description: Whether a value is a fully qualified domain or host name such as mail.example.org
version_added: 0.1.0
description:
  - True for a string of at least two dot-separated labels (letters, digits, inner hyphens, at most 63
    characters each, 253 in all) whose last label is letters only. No trailing dot.
  - The roles and C(site.yml) check every domain and host name with it, so they all agree.
options:
  _input:
    description: The value.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse a bad host name
  ansible.builtin.assert:
    that: mail_hostname is postmaster.mail.domain_name
"""

RETURN = r"""
_value:
  description: Whether the value is a domain name.
  type: bool
"""

from ansible_collections.postmaster.mail.plugins.module_utils._names import is_domain_name


class TestModule:
    def tests(self):
        return {"domain_name": is_domain_name}
