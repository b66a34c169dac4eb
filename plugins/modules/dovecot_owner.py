#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dovecot_owner
short_description: The system account that owns the mailboxes, and the salt secret of the password hashes, in one call
version_added: 0.2.0
description:
  - What the controller needs from the host before it renders Dovecot's files, in one module run
    (the C(postmaster.mail.dovecot) role then calls M(postmaster.mail.dovecot_config)).
  - Makes the system account O(name) when it is missing (C(useradd --system), in a group of its
    name, no home directory made, login shell O(shell)), or puts its home and shell back when they differ,
    and returns its uid and gid (Dovecot's C(first_valid_uid) and C(last_valid_uid)).
  - Reads the salt secret at O(salt_secret_path) when given and present and returns it in
    RV(salt_secret), so the controller hashes plain passwords with it; the caller hides the result
    (C(no_log)). A host without one gets one made by the caller and written by
    M(postmaster.mail.dovecot_config).
  - Reads the keyed fingerprints at O(fingerprints_path) of the passwords whose hashes are in
    O(users_path) and returns them in RV(fingerprints), so the controller hashes only the passwords
    that changed (hashing costs tens of milliseconds on purpose).
author:
  - postmaster.mail developers (@postmaster-mail)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: A missing account is reported, with uid and gid 0; the secret is read as in a real run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  name:
    description: The account (and its group).
    type: str
    default: vmail
  home:
    description: Its home directory (the mail directory; not made here).
    type: path
    required: true
  shell:
    description: Its login shell.
    type: path
    default: /usr/sbin/nologin
  salt_secret_path:
    description: The salt secret to read; not given, nothing is read.
    type: path
  users_path:
    description: Dovecot's passwd-file; a fingerprint counts only for an address with a hash there.
    type: path
    default: /etc/dovecot/users
  fingerprints_path:
    description: The fingerprints to read; not given, nothing is read.
    type: path
"""

EXAMPLES = r"""
- name: Make the mail owner and read the salt secret
  postmaster.mail.dovecot_owner:
    name: vmail
    home: /var/vmail
    salt_secret_path: /etc/dovecot/private/password-salt-secret
  register: owner
  no_log: true
"""

RETURN = r"""
uid:
  description: The account's uid (0 in check mode when it would be made).
  returned: always
  type: int
  sample: 998
gid:
  description: Its primary group's gid (0 in check mode when it would be made).
  returned: always
  type: int
  sample: 998
created:
  description: Whether the account was made (or would be, in check mode).
  returned: always
  type: bool
salt_secret:
  description: The salt secret, without surrounding white space; absent when the file is not there or O(salt_secret_path) was not given.
  returned: when present
  type: str
fingerprints:
  description: The address and fingerprint of each password hashed in O(users_path); empty without O(fingerprints_path).
  returned: always
  type: dict
"""

import grp
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _dovecot, _files


class DovecotOwner:
    def __init__(self, module):
        self.module = module
        self.params = module.params

    def account(self):
        try:
            return pwd.getpwnam(self.params["name"])
        except KeyError:
            return None

    def run(self):
        params = self.params
        result = {"changed": False, "created": False, "uid": 0, "gid": 0}
        found = self.account()
        if found is None:
            result.update(changed=True, created=True)
            if not self.module.check_mode:
                # Its own group, or the group of its name when one is left over (useradd refuses
                # --user-group then).
                group = ["--gid", params["name"]] if self.group_exists() else ["--user-group"]
                self.command("useradd", ["--system"] + group + ["--no-create-home", "--home-dir", params["home"],
                                                                "--shell", params["shell"], params["name"]])
                found = self.account()
        elif (found.pw_dir, found.pw_shell) != (params["home"], params["shell"]):
            result["changed"] = True
            if not self.module.check_mode:
                self.command("usermod", ["--home", params["home"], "--shell", params["shell"], params["name"]])
        if found is not None:
            result.update(uid=found.pw_uid, gid=found.pw_gid)
        secret = self.read_secret()
        if secret is not None:
            result["salt_secret"] = secret
        result["fingerprints"] = self.read_fingerprints()
        return result

    def read_fingerprints(self):
        path = self.params["fingerprints_path"]
        if not path:
            return {}
        try:
            current = _dovecot.parse_users(_files.read_text(self.params["users_path"]))
            return _dovecot.parse_fingerprints(_files.read_text(path), current)
        except (OSError, UnicodeDecodeError) as exc:
            self.module.fail_json(msg="cannot read the password fingerprints %s: %s" % (path, exc.__class__.__name__))

    def group_exists(self):
        try:
            grp.getgrnam(self.params["name"])
        except KeyError:
            return False
        return True

    def command(self, tool, args):
        argv = [self.module.get_bin_path(tool, required=True)] + args
        rc, _out, err = self.module.run_command(argv)
        if rc != 0:
            self.module.fail_json(msg="%s %s failed (exit %d): %s" % (tool, self.params["name"], rc, err.strip()))

    def read_secret(self):
        path = self.params["salt_secret_path"]
        if not path:
            return None
        try:
            with open(path, encoding="utf-8") as stream:
                secret = stream.read().strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.module.fail_json(msg="cannot read the salt secret %s: %s" % (path, exc.__class__.__name__))
        return secret or None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default="vmail"),
            home=dict(type="path", required=True),
            shell=dict(type="path", default="/usr/sbin/nologin"),
            salt_secret_path=dict(type="path", no_log=False),
            users_path=dict(type="path", default="/etc/dovecot/users"),
            fingerprints_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**DovecotOwner(module).run())


if __name__ == "__main__":
    main()
