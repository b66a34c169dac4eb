# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that writes the sites of the mail server's HTTPS endpoint (the nginx role's nginx_sites)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: mail_web_sites
short_description: The MTA-STS policy and mail client settings a mail server's HTTPS endpoint serves
version_added: 0.6.0
description:
  - Returns the sites for the O(postmaster.mail.nginx#role:main:nginx_sites) variable of the nginx role.
  - With O(mta_sts), the site C(mta-sts) serves the MTA-STS policy (RFC 8461) at
    C(https://mta-sts.<domain>/.well-known/mta-sts.txt) for every domain, naming the host as the only MX;
    the same text whose digest is the id of the C(_mta-sts) TXT record that P(postmaster.mail.mail_dns_records#filter) writes.
  - With O(autoconfig), the site C(autoconfig) serves Thunderbird's C(/mail/config-v1.1.xml) at
    C(autoconfig.<domain>) and Outlook's C(/autodiscover/autodiscover.xml) (GET and POST, any letter case)
    at C(autodiscover.<domain>), naming the host and the ports in O(services).
options:
  _input:
    description: The mail server's host name (C(mail_hostname)).
    type: str
    required: true
  domains:
    description: The served domains.
    type: list
    elements: str
    required: true
  mta_sts:
    description: The policy's C(mode) and C(max_age); null serves none.
    type: dict
  autoconfig:
    description: Serve the client settings.
    type: bool
    default: false
  services:
    description: The client services offered, as for P(postmaster.mail.mail_dns_records#filter).
    type: dict
  mx_hosts:
    description: The domains' other MX hosts (backup MX hosts), which the MTA-STS policy names after this host.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Serve the policy and the client settings
  ansible.builtin.include_role:
    name: postmaster.mail.nginx
  vars:
    nginx_sites: "{{ 'mail.example.org' | postmaster.mail.mail_web_sites(domains=['example.org'], mta_sts={'mode': 'testing', 'max_age': 604800},
                     autoconfig=true) }}"
"""

RETURN = r"""
_value:
  description: The sites, each with C(name), C(names) and C(files) (C(path), C(file), C(content), C(type), C(post), C(caseless)).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils import _mta_sts


def mail_web_sites(hostname, domains, mta_sts=None, autoconfig=False, services=None, mx_hosts=None):
    try:
        sites = []
        if mta_sts:
            sites.append({"name": "mta-sts", "names": _mta_sts.web_names(domains, True, False),
                          "files": [{"path": _mta_sts.POLICY_PATH, "file": "mta-sts.txt", "type": "text/plain",
                                     "content": _mta_sts.policy(mta_sts["mode"], [hostname] + list(mx_hosts or []),
                                                                mta_sts["max_age"]),
                                     "post": False, "caseless": False}]})
        if autoconfig:
            sites.append({"name": "autoconfig", "names": _mta_sts.web_names(domains, False, True),
                          "files": [{"path": _mta_sts.AUTOCONFIG_PATH, "file": "config-v1.1.xml", "type": "application/xml",
                                     "content": _mta_sts.autoconfig_xml(hostname, domains, services),
                                     "post": False, "caseless": False},
                                    {"path": _mta_sts.AUTODISCOVER_PATH, "file": "autodiscover.xml", "type": "application/xml",
                                     "content": _mta_sts.autodiscover_xml(hostname, services),
                                     "post": True, "caseless": True}]})
        return sites
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError("mail_web_sites: %s" % (exc,)) from exc


class FilterModule:
    def filters(self):
        return {"mail_web_sites": mail_web_sites}
