#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: units_started
short_description: Enable and start several systemd units in one call
version_added: 0.3.0
description:
  - Makes every unit of O(units) enabled and active. First C(systemctl daemon-reload) when the
    file of one of them changed since systemd read it (its C(NeedDaemonReload) property), when
    systemd has not read it yet, or when the unit file or drop-ins systemd would load now are not
    those it loaded (a new file in C(/etc/systemd/system) overriding the packaged unit); then one C(systemctl enable) of those that are not enabled; then
    C(systemctl start) of each that is not active, in the order of O(units), since a unit may need
    what an earlier one makes when it starts.
  - A unit already enabled and active is left alone; a unit that is running is never restarted.
    Applying changed configuration is the services' handlers' work.
  - Fails at the first unit that does not start, naming it, with the end of its journal. A
    service that cannot start stops the run, and the units after it are not started.
  - The roles' C(service) steps call it for their own units; C(postmaster.mail.server) calls it
    once for every service it configured.
author:
  - postmaster.mail developers (@postmaster-mail)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: The units' states are read; nothing is reloaded, enabled or started.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  units:
    description: The units, e.g. C(postfix.service), in the order they start.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Start the mail services that are not running
  postmaster.mail.units_started:
    units: [postfix.service, dovecot.service, opendkim.service]
"""

RETURN = r"""
started:
  description: The units that were not active and were started (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [dovecot.service]
enabled:
  description: The units that were not enabled and were enabled (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [dovecot.service]
daemon_reloaded:
  description: Whether systemd read its unit files again first (or would, in check mode).
  returned: always
  type: bool
"""

import glob
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.postmaster.mail.plugins.module_utils import _units


def main():
    module = AnsibleModule(argument_spec=dict(units=dict(type="list", elements="str", required=True)),
                           supports_check_mode=True)
    units = list(dict.fromkeys(module.params["units"]))
    systemctl = module.get_bin_path("systemctl", required=True)
    states = _units.unit_states(module, units)
    _rc, show_out, _err = module.run_command([systemctl, "show", "--property=" + _units.SHOW_PROPERTIES, "--"] + units)
    shown = _units.parse_show(units, show_out)
    # The real paths systemd reports for what it loaded, against what it would load now.
    for props in shown.values():
        for key in ("FragmentPath", "DropInPaths"):
            if props.get(key):
                props[key] = " ".join(os.path.realpath(path) for path in props[key].split())
    stale = _units.needs_daemon_reload(shown, dict((unit, on_disk(unit)) for unit in units))
    to_start, to_enable = _units.start_plan(states)
    result = {"changed": bool(stale or to_start or to_enable), "started": to_start, "enabled": to_enable,
              "daemon_reloaded": bool(stale)}
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)
    if stale:
        rc, _out, err = module.run_command([systemctl, "daemon-reload"])
        if rc != 0:
            module.fail_json(msg="systemctl daemon-reload failed (exit %d): %s" % (rc, err.strip()), **result)
    if to_enable:
        rc, _out, err = module.run_command([systemctl, "enable", "--"] + to_enable)
        if rc != 0:
            module.fail_json(msg="could not enable %s (systemctl enable exit %d): %s"
                             % (", ".join(to_enable), rc, last_lines(err)), **result)
    # One at a time, in the order given: a unit may need what an earlier one makes when it starts
    # (Dovecot's sockets live in the directory Postfix makes in its queue).
    for unit in to_start:
        rc, _out, err = module.run_command([systemctl, "start", "--", unit])
        if rc != 0:
            module.fail_json(msg="could not start %s (systemctl start exit %d%s)%s"
                             % (unit, rc, ": " + last_lines(err) if err.strip() else "",
                                journal_tail(module, [unit])), **result)
    module.exit_json(**result)


def on_disk(unit, dirs=_units.UNIT_DIRS):
    """(fragment, drop-ins) systemd would load for ``unit`` now, as real paths."""
    fragment = next((os.path.realpath(os.path.join(d, unit)) for d in dirs if os.path.exists(os.path.join(d, unit))), None)
    dropins = set()
    for d in dirs:
        dropins.update(os.path.realpath(path) for path in glob.glob(os.path.join(d, unit + ".d", "*.conf")))
    return fragment, dropins


def last_lines(text, count=3):
    return " / ".join(line.strip() for line in text.strip().splitlines()[-count:] if line.strip())


def journal_tail(module, units, lines=8):
    """The last journal lines of ``units``, for the failure message; empty when journalctl is missing."""
    journalctl = module.get_bin_path("journalctl")
    if not journalctl or not units:
        return ""
    argv = [journalctl, "--no-pager", "--quiet", "--lines=%d" % lines, "--output=short"]
    for unit in units:
        argv += ["--unit", unit]
    _rc, out, _err = module.run_command(argv)
    return "; journal: " + " / ".join(line.strip() for line in out.strip().splitlines()) if out.strip() else ""


if __name__ == "__main__":
    main()
