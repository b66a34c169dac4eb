#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dovecot_config
short_description: Dovecot's mail directory, users file and dovecot.conf in one transaction
version_added: 0.2.0
description:
  - One call does what the C(postmaster.mail.dovecot) role needs on the host besides the packages,
    the mail owner and the service.
  - When O(config) differs from the live C(dovecot.conf), it is first written to a temporary file
    and checked with C(doveconf -n -c <candidate>). Any complaint fails the module before anything
    on the host changed, the live configuration untouched.
  - Then the mail directory O(mail_base) is created (owner and group O(mail_user), mode C(0750)).
  - The salt secret O(salt_secret_path) (C(root:root), mode C(0600)) is created once on the host,
    from O(salt_secret) when given, else at random when a user has a plain C(password). Giving
    O(salt_secret) is the role's way - it reads the host's secret, or makes a new one, on the
    controller and hashes the passwords there, so plain passwords never reach the host.
  - The users file O(users_path) (C(root:<users_group>), mode C(0640)) gets one C(address:hash) line
    per user. A given C(password_hash) is written as is; a C(password) is hashed on the host in
    O(password_scheme) (Argon2id unless told otherwise; it needs C(cryptography) 44 or later or
    C(argon2-cffi) on the host, else the module fails naming both) with a salt derived by
    HMAC-SHA256 from the secret, the address and the password, so a rerun gives the same bytes
    (the same hashes as the C(postmaster.mail.dovecot_password_hash) filter with the same secret).
  - The fingerprints file O(fingerprints_path) (C(root:root), mode C(0600)) keeps a keyed
    fingerprint of each plain password beside its hash. A password whose fingerprint is unchanged
    keeps its hash without hashing again; a user given with a C(fingerprint) and no password keeps
    the hash the users file has (the role's way, the controller having compared the fingerprints the
    C(postmaster.mail.dovecot_owner) module read).
  - The global Sieve scripts O(sieve_scripts) (C(root:root), mode C(0644)) are each compiled with
    C(sievec) into C(<name>.svbin) next to them (C(root:root), mode C(0644)), so Dovecot never needs
    to write there. A script to compile is first compiled from a temporary copy with the candidate
    C(dovecot.conf) (its Sieve plugins and extensions); any complaint fails the module before
    anything changed. A script is compiled again when its text changes or its binary is missing or
    older than it. The programs O(programs) (C(root:root), mode C(0755)) follow, and the paths of
    O(absent) (with the binary of a C(.sieve) script) are removed. Missing directories are created
    C(root:root), mode C(0755).
  - C(dovecot.conf) goes live last (C(root:root), mode C(0644)). Every file is written atomically;
    an owner or mode changed by hand is put back.
  - The text of O(config) may come from a template rendered on the controller (the role does so);
    what this module adds is the check before install and the single transaction.
  - Reloading Dovecot is left to the caller (a handler), told by RV(reload).
extends_documentation_fragment:
  - postmaster.mail.units
author:
  - postmaster.mail developers (@postmaster-mail)
