# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that tells a mail server who else serves its domains."""

from __future__ import annotations

DOCUMENTATION = r"""
name: mail_fleet
short_description: The other hosts serving a mail server's domains, its backup MX hosts, and the fragments it writes
version_added: 0.1.0
description:
  - From the inventory's hosts, the others that serve one of this host's domains (a host with the
    same host name is this server, on another machine, and is left out), sorted by MX preference.
  - A primary trusts its backup MX hosts (their names and addresses are in C(relays)) and writes the
    zone fragment of each domain no other primary comes before it for (by preference, then name).
options:
  _input:
    description: This host's name (C(mail_hostname)).
    type: str
    required: true
  domains:
    description: This host's domains (C(mail_domains)).
    type: list
    elements: str
    required: true
  hosts:
    description: The inventory's hosts, each C(hostname), C(domains), C(backup_mx), C(preference) (null for its kind's), C(ipv4), C(ipv6).
    type: list
    elements: dict
    required: true
  backup_mx:
    description: Whether this host is a backup MX.
    type: bool
    default: false
  mx_preference:
    description: This host's MX preference.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Show the backup MX hosts of this server
  ansible.builtin.debug:
    msg: "{{ (mail_hostname | postmaster.mail.mail_fleet(domains=mail_domains, hosts=fleet_hosts)).relays.hostnames }}"
"""

RETURN = r"""
_value:
  description: C(members) (the other hosts serving one of the domains, each hostname, domains in common,
    backup_mx, preference, ipv4, ipv6), C(relays) (hostnames, addresses of the backup MX hosts) and
    C(writes) (domain to whether this host writes its fragment).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils import _fleet


def mail_fleet(hostname, domains, hosts, backup_mx=False, mx_preference=10):
    try:
        members = _fleet.members(hosts or [], hostname, domains)
        return {"members": members, "relays": _fleet.relays(members),
                "writes": {domain.lower(): _fleet.writes_domain(hostname, bool(backup_mx), int(mx_preference), domain.lower(), members)
                           for domain in domains}}
    except (ValueError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("mail_fleet: %s" % (exc,)) from exc


class FilterModule:
    def filters(self):
        return {"mail_fleet": mail_fleet}
