"""postmaster.mail.service_files: a service's files in one run, exact modes, checked before they
stay (put back when the check fails), secrets never in a diff, idempotent, check mode."""

import os
import stat

import pytest
from ansible.module_utils import basic

from ansible_collections.postmaster.mail.plugins.module_utils import _service_files
from ansible_collections.postmaster.mail.plugins.modules import service_files
from ansible_collections.postmaster.mail.tests.unit.plugins.modules.module_call import Failed, call, patch_exits

ME = os.getuid()


@pytest.fixture(autouse=True)
def _no_systemd(monkeypatch):
    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/bin/" + name)
    # Owner and group as the test runs (no root needed): the module sets what it is given.
    monkeypatch.setattr(basic.AnsibleModule, "set_fs_attributes_if_different",
                        lambda self, args, changed, diff=None, expand=True: _chmod(args, changed))


def _chmod(args, changed):
    mode = int(args["mode"], 8)
    if stat.S_IMODE(os.stat(args["path"]).st_mode) != mode:
        os.chmod(args["path"], mode)
        return True
    return changed


def _args(tmp_path, **extra):
    args = {"service": "demo",
            "directories": [{"path": str(tmp_path / "conf.d"), "mode": "0750"}],
            "files": [{"path": str(tmp_path / "conf.d" / "main.conf"), "content": "a = 1\n"},
                      {"path": str(tmp_path / "conf.d" / "secret.conf"), "secret_content": "password = hash-XYZ\n", "mode": "0640"}]}
    args.update(extra)
    return args


def test_writes_with_modes_then_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: (0, "", ""))
    result = call(service_files.main, _args(tmp_path))
    assert result["changed"]
    assert (tmp_path / "conf.d" / "main.conf").read_text() == "a = 1\n"
    assert stat.S_IMODE(os.stat(tmp_path / "conf.d" / "secret.conf").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(tmp_path / "conf.d").st_mode) == 0o750
    again = call(service_files.main, _args(tmp_path))
    assert not again["changed"] and again["files"] == []


def test_diff_never_shows_a_secret(tmp_path, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: (0, "", ""))
    result = call(service_files.main, _args(tmp_path), diff=True)
    assert "hash-XYZ" not in repr(result)
    assert any("a = 1" in entry.get("after", "") for entry in result["diff"])


def test_check_mode_writes_nothing(tmp_path):
    result = call(service_files.main, _args(tmp_path), check_mode=True)
    assert result["changed"]
    assert not (tmp_path / "conf.d").exists()


def test_refused_configuration_is_put_back(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: (ran.append(argv), (0, "", ""))[1])
    call(service_files.main, _args(tmp_path, check=["democheck", "-q"]))
    assert ran and ran[0][0] == "/bin/democheck"
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: (1, "", "line 1: syntax error\n"))
    changed = _args(tmp_path, check=["democheck"])
    changed["files"][0]["content"] = "a = {\n"
    changed["files"].append({"path": str(tmp_path / "conf.d" / "new.conf"), "content": "b = 2\n"})
    failed = call(service_files.main, changed, exception=Failed)
    assert "syntax error" in failed["msg"] and "demo" in failed["msg"]
    assert (tmp_path / "conf.d" / "main.conf").read_text() == "a = 1\n"
    assert not (tmp_path / "conf.d" / "new.conf").exists()


def test_restart_only_for_matching_paths(tmp_path, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: (0, "", ""))
    result = call(service_files.main, _args(tmp_path, restart_on=["*/secret.conf"]))
    assert result["restart"]
    changed = _args(tmp_path, restart_on=["*/secret.conf"])
    changed["files"][0]["content"] = "a = 2\n"
    assert not call(service_files.main, changed)["restart"]


def test_absent_removes(tmp_path, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: (0, "", ""))
    call(service_files.main, _args(tmp_path))
    gone = _args(tmp_path)
    gone["files"][0] = {"path": gone["files"][0]["path"], "state": "absent"}
    assert call(service_files.main, gone)["changed"]
    assert not (tmp_path / "conf.d" / "main.conf").exists()
    assert not call(service_files.main, gone)["changed"]


@pytest.mark.parametrize("files, directories, fragment", [
    ([{"path": "etc/x"}], [], "not an absolute"),
    ([{"path": "/etc/x", "content": "a"}, {"path": "/etc/x", "content": "b"}], [], "given twice"),
    ([{"path": "/etc/x", "content": "a", "mode": "rw"}], [], "octal mode"),
    ([{"path": "/etc/x", "content": "a", "secret_content": "b"}], [], "exactly one"),
    ([{"path": "/etc/x"}], [], "exactly one"),
])
def test_request_problems(files, directories, fragment):
    assert any(fragment in problem for problem in _service_files.request_problems(files, directories))


def test_request_without_problems():
    assert _service_files.request_problems([{"path": "/etc/x", "content": "", "mode": "0600"}, {"path": "/etc/y", "state": "absent"}],
                                           [{"path": "/etc", "mode": "0755"}]) == []


def test_backup_keeps_the_previous_text_of_a_changed_file_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: (0, "", ""))
    main = str(tmp_path / "conf.d" / "main.conf")
    first = call(service_files.main, _args(tmp_path, backup=[main]))
    assert first["backups"] == {}  # nothing was there before
    changed = _args(tmp_path, backup=[main])
    changed["files"][0]["content"] = "a = 2\n"
    result = call(service_files.main, changed)
    assert list(result["backups"]) == [main]
    assert open(result["backups"][main]).read() == "a = 1\n" and open(main).read() == "a = 2\n"
    assert call(service_files.main, changed)["backups"] == {}
    # A refused configuration leaves no copy behind (the first copy is removed first: a copy made
    # in the same second by the same process would have its name).
    os.unlink(result["backups"][main])
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **k: (1, "", "bad\n"))
    refused = _args(tmp_path, backup=[main], check=["democheck"])
    refused["files"][0]["content"] = "a = {\n"
    before = sorted(os.listdir(tmp_path / "conf.d"))
    call(service_files.main, refused, exception=Failed)
    assert sorted(os.listdir(tmp_path / "conf.d")) == before and open(main).read() == "a = 2\n"
