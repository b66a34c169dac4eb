"""plugins/module_utils/_files.py: the reads and atomic writes of the domain modules."""

import grp
import os
import stat

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils import _files


class Failed(Exception):
    pass


class FakeModule:
    def fail_json(self, **result):
        raise Failed(result["msg"])


def test_read_text_of_a_missing_file_is_none(tmp_path):
    assert _files.read_text(str(tmp_path / "absent")) is None


def test_read_text_keeps_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"a\xffb\n")
    text = _files.read_text(str(path))
    assert text.encode("utf-8", errors="surrogateescape") == b"a\xffb\n"


def test_crlf_lines_are_written_and_read_as_they_are(tmp_path):
    # An MTA-STS policy has CRLF lines (RFC 8461 3.2): a rerun must find the file it wrote unchanged.
    path = str(tmp_path / "policy")
    _files.write_atomically(FakeModule(), path, "version: STSv1\r\nmode: testing\r\n", 0o644)
    with open(path, "rb") as stream:
        assert stream.read() == b"version: STSv1\r\nmode: testing\r\n"
    assert _files.read_text(path) == "version: STSv1\r\nmode: testing\r\n"


@pytest.mark.parametrize("data", ["text\n", b"\x00bytes\n"])
def test_write_replaces_the_file_with_the_mode_given_and_leaves_no_temporary_file(tmp_path, data):
    path = tmp_path / "f"
    path.write_text("old")
    os.chmod(path, 0o666)
    _files.write_atomically(FakeModule(), str(path), data, 0o600)
    assert (path.read_bytes() if isinstance(data, bytes) else path.read_text()) == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["f"]


def test_write_sets_the_group_given(tmp_path):
    group = grp.getgrgid(os.getgid()).gr_name
    path = tmp_path / "f"
    _files.write_atomically(FakeModule(), str(path), "x", 0o640, group=group)
    assert path.stat().st_gid == os.getgid() and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_write_refuses_a_missing_directory_or_group(tmp_path):
    with pytest.raises(Failed, match="the directory of .* does not exist"):
        _files.write_atomically(FakeModule(), str(tmp_path / "no" / "f"), "x", 0o644)
    with pytest.raises(Failed, match="the group no-such-group-here of"):
        _files.write_atomically(FakeModule(), str(tmp_path / "f"), "x", 0o644, group="no-such-group-here")
    assert os.listdir(tmp_path) == []
