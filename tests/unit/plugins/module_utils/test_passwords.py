"""Unit tests of the reproducible Dovecot password hashing."""

import pytest
from passlib.hash import sha512_crypt

from ansible_collections.postmaster.mail.plugins.module_utils._passwords import derive_salt, dovecot_hash


def test_same_input_same_hash():
    assert dovecot_hash("pw", "a@example.org", "s3cret", 5000) == dovecot_hash("pw", "a@example.org", "s3cret", 5000)


def test_salt_differs_by_address_and_by_secret():
    assert derive_salt("a@example.org", "s") != derive_salt("b@example.org", "s")
    assert derive_salt("a@example.org", "s") != derive_salt("a@example.org", "t")


def test_salt_ignores_address_case_and_uses_the_crypt_alphabet():
    salt = derive_salt("Alice@Example.org", "s")
    assert salt == derive_salt("alice@example.org", "s")
    assert len(salt) == 16
    assert set(salt) <= set("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def test_hash_verifies_and_carries_scheme_and_rounds():
    hashed = dovecot_hash("correct horse", "a@example.org", "s", 6000)
    assert hashed.startswith("{SHA512-CRYPT}$6$rounds=6000$")
    crypt = hashed[len("{SHA512-CRYPT}"):]
    assert sha512_crypt.verify("correct horse", crypt)
    assert not sha512_crypt.verify("wrong", crypt)


def test_known_vector():
    # The same hash as glibc's crypt("pw", "$6$rounds=5000$s/KGvEdYBI6D40DY$"); crypt(3) omits
    # rounds=5000, the default.
    assert derive_salt("a@example.org", "s3cret") == "s/KGvEdYBI6D40DY"
    assert dovecot_hash("pw", "a@example.org", "s3cret", 5000) == (
        "{SHA512-CRYPT}$6$s/KGvEdYBI6D40DY$oFAxdL1Uj1j.S5vIEYOau4gimfst2fe7cUylsJBVjAYDkDUVxixIeq0d"
        "I4bJPVedF1qmJ7EaRnJDhQIC1ZTzJ."
    )


@pytest.mark.parametrize(("password", "secret", "rounds"), [("", "s", 5000), ("pw", "", 5000), ("pw", "s", 10)])
def test_refuses_bad_input(password, secret, rounds):
    with pytest.raises(ValueError):
        dovecot_hash(password, "a@example.org", secret, rounds)
