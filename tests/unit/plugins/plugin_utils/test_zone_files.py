"""plugins/plugin_utils/_zone_files.py: the records written on the controller (a directory, files
written atomically and only when their content or mode differs; check mode changes nothing)."""

import os
import stat

import pytest

from ansible_collections.postmaster.mail.plugins.plugin_utils import _zone_files

FILES = {"example.org.zone": "example.org. 3600 IN MX 10 mail.example.org.\n",
         "reverse.mail.example.org.zone": "1.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.org.\n"}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def snapshot(directory):
    """{name: (bytes, mode)} of every entry in ``directory``."""
    return {name: ((directory / name).read_bytes(), mode(directory / name)) for name in sorted(os.listdir(directory))}


@pytest.fixture(autouse=True)
def umask():
    """A strict umask, so the modes come from the helper and not from the umask."""
    old = os.umask(0o077)
    yield
    os.umask(old)


def test_first_run_makes_the_directory_and_its_parents_and_writes_every_file(tmp_path):
    target = tmp_path / "a" / "dns-records"
    result = _zone_files.zone_files(str(target), FILES)
    assert result["changed"] is True
    assert result["path"] == str(target)
    assert result["written"] == [str(target / name) for name in FILES]
    assert mode(tmp_path / "a") == mode(target) == 0o755
    assert snapshot(target) == {name: (text.encode(), 0o644) for name, text in FILES.items()}


def test_rerun_changes_nothing_and_leaves_the_files_alone(tmp_path):
    _zone_files.zone_files(str(tmp_path), FILES)
    inodes = {name: os.stat(tmp_path / name).st_ino for name in FILES}
    result = _zone_files.zone_files(str(tmp_path), FILES)
    assert (result["changed"], result["written"], result["diff"]) == (False, [], [])
    assert {name: os.stat(tmp_path / name).st_ino for name in FILES} == inodes


def test_only_the_file_that_differs_is_written_with_a_text_diff(tmp_path):
    _zone_files.zone_files(str(tmp_path), FILES)
    (tmp_path / "example.org.zone").write_text("edited by hand\n")
    result = _zone_files.zone_files(str(tmp_path), FILES)
    assert result["changed"] is True
    assert result["written"] == [str(tmp_path / "example.org.zone")]
    assert result["diff"] == [{"before_header": str(tmp_path / "example.org.zone"),
                               "after_header": str(tmp_path / "example.org.zone"),
                               "before": "edited by hand\n", "after": FILES["example.org.zone"]}]
    assert (tmp_path / "example.org.zone").read_text() == FILES["example.org.zone"]


def test_a_mode_alone_that_differs_is_set_and_shown_as_a_mode(tmp_path):
    _zone_files.zone_files(str(tmp_path), FILES)
    path = tmp_path / "example.org.zone"
    os.chmod(path, 0o600)
    result = _zone_files.zone_files(str(tmp_path), FILES)
    assert result["written"] == [str(path)]
    assert result["diff"] == [{"before_header": str(path), "after_header": str(path),
                               "before": {"path": str(path), "mode": "0600"}, "after": {"path": str(path), "mode": "0644"}}]
    assert mode(path) == 0o644


def test_a_directory_of_another_mode_gets_0755(tmp_path):
    target = tmp_path / "records"
    target.mkdir(mode=0o700)
    os.chmod(target, 0o700)
    result = _zone_files.zone_files(str(target), {})
    assert result["changed"] is True and result["written"] == []
    assert result["diff"][0]["before"] == {"path": str(target), "mode": "0700"}
    assert mode(target) == 0o755
    assert _zone_files.zone_files(str(target), {})["changed"] is False


def test_check_mode_reports_every_change_and_makes_nothing(tmp_path):
    target = tmp_path / "a" / "dns-records"
    result = _zone_files.zone_files(str(target), FILES, check_mode=True)
    assert result["changed"] is True
    assert result["written"] == [str(target / name) for name in FILES]
    assert [entry["before"] for entry in result["diff"]] == [
        {"path": str(tmp_path / "a"), "state": "absent"}, {"path": str(target), "state": "absent"}, "", ""]
    assert [entry["after"] for entry in result["diff"][2:]] == list(FILES.values())
    assert os.listdir(tmp_path) == []


