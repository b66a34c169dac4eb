# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure part of postmaster.mail.tls_layout: which links the stable certificate paths are, and
whether the certificate and key of files mode will do. Private to this collection: no stable API."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import stat

CERT_NAME = "fullchain.pem"
KEY_NAME = "privkey.pem"
CURRENT = "current"


def stable_links(tls_dir, target):
    """The three stable links, in the order they are made: "current" to the directory of the
    certificate in use, then the two paths the services read, into "current"."""
    return [
        (os.path.join(tls_dir, CURRENT), target),
        (os.path.join(tls_dir, CERT_NAME), CURRENT + "/" + CERT_NAME),
        (os.path.join(tls_dir, KEY_NAME), CURRENT + "/" + KEY_NAME),
    ]


def choose_target(current, target, preferred=None, alternate=None, readable=()):
    """Where "current" points, and which lineage holds the next key: ``(target, next)``.

    ``preferred`` and ``alternate`` are directories ({dir, certificate}) of two certificates that
    take turns (the ACME lineage and, with a prepared next key, the other lineage); ``readable`` the
    certificate paths that read; ``current`` where the link points now (None: no link). The one
    "current" already points at stays while its certificate reads; else the preferred, then the
    alternate, whichever reads; else ``target``. ``next`` is the other of the two when its
    certificate reads and the chosen one is one of them, else None."""
    pair = [spec for spec in (preferred, alternate) if spec]
    usable = [spec for spec in pair if spec["certificate"] in readable]
    chosen = next((spec for spec in usable if spec["dir"] == current), usable[0] if usable else None)
    if chosen is None:
        return target, None
    other = next((spec["dir"] for spec in usable if spec is not chosen), None)
    return chosen["dir"], other


def files_mode_links(files_dir, cert_src, key_src):
    """The two links of files mode's directory, to your certificate and key."""
    return [(os.path.join(files_dir, CERT_NAME), cert_src), (os.path.join(files_dir, KEY_NAME), key_src)]


def describe_source(st, owner=None, key=False):
    """What the message of a refused source shows of ``st`` (an os.stat_result of the path itself,
    links not followed, or None when it does not exist): whether it exists and is a regular file,
    and for the key its mode and owner."""
    if st is None:
        return {"exists": False}
    found = {"exists": True}
    if key:
        found["mode"] = "%04o" % stat.S_IMODE(st.st_mode)
    found["isreg"] = stat.S_ISREG(st.st_mode)
    if key:
        found["pw_name"] = owner
    return found


def sources_problem(cert_src, cert_stat, key_src, key_stat, key_owner, variables):
    """None when the certificate is a regular file and the key a regular file owned by root with no
    permission for others; else the message naming ``variables`` (the role's variable names) and
    what was found. Stats are of the paths themselves (a link is not a regular file)."""
    good = (cert_stat is not None and stat.S_ISREG(cert_stat.st_mode)
            and key_stat is not None and stat.S_ISREG(key_stat.st_mode)
            and key_owner == "root" and stat.S_IMODE(key_stat.st_mode) & 0o007 == 0)
    if good:
        return None
    return ("%s must be regular files on the host, the key owned by root and not accessible to others (e.g. "
            "root:root 0600); found %s: %s, %s: %s"
            % (variables, cert_src, json.dumps(describe_source(cert_stat)),
               key_src, json.dumps(describe_source(key_stat, key_owner, key=True))))


def link_state(path):
    """How ``path`` stands, as a line of a diff: "absent", "link to X", "directory" or "file"."""
    if os.path.islink(path):
        return "link to %s" % os.readlink(path)
    if os.path.isdir(path):
        return "directory"
    if os.path.lexists(path):
        return "file"
    return "absent"


# --- Reading the certificates in place (the same run as the layout: no second module) -----------

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.x509.oid import NameOID

    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the host
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc


def _key_type(key):
    """The public key's type as community.crypto.x509_certificate_info names it."""
    for kind, name in ((rsa.RSAPublicKey, "RSA"), (ec.EllipticCurvePublicKey, "ECC"),
                       (ed25519.Ed25519PublicKey, "Ed25519"), (ed448.Ed448PublicKey, "Ed448")):
        if isinstance(key, kind):
            return name
    return "unknown"


def _utc(cert, name):
    value = getattr(cert, name + "_utc", None)
    if value is None:  # cryptography < 42
        value = getattr(cert, name).replace(tzinfo=datetime.timezone.utc)
    return value


