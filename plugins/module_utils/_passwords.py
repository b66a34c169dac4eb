# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic password hashing for Dovecot. Private to this collection: no stable API.

New hashes are Argon2id (memory-hard: a GPU gains little over the server), which Dovecot verifies
through libsodium on Debian 12 (2.3) and 13 (2.4) alike. Its salt is HMAC-SHA256 of the address
and the password, keyed with a secret kept on the host: a rerun with the same password gives the
same hash (idempotent), a changed password gets a new salt, and no two addresses or hosts share
one. Argon2id comes from ``cryptography`` (44 or later, on OpenSSL 3.2 or later: its PyPI wheels)
or ``argon2-cffi``; without either the caller gets MissingArgon2 naming both.

Hashing costs tens of milliseconds on purpose, so a caller hashes only what changed: a
*fingerprint*, a second HMAC of the address, the password and the cost, keyed with the same
secret, is kept beside each hash; a password whose fingerprint is unchanged keeps its hash.

SHA512-CRYPT (pure Python, _shacrypt) is still made on request and verified by Dovecot as before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from ansible_collections.postmaster.mail.plugins.module_utils._shacrypt import sha512_crypt

try:  # cryptography 44+ built against OpenSSL 3.2+ (its PyPI wheels; Debian's package is older)
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id as _CryptographyArgon2id
except ImportError:  # pragma: no cover - depends on what is installed
    _CryptographyArgon2id = None
try:
    from argon2.low_level import Type as _Argon2Type, hash_secret_raw as _argon2_hash_secret_raw
except ImportError:  # pragma: no cover - depends on what is installed
    _argon2_hash_secret_raw = None

ARGON2ID = "ARGON2ID"
SHA512_CRYPT = "SHA512-CRYPT"
SCHEMES = (ARGON2ID, SHA512_CRYPT)
# Argon2id's cost: memory in KiB and passes. 64 MiB and 3 passes is libsodium's "moderate" memory
# with its "sensitive" passes, above OWASP's floor (19 MiB, 2 passes); one lane, which is all
# libsodium (Dovecot's verifier) accepts.
ARGON2_MEMORY = 65536
ARGON2_ITERATIONS = 3
MIN_ARGON2_MEMORY = 8192
MAX_ARGON2_MEMORY = 1048576
MIN_ARGON2_ITERATIONS = 1
MAX_ARGON2_ITERATIONS = 64
ARGON2_SALT_BYTES = 16
ARGON2_HASH_BYTES = 32

# crypt(3)'s alphabet for salts.
_CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_CRYPT = str.maketrans(_B64_ALPHABET, _CRYPT_ALPHABET)
MIN_ROUNDS = 5000
MAX_ROUNDS = 999999999


MISSING_ARGON2 = (
    "Argon2id needs the Python package cryptography 44 or later (pip install 'cryptography>=44': its "
    "wheels carry OpenSSL 3.2 or later; Debian's python3-cryptography is older) or argon2-cffi (pip "
    "install argon2-cffi, or apt install python3-argon2) where the hashing runs (the controller), or "
    "dovecot_password_scheme: SHA512-CRYPT")


class MissingArgon2(RuntimeError):
    """Neither library that computes Argon2id is importable."""


def argon2_available():
    """Whether Argon2id can be computed here."""
    return _CryptographyArgon2id is not None or _argon2_hash_secret_raw is not None


def argon2id_raw(password, salt, memory, iterations):
    """The raw Argon2id output (32 bytes, one lane) of ``password`` (bytes) and ``salt`` (bytes)."""
    if _CryptographyArgon2id is not None:
        kdf = _CryptographyArgon2id(salt=salt, length=ARGON2_HASH_BYTES, iterations=iterations, lanes=1,
                                    memory_cost=memory)
        return kdf.derive(password)
    if _argon2_hash_secret_raw is not None:
        return _argon2_hash_secret_raw(password, salt, time_cost=iterations, memory_cost=memory, parallelism=1,
                                       hash_len=ARGON2_HASH_BYTES, type=_Argon2Type.ID)
    raise MissingArgon2(MISSING_ARGON2)


