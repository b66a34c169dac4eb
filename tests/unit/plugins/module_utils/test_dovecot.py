"""The users file of postmaster.mail.dovecot_config: rendering, parsing, the secret-free diff."""

import crypt as libc_crypt

import pytest
from argon2 import PasswordHasher

from ansible_collections.postmaster.mail.plugins.module_utils import _dovecot
from ansible_collections.postmaster.mail.plugins.module_utils._passwords import derive_salt

USERS = [{"address": "Alice@Example.org", "password": "correct horse"},
         {"address": "bob@example.org", "password_hash": "{PLAIN}given"}]


def test_the_header_is_what_the_comment_filter_wrote():
    # The bytes users.j2 wrote with {{ ansible_managed | comment }} (ansible_managed unset).
    assert _dovecot.comment_block("Ansible managed") == "#\n# Ansible managed\n#\n"
    assert _dovecot.comment_block("two\n\nlines") == "#\n# two\n#\n# lines\n#\n"


def test_entries_hash_plain_passwords_with_the_derived_salt_and_keep_given_hashes():
    entries, marks = _dovecot.user_entries(USERS, "s3cret", 5000, memory=8192, iterations=1)
    assert entries[1] == ("bob@example.org", "{PLAIN}given")
    address, hashed = entries[0]
    assert address == "alice@example.org" and list(marks) == ["alice@example.org"]
    assert hashed.startswith("{ARGON2ID}$argon2id$v=19$m=8192,t=1,p=1$")
    assert PasswordHasher().verify(hashed[len("{ARGON2ID}"):], "correct horse")
    assert _dovecot.user_entries(USERS, "s3cret", 5000, memory=8192, iterations=1) == (entries, marks)
    assert _dovecot.user_entries(USERS, "other", 5000, memory=8192, iterations=1)[0][0] != entries[0]


def test_sha512_crypt_entries_are_the_bytes_of_0_2_0():
    entries, _marks = _dovecot.user_entries(USERS, "s3cret", 5000, scheme="SHA512-CRYPT")
    # The bytes the 0.2.0 role wrote on the controller: same salt (the address), same rounds.
    expected = libc_crypt.crypt("correct horse", "$6$" + derive_salt("alice@example.org", "s3cret"))
    assert entries[0] == ("alice@example.org", "{SHA512-CRYPT}" + expected)


def test_an_unchanged_fingerprint_keeps_the_hash_a_changed_one_rehashes(monkeypatch):
    entries, marks = _dovecot.user_entries(USERS, "s3cret", 5000, memory=8192, iterations=1)
    current = dict(entries)
    monkeypatch.setattr(_dovecot, "dovecot_hash", lambda *args: "{ARGON2ID}new")
    assert _dovecot.user_entries(USERS, "s3cret", 5000, current, marks, memory=8192, iterations=1) == (entries, marks)
    # The fingerprint alone (the role's way: the controller compared it) keeps the hash on the host.
    kept = [{"address": "alice@example.org", "fingerprint": marks["alice@example.org"]}, USERS[1]]
    assert _dovecot.user_entries(kept, "s3cret", 5000, current, marks) == (entries, marks)
    # A changed password, or a hash that is not there, is hashed again.
    changed = [dict(USERS[0], password="new horse"), USERS[1]]
    assert _dovecot.user_entries(changed, "s3cret", 5000, current, marks, memory=8192, iterations=1)[0][0] == (
        "alice@example.org", "{ARGON2ID}new")
    assert _dovecot.user_entries(USERS, "s3cret", 5000, {}, marks, memory=8192, iterations=1)[0][0] == (
        "alice@example.org", "{ARGON2ID}new")
    with pytest.raises(ValueError, match="alice@example.org: the hash to keep is not in the users file"):
        _dovecot.user_entries(kept, "s3cret", 5000, {}, marks)


def test_fingerprints_count_only_beside_a_hash():
    text = _dovecot.render_fingerprints({"a@example.org": "f1", "b@example.org": "f2"}, "Ansible managed")
    assert text.startswith("#\n# Ansible managed\n#\n# Keyed fingerprints") and text.endswith("a@example.org:f1\nb@example.org:f2\n")
    assert _dovecot.parse_fingerprints(text, {"a@example.org": "{X}1", "b@example.org": ""}) == {"a@example.org": "f1"}
    assert _dovecot.parse_fingerprints(None, {"a@example.org": "{X}1"}) == {}


def test_a_user_with_neither_password_nor_fingerprint_is_refused():
    assert _dovecot.user_problems([{"address": "a@example.org"}]) == ["a@example.org: give exactly one of password and password_hash"]
    assert _dovecot.user_problems([{"address": "a@example.org", "fingerprint": "f"}]) == []
    assert _dovecot.user_problems([{"address": "a@example.org", "password": "p", "password_hash": "{X}h"}]) != []


