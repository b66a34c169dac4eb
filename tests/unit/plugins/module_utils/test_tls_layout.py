"""The pure part of postmaster.mail.tls_layout: the stable links and the check of files mode's sources."""

import json
import os
import stat

from ansible_collections.postmaster.mail.plugins.module_utils import _tls_layout

VARIABLES = "certbot_cert_src / certbot_key_src"


class Stat:
    def __init__(self, mode):
        self.st_mode = mode


REG = stat.S_IFREG
LINK = stat.S_IFLNK


def test_stable_links_current_first_then_relative_links_into_it():
    assert _tls_layout.stable_links("/etc/t", "/etc/t/selfsigned") == [
        ("/etc/t/current", "/etc/t/selfsigned"),
        ("/etc/t/fullchain.pem", "current/fullchain.pem"),
        ("/etc/t/privkey.pem", "current/privkey.pem"),
    ]


def test_files_mode_links():
    assert _tls_layout.files_mode_links("/etc/t/files", "/root/c", "/root/k") == [
        ("/etc/t/files/fullchain.pem", "/root/c"), ("/etc/t/files/privkey.pem", "/root/k")]


def test_good_sources_pass():
    assert _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(REG | 0o600), "root", VARIABLES) is None
    assert _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(REG | 0o640), "root", VARIABLES) is None


def found(message, path):
    """The JSON shown after ``path: `` in the message."""
    tail = message.split("%s: " % path, 1)[1]
    return json.JSONDecoder().raw_decode(tail)[0]


def test_missing_sources_named_with_the_role_variables():
    message = _tls_layout.sources_problem("/c", None, "/k", None, None, VARIABLES)
    assert message.startswith("certbot_cert_src / certbot_key_src must be regular files on the host, the key owned by root "
                              "and not accessible to others (e.g. root:root 0600); found /c: ")
    assert found(message, "/c") == {"exists": False}
    assert found(message, "/k") == {"exists": False}


def test_key_readable_by_others_refused():
    message = _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(REG | 0o604), "root", VARIABLES)
    assert found(message, "/k") == {"exists": True, "mode": "0604", "isreg": True, "pw_name": "root"}
    assert found(message, "/c") == {"exists": True, "isreg": True}


def test_key_of_another_owner_refused():
    assert _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(REG | 0o600), "nobody", VARIABLES)


def test_links_and_directories_are_not_regular_files():
    assert _tls_layout.sources_problem("/c", Stat(LINK | 0o777), "/k", Stat(REG | 0o600), "root", VARIABLES)
    assert _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(stat.S_IFDIR | 0o700), "root", VARIABLES)


def test_link_state(tmp_path):
    path = str(tmp_path / "x")
    assert _tls_layout.link_state(path) == "absent"
    os.symlink("nowhere", path)
    assert _tls_layout.link_state(path) == "link to nowhere"
    os.unlink(path)
    os.mkdir(path)
    assert _tls_layout.link_state(path) == "directory"
    os.rmdir(path)
    open(path, "w").close()
    assert _tls_layout.link_state(path) == "file"
