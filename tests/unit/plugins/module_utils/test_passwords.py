"""Unit tests of the reproducible Dovecot password hashing: Argon2id (new hashes), SHA512-CRYPT
(as before), the keyed fingerprints that let a rerun hash only what changed."""

import base64
import crypt as libc_crypt

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ansible_collections.postmaster.mail.plugins.module_utils import _passwords
from ansible_collections.postmaster.mail.plugins.module_utils._passwords import (
    cost_label, derive_argon2_salt, derive_salt, dovecot_hash, fingerprint, hash_users)

CHEAP = {"memory": 8192, "iterations": 1}


def _argon2(password, address="a@example.org", secret="s3cret", **cost):
    return dovecot_hash(password, address, secret, **dict(CHEAP, **cost))


def test_a_new_hash_is_argon2id_in_libsodiums_form():
    hashed = _argon2("correct horse")
    assert hashed.startswith("{ARGON2ID}$argon2id$v=19$m=8192,t=1,p=1$")
    encoded = hashed[len("{ARGON2ID}"):]
    # argon2-cffi reads the same string libsodium (Dovecot's verifier) reads, and checks it.
    assert PasswordHasher().verify(encoded, "correct horse")
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(encoded, "wrong")


def test_the_role_default_cost():
    assert _passwords.ARGON2_MEMORY == 65536 and _passwords.ARGON2_ITERATIONS == 3
    assert dovecot_hash("pw", "a@example.org", "s").startswith("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$")


def test_the_same_input_gives_the_same_hash_a_new_password_a_new_salt():
    assert _argon2("pw") == _argon2("pw")
    salt = _argon2("pw").split("$")[4]
    assert _argon2("pw2").split("$")[4] != salt
    assert _argon2("pw", address="b@example.org").split("$")[4] != salt
    assert _argon2("pw", secret="other").split("$")[4] != salt
    assert _argon2("pw", address="A@Example.org") == _argon2("pw")


def test_the_salt_is_16_bytes_of_the_keyed_address_and_password():
    salt = derive_argon2_salt("a@example.org", "pw", "s3cret")
    assert len(salt) == 16
    assert _argon2("pw").split("$")[4] == base64.b64encode(salt).decode().rstrip("=")


def test_both_libraries_give_the_same_bytes(monkeypatch):
    with_cryptography = _argon2("pässword")
    monkeypatch.setattr(_passwords, "_CryptographyArgon2id", None)
    assert _argon2("pässword") == with_cryptography


def test_known_vector():
    # The raw Argon2id of cryptography's own implementation, with the derived salt.
    salt = derive_argon2_salt("a@example.org", "pw", "s3cret")
    raw = Argon2id(salt=salt, length=32, iterations=1, lanes=1, memory_cost=8192).derive(b"pw")
    assert _argon2("pw").split("$")[5] == base64.b64encode(raw).decode().rstrip("=")


def test_without_a_library_the_error_names_both(monkeypatch):
    monkeypatch.setattr(_passwords, "_CryptographyArgon2id", None)
    monkeypatch.setattr(_passwords, "_argon2_hash_secret_raw", None)
    assert not _passwords.argon2_available()
    with pytest.raises(_passwords.MissingArgon2, match=r"cryptography 44 or later.*argon2-cffi.*SHA512-CRYPT"):
        _argon2("pw")
    # SHA512-CRYPT needs neither.
    assert dovecot_hash("pw", "a@example.org", "s", 5000, scheme="SHA512-CRYPT").startswith("{SHA512-CRYPT}$6$")