def test_render_and_parse_round_trip():
    text = _dovecot.render_users([("a@example.org", "{X}1"), ("b@example.org", "{X}2")], "Ansible managed")
    assert text == ("#\n# Ansible managed\n#\n# Mail users of the postmaster.mail.dovecot role: address:{scheme}hash\n"
                    "a@example.org:{X}1\nb@example.org:{X}2\n")
    assert _dovecot.parse_users(text) == {"a@example.org": "{X}1", "b@example.org": "{X}2"}
    assert _dovecot.parse_users(None) == {}
    assert _dovecot.parse_users("a@example.org:{X}1:1000:1000::/home\n") == {"a@example.org": "{X}1"}
    assert _dovecot.render_users([], "Ansible managed").endswith("hash\n")


def test_the_diff_view_has_addresses_only():
    before = _dovecot.render_users([("a@example.org", "{X}secret-a"), ("gone@example.org", "{X}secret-g")], "h")
    after_entries = [("a@example.org", "{X}secret-a2"), ("new@example.org", "{X}secret-n")]
    old, new = _dovecot.users_diff_view(before, after_entries)
    assert old == "a@example.org\ngone@example.org\n"
    assert new == "a@example.org (password changed)\nnew@example.org\n"
    assert "secret" not in old + new
    # Unknown hashes (check mode without a secret): addresses only, nothing marked.
    assert _dovecot.users_diff_view(before, [("a@example.org", None)]) == ("a@example.org\ngone@example.org\n", "a@example.org\n")
    assert _dovecot.users_diff_view(None, after_entries)[0] == ""


def test_needs_secret_only_for_plain_passwords():
    assert _dovecot.needs_secret(USERS)
    assert not _dovecot.needs_secret(USERS[1:])
    assert not _dovecot.needs_secret([])


@pytest.mark.parametrize(("users", "problem"), [
    ([{"address": "", "password": "s3cr3t-pw"}], "entry 1: the address must be non-empty"),
    ([{"address": "a:b@example.org", "password": "s3cr3t-pw"}], "a:b@example.org: the address must be non-empty"),
    ([{"address": "a@example.org"}], "a@example.org: give exactly one of password and password_hash"),
    ([{"address": "a@example.org", "password": "s3cr3t-pw", "password_hash": "{X}h"}], "give exactly one"),
    ([{"address": "a@example.org", "password_hash": "{X}h\nb:{X}c"}], "password_hash must not contain"),
    ([{"address": "a@example.org", "password": "s3cr3t-pw"}, {"address": "A@example.org", "password": "s3cr3t-pw2"}],
     "A@example.org: the address is given twice"),
])
def test_problems_name_users_by_address_never_by_secret(users, problem):
    problems = _dovecot.user_problems(users)
    assert any(problem in line for line in problems), problems
    assert not any("{X}" in line or "s3cr3t" in line for line in problems)


def test_no_problem_with_good_users():
    assert _dovecot.user_problems(USERS) == []


@pytest.mark.parametrize(("script", "binary"), [
    ("/etc/dovecot/sieve/spam-to-junk.sieve", "/etc/dovecot/sieve/spam-to-junk.svbin"),
    ("/etc/dovecot/sieve/a.sieve.sieve", "/etc/dovecot/sieve/a.sieve.svbin"),
    ("/etc/dovecot/sieve/noext", "/etc/dovecot/sieve/noext.svbin"),
])
def test_the_binary_lies_next_to_the_script(script, binary):
    assert _dovecot.sieve_binary_path(script) == binary


@pytest.mark.parametrize(("script_mtime", "binary_mtime", "stale"), [
    (100.0, 100.0, False), (100.0, 101.5, False), (100.5, 100.0, True), (100.0, None, True), (None, 100.0, True),
])
def test_a_binary_older_than_its_script_or_missing_is_stale(script_mtime, binary_mtime, stale):
    assert _dovecot.sieve_binary_stale(script_mtime, binary_mtime) is stale


def test_file_problems_name_each_bad_path():
    scripts = [{"path": "/etc/dovecot/sieve/a.sieve"}, {"path": "relative.sieve"}, {"path": "/etc/dovecot/sieve/b.txt"}]
    programs = [{"path": "/usr/local/lib/dovecot/sieve-pipe/learn"}, {"path": "/etc/dovecot/sieve/a.sieve"}]
    assert _dovecot.file_problems(scripts, programs, ["/dir/"]) == [
        "sieve_scripts: relative.sieve must be an absolute file path",
        "sieve_scripts: /etc/dovecot/sieve/b.txt must end with .sieve",
        "programs: /etc/dovecot/sieve/a.sieve is given twice",
        "absent: /dir/ must be an absolute file path",
    ]
    assert _dovecot.file_problems(scripts[:1], programs[:1], []) == []


def test_sievec_warnings_are_found_in_its_output():
    output = ("spam-to-junk: line 8: warning: specified header field name 'X Spam:' is invalid.\n"
              "other text\n")
    assert _dovecot.sieve_warnings(output) == ["spam-to-junk: line 8: warning: specified header field name 'X Spam:' is invalid."]
    assert _dovecot.sieve_warnings("") == []