def _b64(data):
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _keyed(secret, purpose, *fields):
    if not secret:
        raise ValueError("the salt secret is empty")
    message = "\0".join((purpose,) + tuple(str(field) for field in fields)).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def derive_salt(address, secret, length=16):
    """A crypt(3) salt of ``length`` characters from HMAC-SHA256(secret, lower-cased address)
    (SHA512-CRYPT; kept as it was, so hashes made before stay the same)."""
    if not secret:
        raise ValueError("the salt secret is empty")
    digest = hmac.new(secret.encode("utf-8"), address.lower().encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii").translate(_TO_CRYPT)[:length]


def derive_argon2_salt(address, password, secret):
    """16 bytes of HMAC-SHA256(secret, address and password): a new password, a new salt."""
    return _keyed(secret, "argon2id-salt", address.lower(), password)[:ARGON2_SALT_BYTES]


def cost_label(scheme, memory=ARGON2_MEMORY, iterations=ARGON2_ITERATIONS, rounds=100000):
    """The scheme and its cost as one string (part of the fingerprint: a new cost rehashes)."""
    if scheme == ARGON2ID:
        return "%s:m=%d,t=%d,p=1" % (scheme, int(memory), int(iterations))
    return "%s:rounds=%d" % (scheme, int(rounds))


def fingerprint(password, address, secret, cost):
    """The keyed fingerprint kept beside a hash: HMAC-SHA256(secret, address, password, cost),
    base64. Without the secret it tells nothing about the password; with the secret it is no
    cheaper to guess against than the hash (both need the secret and a guess per try)."""
    return _keyed(secret, "password-fingerprint", address.lower(), password, cost).hex()


def _check_password(password):
    if not isinstance(password, str) or password == "":
        raise ValueError("the password is empty")


def argon2id_hash(password, address, secret, memory=ARGON2_MEMORY, iterations=ARGON2_ITERATIONS):
    """``{ARGON2ID}$argon2id$v=19$m=M,t=T,p=1$salt$hash`` (libsodium's string, which Dovecot
    verifies)."""
    _check_password(password)
    memory, iterations = int(memory), int(iterations)
    if not MIN_ARGON2_MEMORY <= memory <= MAX_ARGON2_MEMORY:
        raise ValueError("the Argon2id memory must be between %d and %d KiB" % (MIN_ARGON2_MEMORY, MAX_ARGON2_MEMORY))
    if not MIN_ARGON2_ITERATIONS <= iterations <= MAX_ARGON2_ITERATIONS:
        raise ValueError("the Argon2id passes must be between %d and %d" % (MIN_ARGON2_ITERATIONS, MAX_ARGON2_ITERATIONS))
    salt = derive_argon2_salt(address, password, secret)
    raw = argon2id_raw(password.encode("utf-8"), salt, memory, iterations)
    return "{%s}$argon2id$v=19$m=%d,t=%d,p=1$%s$%s" % (ARGON2ID, memory, iterations, _b64(salt), _b64(raw))


def sha512_crypt_hash(password, address, secret, rounds):
    """``{SHA512-CRYPT}$6$rounds=N$salt$hash``, salted by address (as before Argon2id)."""
    _check_password(password)
    if not MIN_ROUNDS <= int(rounds) <= MAX_ROUNDS:
        raise ValueError("rounds must be between %d and %d" % (MIN_ROUNDS, MAX_ROUNDS))
    return "{%s}%s" % (SHA512_CRYPT, sha512_crypt(password, derive_salt(address, secret), int(rounds)))


def dovecot_hash(password, address, secret, rounds=100000, scheme=ARGON2ID, memory=ARGON2_MEMORY,
                 iterations=ARGON2_ITERATIONS):
    """Dovecot's passwd-file hash of ``password`` in ``scheme`` (Argon2id unless told otherwise)."""
    if scheme == ARGON2ID:
        return argon2id_hash(password, address, secret, memory, iterations)
    if scheme == SHA512_CRYPT:
        return sha512_crypt_hash(password, address, secret, rounds)
    raise ValueError("the password scheme must be one of %s, got %r" % (", ".join(SCHEMES), scheme))


def hash_users(users, secret, known=None, scheme=ARGON2ID, memory=ARGON2_MEMORY, iterations=ARGON2_ITERATIONS,
               rounds=100000):
    """The users as the dovecot_config module takes them, hashing only what changed.

    ``users``: [{address, password} or {address, password_hash}]; ``known``: {address:
    fingerprint} of the hashes on the host. A plain password whose fingerprint is the known one
    becomes ``{address, fingerprint}`` (the module keeps the hash it has); any other is hashed:
    ``{address, password_hash, fingerprint}``. A given hash is passed on as it is.
    """
    known = known or {}
    cost = cost_label(scheme, memory, iterations, rounds)
    result = []
    for user in users:
        address = str(user["address"]).strip().lower()
        if user.get("password_hash") not in (None, ""):
            result.append({"address": address, "password_hash": user["password_hash"]})
            continue
        _check_password(user.get("password"))
        mark = fingerprint(user["password"], address, secret, cost)
        if known.get(address) == mark:
            result.append({"address": address, "fingerprint": mark})
        else:
            result.append({"address": address, "fingerprint": mark,
                           "password_hash": dovecot_hash(user["password"], address, secret, rounds, scheme,
                                                         memory, iterations)})
    return result
