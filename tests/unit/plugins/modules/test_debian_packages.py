"""postmaster.mail.debian_packages against a temporary dpkg status file and a fake apt-get (the
real one would install on this machine): what runs, in which order, and policy-rc.d's life."""

import os

import pytest
from ansible.module_utils import basic

from ansible_collections.postmaster.mail.plugins.modules import debian_packages

from .module_call import Exited, Failed, call, patch_exits

INSTALLED = "Package: %s\nStatus: install ok installed\nVersion: 1.0-1\n\n"


class FakeApt:
    """apt-get install marks the packages installed in the status file; records policy-rc.d."""

    def __init__(self, status, policy_rc):
        self.status = status
        self.policy_rc = policy_rc
        self.commands = []
        self.stdin = []
        self.policy_during_install = None
        self.install_rc = 0
        self.update_out = ""

    def run_command(self, argv, data=None, **_kwargs):
        tool = os.path.basename(argv[0])
        self.commands.append(" ".join([tool] + argv[1:2]))
        if data is not None:
            self.stdin.append(data)
        if tool == "apt-get" and argv[1] == "install":
            self.policy_during_install = open(self.policy_rc).read() if os.path.exists(self.policy_rc) else None
            if self.install_rc:
                return self.install_rc, "", "E: Unable to locate package nosuchpackage\n"
            with open(self.status, "a") as stream:
                for name in argv[argv.index("DPkg::Lock::Timeout=120") + 1:]:
                    stream.write(INSTALLED % name)
        if tool == "apt-get" and argv[1] == "update":
            return 0, self.update_out, ""
        return 0, "", ""


@pytest.fixture
def host(tmp_path, monkeypatch):
    status = tmp_path / "status"
    status.write_text(INSTALLED % "postfix")
    fake = FakeApt(str(status), str(tmp_path / "policy-rc.d"))

    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: fake.run_command(argv, **kw))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, **kw: "/usr/bin/" + name)
    monkeypatch.setattr(debian_packages, "LISTS_DIR", str(tmp_path / "lists"))
    return fake


def args(fake, **overrides):
    result = {"names": ["postfix", "dovecot-core"], "status_path": fake.status, "policy_rc_path": fake.policy_rc,
              "debconf": [{"package": "postfix", "question": "postfix/mailname", "vtype": "string", "value": "m.example.org"},
                          {"package": "dovecot-core", "question": "dovecot-core/create-ssl-cert", "vtype": "boolean",
                           "value": "false"}]}
    result.update(overrides)
    return result


def run(module_args, check_mode=False, diff=False, exception=Exited):
    return call(debian_packages.main, module_args, check_mode, diff, exception)


def test_only_the_missing_packages_are_installed_with_their_answers_and_services_held(host):
    result = run(args(host))
    assert (result["changed"], result["missing"], result["installed"], result["cache_updated"]) == (
        True, ["dovecot-core"], ["dovecot-core"], True)
    assert host.commands == ["debconf-set-selections", "apt-get update", "apt-get install"]
    # Only the answers of the package being installed; postfix is there already.
    assert host.stdin == ["dovecot-core dovecot-core/create-ssl-cert boolean false\n"]
    assert host.policy_during_install is not None and host.policy_during_install.rstrip().endswith("exit 101")
    assert not os.path.exists(host.policy_rc)
    assert result["versions"] == {"postfix": "1.0-1", "dovecot-core": "1.0-1"}


def test_recent_package_lists_are_not_fetched_again_and_deleted_ones_are(host, tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "lock").write_text("")  # a fresh directory whose lists an image deleted
    assert run(args(host))["cache_updated"] is True
    (lists / "deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages.lz4").write_text("")
    host.commands.clear()
    with open(host.status, "w") as stream:
        stream.write(INSTALLED % "postfix")
    result = run(args(host))
    assert (result["cache_updated"], host.commands) == (False, ["debconf-set-selections", "apt-get install"])


def test_a_rerun_reads_the_status_file_and_runs_nothing(host):
    run(args(host))
    host.commands.clear()
    again = run(args(host))
    assert (again["changed"], again["missing"], again["installed"]) == (False, [], [])
    assert host.commands == []


def test_check_mode_reports_and_runs_nothing(host):
    result = run(args(host), check_mode=True, diff=True)
    assert (result["changed"], result["installed"]) == (True, ["dovecot-core"])
    assert result["diff"]["after"] == "dovecot-core\n"
    assert host.commands == [] and not os.path.exists(host.policy_rc)


def test_a_failed_transaction_says_why_and_removes_policy_rc(host):
    host.install_rc = 100
    failed = run(args(host), exception=Failed)
    assert "apt-get install of dovecot-core failed (exit 100)" in failed["msg"]
    assert "Unable to locate package" in failed["msg"]
    assert not os.path.exists(host.policy_rc)


def test_a_mirror_that_cannot_be_reached_is_named_as_the_cause(host):
    host.install_rc = 100
    host.update_out = ("W: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease  "
                       "Temporary failure resolving 'deb.debian.org'\n")
    failed = run(args(host), exception=Failed)
    assert "apt-get update could not fetch: W: Failed to fetch http://deb.debian.org" in failed["msg"]
    assert "Temporary failure resolving 'deb.debian.org'" in failed["msg"]


def test_a_policy_rc_of_the_host_is_left_alone(host):
    with open(host.policy_rc, "w") as stream:
        stream.write("#!/bin/sh\nexit 0\n")
    run(args(host, hold_services=True))
    assert open(host.policy_rc).read() == "#!/bin/sh\nexit 0\n"
    assert host.policy_during_install == "#!/bin/sh\nexit 0\n"
