# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that renders a data value as Postfix writes it in main.cf, master.cf and tables."""

from __future__ import annotations

DOCUMENTATION = r"""
name: postfix_value
short_description: Render a value the way Postfix configuration files write it
version_added: 0.1.0
description:
  - Booleans become C(yes) or C(no), lists are joined with O(separator), numbers and strings are
    written as they are. Line breaks are refused, because they would start a new setting.
positional: separator
options:
  _input:
    description: The value.
    type: raw
    required: true
  separator:
    description: What goes between list items (V(", ") in main.cf, V(",") in master.cf options).
    type: str
    default: ", "
"""

EXAMPLES = r"""
- name: Render a main.cf line
  ansible.builtin.debug:
    msg: "mynetworks = {{ ['127.0.0.0/8', '[::1]/128'] | postmaster.mail.postfix_value }}"
"""

RETURN = r"""
_value:
  description: The value as Postfix writes it.
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils._postfix import render_value


def postfix_value(value, separator=", "):
    try:
        return render_value(value, separator)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"postfix_value": postfix_value}
