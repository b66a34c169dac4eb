# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that words a DKIM rotation event for the play's report."""

from __future__ import annotations

DOCUMENTATION = r"""
name: dkim_rotation_line
short_description: One report line about a DKIM key rotation event
version_added: 0.1.0
description:
  - Words an event of C(postmaster.mail.opendkim_config)'s RV(rotation) (created, waiting, switched, retired)
    as the play's report shows it, naming the record to publish or remove and what to run next.
options:
  _input:
    description: The event, with C(domain), C(type), C(event), C(selector), and C(old) and C(until) where given.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Say what the rotation did
  ansible.builtin.debug:
    msg: "{{ opendkim_rotation.events | map('postmaster.mail.dkim_rotation_line') | list }}"
"""

RETURN = r"""
_value:
  description: The line.
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils import _dkim_rotation


def dkim_rotation_line(event):
    try:
        return _dkim_rotation.describe(event)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError("dkim_rotation_line: %s" % (exc,)) from exc


class FilterModule:
    def filters(self):
        return {"dkim_rotation_line": dkim_rotation_line}
