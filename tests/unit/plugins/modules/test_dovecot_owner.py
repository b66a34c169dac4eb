"""postmaster.mail.dovecot_owner: the account is looked up with pwd (faked: the test must not add
users to this machine), useradd/usermod are recorded, the secret is read from a temporary file."""

import collections

import pytest
from ansible.module_utils import basic

from ansible_collections.postmaster.mail.plugins.modules import dovecot_owner

from .module_call import Exited, Failed, call, patch_exits

Account = collections.namedtuple("Account", "pw_name pw_uid pw_gid pw_dir pw_shell")


class FakeSystem:
    def __init__(self):
        self.accounts = {}
        self.groups = set()
        self.commands = []
        self.rc = 0

    def getpwnam(self, name):
        return self.accounts[name]

    def getgrnam(self, name):
        if name not in self.groups:
            raise KeyError(name)
        return name

    def run_command(self, argv):
        self.commands.append(argv[1:])
        if self.rc:
            return self.rc, "", "useradd: cannot lock /etc/passwd; try again later.\n"
        if argv[0].endswith("useradd"):
            self.accounts[argv[-1]] = Account(argv[-1], 998, 998, argv[argv.index("--home-dir") + 1],
                                              argv[argv.index("--shell") + 1])
        return 0, "", ""


@pytest.fixture
def system(monkeypatch):
    fake = FakeSystem()

    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: fake.run_command(argv))
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, **kw: "/usr/sbin/" + name)
    monkeypatch.setattr(dovecot_owner.pwd, "getpwnam", fake.getpwnam)
    monkeypatch.setattr(dovecot_owner.grp, "getgrnam", fake.getgrnam)
    return fake


def run(module_args, check_mode=False, exception=Exited):
    return call(dovecot_owner.main, module_args, check_mode, exception=exception)


def test_a_new_host_gets_the_account_once_and_no_secret_yet(system, tmp_path):
    given = {"name": "vmail", "home": "/var/vmail", "salt_secret_path": str(tmp_path / "secret")}
    result = run(given)
    assert (result["changed"], result["created"], result["uid"], result["gid"]) == (True, True, 998, 998)
    assert "salt_secret" not in result
    assert system.commands == [["--system", "--user-group", "--no-create-home", "--home-dir", "/var/vmail",
                                "--shell", "/usr/sbin/nologin", "vmail"]]
    system.commands.clear()
    again = run(given)
    assert (again["changed"], again["created"], again["uid"]) == (False, False, 998)
    assert system.commands == []


def test_the_secret_is_read_without_its_white_space(system, tmp_path):
    system.accounts["vmail"] = Account("vmail", 998, 998, "/var/vmail", "/usr/sbin/nologin")
    (tmp_path / "secret").write_text("s3cret-value\n")
    result = run({"home": "/var/vmail", "salt_secret_path": str(tmp_path / "secret")})
    assert result["salt_secret"] == "s3cret-value" and not result["changed"]
    assert "salt_secret" not in run({"home": "/var/vmail"})  # not asked, not read


def test_a_changed_home_or_shell_is_put_back(system):
    system.accounts["vmail"] = Account("vmail", 998, 998, "/home/vmail", "/bin/bash")
    assert run({"home": "/var/vmail"}, check_mode=True)["changed"] is True
    assert system.commands == []
    run({"home": "/var/vmail"})
    assert system.commands == [["--home", "/var/vmail", "--shell", "/usr/sbin/nologin", "vmail"]]


def test_check_mode_makes_nothing(system):
    result = run({"home": "/var/vmail"}, check_mode=True)
    assert (result["changed"], result["created"], result["uid"]) == (True, True, 0)
    assert system.commands == [] and system.accounts == {}


def test_a_refused_useradd_says_so(system):
    system.rc = 1
    failed = run({"home": "/var/vmail"}, exception=Failed)
    assert failed["msg"].startswith("useradd vmail failed (exit 1): useradd: cannot lock")


def test_a_left_over_group_of_its_name_becomes_its_group(system):
    system.groups.add("vmail")
    run({"home": "/var/vmail"})
    assert system.commands[0][:3] == ["--system", "--gid", "vmail"]


def test_the_fingerprints_are_read_for_the_hashes_on_the_host(system, tmp_path):
    system.accounts["vmail"] = Account("vmail", 998, 998, "/var/vmail", "/usr/sbin/nologin")
    (tmp_path / "users").write_text("# header\na@example.org:{ARGON2ID}$argon2id$x\nb@example.org:{X}y\n")
    (tmp_path / "marks").write_text("# header\na@example.org:f1\nc@example.org:f3\n")
    given = {"home": "/var/vmail", "users_path": str(tmp_path / "users")}
    # c@ has a fingerprint but no hash: worthless, so its password is hashed again.
    assert run(dict(given, fingerprints_path=str(tmp_path / "marks")))["fingerprints"] == {"a@example.org": "f1"}
    assert run(given)["fingerprints"] == {}
    assert run(dict(given, fingerprints_path=str(tmp_path / "none")))["fingerprints"] == {}
