# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that picks the Postfix lookup tables whose index must be rebuilt."""

from __future__ import annotations

DOCUMENTATION = r"""
name: postfix_stale_indexes
short_description: Postfix lookup tables whose index must be rebuilt
version_added: 0.1.0
description:
  - Returns the sources, in the order given, that changed in this run, have no index, or have an
    index older than themselves. The last two retry a rebuild that failed in an earlier run.
positional: files, map_type, changed
options:
  _input:
    description: Paths of the table sources.
    type: list
    elements: str
    required: true
  files:
    description: The C(files) list of M(ansible.builtin.find) over the sources and indexes.
    type: list
    elements: dict
    required: true
  map_type:
    description: The index type; the index of C(/etc/aliases) is C(/etc/aliases.<map_type>).
    type: str
    required: true
  changed:
    description: Sources rewritten in this run.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Rebuild what is stale
  ansible.builtin.command:
    argv: [postmap, "lmdb:{{ item }}"]
  loop: "{{ ['/etc/postfix/virtual_alias'] | postmaster.mail.postfix_stale_indexes(found.files, 'lmdb') }}"
  changed_when: true
"""

RETURN = r"""
_value:
  description: The stale sources.
  type: list
  elements: str
"""

from ansible_collections.postmaster.mail.plugins.module_utils._postfix import stale_indexes


class FilterModule:
    def filters(self):
        return {"postfix_stale_indexes": stale_indexes}
