# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test: is a value a resolver the DNS modules can ask."""

from __future__ import annotations

DOCUMENTATION = r"""
name: resolver_address
short_description: Whether a value is a resolver address, C(address) or C(address:port)
version_added: 0.1.0
description:
  - True for an IPv4 or IPv6 address, optionally with a port (C(192.0.2.53:5353), C([2001:db8::53]:5353)),
    as the C(resolvers) option of the DNS modules and C(mail_dns_resolvers) take them.
options:
  _input:
    description: The value.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse a resolver given by name
  ansible.builtin.assert:
    that: mail_dns_resolvers | reject('postmaster.mail.resolver_address') | list == []
"""

RETURN = r"""
_value:
  description: Whether the value is a resolver address.
  type: bool
"""

from ansible_collections.postmaster.mail.plugins.module_utils._names import is_resolver


class TestModule:
    def tests(self):
        return {"resolver_address": is_resolver}
