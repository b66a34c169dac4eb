# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic password hashing for Dovecot. Private to this collection: no stable API.

The salt is derived from the address and a secret (HMAC-SHA256), so the same password for the
same address on the same host always gives the same hash: a rerun changes nothing, yet no two
addresses or hosts share a salt. SHA512-CRYPT is passlib's where it is installed (the
controller) and pure Python (_shacrypt) elsewhere (the dovecot_config module on the host).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from ansible_collections.postmaster.mail.plugins.module_utils._shacrypt import sha512_crypt as _pure_sha512_crypt

try:  # on the controller: passlib, with the C crypt(3) when Python has it, is several times faster
    from passlib.hash import sha512_crypt as _passlib_sha512_crypt
except ImportError:  # pragma: no cover - depends on what is installed
    _passlib_sha512_crypt = None


def sha512_crypt(password, salt, rounds):
    """``$6$rounds=N$salt$hash``: passlib's when it is installed, else the pure Python one (the same
    strings: tests/unit/plugins/module_utils/test_shacrypt.py holds them to each other)."""
    if _passlib_sha512_crypt is not None:
        return _passlib_sha512_crypt.using(salt=salt, rounds=rounds).hash(password)
    return _pure_sha512_crypt(password, salt, rounds)


SCHEME = "SHA512-CRYPT"
# crypt(3)'s alphabet for salts.
_CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_CRYPT = str.maketrans(_B64_ALPHABET, _CRYPT_ALPHABET)
MIN_ROUNDS = 5000
MAX_ROUNDS = 999999999


def derive_salt(address, secret, length=16):
    """A crypt(3) salt of ``length`` characters from HMAC-SHA256(secret, lower-cased address)."""
    if not secret:
        raise ValueError("the salt secret is empty")
    digest = hmac.new(secret.encode("utf-8"), address.lower().encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii").translate(_TO_CRYPT)[:length]


def dovecot_hash(password, address, secret, rounds):
    """Return ``{SHA512-CRYPT}$6$rounds=N$salt$hash`` for Dovecot's passwd-file."""
    if not isinstance(password, str) or password == "":
        raise ValueError("the password is empty")
    if not MIN_ROUNDS <= int(rounds) <= MAX_ROUNDS:
        raise ValueError("rounds must be between %d and %d" % (MIN_ROUNDS, MAX_ROUNDS))
    hashed = sha512_crypt(password, derive_salt(address, secret), int(rounds))
    return "{%s}%s" % (SCHEME, hashed)