def certificate_info(pem, now, renew_seconds):
    """What the role decides from, for the first certificate of ``pem`` (bytes), in the shape of
    community.crypto.x509_certificate_info's answer: ``subject_alt_name`` (["DNS:name", ...]),
    ``public_key_type``, ``not_after`` (ASN.1 time), ``spki_sha256`` (the SHA-256 of the public
    key, the data of a TLSA "3 1 1" record; not in x509_certificate_info's answer), and ``valid_at.renew``: whether it is still
    valid ``renew_seconds`` after ``now`` (an aware datetime). None when ``pem`` holds no
    certificate that parses."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = ["DNS:" + name for name in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        names = []
    not_before, not_after = _utc(cert, "not_valid_before"), _utc(cert, "not_valid_after")
    then = now + datetime.timedelta(seconds=renew_seconds)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"subject_alt_name": names, "public_key_type": _key_type(cert.public_key()),
            "spki_sha256": hashlib.sha256(spki).hexdigest(),
            "not_after": not_after.strftime("%Y%m%d%H%M%SZ"),
            "valid_at": {"renew": not_before <= then <= not_after}}


# --- The self-signed pair (the certificate in place until another one is; "selfsigned" mode) ----

# The key types the role names (certbot_key_type), as certificate_info names them.
KEY_TYPES = {"rsa": "RSA", "ecdsa": "ECC"}


def _dns_names(info):
    return sorted(set(name[4:].lower() for name in info.get("subject_alt_name", []) if name.startswith("DNS:")))


def selfsigned_due(info, key_present, names, key_type):
    """Why the self-signed pair must be made (again), or '' when the one in place will do.
    ``info`` is certificate_info's answer for its certificate (None: missing or unreadable),
    ``names`` the DNS names it must carry (any order and case), ``key_type`` rsa or ecdsa."""
    if info is None:
        return "there is no readable certificate"
    if not key_present:
        return "its key is missing"
    wanted = sorted(set(name.lower() for name in names))
    if _dns_names(info) != wanted:
        return "it is for %s, not %s" % (", ".join(_dns_names(info)) or "no name", ", ".join(wanted))
    if info.get("public_key_type") != KEY_TYPES[key_type]:
        return "its key is %s, not %s" % (info.get("public_key_type"), KEY_TYPES[key_type])
    if not info.get("valid_at", {}).get("renew", False):
        return "it expires at %s, within the renewal window" % info.get("not_after")
    return ""


def reusable_key(key_pem, key_type):
    """The private key of ``key_pem`` (bytes) when it is of ``key_type`` (rsa, ecdsa P-256), else
    None: a pair made again for other names or a later expiry keeps its key, so a TLSA "3 1 1"
    record of it stays true."""
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        return None
    if key_type == "rsa" and isinstance(key, rsa.RSAPrivateKey):
        return key
    if key_type == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        return key
    return None


def selfsigned_pair(common_name, names, key_type, days, now, key=None):
    """A certificate signed by ``key`` (a new one when None: RSA 2048 or ECDSA P-256) itself
    (SHA-256) for ``common_name`` and the DNS names ``names``, valid from a minute before ``now``
    (an aware datetime) for ``days`` days: ``(key_pem, cert_pem)``, PEM text."""
    if key is not None:
        pass
    elif key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def renewal_server(text):
    """The ACME directory of a certbot renewal configuration (its ``server =`` line), or ''."""
    found = re.search(r"(?m)^server\s*=\s*(\S+)", text or "")
    return found.group(1) if found else ""


def next_key_reasons(info, key_type, autorenew):
    """Why the lineage holding the next key must get a new key, as sentences (empty: it will do).
    ``info`` is certificate_info's answer for its certificate ({} or None: none), ``autorenew``
    whether certbot renews it: only the lineage in use does, so one that does was in use until a
    rollover and its key is the one just retired."""
    if not info:
        return ["there is no next key yet"]
    have = {name: kind for kind, name in KEY_TYPES.items()}.get(info.get("public_key_type"), info.get("public_key_type"))
    if have != key_type:
        return ["the next key is %s, and certbot_key_type is %s" % (have, key_type)]
    if autorenew:
        return ["its key was the one in use until the last rollover"]
    return []


def renewal_autorenew(text):
    """Whether ``certbot renew`` (the timer) renews the lineage: true unless ``autorenew = False``
    (certbot's --no-autorenew, which the lineage holding the next key is requested with)."""
    found = re.search(r"(?m)^autorenew\s*=\s*(\S+)", text or "")
    return not (found and found.group(1).lower() in ("false", "no", "off", "0"))


def renewal_authenticator(text):
    """How certbot answers the challenge when it renews (``authenticator =``: standalone, webroot), or ''."""
    found = re.search(r"(?m)^authenticator\s*=\s*(\S+)", text or "")
    return found.group(1) if found else ""
