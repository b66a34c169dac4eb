#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postfix_config
short_description: Render, check and install Postfix's configuration in one transaction
version_added: 0.2.0
description:
  - Renders C(main.cf), C(master.cf), the lookup tables and C(/etc/aliases) from data and compares
    them with the files on the host.
  - When C(main.cf) or C(master.cf) would change, both are written into O(candidate_dir) first and
    checked there with C(postconf -n), C(postconf -M) and C(postconf -P). Any complaint (an exit
    status other than 0, or anything on standard error, such as C(unused parameter)) fails the
    module and leaves the live configuration untouched.
  - Then the changed tables and C(/etc/aliases) are written, every stale index is rebuilt with
    C(postmap) (C(postalias) for the aliases), and C(main.cf) and C(master.cf) go live last, so
    they never name an index that does not exist yet. An index is stale when its source changed in
    this run, when it is missing, or when it is older than its source (a rebuild that failed in an
    earlier run is retried).
  - Every file is written atomically, C(root:root) mode C(0644).
  - Reloading or restarting Postfix is left to the caller (a handler). RV(restart) says a restart
    is needed, RV(reload) that a reload is enough; they are never both true.
extends_documentation_fragment:
  - postmaster.mail.units
author:
  - postmaster.mail developers (@postmaster-mail)
