# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rspamd's controller password hash, in pure Python. Private to this collection: no stable API.

rspamd's web controller takes a password (``password`` in worker-controller.inc) stored as
``$1$<salt>$<key>``, the form ``rspamadm pw`` prints (rspamd's "PBKDF2-blake2b", the first entry of
``pbkdf_list`` in src/libutil/util.c):

* the key derivation is PBKDF2 with keyed BLAKE2b-512 as its PRF, not HMAC
  (``rspamd_cryptobox_pbkdf2`` in src/libcryptobox/cryptobox.c): block ``n`` starts with
  ``U1 = BLAKE2b-512(key=password, salt || n as 4 bytes big-endian)``, then
  ``Ui = BLAKE2b-512(key=password, Ui-1)``, and the block is the XOR of ``U1..U16000``. A password
  longer than 64 bytes (BLAKE2b's longest key) is first hashed with unkeyed BLAKE2b-512 and that
  digest is the key;
* 16000 rounds, a 20-byte salt, a 32-byte key (the first half of block 1);
* salt and key written in rspamd's base32: the z-base-32 alphabet ``ybndrfg8ejkmcpqxot1uwisza345h769``
  read over the bytes as one little-endian number, 5 bits at a time from the lowest
  (``rspamd_encode_base32_buf``, RSPAMD_BASE32_DEFAULT).

The salt is derived (HMAC-SHA256 keyed with the password over a seed such as the host name), as
_passwords.derive_salt does for Dovecot: the same password on the same host always gives the same
string, so a rerun changes nothing, yet two hosts with one password get different hashes.
"""

from __future__ import annotations

import hashlib
import hmac

ROUNDS = 16000
SALT_BYTES = 20
KEY_BYTES = 32
PREFIX = "$1$"
BASE32_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
_BLAKE2B_BYTES = 64
_SALT_CONTEXT = b"postmaster.mail rspamd controller salt\x00"


def base32_encode(data):
    """rspamd's base32 (RSPAMD_BASE32_DEFAULT): ceil(8 * len / 5) characters, no padding."""
    number = int.from_bytes(data, "little")
    return "".join(BASE32_ALPHABET[(number >> (5 * i)) & 0x1F] for i in range((len(data) * 8 + 4) // 5))


def base32_decode(text):
    """The bytes ``base32_encode`` wrote; ValueError for a character outside the alphabet."""
    number = 0
    for position, char in enumerate(text):
        index = BASE32_ALPHABET.find(char)
        if index < 0:
            raise ValueError("not rspamd base32: %r" % char)
        number |= index << (5 * position)
    return (number & ((1 << (len(text) * 5 // 8 * 8)) - 1)).to_bytes(len(text) * 5 // 8, "little")


def pbkdf2_blake2b(password, salt, rounds=ROUNDS, length=KEY_BYTES):
    """rspamd_cryptobox_pbkdf2: ``length`` bytes from ``password`` and ``salt`` (both bytes)."""
    if rounds < 1 or length < 1 or not salt:
        raise ValueError("rounds, length and salt must not be empty")
    key = password
    if len(key) > _BLAKE2B_BYTES:
        key = hashlib.blake2b(key, digest_size=_BLAKE2B_BYTES).digest()
    out = b""
    block = 1
    while len(out) < length:
        u = hashlib.blake2b(salt + block.to_bytes(4, "big"), digest_size=_BLAKE2B_BYTES, key=key).digest()
        acc = int.from_bytes(u, "big")
        for _round in range(rounds - 1):
            u = hashlib.blake2b(u, digest_size=_BLAKE2B_BYTES, key=key).digest()
            acc ^= int.from_bytes(u, "big")
        out += acc.to_bytes(_BLAKE2B_BYTES, "big")
        block += 1
    return out[:length]


def derive_salt(password, salt_seed):
    """20 salt bytes: HMAC-SHA256(password, context || seed), cut to rspamd's salt length."""
    if not salt_seed:
        raise ValueError("the salt seed is empty")
    return hmac.new(password.encode("utf-8"), _SALT_CONTEXT + salt_seed.encode("utf-8"), hashlib.sha256).digest()[
        :SALT_BYTES
    ]


def hash_with_salt(password, salt):
    """``$1$<salt>$<key>`` for ``password`` (str) and a 20-byte ``salt``."""
    if len(salt) != SALT_BYTES:
        raise ValueError("rspamd wants a %d-byte salt" % SALT_BYTES)
    key = pbkdf2_blake2b(password.encode("utf-8"), salt)
    return "%s%s$%s" % (PREFIX, base32_encode(salt), base32_encode(key))


def controller_password_hash(password, salt_seed):
    """The controller's ``password`` value for ``password``, the same for the same salt_seed."""
    if not isinstance(password, str) or password == "":
        raise ValueError("the password is empty")
    return hash_with_salt(password, derive_salt(password, salt_seed))


def verify(password, hashed):
    """Whether ``hashed`` (a ``$1$`` string, e.g. from ``rspamadm pw``) is the hash of ``password``."""
    parts = hashed.split("$")
    if len(parts) != 4 or parts[0] != "" or parts[1] != "1":
        raise ValueError("not an rspamd $1$ (PBKDF2-blake2b) hash")
    salt = base32_decode(parts[2])
    if len(salt) != SALT_BYTES:
        raise ValueError("rspamd wants a %d-byte salt" % SALT_BYTES)
    return hmac.compare_digest(hash_with_salt(password, salt), "%s%s$%s" % (PREFIX, parts[2], parts[3]))