requirements:
  - Dovecot (C(doveconf)) on the managed host, except in check mode; Pigeonhole (C(sievec)) when
    O(sieve_scripts) is not empty
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details:
      - Nothing is written and neither C(doveconf) nor C(sievec) runs, so a configuration or a Sieve script Dovecot would reject is found only by a real run.
      - On a host without a salt secret yet, the users file is reported as changing, without hashing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details:
      - For C(dovecot.conf), the Sieve scripts and the programs the text diff (a removed file's text as before).
      - For the users file, addresses only (added, removed, or marked C(password changed)); never a hash or a password.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  config:
    description: The whole text of C(dovecot.conf).
    type: str
    required: true
  config_path:
    description: Where C(dovecot.conf) lives.
    type: path
    default: /etc/dovecot/dovecot.conf
  users:
    description: The mail users, written to O(users_path) in this order.
    type: list
    elements: dict
    default: []
    suboptions:
      address:
        description: The user's address and login; written in lower case.
        type: str
        required: true
      password:
        description: Plain password, hashed on the host (O(password_scheme)) unless its fingerprint is unchanged.
        type: str
      fingerprint:
        description:
          - The keyed fingerprint of the password the hash was made from, kept in O(fingerprints_path).
          - Without C(password) and C(password_hash), the hash in O(users_path) is kept.
        type: str
      password_hash:
        description: A hash Dovecot understands, with its C({SCHEME}) prefix, written as is.
        type: str
      quota:
        description: The user's quota; the users file ignores it (it goes into O(userdb), which the role renders).
        type: str
  password_scheme:
    description: The scheme plain passwords are hashed in.
    type: str
    choices: [ARGON2ID, SHA512-CRYPT]
    default: ARGON2ID
  password_memory:
    description: Argon2id memory cost in KiB for plain passwords, 8192 to 1048576.
    type: int
    default: 65536
  password_iterations:
    description: Argon2id passes for plain passwords, 1 to 64.
    type: int
    default: 3
  password_rounds:
    description: SHA512-CRYPT rounds for plain passwords, 5000 to 999999999.
    type: int
    default: 100000
  fingerprints_path:
    description: The keyed fingerprints of the plain passwords hashed in O(users_path).
    type: path
    default: /etc/dovecot/private/password-fingerprints
  users_path:
    description: Dovecot's passwd-file.
    type: path
    default: /etc/dovecot/users
  users_group:
    description: Group of O(users_path); Dovecot's auth process reads the file as this group.
    type: str
    default: dovecot
  salt_secret:
    description:
      - The secret to write to O(salt_secret_path) when the host has none yet. When the host has one,
        it must be this one, else the module fails (the hashes given were made with another secret).
    type: str
  salt_secret_path:
    description: The salt secret, created once when a user has a plain password. Its directory is created (mode C(0700)) when missing.
    type: path
    default: /etc/dovecot/private/password-salt-secret
  mail_base:
    description: Directory all mail lives under.
    type: path
    default: /var/vmail
  mail_user:
    description: System user (and group) that owns O(mail_base); it must exist.
    type: str
    default: vmail
  sieve_scripts:
    description: Global Sieve scripts, installed and compiled before C(dovecot.conf) goes live.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the script, ending with C(.sieve).
        type: path
        required: true
      content:
        description: The text of the script.
        type: str
        required: true
  programs:
    description: Programs the Sieve scripts run (C(vnd.dovecot.pipe)), installed executable.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the program.
        type: path
        required: true
      content:
        description: The text of the program (a script with its C(#!) line).
        type: str
        required: true
  absent:
    description: Files to remove (a C(.sieve) script's compiled binary with it), e.g. those of a feature turned off.
    type: list
    elements: path
    default: []
  userdb:
    description:
      - The user database Dovecot reads after a login and for every delivery (a passwd-file without passwords, C(home)
        and per-user settings such as quotas in its extra fields), written C(root:<users_group>), mode C(0640), before
        C(dovecot.conf). It holds no secret, so the diff shows it.
    type: dict
    suboptions:
      path:
        description: Its path.
        type: path
        required: true
      content:
        description: Its text.
        type: str
        required: true
  header:
    description: Text written as comment lines at the top of the users file.
    type: str
    default: Ansible managed
notes:
  - Declare the task C(no_log), as the role does, when O(users) holds plain passwords; the module
    also marks C(password) and C(password_hash) as no_log itself.
  - Plain passwords given in O(users) travel to the host in the module's arguments to be hashed
    there. The C(postmaster.mail.dovecot) role never does that - it passes hashes made on the
    controller with the C(postmaster.mail.dovecot_password_hash) filter and O(salt_secret) - so
    its plain passwords never reach the host.
"""

EXAMPLES = r"""
- name: Install the users and dovecot.conf, checked by doveconf first
  postmaster.mail.dovecot_config:
    config: "{{ lookup('ansible.builtin.template', 'dovecot.conf.j2') }}"
    users:
      - address: alice@example.org
        password: "{{ vault_alice_password }}"
      - address: bob@example.org
        password_hash: "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$..."
  no_log: true
  notify: Reload dovecot
"""

RETURN = r"""
units:
  description:
    - The state of each unit of O(units) before the module ran, C(active) and C(enabled) as
      systemd says, and C(ready) when both are true (empty when no units are given).
  returned: always
  type: dict
  sample: {dovecot.service: {active: true, enabled: true, ready: true}}
files:
  description: The paths created or changed (or, in check mode, that would be), in the order they were.
  returned: always
  type: list
  elements: str
  sample: [/etc/dovecot/users, /etc/dovecot/sieve/spam-to-junk.sieve, /etc/dovecot/sieve/spam-to-junk.svbin,
           /etc/dovecot/dovecot.conf]
reload:
  description:
    - The users file or C(dovecot.conf) changed; Dovecot should reload. Sieve scripts and programs
      are read at each use and need none.
  returned: always
  type: bool
diff:
  description: One C(before)/C(after) pair per changed file; addresses only for the users file.
  returned: in diff mode, when a file changes
  type: list
  elements: dict
"""

import os
import secrets
import string
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _dovecot, _files, _units
from ansible_collections.postmaster.mail.plugins.module_utils import _passwords
from ansible_collections.postmaster.mail.plugins.module_utils._passwords import MAX_ROUNDS, MIN_ROUNDS

SECRET_LENGTH = 43
SECRET_ALPHABET = string.ascii_letters + string.digits


class DovecotConfig:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.files = []
        self.diff = []

    read = staticmethod(_files.read_text)

    def run(self):
        params = self.params
        users = params["users"]
        problems = _dovecot.user_problems(users)
        if problems:
            self.module.fail_json(msg="dovecot_users: %s" % "; ".join(problems))
        problems = _dovecot.file_problems(params["sieve_scripts"], params["programs"], params["absent"])
        if problems:
            self.module.fail_json(msg="dovecot_config: %s" % "; ".join(problems))
        if not MIN_ROUNDS <= params["password_rounds"] <= MAX_ROUNDS:
            self.module.fail_json(msg="dovecot_password_rounds: must be between %d and %d, got %d"
                                  % (MIN_ROUNDS, MAX_ROUNDS, params["password_rounds"]))
        if not _passwords.MIN_ARGON2_MEMORY <= params["password_memory"] <= _passwords.MAX_ARGON2_MEMORY:
            self.module.fail_json(msg="dovecot_password_memory: must be between %d and %d KiB, got %d"
                                  % (_passwords.MIN_ARGON2_MEMORY, _passwords.MAX_ARGON2_MEMORY, params["password_memory"]))
        if not _passwords.MIN_ARGON2_ITERATIONS <= params["password_iterations"] <= _passwords.MAX_ARGON2_ITERATIONS:
            self.module.fail_json(msg="dovecot_password_iterations: must be between %d and %d, got %d"
                                  % (_passwords.MIN_ARGON2_ITERATIONS, _passwords.MAX_ARGON2_ITERATIONS,
                                     params["password_iterations"]))

        config_path = params["config_path"]
        config_before = self.read(config_path)
        config_changes = config_before != params["config"]
        # The candidate stays until the end of the run: sievec compiles with it.
        self.candidate = None
        try:
            return self.transaction(config_path, config_before, config_changes)
        finally:
            if self.candidate is not None:
                os.unlink(self.candidate)

    def transaction(self, config_path, config_before, config_changes):
        params = self.params
        users = params["users"]
        if config_changes and not self.check_mode:
            self.check_candidate(params["config"])
        sieve_pending = self.sieve_pending()
        if sieve_pending and not self.check_mode:
            self.check_sieve(sieve_pending)

        given = params["salt_secret"]
        on_host = self.read(params["salt_secret_path"])
        if given and on_host is not None and on_host.strip() != given.strip():
            self.module.fail_json(msg="dovecot_users: the salt secret %s is not the one the hashes were made with (did "
                                      "it change during the run?); nothing was changed, run again" % params["salt_secret_path"])
        self.mail_directory()
        secret = self.salt_secret(given) if given or _dovecot.needs_secret(users) else ""

        users_path = params["users_path"]
        users_before = self.read(users_path)
        fingerprints_path = params["fingerprints_path"]
        fingerprints_before = self.read(fingerprints_path)
        fingerprints_text = fingerprints_before
        # The fingerprints file is written beside plain passwords' hashes, and kept in step once there.
        write_marks = fingerprints_before is not None
        if secret is None:
            # Check mode on a host without a secret yet: the hashes cannot be known.
            entries = [(user["address"].strip().lower(), None) for user in users]
            users_text = None
            if _dovecot.needs_secret(users):
                fingerprints_text, write_marks = None, True
        else:
            current = _dovecot.parse_users(users_before)
            try:
                entries, fingerprints = _dovecot.user_entries(
                    users, secret, params["password_rounds"], current,
                    _dovecot.parse_fingerprints(fingerprints_before, current), params["password_scheme"],
                    params["password_memory"], params["password_iterations"])
            except (ValueError, _passwords.MissingArgon2) as exc:
                self.module.fail_json(msg="dovecot_users: %s" % exc)
            users_text = _dovecot.render_users(entries, params["header"])
            if fingerprints or write_marks:
                fingerprints_text, write_marks = _dovecot.render_fingerprints(fingerprints, params["header"]), True
        users_changed = self.install(users_path, users_text, users_before, params["users_group"], "0640")
        if write_marks:
            if not os.path.isdir(os.path.dirname(fingerprints_path)) and not self.check_mode:
                os.makedirs(os.path.dirname(fingerprints_path), 0o700)
            self.install(fingerprints_path, fingerprints_text, fingerprints_before, "root", "0600")
        if users_changed and (users_text is None or users_text != users_before):
            before, after = _dovecot.users_diff_view(users_before, entries)
            self.add_diff(users_path + " (addresses)", before, after, users_before is None)

        userdb_changed = False
        if params["userdb"]:
            userdb = params["userdb"]
            userdb_before = self.read(userdb["path"])
            userdb_changed = self.install(userdb["path"], userdb["content"], userdb_before, params["users_group"], "0640")
            if userdb_before != userdb["content"]:
                self.add_diff(userdb["path"], userdb_before or "", userdb["content"], userdb_before is None)

        self.sieve_files(sieve_pending)
        for program in params["programs"]:
            self.install_text(program["path"], program["content"], "0755")
        for path in params["absent"]:
            self.remove(path)

        config_changed = self.install(config_path, params["config"], config_before, "root", "0644")
        if config_changes:
            self.add_diff(config_path, config_before or "", params["config"], config_before is None)

        result = {"changed": bool(self.files), "files": self.files, "reload": users_changed or userdb_changed or config_changed,
                  "units": _units.unit_states(self.module, params["units"])}
        if self.module._diff and self.diff:
            result["diff"] = self.diff
        return result

    def add_diff(self, header, before, after, absent):
        self.diff.append({"before": before, "after": after,
                          "before_header": "%s (absent)" % header if absent else header, "after_header": header})

    def check_candidate(self, text):
        """Have doveconf read ``text`` from a temporary file; fail, with nothing on the host changed
        yet, on any complaint."""
        doveconf = self.module.get_bin_path("doveconf", required=True)
        fd, candidate = tempfile.mkstemp(prefix="dovecot_config.", suffix=".conf", dir=self.module.tmpdir)
        self.candidate = candidate
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as stream:
            stream.write(text)
        rc, _out, err = self.module.run_command([doveconf, "-n", "-c", candidate])
        if rc != 0:
            complaint = " ".join(line.strip() for line in err.splitlines() if line.strip()) or "status %d" % rc
            self.module.fail_json(
                msg="dovecot_* variables: Dovecot rejected the new dovecot.conf (doveconf -n); the live %s is unchanged and "
                    "nothing else was touched: %s" % (self.params["config_path"], complaint.replace(candidate, "<candidate>")))

    def sieve_config(self):
        """The dovecot.conf sievec reads: the candidate when it changes, else the live one."""
        return self.candidate or self.params["config_path"]

    def sieve_pending(self):
        """The Sieve scripts to write or compile: text changed, or binary missing or older."""
        pending = []
        for script in self.params["sieve_scripts"]:
            path = script["path"]
            if self.read(path) != script["content"] or _dovecot.sieve_binary_stale(
                    _mtime(path), _mtime(_dovecot.sieve_binary_path(path))):
                pending.append(path)
        return pending

    def check_sieve(self, pending):
        """Compile every script of ``pending`` from a temporary copy with the dovecot.conf it will
        run under; fail, with nothing on the host changed yet, on any complaint."""
        sievec = self.module.get_bin_path("sievec", required=True)
        texts = dict((script["path"], script["content"]) for script in self.params["sieve_scripts"])
        directory = tempfile.mkdtemp(prefix="dovecot_config.", dir=self.module.tmpdir)
        try:
            for path in pending:
                copy = os.path.join(directory, os.path.basename(path))
                with open(copy, "w", encoding="utf-8", errors="surrogateescape") as stream:
                    stream.write(texts[path])
                rc, out, err = self.module.run_command([sievec, "-c", self.sieve_config(), copy,
                                                        _dovecot.sieve_binary_path(copy)])
                # A warning counts: in a global script it is a rule that silently never applies
                # (e.g. an invalid header name, which sievec accepts).
                warnings = _dovecot.sieve_warnings(out + "\n" + err)
                if rc != 0 or warnings:
                    complaint = " ".join(line.strip() for line in err.splitlines() if line.strip()) or "status %d" % rc
                    if rc == 0:
                        complaint = " ".join(warnings)
                    complaint = complaint.replace(copy, path).replace(self.sieve_config(), "<candidate>")
                    self.module.fail_json(
                        msg="dovecot_* variables: Pigeonhole rejected the Sieve script %s (sievec -c <candidate>); the "
                            "live files are unchanged and nothing else was touched: %s" % (path, complaint))
        finally:
            for name in os.listdir(directory):
                os.unlink(os.path.join(directory, name))
            os.rmdir(directory)

    def sieve_files(self, pending):
        """Install the scripts, then compile those of ``pending`` in place; owner and mode of both."""
        for script in self.params["sieve_scripts"]:
            path = script["path"]
            binary = _dovecot.sieve_binary_path(path)
            self.install_text(path, script["content"], "0644")
            if path in pending:
                if self.check_mode:
                    self.files.append(binary)
                    continue
                sievec = self.module.get_bin_path("sievec", required=True)
                rc, _out, err = self.module.run_command([sievec, "-c", self.sieve_config(), path, binary])
                if rc != 0:
                    self.module.fail_json(msg="dovecot_* variables: sievec failed on %s after it was installed: %s"
                                              % (path, " ".join(err.split()) or "status %d" % rc))
                self.files.append(binary)
            file_args = self.module.load_file_common_arguments({"path": binary, "owner": "root", "group": "root",
                                                                "mode": "0644"})
            if os.path.exists(binary) and self.module.set_fs_attributes_if_different(file_args, False) \
                    and binary not in self.files:
                self.files.append(binary)

    def install_text(self, path, text, mode):
        """A root-owned file (its directory made, root:root 0755, when missing), with its diff."""
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            self.files.append(directory)
            if not self.check_mode:
                os.makedirs(directory, 0o755)
                os.chmod(directory, 0o755)
        before = self.read(path)
        if self.install(path, text, before, "root", mode) and before != text:
            self.add_diff(path, before or "", text, before is None)

    def remove(self, path):
        paths = [path] + ([_dovecot.sieve_binary_path(path)] if path.endswith(_dovecot.SIEVE_SUFFIX) else [])
        for each in paths:
            if os.path.lexists(each):
                if os.path.isdir(each) and not os.path.islink(each):
                    self.module.fail_json(msg="dovecot_config: %s is a directory, not removed" % each)
                self.files.append(each)
                if each == path:  # a text file; a compiled binary has no diff
                    self.add_diff(each, self.read(each) or "", "", False)
                if not self.check_mode:
                    os.unlink(each)

    def mail_directory(self):
        path = self.params["mail_base"]
        created = False
        if not os.path.isdir(path):
            if os.path.lexists(path):
                self.module.fail_json(msg="dovecot_mail_base: %s exists and is not a directory" % path)
            created = True
            if not self.check_mode:
                os.makedirs(path, 0o750)
        if created and self.check_mode:
            self.files.append(path)
            return
        user = self.params["mail_user"]
        file_args = self.module.load_file_common_arguments({"path": path, "owner": user, "group": user, "mode": "0750"})
        if self.module.set_fs_attributes_if_different(file_args, created):
            self.files.append(path)

    def salt_secret(self, given=None):
        """The secret (created first when missing, from ``given`` when set); None in check mode when
        there is none yet."""
        path = self.params["salt_secret_path"]
        text = self.read(path)
        if text is None:
            self.files.append(path)
            if self.check_mode:
                return None
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o700)
            text = (given.strip() if given else "".join(secrets.SystemRandom().choices(SECRET_ALPHABET, k=SECRET_LENGTH))) + "\n"
            self.write(path, text, "root", "0600")
        file_args = self.module.load_file_common_arguments({"path": path, "owner": "root", "group": "root", "mode": "0600"})
        if self.module.set_fs_attributes_if_different(file_args, False) and path not in self.files:
            self.files.append(path)
        secret = text.strip()
        if not secret:
            self.module.fail_json(msg="dovecot_users: the salt secret %s is empty; remove it to have a new one made "
                                      "(every password hash then changes)" % path)
        return secret

    def install(self, path, text, before, group, mode):
        """Write ``text`` (None: unknown, counts as a change) when it differs, then set owner, group
        and mode; whether anything changed, or would."""
        changed = text is None or before != text
        if changed and self.check_mode:
            self.files.append(path)
            return True
        if changed:
            self.write(path, text, group, mode)
        file_args = self.module.load_file_common_arguments({"path": path, "owner": "root", "group": group, "mode": mode})
        if self.module.set_fs_attributes_if_different(file_args, changed):
            self.files.append(path)
            return True
        return False

    def write(self, path, text, group, mode):
        """Atomically, the temporary file given its owner (root), group and mode before it holds
        anything: a hash is never readable by others."""
        _files.write_atomically(self.module, path, text, int(mode, 8), group=group, prefix=".dovecot_config.")


def _mtime(path):
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return None


ARGUMENT_SPEC = dict(
    config=dict(type="str", required=True),
    config_path=dict(type="path", default="/etc/dovecot/dovecot.conf"),
    users=dict(type="list", elements="dict", default=[], options=dict(
        address=dict(type="str", required=True),
        password=dict(type="str", no_log=True),
        password_hash=dict(type="str", no_log=True),
        fingerprint=dict(type="str", no_log=True),
        quota=dict(type="str"),
    )),
    password_scheme=dict(type="str", default="ARGON2ID", choices=["ARGON2ID", "SHA512-CRYPT"]),
    password_memory=dict(type="int", default=65536, no_log=False),
    password_iterations=dict(type="int", default=3, no_log=False),
    password_rounds=dict(type="int", default=100000, no_log=False),
    fingerprints_path=dict(type="path", default="/etc/dovecot/private/password-fingerprints"),
    users_path=dict(type="path", default="/etc/dovecot/users"),
    users_group=dict(type="str", default="dovecot"),
    salt_secret=dict(type="str", no_log=True),
    salt_secret_path=dict(type="path", default="/etc/dovecot/private/password-salt-secret"),
    mail_base=dict(type="path", default="/var/vmail"),
    mail_user=dict(type="str", default="vmail"),
    sieve_scripts=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        content=dict(type="str", required=True),
    )),
    programs=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        content=dict(type="str", required=True),
    )),
    absent=dict(type="list", elements="path", default=[]),
    userdb=dict(type="dict", options=dict(
        path=dict(type="path", required=True),
        content=dict(type="str", required=True),
    )),
    header=dict(type="str", default="Ansible managed"),
    **_units.ARGUMENT_SPEC
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    module.exit_json(**DovecotConfig(module).run())


if __name__ == "__main__":
    main()
