"""Unit tests of the DKIM key helpers, with RFC 8463's published example keys as vectors."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_collections.postmaster.mail.plugins.module_utils import _dkim

# RFC 8463, appendix A.2: the Ed25519 example key of brisbane._domainkey.football.example.com.
RFC8463_ED25519_SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
RFC8463_ED25519_P = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
# RFC 8463, appendix A.2: the RSA example record of test._domainkey.football.example.com.
RFC8463_RSA_P = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx"
    "/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTI"
    "KT+l/K4w3QIDAQAB"
)


def test_ed25519_record_is_the_raw_public_key():
    key = ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(RFC8463_ED25519_SEED))
    record = _dkim.record("brisbane", "football.example.com", key)
    assert record["txt_value"] == "v=DKIM1; k=ed25519; p=" + RFC8463_ED25519_P
    assert record["dns_name"] == "brisbane._domainkey.football.example.com"
    assert (record["type"], record["size"]) == ("ed25519", 256)


def test_rsa_record_is_the_subject_public_key_info():
    public = serialization.load_der_public_key(base64.b64decode(RFC8463_RSA_P))
    assert _dkim.public_key_data(public) == RFC8463_RSA_P


def test_generated_keys_round_trip_through_pem():
    for key_type, bits in (("rsa", 1024), ("ed25519", 256)):
        key = _dkim.generate(key_type, 1024)
        pem = _dkim.to_pem(key)
        assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
        again = _dkim.load_pem(pem)
        assert _dkim.describe(again) == (key_type, bits)
        assert _dkim.public_key_data(again) == _dkim.public_key_data(key)


def test_a_2048_bit_rsa_record_splits_into_255_character_strings():
    record = _dkim.record("mail", "example.org", _dkim.generate("rsa", 2048))
    assert len(record["txt_value"]) > 255
    assert all(len(part) <= 255 for part in record["txt_strings"])
    assert "".join(record["txt_strings"]) == record["txt_value"]
    assert len(record["fingerprint"]) == 64


@pytest.mark.parametrize(("value", "parts"), [("", [""]), ("a" * 255, ["a" * 255]), ("a" * 256, ["a" * 255, "a"])])
def test_split_txt(value, parts):
    assert _dkim.split_txt(value) == parts


@pytest.mark.parametrize(
    ("domain", "selector", "key_type", "size", "problem"),
    [
        ("example.org", "mail", "rsa", 2048, None),
        ("example.org", "mail-ed.2026", "ed25519", 0, None),
        ("exa_mple.org", "mail", "rsa", 2048, "domain"),
        ("example.org", "ma il", "rsa", 2048, "selector"),
        ("example.org", "-mail", "rsa", 2048, "selector"),
        ("example.org", "mail", "rsa", 1024, "below 2048"),
        ("example.org", "mail", "dsa", 2048, "type"),
    ],
)
def test_check_request(domain, selector, key_type, size, problem):
    problems = _dkim.check_request(domain, selector, key_type, size)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems
