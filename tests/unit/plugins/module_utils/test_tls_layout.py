"""The pure part of postmaster.mail.tls_layout: the stable links and the check of files mode's sources."""

import json
import os
import stat

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils import _tls_layout

VARIABLES = "certbot_cert_src / certbot_key_src"


class Stat:
    def __init__(self, mode):
        self.st_mode = mode


REG = stat.S_IFREG
LINK = stat.S_IFLNK


def test_stable_links_current_first_then_relative_links_into_it():
    assert _tls_layout.stable_links("/etc/t", "/etc/t/selfsigned") == [
        ("/etc/t/current", "/etc/t/selfsigned"),
        ("/etc/t/fullchain.pem", "current/fullchain.pem"),
        ("/etc/t/privkey.pem", "current/privkey.pem"),
    ]


def test_files_mode_links():
    assert _tls_layout.files_mode_links("/etc/t/files", "/root/c", "/root/k") == [
        ("/etc/t/files/fullchain.pem", "/root/c"), ("/etc/t/files/privkey.pem", "/root/k")]


def test_good_sources_pass():
    assert _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(REG | 0o600), "root", VARIABLES) is None
    assert _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(REG | 0o640), "root", VARIABLES) is None


def found(message, path):
    """The JSON shown after ``path: `` in the message."""
    tail = message.split("%s: " % path, 1)[1]
    return json.JSONDecoder().raw_decode(tail)[0]


def test_missing_sources_named_with_the_role_variables():
    message = _tls_layout.sources_problem("/c", None, "/k", None, None, VARIABLES)
    assert message.startswith("certbot_cert_src / certbot_key_src must be regular files on the host, the key owned by root "
                              "and not accessible to others (e.g. root:root 0600); found /c: ")
    assert found(message, "/c") == {"exists": False}
    assert found(message, "/k") == {"exists": False}


def test_key_readable_by_others_refused():
    message = _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(REG | 0o604), "root", VARIABLES)
    assert found(message, "/k") == {"exists": True, "mode": "0604", "isreg": True, "pw_name": "root"}
    assert found(message, "/c") == {"exists": True, "isreg": True}


def test_key_of_another_owner_refused():
    assert _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(REG | 0o600), "nobody", VARIABLES)


def test_links_and_directories_are_not_regular_files():
    assert _tls_layout.sources_problem("/c", Stat(LINK | 0o777), "/k", Stat(REG | 0o600), "root", VARIABLES)
    assert _tls_layout.sources_problem("/c", Stat(REG | 0o644), "/k", Stat(stat.S_IFDIR | 0o700), "root", VARIABLES)


def test_link_state(tmp_path):
    path = str(tmp_path / "x")
    assert _tls_layout.link_state(path) == "absent"
    os.symlink("nowhere", path)
    assert _tls_layout.link_state(path) == "link to nowhere"
    os.unlink(path)
    os.mkdir(path)
    assert _tls_layout.link_state(path) == "directory"
    os.rmdir(path)
    open(path, "w").close()
    assert _tls_layout.link_state(path) == "file"


# --- The self-signed pair ------------------------------------------------------------------------

import datetime  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.timezone.utc)
GOOD = {"subject_alt_name": ["DNS:mail.example.org", "DNS:IMAP.example.org"], "public_key_type": "RSA",
        "not_after": "20361202120000Z", "valid_at": {"renew": True}}


def test_the_self_signed_pair_in_place_will_do_or_says_why_not():
    names = ["mail.example.org", "imap.example.org"]
    assert _tls_layout.selfsigned_due(GOOD, True, list(reversed(names)), "rsa") == ""  # order and case do not matter
    assert _tls_layout.selfsigned_due(None, True, names, "rsa") == "there is no readable certificate"
    assert _tls_layout.selfsigned_due(GOOD, False, names, "rsa") == "its key is missing"
    assert _tls_layout.selfsigned_due(GOOD, True, names + ["smtp.example.org"], "rsa") == (
        "it is for imap.example.org, mail.example.org, not imap.example.org, mail.example.org, smtp.example.org")
    assert _tls_layout.selfsigned_due(GOOD, True, names, "ecdsa") == "its key is RSA, not ECC"
    expiring = dict(GOOD, valid_at={"renew": False})
    assert _tls_layout.selfsigned_due(expiring, True, names, "rsa") == (
        "it expires at 20361202120000Z, within the renewal window")


