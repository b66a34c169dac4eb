# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DKIM keys and their DNS records: pure functions. Private to this collection: no stable API.

The only third-party import of the collection's DKIM code is guarded here: callers check
HAS_CRYPTOGRAPHY and report CRYPTOGRAPHY_IMPORT_ERROR with missing_required_lib().
"""

from __future__ import annotations

import base64
import hashlib
import re

from ansible_collections.postmaster.mail.plugins.module_utils import _names

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the host
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

KEY_TYPES = ("rsa", "ed25519")
MIN_RSA_BITS = 2048
# RFC 1035: one character-string of a TXT record holds at most 255 octets.
TXT_STRING_MAX = 255
SELECTOR_RE = re.compile(r"^%s(\.%s)*\Z" % (_names.LABEL, _names.LABEL))
DOMAIN_RE = _names.DOMAIN_RE


def check_request(domain, selector, key_type, size):
    """Return a list of problems with a key request (empty when it is fine)."""
    problems = []
    if not DOMAIN_RE.match(domain or ""):
        problems.append("domain %r is not a domain name such as example.org" % (domain,))
    if not SELECTOR_RE.match(selector or ""):
        problems.append(
            "selector %r must be DNS labels (letters, digits, hyphens, dots between labels)" % (selector,)
        )
    if key_type not in KEY_TYPES:
        problems.append("type %r is not one of %s" % (key_type, ", ".join(KEY_TYPES)))
    elif key_type == "rsa" and (size is None or int(size) < MIN_RSA_BITS):
        problems.append("size %s is below %d bits, which verifiers refuse (RFC 8301)" % (size, MIN_RSA_BITS))
    return problems


def generate(key_type, size=2048):
    """A new private key of the given type (RSA of ``size`` bits, or Ed25519)."""
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=int(size))
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError("unknown key type %r" % (key_type,))


def to_pem(key):
    """PKCS#8 PEM, unencrypted: what OpenDKIM reads for both RSA and Ed25519."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_pem(data):
    return serialization.load_pem_private_key(data, password=None)


def describe(key):
    """``(type, bits)`` of a private key; ``(None, None)`` for a type DKIM does not use."""
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa", key.key_size
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519", 256
    return None, None


def public_key_data(key):
    """The ``p=`` value of a private or public key: base64 of the SubjectPublicKeyInfo (RSA) or
    of the raw 32-byte key (Ed25519, RFC 8463 section 4.2)."""
    public = key.public_key() if hasattr(key, "public_key") else key
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(raw).decode("ascii")


def txt_value(key_type, public_data):
    return "v=DKIM1; k=%s; p=%s" % (key_type, public_data)


def split_txt(value, limit=TXT_STRING_MAX):
    """Split a TXT value into character-strings of at most ``limit`` characters."""
    return [value[i:i + limit] for i in range(0, len(value), limit)] or [""]


def dns_name(selector, domain):
    return "%s._domainkey.%s" % (selector, domain)


def fingerprint(public_data):
    """SHA-256 of the public key data, hex: stable across reruns, safe to show."""
    return hashlib.sha256(base64.b64decode(public_data)).hexdigest()


def record(selector, domain, key):
    """Everything a user needs to publish for ``key``."""
    key_type, bits = describe(key)
    data = public_key_data(key)
    value = txt_value(key_type, data)
    return {
        "type": key_type,
        "size": bits,
        "dns_name": dns_name(selector, domain),
        "txt_value": value,
        "txt_strings": split_txt(value),
        "fingerprint": fingerprint(data),
    }
