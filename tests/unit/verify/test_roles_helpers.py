"""Unit tests of the pure helpers the roles scenario's verify tests use: lablib.refusal (bad input
end to end), lablib.tlsprobe (what a TLS port serves) and lablib.acme (Pebble's orders)."""

import datetime
import hashlib
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "verify"))

from lablib import acme, refusal, tlsprobe  # noqa: E402  pylint: disable=wrong-import-position
from lablib.playbook import PlaybookRun, TaskResult  # noqa: E402  pylint: disable=wrong-import-position


def test_parse_sha256sums_keeps_spaces_in_paths_and_binary_marks():
    text = "aa  /etc/a\nbb  /etc/with space\ncc */etc/binary\n\n"
    assert refusal.parse_sha256sums(text) == {"/etc/a": "aa", "/etc/with space": "bb", "/etc/binary": "cc"}


def test_changed_paths_names_added_removed_and_changed():
    before = {"/etc/a": "1", "/etc/b": "2", "/etc/c": "3"}
    after = {"/etc/a": "1", "/etc/b": "9", "/etc/d": "4"}
    assert refusal.changed_paths(before, after) == ["/etc/b", "/etc/c", "/etc/d"]
    assert refusal.changed_paths(before, dict(before)) == []


def _run(rc, messages=(), output=""):
    results = [TaskResult("h", "p", "r", "t", "assert", "failed", msg=message) for message in messages]
    return PlaybookRun(argv=[], rc=rc, output=output, stats={"h": {"failures": len(results)}}, results=results)


def test_refusal_problems_accepts_a_proper_refusal():
    run = _run(2, ["opendkim_rsa_size: must be at least 1024 bits, got 512"])
    assert refusal.refusal_problems(run, r"opendkim_rsa_size: must be at least", {"/etc/x": "1"}, {"/etc/x": "1"}) == []


def test_refusal_problems_names_each_fault():
    same = {"/etc/x": "1"}
    assert "accepted, not refused" in refusal.refusal_problems(_run(0), "x", same, same)[0]
    wrong = refusal.refusal_problems(_run(2, ["something else"]), r"opendkim_selector", same, same)
    assert len(wrong) == 1 and "no failure message matches" in wrong[0]
    changed = refusal.refusal_problems(_run(2, ["opendkim_selector: bad"]), r"opendkim_selector", same, {"/etc/x": "2"})
    assert changed == ["files changed: /etc/x"]


def test_refusal_problems_reads_the_output_when_no_task_ran():
    # An argument error before any task: failure_messages() falls back to the output's last lines.
    run = _run(1, output="ERROR! something\nargument 'postfix_mynetworks' is of type dict\n")
    assert refusal.refusal_problems(run, r"argument 'postfix_mynetworks' is of type dict", {}, {}) == []


def _certificate(serial):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.example.net")])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pebble Intermediate CA 123abc")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key())
            .serial_number(serial).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))


def test_cert_identity_as_openssl_prints_it():
    cert = _certificate(0x6422CD359A3EA3A5)
    der = cert.public_bytes(Encoding.DER)
    identity = tlsprobe.cert_identity(der)
    assert identity.serial == "6422CD359A3EA3A5"
    digest = hashlib.sha256(der).hexdigest().upper()
    assert identity.fingerprint.replace(":", "") == digest and identity.fingerprint.count(":") == 31
    assert identity.subject == "CN=mail.example.net"
    assert identity.issuer == "CN=Pebble Intermediate CA 123abc"
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert identity.spki_sha256 == hashlib.sha256(spki).hexdigest()


def test_pem_identity_reads_the_leaf_of_a_chain():
    leaf, other = _certificate(10), _certificate(11)
    chain = leaf.public_bytes(Encoding.PEM) + other.public_bytes(Encoding.PEM)
    assert tlsprobe.pem_identity(chain.decode("ascii")) == tlsprobe.cert_identity(leaf.public_bytes(Encoding.DER))


def test_count_orders():
    log = ("Pebble 2026/12/04 11:22:45 POST /sign-me-up -> calling handler()\n"
           "Pebble 2026/12/04 11:22:45 POST /order-plz -> calling handler()\n"
           "Pebble 2026/12/04 11:22:47 POST /finalize-order/ -> calling handler()\n"
           "Pebble 2026/12/04 11:30:00 POST /order-plz -> calling handler()\n")
    assert acme.count_orders(log) == 2
    assert acme.count_orders("") == 0
