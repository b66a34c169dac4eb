#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_files
short_description: A service's configuration files in one transaction, checked before they stay
version_added: 0.3.0
description:
  - Makes the directories and writes the files of one service (rspamd, Redis, Unbound, ...) in
    one module run, each with its exact owner, group and mode, each written atomically.
  - When a file changed and O(check) is given, that command runs once against the files now in
    place; when it fails, every file is put back as it was and the module fails with the
    command's output, so a daemon reloaded later never reads a configuration it would refuse.
    The daemons these roles manage read their files only when reloaded, so the check never lets
    a running daemon see a broken file.
  - Reloading and restarting are left to the caller; RV(restart) says when a changed file is one
    of O(restart_on).
  - A file given as O(files[].secret_content) (a password hash, a key) never appears in a diff,
    a result or a log.
author:
  - postmaster.mail developers (@postmaster-mail)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Nothing is written and the check does not run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: One diff per changed file or directory; a secret file is shown as changed, never its content.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
extends_documentation_fragment:
  - postmaster.mail.units
options:
  service:
    description: The service the files belong to, for messages.
    type: str
    required: true
  directories:
    description: Directories made (with their parents) before the files are written.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      mode:
        description: Octal mode, as a string.
        type: str
        default: "0755"
  files:
    description: The files, written in this order.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      content:
        description: The text of the file. Exactly one of O(files[].content) and O(files[].secret_content) when present.
        type: str
      secret_content:
        description: The text of a file holding a secret; never shown.
        type: str
      owner:
        description: Owner.
        type: str
        default: root
      group:
        description: Group.
        type: str
        default: root
      mode:
        description: Octal mode, as a string.
        type: str
        default: "0644"
      state:
        description: C(absent) removes the file.
        type: str
        choices: [present, absent]
        default: present
  check:
    description:
      - The command (argument list, no shell) that checks the service's configuration once the
        changed files are in place, e.g. C([rspamadm, configtest]). A non-zero exit puts every
        file back and fails the module. Nothing runs when no file changed.
    type: list
    elements: str
    default: []
  restart_on:
    description: Shell-style patterns of paths whose change needs a restart rather than a reload.
    type: list
    elements: str
    default: []
  backup:
    description:
      - Paths of O(files) whose previous text is kept, when they change, in a copy beside them
        (C(<path>.<pid>.<date>~), as Ansible's C(backup) option names it); RV(backups) names the
        copies. For a caller that tries the new configuration on the running daemon and puts the
        old one back when it misbehaves. Not for secret files.
    type: list
    elements: path
    default: []
"""

EXAMPLES = r"""
- name: Configure Unbound
  postmaster.mail.service_files:
    service: unbound
    files:
      - path: /etc/unbound/unbound.conf.d/postmaster-mail.conf
        content: "{{ lookup('ansible.builtin.template', 'unbound.conf.j2') }}"
    check: [unbound-checkconf]
    units: [unbound.service]
  register: unbound_files
  notify: Reload unbound
"""

RETURN = r"""
files:
  description: The paths created, written, changed in owner or mode, or removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/unbound/unbound.conf.d/postmaster-mail.conf]
restart:
  description: A changed file matches one of O(restart_on).
  returned: always
  type: bool
backups:
  description: Path => the copy of its previous text, for each changed file of O(backup) that existed.
  returned: always
  type: dict
  sample: {/etc/unbound/unbound.conf: /etc/unbound/unbound.conf.4242.2026-12-05@00:10:00~}
units:
  description:
    - The state of each unit of O(units) after the files were written, C(active) and C(enabled)
      as systemd says, and C(ready) when both are true.
  returned: always
  type: dict
  sample: {unbound.service: {active: true, enabled: true, ready: true}}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.postmaster.mail.plugins.module_utils import _files, _service_files, _units


