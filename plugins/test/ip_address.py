# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test: is a value an IPv4 or IPv6 address."""

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_address
short_description: Whether a value is an IP address, optionally of one version
version_added: 0.1.0
description:
  - True for an IPv4 or IPv6 address in text form (no prefix length); with O(version), only for that
    version.
positional: version
options:
  _input:
    description: The value.
    type: raw
    required: true
  version:
    description: 4 or 6; any version when not given.
    type: int
"""

EXAMPLES = r"""
- name: Refuse a bad public address
  ansible.builtin.assert:
    that: mail_public_ipv4 is postmaster.mail.ip_address(4)
"""

RETURN = r"""
_value:
  description: Whether the value is such an address.
  type: bool
"""

from ansible_collections.postmaster.mail.plugins.module_utils._names import is_ip_address


class TestModule:
    def tests(self):
        return {"ip_address": is_ip_address}
