"""The certificate a TLS port serves, read from the controller with the standard library's clients.

    served = served_certificate("10.47.25.21", 465, cafile=roots, server_hostname="mail.example.net")
    served.serial, served.fingerprint, served.verified, served.error

Each port is reached twice when needed: once verifying (the chain against `cafile` and the name),
and, if that fails, once without verifying to read what is served anyway. SMTP ports 25 and 587
and IMAP 143 / POP3 110 use STARTTLS; 465, 993 and 995 are TLS from the first byte.
"""

import hashlib
import imaplib
import poplib
import smtplib
import ssl
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .remote import tls_context

# port -> (protocol, starttls)
PORTS = {25: ("smtp", True), 587: ("smtp", True), 465: ("smtp", False), 143: ("imap", True), 993: ("imap", False),
         110: ("pop3", True), 995: ("pop3", False)}
MAIL_TLS_PORTS = (25, 587, 465, 993, 995)


class CertIdentity(NamedTuple):
    serial: str        # hexadecimal, upper case, as openssl prints it
    fingerprint: str   # SHA-256 of the DER, AA:BB:... as openssl prints it
    subject: str
    issuer: str
    spki_sha256: str   # SHA-256 of the public key (SubjectPublicKeyInfo), lower case: a TLSA 3 1 1 value


class Served(NamedTuple):
    port: int
    serial: str
    fingerprint: str
    verified: bool     # the chain verified against the CA file, for the name
    error: str         # why it did not verify ("" when it did)
    spki_sha256: str   # SHA-256 of the served public key, as in a TLSA 3 1 1 record


def cert_identity(der):
    """Serial, fingerprint, subject, issuer and public key hash of a DER certificate (pure; unit-tested)."""
    cert = x509.load_der_x509_certificate(der)
    digest = hashlib.sha256(der).hexdigest().upper()
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return CertIdentity("%X" % cert.serial_number, ":".join(digest[i:i + 2] for i in range(0, len(digest), 2)),
                        cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(), hashlib.sha256(spki).hexdigest())


def pem_identity(pem):
    """cert_identity() of the first certificate of a PEM text (a chain file gives its leaf)."""
    cert = x509.load_pem_x509_certificate(pem.encode("ascii") if isinstance(pem, str) else pem)
    return cert_identity(cert.public_bytes(Encoding.DER))


def _peer_der(address, port, context, timeout):
    protocol, starttls = PORTS[port]
    if protocol == "smtp":
        client = smtplib.SMTP(address, port, timeout=timeout) if starttls else \
            smtplib.SMTP_SSL(address, port, timeout=timeout, context=context)
        try:
            if starttls:
                client.ehlo("verify.lab.test")
                client.starttls(context=context)
            return client.sock.getpeercert(binary_form=True)
        finally:
            client.close()
    if protocol == "imap":
        if starttls:
            client = imaplib.IMAP4(address, port, timeout=timeout)
            client.starttls(ssl_context=context)
        else:
            client = imaplib.IMAP4_SSL(address, port, ssl_context=context, timeout=timeout)
        try:
            return client.sock.getpeercert(binary_form=True)
        finally:
            client.shutdown()
    if starttls:
        client = poplib.POP3(address, port, timeout=timeout)
        client.stls(context=context)
    else:
        client = poplib.POP3_SSL(address, port, context=context, timeout=timeout)
    try:
        return client.sock.getpeercert(binary_form=True)
    finally:
        client.close()


def served_certificate(address, port, cafile, server_hostname, timeout=15):
    """What `port` serves: a Served, verified against `cafile` for `server_hostname` if it can be."""
    error = ""
    try:
        der = _peer_der(address, port, tls_context(cafile, server_hostname), timeout)
        verified = True
    except ssl.SSLCertVerificationError as failure:
        verified, error = False, failure.verify_message or str(failure)
        der = _peer_der(address, port, tls_context(None, server_hostname), timeout)
    identity = cert_identity(der)
    return Served(port, identity.serial, identity.fingerprint, verified, error, identity.spki_sha256)


def served_certificates(address, cafile, server_hostname, ports=MAIL_TLS_PORTS, timeout=15):
    """served_certificate() of every port, in order."""
    return [served_certificate(address, port, cafile, server_hostname, timeout) for port in ports]
