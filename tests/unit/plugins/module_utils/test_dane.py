"""Transport security and client setup records (issue 17): the TLSA of the served key (DANE), the
client SRV records, TLS-RPT, and how the doctor judges each against a fake DNS."""

import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.filter.mail_dns_records import mail_dns_records
from ansible_collections.postmaster.mail.plugins.module_utils import _dane, _dns, _doctor, _records

from .fake_dns import FakeDns, zone_of

HOST = "mail.example.org"
DOMAIN = "example.org"


def certificate(key=None, name=HOST):
    """A self-signed certificate (PEM) over ``key``, and the key."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii"), key


def spki_hex(key):
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


# --- the TLSA value ---------------------------------------------------------------------------

def test_the_tlsa_is_the_sha256_of_the_leafs_public_key_and_survives_a_renewal():
    pem, key = certificate()
    renewed, _key = certificate(key)
    other, _other = certificate()
    chain = pem + certificate(name="intermediate")[0]  # the leaf comes first in a chain
    assert _dane.tlsa_of_certificate(chain) == "3 1 1 " + spki_hex(key)
    assert _dane.tlsa_of_certificate(renewed) == _dane.tlsa_of_certificate(pem)
    assert _dane.tlsa_of_certificate(other) != _dane.tlsa_of_certificate(pem)


@pytest.mark.parametrize("text", ["", "not a certificate",
                                  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"])
def test_what_is_not_a_certificate_is_said(text):
    with pytest.raises(_dane.NotACertificate):
        _dane.tlsa_of_certificate(text)


def test_tlsa_text_is_compared_as_data_not_spelling():
    value = "3 1 1 " + "ab" * 32
    assert _dane.matches(["3 1 1 " + "AB" * 16 + " " + "ab" * 16], [value]) == [value]
    assert _dane.matches(["3 0 1 " + "ab" * 32, "garbage"], [value]) == []
    assert _dane.normalise("3 1 1 zz") is None
    assert _dane.tlsa_name("Mail.Example.org.") == "_25._tcp.mail.example.org"


# --- the records --------------------------------------------------------------------------------

def records(**kwargs):
    return _records.generate(HOST, [DOMAIN], ["192.0.2.25"], [], {}, "quarantine", **kwargs)


def test_the_fragment_has_the_tlsa_srv_and_tls_rpt_records():
    tlsa = "3 1 1 " + "ab" * 32
    fragment = records(tlsa=[tlsa], services={}, tls_rpt_rua=["tls@example.org"])["zones"][DOMAIN]
    for line in ("_25._tcp.mail.example.org. 3600 IN TLSA " + tlsa,
                 '_smtp._tls.example.org. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tls@example.org"',
                 "_submissions._tcp.example.org. 3600 IN SRV 0 1 465 mail.example.org.",
                 "_submission._tcp.example.org. 3600 IN SRV 10 1 587 mail.example.org.",
                 "_imaps._tcp.example.org. 3600 IN SRV 0 1 993 mail.example.org.",
                 "_pop3s._tcp.example.org. 3600 IN SRV 20 1 995 mail.example.org.",
                 "_imap._tcp.example.org. 3600 IN SRV 0 0 0 .",
                 "_pop3._tcp.example.org. 3600 IN SRV 0 0 0 ."):
        assert line in fragment.splitlines(), line


def test_services_switched_on_or_off_change_their_srv_records():
    values = dict(_records.client_srv(HOST, {"pop3s": False, "imap": True}))
    assert values["pop3s"] == _records.SRV_NOT_OFFERED
    assert values["imap"] == "10 1 143 mail.example.org."
    assert [row for row in records()["records"] if row["type"] in ("SRV", "TLSA")] == []
    assert not any(row["name"].startswith("_smtp._tls.") for row in records()["records"])


def test_the_filter_makes_the_tlsa_from_the_certificate_and_names_a_bad_one():
    pem, key = certificate()
    made = mail_dns_records(HOST, [DOMAIN], ["192.0.2.25"], certificates=[pem, pem])
    assert made["tlsa"] == ["3 1 1 " + spki_hex(key)]
    assert [row["value"] for row in made["records"] if row["type"] == "TLSA"] == made["tlsa"]
    with pytest.raises(AnsibleFilterError, match=r"certificates\[1\]: no PEM certificate"):
        mail_dns_records(HOST, [DOMAIN], certificates=[pem, "junk"])


# --- the doctor ---------------------------------------------------------------------------------

TLSA = "3 1 1 " + "ab" * 32
NEXT = "3 1 1 " + "cd" * 32


def judged(made, zone, signed=(DOMAIN,), validated=(DOMAIN,)):
    results = _doctor.diagnose(FakeDns(zone, signed=signed, validated=validated), HOST, [DOMAIN], ["192.0.2.25"], {},
                               records=made["records"])
    return {r["check"]: r for r in results}


def full(**kwargs):
    return records(tlsa=kwargs.pop("tlsa", [TLSA]), services={}, tls_rpt_rua=["tls@example.org"], **kwargs)


def test_published_as_generated_in_a_signed_zone_is_all_ok():
    made = full()
    checks = judged(made, zone_of(made))
    assert {name: r["status"] for name, r in checks.items() if name in ("tlsa", "dane mx", "client srv", "tls-rpt")} == \
        {"tlsa": "ok", "dane mx": "ok", "client srv": "ok", "tls-rpt": "ok"}
    assert "DNSSEC-signed, validated" in checks["tlsa"]["found"]


def test_a_signed_tlsa_the_resolvers_do_not_validate_warns():
    # Signed but not validated: a DS missing at the registrar, or resolvers that do not validate.
    made = full()
    checks = judged(made, zone_of(made), validated=())
    assert (checks["tlsa"]["status"], checks["dane mx"]["status"]) == ("warn", "warn")
    assert "publish the zone's DS record at the registrar" in checks["tlsa"]["remedy"]
    assert "RFC 7672 2.2.1" in checks["dane mx"]["remedy"]


def test_a_domain_whose_mx_is_not_validated_gets_no_dane_even_with_a_good_tlsa():
    # The host's zone is signed and validated, the served domain's is not (RFC 7672 2.2.1).
    made = _records.generate(HOST, [DOMAIN, "example.net"], ["192.0.2.25"], [], {}, "quarantine", tlsa=[TLSA])
    zone = zone_of(made)
    results = _doctor.diagnose(FakeDns(zone, signed=(DOMAIN,), validated=(DOMAIN,)), HOST, [DOMAIN, "example.net"],
                               ["192.0.2.25"], {}, records=made["records"])
    verdicts = {(r["check"], r["domain"]): r["status"] for r in results if r["check"] in ("tlsa", "dane mx")}
    assert verdicts == {("tlsa", DOMAIN): "ok", ("dane mx", DOMAIN): "ok", ("dane mx", "example.net"): "warn"}


def test_a_tlsa_in_an_unsigned_zone_warns_that_nobody_uses_it():
    made = full()
    check = judged(made, zone_of(made), signed=())["tlsa"]
    assert (check["status"], "not DNSSEC-signed" in check["found"]) == ("warn", True)
    assert "turn DNSSEC on" in check["remedy"]


def test_a_tlsa_of_another_key_fails_and_a_missing_one_warns():
    made = full()
    zone = zone_of(made)
    zone[("_25._tcp." + HOST, "TLSA")] = [NEXT]
    check = judged(made, zone)["tlsa"]
    assert check["status"] == "fail" and "defer every message" in check["remedy"]
    del zone[("_25._tcp." + HOST, "TLSA")]
    assert judged(made, zone)["tlsa"]["status"] == "warn"


def test_the_next_keys_tlsa_is_asked_for_before_it_is_used():
    made = full(tlsa=[TLSA, NEXT])
    zone = zone_of(made)
    zone[("_25._tcp." + HOST, "TLSA")] = [TLSA]
    check = judged(made, zone)["tlsa"]
    assert check["status"] == "warn" and NEXT in check["remedy"]
    zone[("_25._tcp." + HOST, "TLSA")] = [TLSA, NEXT, "3 1 1 " + "ef" * 32]  # an old one too: fine
    assert judged(made, zone)["tlsa"]["status"] == "ok"


def test_srv_records_missing_warn_and_pointing_elsewhere_fail():
    made = full()
    zone = zone_of(made)
    del zone[("_imaps._tcp." + DOMAIN, "SRV")]
    assert judged(made, zone)["client srv"]["status"] == "warn"
    zone[("_imaps._tcp." + DOMAIN, "SRV")] = ["0 1 993 imap.elsewhere.example."]
    check = judged(made, zone)["client srv"]
    assert check["status"] == "fail" and "imap.elsewhere.example" in check["found"]


@pytest.mark.parametrize("published, status, words", [
    ([], "warn", "publish the TLS-RPT record"),
    (["v=TLSRPTv1; rua=mailto:a@example.org", "v=TLSRPTv1; rua=mailto:b@example.org"], "fail", "keep one"),
    (["v=TLSRPTv1;"], "fail", "rua= (where reports go) is missing"),
    (["v=TLSRPTv1; rua=tls@example.org"], "fail", "mailto: and https:"),
    (["v=TLSRPTv1; rua=https://reports.example.net/tls"], "ok", ""),
])
def test_tls_rpt_is_judged(published, status, words):
    made = full()
    zone = zone_of(made)
    zone[("_smtp._tls." + DOMAIN, "TXT")] = published
    if not published:
        del zone[("_smtp._tls." + DOMAIN, "TXT")]
    check = judged(made, zone)["tls-rpt"]
    assert check["status"] == status and words in check["remedy"]


# --- presence: the certbot role serves a prepared key only once its TLSA is published -----------

NAME = "_25._tcp." + HOST


@pytest.mark.parametrize("answer, present, words", [
    (_dns.answer("ok", [TLSA, NEXT.upper()]), [NEXT], ""),
    (_dns.answer("ok", [TLSA]), [], "TLSA is %s, without %s" % (TLSA, NEXT)),
    (_dns.answer("nxdomain", msg="gone"), [], "has no TLSA record (gone)"),
    (_dns.answer("noanswer"), [], "has no TLSA record (noanswer)"),
    (_dns.answer("timeout", msg="no resolver answered"), [], "DNS did not answer"),
])
def test_presence_says_whether_the_next_keys_tlsa_is_published(answer, present, words):
    found = _dane.presence(answer, NAME, [NEXT])
    assert found["present"] == present
    assert found["missing"] == ([] if present else [NEXT])
    assert (words in found["msg"]) if words else found["msg"] == ""
    assert found["published"] == (answer["records"] if answer["status"] == "ok" else [])


def test_presence_matches_whatever_the_case_and_spacing():
    chunked = "3 1 1 " + NEXT[6:38].upper() + " " + NEXT[38:]
    assert _dane.presence(_dns.answer("ok", [chunked]), NAME, [NEXT])["present"] == [NEXT]
