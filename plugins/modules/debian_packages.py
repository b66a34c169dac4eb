#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: debian_packages
short_description: The packages of a mail server in one Debian transaction, their services held until configured
version_added: 0.2.0
description:
  - Reads C(/var/lib/dpkg/status) and installs, in one C(apt-get install), those of O(names) not
    installed and configured. When all are, nothing else runs (apt's cache is never opened), so a
    rerun costs one cheap read.
  - Before the transaction, the debconf answers of O(debconf) for the packages about to be
    installed are given to C(debconf-set-selections), and apt's package lists are fetched again
    when older than O(cache_valid_time).
  - With O(hold_services), the new services are not started by their packages' maintainer
    scripts (Debian's C(policy-rc.d), exit status 101, for the transaction only, removed even when
    it fails; one already on the host is left alone). The caller starts each service once its
    configuration is written, instead of a daemon listening on its packaged configuration until
    then and being restarted.
  - Packages are never upgraded or removed.
author:
  - postmaster.mail developers (@postmaster-mail)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Reports the packages that would be installed; nothing runs.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: The packages to install, one per line.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  names:
    description: The packages, as C(name) or C(name:arch).
    type: list
    elements: str
    required: true
  debconf:
    description:
      - debconf answers to give before a package is installed, by package. Answers for a package
        already installed are not given again (they only matter to its first configuration).
    type: list
    elements: dict
    default: []
    suboptions:
      package:
        description: The package that owns the question.
        type: str
        required: true
      question:
        description: The question, such as C(postfix/main_mailer_type).
        type: str
        required: true
      vtype:
        description: Its type, such as C(select), C(string) or C(boolean).
        type: str
        required: true
      value:
        description: The answer (one line).
        type: str
        required: true
  hold_services:
    description: Keep the services of the new packages stopped during the transaction (see above).
    type: bool
    default: true
  cache_valid_time:
    description:
      - Fetch apt's package lists first when the newest package index in C(/var/lib/apt/lists) is
        older than this many seconds, or there is none (0 always fetches).
    type: int
    default: 3600
  status_path:
    description: dpkg's status file.
    type: path
    default: /var/lib/dpkg/status
  policy_rc_path:
    description: Debian's policy layer for starting services from maintainer scripts.
    type: path
    default: /usr/sbin/policy-rc.d
"""

EXAMPLES = r"""
- name: Install Postfix without a configuration of Debian's, stopped until it is configured
  postmaster.mail.debian_packages:
    names: [postfix, postfix-lmdb]
    debconf:
      - {package: postfix, question: postfix/main_mailer_type, vtype: select, value: No configuration}
"""

RETURN = r"""
missing:
  description: The packages of O(names) that were not installed and configured before the module ran.
  returned: always
  type: list
  elements: str
  sample: [postfix, postfix-lmdb]
installed:
  description: The packages installed by this run (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [postfix, postfix-lmdb]
versions:
  description: The version of each package of O(names) installed when the module ends (before, in check mode).
  returned: always
  type: dict
  sample: {postfix: 3.10.5-1~deb13u1}
cache_updated:
  description: Whether apt's package lists were fetched again.
  returned: always
  type: bool
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _dpkg

APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none", "LC_ALL": "C.UTF-8"}
LISTS_DIR = "/var/lib/apt/lists"


class DebianPackages:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.update_problems = ""

    def status(self):
        try:
            with open(self.params["status_path"], encoding="utf-8", errors="replace") as stream:
                return _dpkg.parse_status(stream.read())
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self.module.fail_json(msg="cannot read dpkg's status file %s: %s" % (self.params["status_path"], exc))

    def run(self):
        names = self.params["names"]
        packages = self.status()
        missing = _dpkg.missing_packages(packages, names)
        result = {"changed": bool(missing), "missing": missing, "installed": list(missing), "cache_updated": False}
        if self.module._diff and missing:
            result["diff"] = {"before": "", "after": "".join(name + "\n" for name in missing),
                              "after_header": "packages to install"}
        if missing and not self.module.check_mode:
            self.install(missing)
            packages = self.status()
            still = _dpkg.missing_packages(packages, names)
            if still:
                self.module.fail_json(msg="apt-get finished but these packages are still not installed and configured: %s"
                                      % ", ".join(still), **result)
            result["cache_updated"] = self.cache_updated
        result["versions"] = dict((name, packages[name.split(":", 1)[0]]["version"])
                                  for name in names if name.split(":", 1)[0] in packages
                                  and _dpkg.is_installed(packages[name.split(":", 1)[0]]))
        return result

    def install(self, missing):
        self.preseed(missing)
        self.cache_updated = self.update_cache()
        apt_get = self.module.get_bin_path("apt-get", required=True)
        policy_rc = self.params["policy_rc_path"]
        hold = self.params["hold_services"] and not os.path.lexists(policy_rc)
        if hold:
            with open(policy_rc, "w") as stream:
                stream.write(_dpkg.POLICY_RC)
            os.chmod(policy_rc, 0o755)
        try:
            argv = _dpkg.install_argv(apt_get, missing)
            rc, out, err = self.module.run_command(argv, environ_update=APT_ENV)
        finally:
            if hold:
                os.unlink(policy_rc)
        if rc != 0:
            # apt-get update exits 0 when a mirror cannot be reached; say so, it is the cause.
            fetch = "; before it, apt-get update could not fetch: %s" % self.update_problems if self.update_problems else ""
            self.module.fail_json(msg="apt-get install of %s failed (exit %d): %s%s"
                                  % (", ".join(missing), rc, last_lines(err or out), fetch), cmd=argv, rc=rc,
                                  stdout=out, stderr=err)

    def preseed(self, missing):
        wanted = set(name.split(":", 1)[0] for name in missing)
        by_package = {}
        for answer in self.params["debconf"]:
            if answer["package"] in wanted:
                by_package.setdefault(answer["package"], []).append(answer)
        if not by_package:
            return
        try:
            text = "".join(_dpkg.debconf_selections(package, answers) for package, answers in by_package.items())
        except ValueError as exc:
            self.module.fail_json(msg="debconf: %s" % exc)
        tool = self.module.get_bin_path("debconf-set-selections", required=True)
        rc, _out, err = self.module.run_command([tool], data=text, binary_data=True)
        if rc != 0:
            self.module.fail_json(msg="debconf-set-selections refused the answers for %s: %s"
                                  % (", ".join(sorted(by_package)), err.strip() or "exit %d" % rc))

    def update_cache(self):
        entries = []
        try:
            with os.scandir(LISTS_DIR) as found:
                entries = [(entry.name, entry.stat().st_mtime) for entry in found if entry.is_file()]
        except FileNotFoundError:
            pass
        updated_at = _dpkg.lists_updated_at(entries)
        if _dpkg.cache_is_fresh(updated_at, time.time(), self.params["cache_valid_time"]):
            return False
        apt_get = self.module.get_bin_path("apt-get", required=True)
        argv = [apt_get, "update", "-o", "DPkg::Lock::Timeout=120"]
        rc, out, err = self.module.run_command(argv, environ_update=APT_ENV)
        if rc != 0:
            self.module.fail_json(msg="apt-get update failed (exit %d): %s" % (rc, last_lines(err or out)),
                                  cmd=argv, rc=rc, stdout=out, stderr=err)
        self.update_problems = _dpkg.fetch_problems(out + "\n" + err)
        return True


def last_lines(text, count=6):
    return " / ".join(line.strip() for line in text.strip().splitlines()[-count:] if line.strip())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            debconf=dict(type="list", elements="dict", default=[], options=dict(
                package=dict(type="str", required=True),
                question=dict(type="str", required=True),
                vtype=dict(type="str", required=True),
                value=dict(type="str", required=True),
            )),
            hold_services=dict(type="bool", default=True),
            cache_valid_time=dict(type="int", default=3600),
            status_path=dict(type="path", default=_dpkg.STATUS_PATH),
            policy_rc_path=dict(type="path", default="/usr/sbin/policy-rc.d"),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**DebianPackages(module).run())


if __name__ == "__main__":
    main()
