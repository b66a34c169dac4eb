# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SHA512-CRYPT (``$6$``) in pure Python. Private to this collection: no stable API.

Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512" (https://www.akkadia.org/drepper/SHA-crypt.txt),
with hashlib only: the managed host has neither passlib nor, from Python 3.13 on, the ``crypt``
module. It gives the same strings as glibc's crypt(3) and passlib's ``sha512_crypt``; like passlib,
it leaves out ``rounds=5000$`` (the default) unless asked to write it.
"""

from __future__ import annotations

import hashlib

CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DEFAULT_ROUNDS = 5000
MIN_ROUNDS = 1000
MAX_ROUNDS = 999999999
MAX_SALT = 16

# The order in which the 64 bytes of the last digest are encoded, three at a time (the spec's step 22).
_ORDER = (
    (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26), (6, 27, 48),
    (28, 49, 7), (50, 8, 29), (9, 30, 51), (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13),
    (56, 14, 35), (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60), (40, 61, 19), (62, 20, 41),
)


def _encode(digest):
    out = []
    for first, second, third in _ORDER:
        word = (digest[first] << 16) | (digest[second] << 8) | digest[third]
        out.extend(CRYPT_ALPHABET[(word >> shift) & 0x3F] for shift in (0, 6, 12, 18))
    word = digest[63]
    out.extend(CRYPT_ALPHABET[(word >> shift) & 0x3F] for shift in (0, 6))
    return "".join(out)


def _repeat(digest, length):
    return (digest * (length // len(digest) + 1))[:length]


def _digest(password, salt, rounds):
    """The spec's steps 1-21: the final 64-byte digest for bytes ``password`` and ``salt``."""
    sha512 = hashlib.sha512
    length = len(password)
    alternate = sha512(password + salt + password).digest()
    first = sha512(password + salt)
    remaining = length
    while remaining > 64:
        first.update(alternate)
        remaining -= 64
    first.update(alternate[:remaining])
    bits = length
    while bits:
        first.update(alternate if bits & 1 else password)
        bits >>= 1
    current = first.digest()
    p_bytes = _repeat(sha512(password * length).digest(), length)
    s_bytes = _repeat(sha512(salt * (16 + current[0])).digest(), len(salt))
    for index in range(rounds):
        odd = index & 1
        block = p_bytes if odd else current
        if index % 3:
            block += s_bytes
        if index % 7:
            block += p_bytes
        block += current if odd else p_bytes
        current = sha512(block).digest()
    return current


def sha512_crypt(password, salt, rounds=DEFAULT_ROUNDS, explicit_rounds=None):
    """Return ``$6$[rounds=N$]salt$hash`` for ``password`` (str or bytes).

    ``salt`` is cut to 16 characters, as crypt(3) does; ``rounds`` is clamped to 1000..999999999.
    ``rounds=N$`` is written when ``explicit_rounds`` is true, or, when it is None, unless N is 5000.
    """
    if isinstance(password, str):
        password = password.encode("utf-8")
    if isinstance(salt, bytes):
        salt = salt.decode("ascii")
    salt = salt.split("$", 1)[0][:MAX_SALT]
    if any(char in salt for char in ":\n"):
        raise ValueError("the salt must not contain ':' or a new line")
    rounds = min(max(int(rounds), MIN_ROUNDS), MAX_ROUNDS)
    if explicit_rounds is None:
        explicit_rounds = rounds != DEFAULT_ROUNDS
    digest = _digest(password, salt.encode("ascii"), rounds)
    prefix = "$6$rounds=%d$" % rounds if explicit_rounds else "$6$"
    return "%s%s$%s" % (prefix, salt, _encode(digest))


def crypt(password, setting):
    """crypt(3) for a ``$6$`` setting such as ``$6$rounds=10000$salt`` (a full hash also works:
    only its salt and rounds are read)."""
    if not setting.startswith("$6$"):
        raise ValueError("not a SHA512-CRYPT setting")
    rest = setting[3:]
    rounds = DEFAULT_ROUNDS
    explicit = False
    if rest.startswith("rounds="):
        value, sep, rest = rest[len("rounds="):].partition("$")
        if not sep or not value.isdigit():
            raise ValueError("bad rounds= in the setting")
        rounds = int(value)
        explicit = True
    return sha512_crypt(password, rest, rounds, explicit)
