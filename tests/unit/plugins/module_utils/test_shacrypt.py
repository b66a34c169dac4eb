"""The pure-Python SHA512-CRYPT against the specification's vectors and the C library's crypt(3)."""

import crypt as libc_crypt  # the C library's crypt(3), in the standard library up to Python 3.12
import random

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils._shacrypt import CRYPT_ALPHABET, crypt, sha512_crypt

# Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512", the SHA-512 test vectors.
SPEC_VECTORS = [
    ("$6$saltstring", "Hello world!",
     "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
    ("$6$rounds=10000$saltstringsaltstring", "Hello world!",
     "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
    ("$6$rounds=5000$toolongsaltstring", "This is just a test",
     "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"),
    ("$6$rounds=1400$anotherlongsaltstring",
     "a very much longer text to encrypt.  This one even stretches over morethan one line.",
     "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"),
    ("$6$rounds=77777$short", "we have a short salt string but not a short password",
     "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"),
    ("$6$rounds=123456$asaltof16chars..", "a short string",
     "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"),
    ("$6$rounds=10$roundstoolow", "the minimum number is still observed",
     "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."),
]


@pytest.mark.parametrize(("setting", "password", "expected"), SPEC_VECTORS)
def test_the_specification_vectors(setting, password, expected):
    assert crypt(password, setting) == expected
    # A full hash as the setting gives the same hash again (how crypt(3) verifies).
    assert crypt(password, expected) == expected


def _cases():
    """Passwords of every length around the 64-byte blocks, non-ASCII ones, salts of 0 to 16
    characters, rounds around the minimum and the default, all from a fixed seed."""
    rng = random.Random(20261204)
    letters = "abcXYZ019 !$:\u00e9\u00df\u20ac\U0001f600"
    cases = []
    for length in list(range(0, 20)) + [31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 191, 192, 193, 255, 256, 300]:
        password = "".join(rng.choices(letters, k=length))
        salt = "".join(rng.choices(CRYPT_ALPHABET, k=rng.randint(0, 16)))
        rounds = rng.choice([1000, 1001, 1234, 2047, 4999, 5000, 5001, 6000])
        cases.append((password, salt, rounds))
    return cases


@pytest.mark.parametrize(("password", "salt", "rounds"), _cases())
def test_the_same_as_crypt3(password, salt, rounds):
    expected = libc_crypt.crypt(password, "$6$rounds=%d$%s" % (rounds, salt))
    assert sha512_crypt(password, salt, rounds, explicit_rounds=True) == expected
    assert libc_crypt.crypt(password, sha512_crypt(password, salt, rounds)) == sha512_crypt(password, salt, rounds)


def test_the_same_as_crypt3_at_the_role_default_rounds():
    expected = libc_crypt.crypt("correct horse", "$6$rounds=100000$s/KGvEdYBI6D40DY")
    assert expected.startswith("$6$rounds=100000$s/KGvEdYBI6D40DY$")
    assert sha512_crypt("correct horse", "s/KGvEdYBI6D40DY", 100000) == expected


def test_rounds_5000_are_implicit_unless_asked():
    assert sha512_crypt("pw", "salt", 5000).startswith("$6$salt$")
    assert sha512_crypt("pw", "salt", 5000, explicit_rounds=True).startswith("$6$rounds=5000$salt$")
    assert sha512_crypt("pw", "salt", 5000, explicit_rounds=True).split("$")[-1] == sha512_crypt("pw", "salt", 5000).split("$")[-1]


def test_rounds_are_clamped_and_the_salt_cut():
    assert sha512_crypt("pw", "salt", 1).startswith("$6$rounds=1000$salt$")
    assert sha512_crypt("pw", "0123456789abcdefXYZ", 1000).startswith("$6$rounds=1000$0123456789abcdef$")
    assert sha512_crypt(b"pw", b"salt", 1000) == sha512_crypt("pw", "salt", 1000)


def test_a_different_password_salt_or_rounds_gives_another_hash():
    base = sha512_crypt("pw", "salt", 1000)
    assert sha512_crypt("pW", "salt", 1000) != base
    assert sha512_crypt("pw", "salT", 1000).split("$")[-1] != base.split("$")[-1]
    assert sha512_crypt("pw", "salt", 1001).split("$")[-1] != base.split("$")[-1]


@pytest.mark.parametrize("setting", ["$5$salt", "salt", "$6$rounds=x$salt", "$6$rounds=1000"])
def test_bad_settings_are_refused(setting):
    with pytest.raises(ValueError):
        crypt("pw", setting)


@pytest.mark.parametrize("salt", ["a:b", "a\nb"])
def test_salts_that_would_break_a_passwd_file_are_refused(salt):
    with pytest.raises(ValueError):
        sha512_crypt("pw", salt, 1000)
