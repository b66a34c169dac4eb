#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the action plugin plugins/action/zone_files.py, which does the work; there is no module to run.

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_files
short_description: Write zone-file fragments (or other public text) into a directory on the controller
version_added: 0.2.0
description:
  - Makes the directory O(path) on the controller (mode C(0755), with its parents) and writes each
    file of O(files) in it (mode C(0644)), only when its content or mode differs.
  - Each file is written atomically, a temporary file in the same directory replacing it.
  - An action that runs in the controller's process, whatever the host and its delegation are; it
    runs no module and does not connect to the host. A relative O(path) is relative to the
    controller's current directory.
  - For public data only (the DNS records to publish), as the modes say. Files in O(path) not in
    O(files) are left alone.
author:
  - postmaster.mail developers (@postmaster-mail)
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: Everything is done by the action plugin, on the controller.
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Nothing is made or written.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: One diff per directory made or changed in mode, and one per file written (its text, or its mode alone).
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  path:
    description: The directory on the controller, made when missing.
    type: path
    required: true
  files:
    description:
      - The files to write in O(path), file name => text (UTF-8). A name is a plain file name, not a path.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the zone fragments next to the inventory
  postmaster.mail.zone_files:
    path: "{{ inventory_dir }}/dns-records"
    files:
      example.org.zone: "{{ records.zones['example.org'] }}"
      reverse.mail.example.org.zone: "{{ records.reverse }}"
"""

RETURN = r"""
path:
  description: The directory, an absolute path.
  returned: always
  type: str
  sample: /srv/inventory/dns-records
written:
  description: The files written (or, in check mode, that would be), in the order of O(files).
  returned: always
  type: list
  elements: str
  sample: [/srv/inventory/dns-records/example.org.zone]
"""
