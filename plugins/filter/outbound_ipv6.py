# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter deciding whether mail leaves over IPv6."""

from __future__ import annotations

DOCUMENTATION = r"""
name: outbound_ipv6
short_description: Whether the SMTP client may use IPv6, and why
version_added: 0.3.0
description:
  - Large receivers refuse mail over IPv6 from an address without a forward-confirmed PTR while they
    take it over IPv4, so IPv6 is used only when every public IPv6 address has a PTR equal to the
    server's name that resolves back to it (O(mode=auto)), or when O(mode=true).
  - A server without public IPv6 sends over IPv4; one without public IPv4 over IPv6.
positional: ipv4, ipv6, reverse, hostname
options:
  _input:
    description: The mode, V(auto), V(true) or V(false) (bools and yes/no too).
    type: raw
    required: true
  ipv4:
    description: The public IPv4 addresses.
    type: list
    elements: str
    required: true
  ipv6:
    description: The public IPv6 addresses.
    type: list
    elements: str
    required: true
  reverse:
    description:
      - What M(postmaster.mail.reverse_dns_info) returned in RV(postmaster.mail.reverse_dns_info#module:addresses) for O(ipv6).
      - Null when DNS was not asked.
    type: list
    elements: dict
  hostname:
    description: The server's name, the PTR expected.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Decide
  ansible.builtin.set_fact:
    outbound: "{{ 'auto' | postmaster.mail.outbound_ipv6(['192.0.2.25'], ['2001:db8::25'], rdns.addresses, 'mail.example.org') }}"
"""

RETURN = r"""
_value:
  description: C({ipv6, reason})
  type: dict
"""

from ansible_collections.postmaster.mail.plugins.module_utils._outbound import decide


def outbound_ipv6(mode, ipv4, ipv6, reverse=None, hostname=""):
    return decide(mode, list(ipv4 or []), list(ipv6 or []), reverse, hostname)


class FilterModule:
    def filters(self):
        return {"outbound_ipv6": outbound_ipv6}