def test_check_mode_on_an_edited_file_shows_the_diff_and_keeps_the_edit(tmp_path):
    _zone_files.zone_files(str(tmp_path), FILES)
    os.chmod(tmp_path, 0o750)
    (tmp_path / "example.org.zone").write_text("edited\n")
    before = snapshot(tmp_path)
    result = _zone_files.zone_files(str(tmp_path), FILES, check_mode=True)
    assert result["changed"] is True and result["written"] == [str(tmp_path / "example.org.zone")]
    assert [entry["before"] for entry in result["diff"]] == [{"path": str(tmp_path), "mode": "0750"}, "edited\n"]
    assert snapshot(tmp_path) == before and mode(tmp_path) == 0o750


def test_the_content_is_written_exactly_as_given(tmp_path):
    files = {"x.zone": "no final newline", "y.zone": "", "z.zone": "caf\u00e9 \u2014 \"quoted\"\r\n\n"}
    _zone_files.zone_files(str(tmp_path), files)
    assert {name: (tmp_path / name).read_bytes() for name in files} == {name: text.encode() for name, text in files.items()}
    assert _zone_files.zone_files(str(tmp_path), files)["changed"] is False


def test_a_relative_or_home_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _zone_files.zone_files("records", FILES)["path"] == str(tmp_path / "records")
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = {"changed": False, "path": str(tmp_path / "records"), "written": [], "diff": []}
    assert _zone_files.zone_files("~/records", FILES) == expected


def test_the_other_files_of_the_directory_stay(tmp_path):
    (tmp_path / "old.example.zone").write_text("kept\n")
    _zone_files.zone_files(str(tmp_path), FILES)
    assert (tmp_path / "old.example.zone").read_text() == "kept\n"


def test_write_atomically_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    os.chmod(path, 0o600)
    _zone_files.write_atomically(str(path), b"new\n")
    assert path.read_bytes() == b"new\n" and mode(path) == 0o644
    assert os.listdir(tmp_path) == ["f"]


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary_file(tmp_path, monkeypatch):
    def refuse(source, destination):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(_zone_files.os, "replace", refuse)
    with pytest.raises(_zone_files.ZoneFilesError, match=r"cannot write .*example.org.zone: No space left on device"):
        _zone_files.zone_files(str(tmp_path), FILES)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("files, message", [
    (["a.zone"], "files must be a mapping of file name to content, not list"),
    ({"../a.zone": "x"}, r"'../a.zone' is not a plain file name"),
    ({"": "x"}, "'' is not a plain file name"),
    ({"..": "x"}, r"'..' is not a plain file name"),
    ({"a.zone": 1}, "the content of a.zone is int, not text"),
    ({"a.zone": None}, "the content of a.zone is NoneType, not text"),
])
def test_bad_files_are_refused_before_anything_is_made(tmp_path, files, message):
    assert _zone_files.check_files(files) == [message.replace("\\", "")]
    with pytest.raises(_zone_files.ZoneFilesError):
        _zone_files.zone_files(str(tmp_path / "records"), files)
    assert os.listdir(tmp_path) == []


def test_a_path_that_is_a_file_or_a_file_that_is_a_directory_is_refused(tmp_path):
    (tmp_path / "records").write_text("")
    with pytest.raises(_zone_files.ZoneFilesError, match="records exists and is not a directory"):
        _zone_files.zone_files(str(tmp_path / "records"), FILES)
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "example.org.zone").mkdir()
    with pytest.raises(_zone_files.ZoneFilesError, match="example.org.zone exists and is not a regular file"):
        _zone_files.zone_files(str(tmp_path / "dir"), FILES)


def test_missing_directories_are_listed_parents_first(tmp_path):
    assert _zone_files.missing_directories(str(tmp_path)) == []
    assert _zone_files.missing_directories(str(tmp_path / "a" / "b")) == [str(tmp_path / "a"), str(tmp_path / "a" / "b")]


@pytest.mark.parametrize("current, current_mode, expected", [
    (None, None, True), (b"x", 0o644, False), (b"y", 0o644, True), (b"x", 0o600, True), (b"x", 0o755, True),
])
def test_needs_write(current, current_mode, expected):
    assert _zone_files.needs_write(current, current_mode, b"x") is expected