def test_sha512_crypt_is_still_made_on_request_as_before():
    # The same hash as glibc's crypt("pw", "$6$rounds=5000$s/KGvEdYBI6D40DY$"); crypt(3) omits
    # rounds=5000, the default. (Salted by the address only, as before: old hashes stay.)
    assert derive_salt("a@example.org", "s3cret") == "s/KGvEdYBI6D40DY"
    hashed = dovecot_hash("pw", "a@example.org", "s3cret", 5000, scheme="SHA512-CRYPT")
    assert hashed == ("{SHA512-CRYPT}$6$s/KGvEdYBI6D40DY$oFAxdL1Uj1j.S5vIEYOau4gimfst2fe7cUylsJBVjAYDkDUVxixIeq0d"
                      "I4bJPVedF1qmJ7EaRnJDhQIC1ZTzJ.")
    assert libc_crypt.crypt("pw", hashed[len("{SHA512-CRYPT}"):]) == hashed[len("{SHA512-CRYPT}"):]


@pytest.mark.parametrize(("password", "secret", "cost"), [
    ("", "s", {}), ("pw", "", {}), ("pw", "s", {"memory": 1024}), ("pw", "s", {"iterations": 0}),
    ("pw", "s", {"scheme": "MD5"}), ("pw", "s", {"scheme": "SHA512-CRYPT", "rounds": 10})])
def test_refuses_bad_input(password, secret, cost):
    with pytest.raises(ValueError):
        dovecot_hash(password, "a@example.org", secret, **dict(CHEAP, **cost))


def test_the_fingerprint_is_keyed_and_covers_address_password_and_cost():
    cost = cost_label("ARGON2ID", 8192, 1)
    mark = fingerprint("pw", "a@example.org", "s", cost)
    assert mark == fingerprint("pw", "A@example.org", "s", cost)
    others = {fingerprint("pw2", "a@example.org", "s", cost), fingerprint("pw", "b@example.org", "s", cost),
              fingerprint("pw", "a@example.org", "t", cost), fingerprint("pw", "a@example.org", "s", cost_label("ARGON2ID", 8192, 2)),
              fingerprint("pw", "a@example.org", "s", cost_label("SHA512-CRYPT", rounds=5000))}
    assert mark not in others and len(others) == 5
    # Not the salt, nor any part of the hash.
    assert mark not in _argon2("pw", secret="s") and derive_argon2_salt("a@example.org", "pw", "s").hex() not in mark


USERS = [{"address": "Alice@example.org", "password": "pw-alice"}, {"address": "bob@example.org", "password": "pw-bob"},
         {"address": "carol@example.org", "password_hash": "{SHA512-CRYPT}$6$given"}]


def test_hash_users_hashes_only_what_changed(monkeypatch):
    first = hash_users(USERS, "s", {}, **CHEAP)
    assert [sorted(user) for user in first] == [["address", "fingerprint", "password_hash"]] * 2 + [["address", "password_hash"]]
    assert first[0]["address"] == "alice@example.org" and first[2]["password_hash"] == "{SHA512-CRYPT}$6$given"
    known = {user["address"]: user["fingerprint"] for user in first if "fingerprint" in user}
    hashed = []
    real = _passwords.dovecot_hash
    monkeypatch.setattr(_passwords, "dovecot_hash", lambda password, address, *rest: hashed.append(address) or real(password, address, *rest))
    again = hash_users(USERS, "s", known, **CHEAP)
    assert hashed == [] and again[:2] == [{"address": "alice@example.org", "fingerprint": known["alice@example.org"]},
                                          {"address": "bob@example.org", "fingerprint": known["bob@example.org"]}]
    changed = hash_users([dict(USERS[0], password="new")] + USERS[1:], "s", known, **CHEAP)
    assert hashed == ["alice@example.org"] and "password_hash" in changed[0] and "password_hash" not in changed[1]
    hash_users(USERS, "s", known, memory=8192, iterations=2)
    assert hashed[1:] == ["alice@example.org", "bob@example.org"]  # a new cost rehashes


def test_hash_users_refuses_an_empty_password():
    with pytest.raises(ValueError, match="the password is empty"):
        hash_users([{"address": "a@example.org", "password": ""}], "s", {}, **CHEAP)