def test_a_new_pair_is_what_was_asked_and_the_key_signs_the_certificate():
    for key_type, key_class, info_type in (("rsa", rsa.RSAPrivateKey, "RSA"), ("ecdsa", ec.EllipticCurvePrivateKey, "ECC")):
        key_pem, cert_pem = _tls_layout.selfsigned_pair("mail.example.org", ["mail.example.org", "imap.example.org"],
                                                        key_type, 3650, NOW)
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        assert isinstance(key, key_class)
        assert cert.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) == \
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        # Self-signed: the certificate's own key verifies its signature.
        if key_type == "rsa":
            cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        assert cert.signature_hash_algorithm.name == "sha256" and cert.issuer == cert.subject
        assert cert.subject.rfc4514_string() == "CN=mail.example.org"
        info = _tls_layout.certificate_info(cert_pem.encode(), NOW, 30 * 86400)
        assert (info["public_key_type"], info["valid_at"]) == (info_type, {"renew": True})
        assert info["subject_alt_name"] == ["DNS:mail.example.org", "DNS:imap.example.org"]
        assert info["not_after"] == "20361201120000Z"  # 3650 days (two leap days in between)
        assert _tls_layout.selfsigned_due(info, True, ["imap.example.org", "mail.example.org"], key_type) == ""


def test_the_renewal_settings_say_how_certbot_answers_the_challenge():
    text = ("version = 2.1.0\narchive_dir = /etc/letsencrypt/archive/mail.example.org\n[renewalparams]\n"
            "authenticator = webroot\nwebroot_path = /var/lib/postmaster-mail/acme,\n"
            "server = https://acme-v02.api.letsencrypt.org/directory\n")
    assert _tls_layout.renewal_authenticator(text) == "webroot"
    assert _tls_layout.renewal_authenticator(text.replace("webroot\n", "standalone\n", 1)) == "standalone"
    assert _tls_layout.renewal_authenticator("") == ""


@pytest.mark.parametrize("info, key_type, autorenew, reasons", [
    ({}, "ecdsa", False, ["there is no next key yet"]),
    (None, "rsa", True, ["there is no next key yet"]),
    ({"public_key_type": "RSA"}, "ecdsa", False, ["the next key is rsa, and certbot_key_type is ecdsa"]),
    ({"public_key_type": "ECC"}, "ecdsa", True, ["its key was the one in use until the last rollover"]),
    ({"public_key_type": "ECC"}, "ecdsa", False, []),
])
def test_the_next_key_is_made_again_when_missing_of_another_type_or_just_retired(info, key_type, autorenew, reasons):
    assert _tls_layout.next_key_reasons(info, key_type, autorenew) == reasons


def test_autorenew_is_off_only_when_the_renewal_settings_say_so():
    assert _tls_layout.renewal_autorenew("[renewalparams]\nautorenew = False\n") is False
    assert _tls_layout.renewal_autorenew("[renewalparams]\nautorenew = True\n") is True
    assert _tls_layout.renewal_autorenew("[renewalparams]\nserver = x\n") is True
    assert _tls_layout.renewal_autorenew(None) is True


def test_the_read_names_the_sha256_of_the_public_key_a_tlsa_record_pins():
    key_pem, cert_pem = _tls_layout.selfsigned_pair("mail.example.org", ["mail.example.org"], "ecdsa", 90, NOW)
    info = _tls_layout.certificate_info(cert_pem.encode(), NOW, 0)
    from ansible_collections.postmaster.mail.plugins.module_utils import _dane
    assert "3 1 1 " + info["spki_sha256"] == _dane.tlsa_of_certificate(cert_pem)
    # The same key again (a pair made for other names keeps it): the same TLSA.
    key = _tls_layout.reusable_key(key_pem.encode(), "ecdsa")
    again = _tls_layout.selfsigned_pair("mail.example.org", ["mail.example.org", "x.example.org"], "ecdsa", 90, NOW, key=key)
    assert _dane.tlsa_of_certificate(again[1]) == "3 1 1 " + info["spki_sha256"]
    assert _tls_layout.reusable_key(key_pem.encode(), "rsa") is None and _tls_layout.reusable_key(b"junk", "ecdsa") is None
