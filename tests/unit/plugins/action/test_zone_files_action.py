"""plugins/action/zone_files.py: the action runs in the controller's process, never touches the
connection, follows the task's check and diff modes and turns a refusal into a task failure."""

import os

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.postmaster.mail.plugins.action import zone_files

FILES = {"example.org.zone": "example.org. 3600 IN MX 10 mail.example.org.\n"}


class FakeTask:
    def __init__(self, args, check_mode=False, diff=False):
        self.args = args
        self.check_mode = check_mode
        self.diff = diff
        self.async_val = 0
        self.action = "postmaster.mail.zone_files"


class NoConnection:
    """The host's connection: the action must not use it (only the base class's tmpdir check reads _shell)."""

    class _shell:  # pylint: disable=invalid-name
        tmpdir = None

    def __getattr__(self, name):
        raise AssertionError("the action used the connection (%s)" % name)


def run(args, check_mode=False, diff=False):
    action = zone_files.ActionModule(FakeTask(args, check_mode, diff), NoConnection(), play_context=None, loader=None,
                                     templar=None, shared_loader_obj=None)
    return action.run(task_vars={})


def test_writes_then_reports_ok(tmp_path):
    first = run({"path": str(tmp_path / "records"), "files": FILES})
    assert first["changed"] is True and first["written"] == [str(tmp_path / "records" / "example.org.zone")]
    assert "diff" not in first
    assert run({"path": str(tmp_path / "records"), "files": FILES}) == {
        "changed": False, "path": str(tmp_path / "records"), "written": []}


def test_check_and_diff_mode_show_the_change_and_make_nothing(tmp_path):
    result = run({"path": str(tmp_path / "records"), "files": FILES}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"][-1]["after"] == FILES["example.org.zone"]
    assert os.listdir(tmp_path) == []


def test_the_action_does_not_need_a_connection():
    assert zone_files.ActionModule._requires_connection is False
    assert zone_files.ActionModule.TRANSFERS_FILES is False


@pytest.mark.parametrize("args, message", [
    ({"files": FILES}, "path"),
    ({"path": "/tmp/x", "files": FILES, "mode": "0600"}, "mode"),
    ({"path": "/tmp/x", "files": "a string"}, "files"),
])
def test_bad_arguments_fail_the_task(args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        run(args)


def test_a_refusal_fails_the_task_with_its_reason(tmp_path):
    with pytest.raises(AnsibleActionFail, match=r"zone_files: '\.\./x\.zone' is not a plain file name"):
        run({"path": str(tmp_path), "files": {"../x.zone": "x"}})
