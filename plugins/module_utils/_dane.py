# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DANE (RFC 6698, 7671, 7672): the TLSA record of a key a mail server serves. Private: no stable API.

Only "3 1 1" is made: DANE-EE (the server's own key, no CA involved), the SubjectPublicKeyInfo
(so a renewed certificate over the same key keeps matching), SHA-256. That is what RFC 7672 3.1
recommends for SMTP and what certbot's --reuse-key keeps valid across renewals.
"""

from __future__ import annotations

import hashlib
import re

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - depends on the controller
    HAS_CRYPTOGRAPHY = False

USAGE_SELECTOR_MATCHING = (3, 1, 1)
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.S)
_TLSA = re.compile(r"\A\s*(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\s+([0-9A-Fa-f\s]+?)\s*\Z")


class NotACertificate(ValueError):
    """The text holds no PEM certificate cryptography can read."""


def spki_sha256(der_spki):
    """The hex SHA-256 of a DER SubjectPublicKeyInfo."""
    return hashlib.sha256(der_spki).hexdigest()


def leaf_spki(pem):
    """The DER SubjectPublicKeyInfo of the first certificate of a PEM chain (the server's own)."""
    found = _PEM_CERTIFICATE.search(pem or "")
    if not found:
        raise NotACertificate("no PEM certificate in the text")
    try:
        certificate = x509.load_pem_x509_certificate(found.group(0).encode("ascii"))
    except ValueError as error:
        raise NotACertificate(str(error)) from None
    return certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


def tlsa_of_certificate(pem):
    """"3 1 1 <hex>" for the server certificate of a PEM chain."""
    return "%d %d %d %s" % (USAGE_SELECTOR_MATCHING + (spki_sha256(leaf_spki(pem)),))


def tlsa_name(hostname, port=25):
    """Where a TLSA record for SMTP on ``hostname`` lives (RFC 7672 2.2.3)."""
    return "_%d._tcp.%s" % (port, hostname.lower().rstrip("."))


def normalise(rdata):
    """A TLSA record's text as (usage, selector, matching, lowercase hex without spaces), or None
    when it is not TLSA text. dnspython splits long data into chunks; zone files may too."""
    found = _TLSA.match(rdata or "")
    if not found:
        return None
    usage, selector, matching = (int(found.group(i)) for i in (1, 2, 3))
    return usage, selector, matching, re.sub(r"\s+", "", found.group(4)).lower()


def matches(published, expected):
    """Which of the expected records (text) are among the published ones (text), in order."""
    have = {normalise(text) for text in published} - {None}
    return [text for text in expected if normalise(text) in have]


def presence(answer, name, values):
    """Which TLSA values (text) a lookup answer of ``name`` carries: ``{"present": [...], "missing":
    [...], "published": [...], "msg": ...}``, ``msg`` saying why the missing ones are missing (empty
    when none is). The certbot role serves a prepared key only once its value is present."""
    published = list(answer.get("records") or []) if answer.get("status") == "ok" else []
    present = matches(published, values)
    missing = [value for value in values if value not in present]
    if not missing:
        msg = ""
    elif answer.get("status") not in ("ok", "nxdomain", "noanswer"):
        msg = "DNS did not answer for %s TLSA (%s), so it is not known to carry %s" % (
            name, answer.get("msg") or answer.get("status"), "; ".join(missing))
    elif not published:
        msg = "%s has no TLSA record (%s), not %s" % (name, answer.get("msg") or answer.get("status"), "; ".join(missing))
    else:
        msg = "%s TLSA is %s, without %s" % (name, " | ".join(published), "; ".join(missing))
    return {"present": present, "missing": missing, "published": published, "msg": msg}
