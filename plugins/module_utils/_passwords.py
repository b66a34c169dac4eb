# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic password hashing for Dovecot. Private to this collection: no stable API.

The salt is derived from the address and a secret (HMAC-SHA256), so the same password for the
same address on the same host always gives the same hash: a rerun changes nothing, yet no two
addresses or hosts share a salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

try:
    from passlib.hash import sha512_crypt
except ImportError:  # pragma: no cover - reported by the caller
    sha512_crypt = None

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
    if sha512_crypt is None:
        raise RuntimeError("passlib is required on the controller to hash passwords (pip install passlib)")
    if not isinstance(password, str) or password == "":
        raise ValueError("the password is empty")
    if not MIN_ROUNDS <= int(rounds) <= MAX_ROUNDS:
        raise ValueError("rounds must be between %d and %d" % (MIN_ROUNDS, MAX_ROUNDS))
    hashed = sha512_crypt.using(salt=derive_salt(address, secret), rounds=int(rounds)).hash(password)
    return "{%s}%s" % (SCHEME, hashed)