class ServiceFiles:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.files = []
        self.diff = []
        self.modes = {}
        self.backups = {}

    def note(self, path):
        if path not in self.files:
            self.files.append(path)

    def attributes(self, path, owner, group, mode, changed):
        diff = {"before": {"path": path}, "after": {"path": path}}
        file_args = self.module.load_file_common_arguments({"path": path, "owner": owner, "group": group, "mode": mode})
        if self.module.set_fs_attributes_if_different(file_args, changed, diff=diff):
            self.note(path)
            if not changed:
                self.diff.append(diff)

    def directory(self, entry):
        path = entry["path"]
        created = not os.path.isdir(path)
        if created:
            self.note(path)
            self.diff.append({"before": "absent\n", "after": "directory %s:%s %s\n" % (entry["owner"], entry["group"], entry["mode"]),
                              "before_header": path, "after_header": path})
            if self.check_mode:
                return
            os.makedirs(path, int(entry["mode"], 8))
        self.attributes(path, entry["owner"], entry["group"], entry["mode"], created)

    def write(self, entry, text):
        _files.write_atomically(self.module, entry["path"], text, int(entry["mode"], 8), prefix=".service_files.")

    def put_back(self, current):
        """Every changed file as it was before this run (and no copy of it left)."""
        for copy in self.backups.values():
            if os.path.lexists(copy):
                os.unlink(copy)
        self.backups = {}
        for path, before in current.items():
            if path not in self.files:
                continue
            if before is None:
                if os.path.lexists(path):
                    os.unlink(path)
            else:
                _files.write_atomically(self.module, path, before, self.modes.get(path, 0o644), prefix=".service_files.")

    def run(self):
        params = self.params
        for entry in params["directories"]:
            self.directory(entry)
        current = dict((entry["path"], _files.read_text(entry["path"])) for entry in params["files"])
        self.modes = dict((path, os.stat(path).st_mode & 0o7777) for path, text in current.items() if text is not None)
        changed = _service_files.changed_contents(params["files"], current)
        changed_paths = [entry["path"] for entry in changed]
        for entry in params["files"]:
            path = entry["path"]
            if entry in changed:
                self.note(path)
                self.diff.append(_service_files.diff_entry(entry, current[path]))
                if self.check_mode:
                    continue
                if entry["state"] == "absent":
                    os.unlink(path)
                    continue
                if not os.path.isdir(os.path.dirname(path)):
                    self.module.fail_json(msg="%s: the directory of %s does not exist" % (params["service"], path))
                if path in params["backup"] and current[path] is not None:
                    self.backups[path] = self.module.backup_local(path)
                self.write(entry, _service_files.wanted_text(entry))
            if entry["state"] == "present" and os.path.exists(path):
                self.attributes(path, entry["owner"], entry["group"], entry["mode"], entry in changed)
        if changed and params["check"] and not self.check_mode:
            self.check(current)
        result = {"changed": bool(self.files), "files": self.files,
                  "restart": bool(_service_files.matching(changed_paths, params["restart_on"])),
                  "backups": self.backups,
                  "units": _units.unit_states(self.module, params["units"])}
        if self.module._diff and self.diff:
            result["diff"] = self.diff
        return result

    def check(self, current):
        command = list(self.params["check"])
        if os.path.isabs(command[0]):
            binary = command[0] if os.access(command[0], os.X_OK) else None
        else:
            binary = self.module.get_bin_path(command[0])
        if not binary:
            self.put_back(current)
            self.module.fail_json(msg="%s: %s is not installed, so the new configuration cannot be checked; the files are "
                                      "as they were" % (self.params["service"], command[0]))
        rc, out, err = self.module.run_command([binary] + command[1:])
        if rc != 0:
            self.put_back(current)
            self.module.fail_json(msg="%s: %s refused the new configuration, so the files are as they were: %s"
                                      % (self.params["service"], " ".join(command), (err or out).strip()[-2000:]), rc=rc)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            service=dict(type="str", required=True),
            directories=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
                mode=dict(type="str", default="0755"),
            )),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                content=dict(type="str"),
                secret_content=dict(type="str", no_log=True),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
                mode=dict(type="str", default="0644"),
                state=dict(type="str", choices=["present", "absent"], default="present"),
            )),
            check=dict(type="list", elements="str", default=[]),
            restart_on=dict(type="list", elements="str", default=[]),
            backup=dict(type="list", elements="path", default=[]),
            units=_units.ARGUMENT_SPEC["units"],
        ),
        supports_check_mode=True,
    )
    problems = _service_files.request_problems(module.params["files"], module.params["directories"])
    if problems:
        module.fail_json(msg="service_files (%s): %s" % (module.params["service"], "; ".join(problems)))
    module.exit_json(**ServiceFiles(module).run())


if __name__ == "__main__":
    main()