requirements:
  - Postfix (C(postconf), C(postmap), C(postalias)) on the managed host, except in check mode
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Everything is rendered and compared; nothing is written and no Postfix command runs, so a value Postfix would reject is found only by a real run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: One diff per changed file. The tables hold addresses, not secrets; a changed O(secret_tables) file is named, never shown.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  merged:
    description:
      - What the P(postmaster.mail.postfix_merge#filter) filter returns; its C(main_cf), C(master_cf) and
        C(tables) take the place of O(main_cf), O(master_cf) and O(tables) (its C(errors) are the
        caller's to report first). One value to template instead of three.
    type: dict
  main_cf:
    description:
      - main.cf settings, name => value, written sorted by name.
      - V(true) and V(false) become C(yes) and C(no), lists are joined with C(", "); V(null) leaves
        the name out.
    type: dict
    default: {}
  master_cf:
    description:
      - master.cf services keyed C(name/type) (for example C(submission/inet)), written in the
        order given.
      - Each service is a dict with C(command) and optionally C(private), C(unpriv), C(chroot),
        C(wakeup), C(maxproc) (a missing one is master.cf's C(-)), C(options) (a dict of C(-o)
        settings, list values joined with C(,)), C(args) (a list) and C(enabled).
      - V(null) or C(enabled=false) leaves the service out.
    type: dict
    default: {}
  tables:
    description:
      - Lookup tables, file name under O(config_dir) => dict of key => value, written sorted by key;
        list values are joined with C(", ").
      - Their indexes are C(<file>.<map_type>).
      - A table whose name ends in C(.regexp), C(.cidr) or C(.pcre) is given as its text instead, and
        written as it is with no index (Postfix reads such a table whole).
    type: dict
    default: {}
  secret_tables:
    description:
      - Lookup tables holding secrets (the smarthost's SASL password), like O(tables), but written
        C(root:root) mode C(0600), their indexes too, and never shown in a diff or a result.
      - Postfix opens them as root before a process drops its privileges.
    type: dict
    default: {}
  aliases:
    description:
      - The local aliases for O(aliases_path), name => list of targets.
      - When not given, O(aliases_path) is left alone.
    type: dict
  map_type:
    description: Type of every index (C(postmap <map_type>:<file>)).
    type: str
    choices: [lmdb, cdb]
    default: lmdb
  config_dir:
    description: Postfix's configuration directory.
    type: path
    default: /etc/postfix
  aliases_path:
    description: The local aliases file.
    type: path
    default: /etc/aliases
  candidate_dir:
    description:
      - Where the candidate C(main.cf) and C(master.cf) are written and checked before they go live.
        Created (mode C(0755)) when missing.
      - The indexes are rebuilt with this configuration when a candidate was checked in this run
        (always on a new host, which has no live C(main.cf) yet), else with O(config_dir).
    type: path
    default: /var/lib/postmaster-mail/postfix-candidate
  restart_parameters:
    description:
      - main.cf parameters that Postfix reads only when it starts. When the value of one of them
        differs between the live C(main.cf) and the new one, RV(restart) is true.
    type: list
    elements: str
    default: [inet_interfaces, inet_protocols]
  header:
    description: Text written as comment lines at the top of every file, for example C(Ansible managed).
    type: str
    default: Ansible managed
notes:
  - Tables removed from O(tables) are left on the host, with their indexes.
"""

EXAMPLES = r"""
- name: Install main.cf, master.cf, the tables and /etc/aliases
  postmaster.mail.postfix_config:
    main_cf:
      myhostname: mail.example.org
      mynetworks: [127.0.0.0/8, "[::1]/128"]
      virtual_alias_maps: lmdb:/etc/postfix/virtual_alias
      smtpd_milters: ["{ unix:opendkim/opendkim.sock, default_action=accept }"]
    master_cf:
      smtp/inet: {private: "n", chroot: "y", command: smtpd}
      submission/inet:
        private: "n"
        chroot: "y"
        command: smtpd
        options: {smtpd_tls_security_level: encrypt, smtpd_sasl_auth_enable: true}
      pickup/unix: {private: "n", chroot: "y", wakeup: "60", maxproc: "1", command: pickup}
    tables:
      virtual_alias:
        info@example.org: [alice@example.org, bob@example.org]
    aliases:
      postmaster: [root]
  register: postfix_config
  notify: Apply postfix changes

# The handler: a restart only when a parameter read at startup changed, else a reload.
- name: Apply postfix changes
  ansible.builtin.systemd_service:
    name: postfix
    state: "{{ 'restarted' if postfix_config.restart | default(false) else 'reloaded' }}"
"""

RETURN = r"""
units:
  description:
    - The state of each unit of O(units) before the module ran, C(active) and C(enabled) as
      systemd says, and C(ready) when both are true (empty when no units are given).
  returned: always
  type: dict
  sample: {postfix.service: {active: true, enabled: true, ready: true}}
files:
  description: The files written (or, in check mode, that would be), in the order they go live.
  returned: always
  type: list
  elements: str
  sample: [/etc/postfix/virtual_alias, /etc/postfix/main.cf]
rebuilt:
  description: The sources whose index was rebuilt (or, in check mode, would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/postfix/virtual_alias]
restart:
  description: A parameter of O(restart_parameters) changed its value; Postfix must be restarted.
  returned: always
  type: bool
reload:
  description: Something changed and a reload applies it (RV(restart) is false).
  returned: always
  type: bool
diff:
  description: One C(before)/C(after) pair per changed file.
  returned: in diff mode, when a file changes
  type: list
  elements: dict
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _files, _postfix, _units

OWNER = "root"
GROUP = "root"
MODE = "0644"
SECRET_MODE = "0600"
# How far back main.cf is dated once written (see PostfixConfig.write).
SETTLE_SECONDS = 2


class PostfixConfig:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.config_dir = self.params["config_dir"]
        self.main_path = os.path.join(self.config_dir, "main.cf")
        self.master_path = os.path.join(self.config_dir, "master.cf")
        # Tables Postfix reads whole (regexp, cidr, pcre): written, never indexed.
        self.patterns = set()
        # Tables holding secrets: 0600, never in a diff.
        self.secrets = set()

    def render(self):
        """Path => new text, in the order the files go live (sources first, main.cf last)."""
        params = self.params
        header = params["header"]
        files = {}
        try:
            for name in sorted(params["tables"]):
                if _postfix.table_name_problem(name):
                    self.module.fail_json(msg="tables: %s" % _postfix.table_name_problem(name))
                entries = params["tables"][name]
                path = os.path.join(self.config_dir, name)
                if _postfix.is_pattern_table(name, entries):
                    files[path] = _postfix.render_pattern_table(entries, header)
                    self.patterns.add(path)
                    continue
                if not isinstance(entries, dict):
                    self.module.fail_json(msg="tables: %s must be a dict of key => value (a .regexp, .cidr or .pcre "
                                              "table: its text)" % name)
                files[path] = _postfix.render_table(entries, header)
            for name in sorted(params["secret_tables"]):
                entries = params["secret_tables"][name]
                if _postfix.table_name_problem(name) or _postfix.PATTERN_TABLE_RE.search(name) or name in params["tables"]:
                    self.module.fail_json(msg="secret_tables: %s must be an indexed table of a name of its own" % name)
                if not isinstance(entries, dict):
                    self.module.fail_json(msg="secret_tables: %s must be a dict of key => value" % name)
                path = os.path.join(self.config_dir, name)
                files[path] = _postfix.render_table(entries, header)
                self.secrets.add(path)
            if params["aliases"] is not None:
                files[params["aliases_path"]] = _postfix.render_aliases(params["aliases"], header)
            files[self.master_path] = _postfix.render_master_cf(params["master_cf"], header)
            files[self.main_path] = _postfix.render_main_cf(params["main_cf"], header)
        except ValueError as exc:
            self.module.fail_json(msg=str(exc))
        return files

    read = staticmethod(_files.read_text)

    def run(self):
        params = self.params
        check_mode = self.module.check_mode
        wanted = self.render()
        current = dict((path, self.read(path)) for path in wanted)
        changed_content = [path for path in wanted if current[path] != wanted[path]]
        config_changes = self.main_path in changed_content or self.master_path in changed_content

        if config_changes and not check_mode:
            self.check_candidate(wanted)

        sources = [path for path in wanted if path not in (self.main_path, self.master_path)]
        files = []
        diff = []
        for path in sources:
            if self.install(path, wanted[path], current[path]):
                files.append(path)
        for path in changed_content:
            if path in self.secrets:
                diff.append({"before": "", "after": "(a secret: not shown)\n", "before_header": path, "after_header": path})
                continue
            diff.append({"before": current[path] or "", "after": wanted[path],
                         "before_header": path if current[path] is not None else "%s (absent)" % path,
                         "after_header": path})

        indexed = [path for path in sources if path not in self.patterns]
        stale = _postfix.stale_indexes(indexed, self.mtimes(indexed), params["map_type"],
                                       [path for path in indexed if path in changed_content])
        if not check_mode:
            self.rebuild(stale, params["candidate_dir"] if config_changes else self.config_dir)
        for path in sorted(self.secrets):
            # The index (and LMDB's lock file) of a secret table is the table's own: root only.
            for index in (_postfix.index_path(path, params["map_type"]), _postfix.index_path(path, params["map_type"]) + "-lock"):
                if os.path.exists(index):
                    file_args = self.module.load_file_common_arguments(
                        {"path": index, "owner": OWNER, "group": GROUP, "mode": SECRET_MODE})
                    if self.module.set_fs_attributes_if_different(file_args, False) and path not in files:
                        files.append(path)

        for path in (self.master_path, self.main_path):
            if self.install(path, wanted[path], current[path]):
                files.append(path)

        restart = self.main_path in changed_content and _postfix.restart_needed(
            current[self.main_path], wanted[self.main_path], params["restart_parameters"])
        changed = bool(files or stale)
        result = {"changed": changed, "files": files, "rebuilt": stale, "restart": restart,
                  "reload": changed and not restart,
                  "units": _units.unit_states(self.module, params["units"])}
        if self.module._diff and diff:
            result["diff"] = diff
        return result

    def install(self, path, text, before):
        """Write ``text`` to ``path`` when it differs (not in check mode) and set owner, group and
        mode; whether anything changed, or would."""
        changed = before != text
        if changed:
            if self.module.check_mode:
                return True
            self.write(path, text)
        # Also for an unchanged file: a mode or owner changed by hand is put back (in check mode
        # only reported).
        mode = SECRET_MODE if path in self.secrets else MODE
        file_args = self.module.load_file_common_arguments({"path": path, "owner": OWNER, "group": GROUP, "mode": mode})
        return self.module.set_fs_attributes_if_different(file_args, changed)

    def write(self, path, text):
        _files.write_atomically(self.module, path, text, 0o600 if path in self.secrets else 0o644, prefix=".postfix_config.")
        if os.path.basename(path) == "main.cf":
            # Postfix reads main.cf through dict_load_file(), which pauses (up to 2 s) until a file
            # modified within the last second "settles down". This one was written whole and moved
            # into place at once (os.replace): dated 2 s back, postconf, postfix start and reload
            # read it without the pause.
            settled = time.time() - SETTLE_SECONDS
            os.utime(path, (settled, settled))

    def mtimes(self, sources):
        found = []
        for source in sources:
            for path in (source, _postfix.index_path(source, self.params["map_type"])):
                try:
                    found.append({"path": path, "mtime": os.stat(path).st_mtime})
                except FileNotFoundError:
                    pass
        return found

    def check_candidate(self, wanted):
        """Write main.cf and master.cf into the candidate directory and have postconf read them;
        fail, with the live configuration untouched, on any complaint."""
        candidate_dir = self.params["candidate_dir"]
        if not os.path.isdir(candidate_dir):
            os.makedirs(candidate_dir, 0o755)
            os.chmod(candidate_dir, 0o755)
        for name, path in (("main.cf", self.main_path), ("master.cf", self.master_path)):
            self.write(os.path.join(candidate_dir, name), wanted[path])
        postconf = self.module.get_bin_path("postconf", required=True)
        complaints = []
        for flag in ("-n", "-M", "-P"):
            rc, _out, err = self.module.run_command([postconf, "-c", candidate_dir, flag])
            lines = [line.strip() for line in err.splitlines() if line.strip()]
            if rc != 0 and not lines:
                lines = ["postconf %s exited with status %d" % (flag, rc)]
            complaints.extend(line for line in lines if line not in complaints)
        if complaints:
            self.module.fail_json(
                msg="postfix_main_cf / postfix_master_cf: Postfix rejected the candidate configuration in "
                    "%s, the live one is unchanged: %s" % (candidate_dir, "; ".join(complaints)))

    def rebuild(self, sources, config_dir):
        for source in sources:
            tool = "postalias" if source == self.params["aliases_path"] else "postmap"
            argv = [self.module.get_bin_path(tool, required=True), "-c", config_dir,
                    "%s:%s" % (self.params["map_type"], source)]
            # A secret table's index is made root-only from the start, not opened up for a moment.
            rc, _out, err = self.module.run_command(argv, umask=0o077 if source in self.secrets else None)
            if rc != 0:
                self.module.fail_json(
                    msg="%s could not build the index of %s (the next run retries it; main.cf and "
                        "master.cf are not installed yet): %s" % (tool, source, err.strip() or "status %d" % rc),
                    cmd=argv, rc=rc, stderr=err)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            merged=dict(type="dict"),
            main_cf=dict(type="dict", default={}),
            master_cf=dict(type="dict", default={}),
            tables=dict(type="dict", default={}),
            secret_tables=dict(type="dict", default={}, no_log=True),
            aliases=dict(type="dict"),
            map_type=dict(type="str", choices=["lmdb", "cdb"], default="lmdb"),
            config_dir=dict(type="path", default="/etc/postfix"),
            aliases_path=dict(type="path", default="/etc/aliases"),
            candidate_dir=dict(type="path", default="/var/lib/postmaster-mail/postfix-candidate"),
            restart_parameters=dict(type="list", elements="str", default=["inet_interfaces", "inet_protocols"]),
            header=dict(type="str", default="Ansible managed"),
            **_units.ARGUMENT_SPEC
        ),
        supports_check_mode=True,
        mutually_exclusive=[("merged", "main_cf"), ("merged", "master_cf"), ("merged", "tables")],
    )
    merged = module.params["merged"]
    if merged is not None:
        for key in ("main_cf", "master_cf", "tables"):
            value = merged.get(key, {})
            if not isinstance(value, dict):
                module.fail_json(msg="merged: %s must be a dict, got %s" % (key, type(value).__name__))
            module.params[key] = value
    module.exit_json(**PostfixConfig(module).run())


if __name__ == "__main__":
    main()
