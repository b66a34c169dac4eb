# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What systemd says of a service's units, read by the module that configures the service in the
same call: a rerun then skips the "enable and start" task of a unit already enabled and running,
instead of paying a module run to learn it."""

from __future__ import annotations

ARGUMENT_SPEC = dict(units=dict(type="list", elements="str", default=[]))


def parse_states(units, active_out, enabled_out):
    """``{unit: {"active": bool, "enabled": bool, "ready": bool}}`` from the outputs of
    ``systemctl is-active <units>`` and ``systemctl is-enabled <units>`` (one line per unit, in
    order). Only "active" and "enabled" count: activating, static, masked, a missing unit (no
    line) all mean the caller's systemd task has work to do."""
    active = active_out.splitlines()
    enabled = enabled_out.splitlines()
    states = {}
    for index, unit in enumerate(units):
        is_active = index < len(active) and active[index].strip() == "active"
        is_enabled = index < len(enabled) and enabled[index].strip() == "enabled"
        states[unit] = {"active": is_active, "enabled": is_enabled, "ready": is_active and is_enabled}
    return states


def unit_states(module, units):
    """The states of ``units`` on this host (two systemctl calls, whatever their number); every
    unit reads as not ready when systemctl is missing or systemd does not run."""
    if not units:
        return {}
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return parse_states(units, "", "")
    # Both commands exit non-zero when one unit is not active/enabled; their output is per unit.
    _rc, active_out, _err = module.run_command([systemctl, "is-active"] + list(units))
    _rc, enabled_out, _err = module.run_command([systemctl, "is-enabled"] + list(units))
    return parse_states(units, active_out, enabled_out)


# Where systemd looks for a unit's file, first found wins (systemd.unit(5), system units).
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
             "/lib/systemd/system")
SHOW_PROPERTIES = "NeedDaemonReload,LoadState,FragmentPath,DropInPaths"


def parse_show(units, show_out):
    """``{unit: {property: value}}`` from ``systemctl show --property=... <units>`` (one block per
    unit, in order, blank lines between); a unit systemctl said nothing of maps to {}."""
    blocks = show_out.strip().split("\n\n") if show_out.strip() else []
    return dict((unit, dict(line.split("=", 1) for line in blocks[index].splitlines() if "=" in line) if index < len(blocks) else {})
                for index, unit in enumerate(units))


def needs_daemon_reload(shown, on_disk):
    """The units systemd must read again before they start. ``shown`` is parse_show's answer;
    ``on_disk`` maps each unit to ``(fragment, dropins)``: the file systemd would load now (the
    first of UNIT_DIRS that has it, None when none has) and the set of drop-in files it would
    add, all as real paths. Stale: NeedDaemonReload says so, systemd has not read the unit at all,
    or the file or drop-ins it would load now are not the ones it loaded - systemd does not notice
    a new file in /etc/systemd/system that overrides the packaged unit it loaded."""
    stale = []
    for unit, props in shown.items():
        fragment, dropins = on_disk.get(unit, (None, set()))
        loaded_fragment = props.get("FragmentPath") or None
        loaded_dropins = set(props.get("DropInPaths", "").split())
        if (not props or props.get("NeedDaemonReload") == "yes" or props.get("LoadState") == "not-found"
                or fragment != loaded_fragment or dropins != loaded_dropins):
            stale.append(unit)
    return stale


def start_plan(states):
    """What ``systemctl enable --now`` must do for units in ``states`` (as parse_states gives):
    ``(to_start, to_enable)``, in the units' order. A unit already active and enabled needs nothing."""
    to_start = [unit for unit, state in states.items() if not state["active"]]
    to_enable = [unit for unit, state in states.items() if not state["enabled"]]
    return to_start, to_enable
