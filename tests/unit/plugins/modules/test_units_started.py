"""postmaster.mail.units_started: one module run enables and starts the units that need it, in
order, reads systemd's unit files again when one changed, and stops at a unit that cannot start."""

import os

import pytest
from ansible.module_utils import basic

from ansible_collections.postmaster.mail.plugins.modules import units_started
from ansible_collections.postmaster.mail.tests.unit.plugins.modules.module_call import Failed, call, patch_exits


class FakeSystemd:
    """systemctl and journalctl over a dict of unit => {active, enabled, loaded, stale}."""

    def __init__(self, units):
        self.units = units
        self.commands = []
        self.failing = set()
        self.unit_dir = None

    def fragment(self, unit):
        return os.path.join(str(self.unit_dir), unit) if self.units[unit].get("loaded", True) else ""

    def run_command(self, argv, **_kwargs):
        tool, verb, rest = argv[0].rsplit("/", 1)[-1], argv[1], [a for a in argv[2:] if not a.startswith("-")]
        if tool == "journalctl":
            return 0, "dovecot: bind(/var/spool/postfix/private/auth) failed\n", ""
        if verb in ("is-active", "is-enabled"):
            key, word = ("active", "active") if verb == "is-active" else ("enabled", "enabled")
            return 0, "".join((word if self.units[u][key] else "inactive") + "\n" for u in rest), ""
        self.commands.append(" ".join([verb] + rest))
        if verb == "show":
            blocks = ["LoadState=%s\nNeedDaemonReload=%s\nFragmentPath=%s\nDropInPaths="
                      % ("loaded" if self.units[u].get("loaded", True) else "not-found",
                         "yes" if self.units[u].get("stale") else "no", self.fragment(u)) for u in rest]
            return 0, "\n\n".join(blocks), ""
        if verb == "daemon-reload":
            for state in self.units.values():
                state.update(stale=False, loaded=True)
        if verb == "enable":
            for unit in rest:
                self.units[unit]["enabled"] = True
        if verb == "start":
            if rest[0] in self.failing:
                return 1, "", "Job for %s failed because the control process exited with error code.\n" % rest[0]
            self.units[rest[0]]["active"] = True
        return 0, "", ""


@pytest.fixture
def systemd(monkeypatch, tmp_path):
    fake = FakeSystemd({"postfix.service": {"active": False, "enabled": False},
                        "dovecot.service": {"active": False, "enabled": False},
                        "opendkim.service": {"active": True, "enabled": True}})
    # The unit files on disk: the packaged ones in lib, and /etc's overrides (none yet).
    lib, etc = tmp_path / "lib", tmp_path / "etc"
    lib.mkdir()
    etc.mkdir()
    for unit in fake.units:
        (lib / unit).write_text("[Service]\n")
    fake.unit_dir = lib
    monkeypatch.setattr(units_started.on_disk, "__defaults__", ((str(etc), str(lib)),))
    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: fake.run_command(argv, **kw))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, **kw: "/usr/bin/" + name)
    return fake


UNITS = {"units": ["postfix.service", "dovecot.service", "opendkim.service"]}


def test_the_units_that_need_it_are_enabled_together_and_started_in_order(systemd):
    result = call(units_started.main, UNITS)
    assert (result["changed"], result["started"], result["enabled"], result["daemon_reloaded"]) == (
        True, ["postfix.service", "dovecot.service"], ["postfix.service", "dovecot.service"], False)
    assert systemd.commands == ["show postfix.service dovecot.service opendkim.service",
                                "enable postfix.service dovecot.service", "start postfix.service", "start dovecot.service"]
    systemd.commands.clear()
    again = call(units_started.main, UNITS)
    assert (again["changed"], again["started"], again["enabled"]) == (False, [], [])
    assert systemd.commands == ["show postfix.service dovecot.service opendkim.service"]


def test_a_changed_or_new_unit_file_is_read_first(systemd):
    systemd.units["opendkim.service"]["stale"] = True
    result = call(units_started.main, {"units": ["opendkim.service"]})
    assert (result["changed"], result["daemon_reloaded"], result["started"]) == (True, True, [])
    assert systemd.commands == ["show opendkim.service", "daemon-reload"]


def test_an_override_written_in_etc_makes_systemd_read_its_units_again(systemd, tmp_path):
    (tmp_path / "etc" / "opendkim.service").write_text("[Service]\nExecReload=/bin/sh -c 'kill -USR1 $MAINPID'\n")
    result = call(units_started.main, {"units": ["opendkim.service"]})
    assert (result["changed"], result["daemon_reloaded"]) == (True, True)
    assert systemd.commands == ["show opendkim.service", "daemon-reload"]


def test_check_mode_reports_and_changes_nothing(systemd):
    result = call(units_started.main, UNITS, check_mode=True)
    assert (result["changed"], result["started"]) == (True, ["postfix.service", "dovecot.service"])
    assert systemd.commands == ["show postfix.service dovecot.service opendkim.service"]
    assert not systemd.units["postfix.service"]["active"]


def test_a_unit_that_cannot_start_stops_the_run_with_its_journal(systemd):
    systemd.failing.add("dovecot.service")
    failed = call(units_started.main, UNITS, exception=Failed)
    assert failed["msg"].startswith("could not start dovecot.service (systemctl start exit 1: Job for dovecot.service failed")
    assert "journal: dovecot: bind(/var/spool/postfix/private/auth) failed" in failed["msg"]
    assert systemd.units["postfix.service"]["active"]
