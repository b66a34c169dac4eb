"""Unit tests of the pure helpers the site scenario's verify steps added to tests/verify/lablib:
receiver (a receiving server's DKIM/SPF/DMARC verdict; its evaluate() runs in the lab's peer) and
verdicts (secrets in a run's output, testssl findings, swaks transcripts without AUTH)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

# The helpers are not a package of the collection: import them by path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "verify"))

from lablib import receiver, verdicts  # noqa: E402  pylint: disable=wrong-import-position


@pytest.mark.parametrize("domain, organisation", [
    ("site13.test", "site13.test"), ("lists.site13.test", "site13.test"), ("a.b.Site13.Test.", "site13.test"),
])
def test_organisational_domain_is_the_last_two_labels(domain, organisation):
    assert receiver.organisational(domain) == organisation


def test_tags_of_a_folded_dkim_signature():
    header = "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=site13.test;\r\n\ts=mail-ed; b=abc"
    tags = receiver.tags(header)
    assert (tags["a"], tags["d"], tags["s"], tags["b"]) == ("ed25519-sha256", "site13.test", "mail-ed", "abc")


@pytest.mark.parametrize("address, domain", [
    ("Alice <alice@Site13.test>", "site13.test"), ("<info@site12.test>", "site12.test"), ("", ""), (None, ""),
])
def test_domain_of_an_address(address, domain):
    assert receiver.domain_of(address) == domain


def test_dmarc_policy_is_read_from_the_dmarc_record_only():
    assert receiver.dmarc_policy(["v=spf1 -all", "v=DMARC1; p=quarantine; rua=mailto:x@y.test"]) == "quarantine"
    assert receiver.dmarc_policy(["v=spf1 -all"]) is None
    assert receiver.dmarc_policy([]) is None


def _sig(domain, passed=True, algorithm="rsa-sha256"):
    return {"d": domain, "s": "mail", "a": algorithm, "pass": passed}


def test_aligned_dkim_and_spf_pass_dmarc():
    result = receiver.verdict("site13.test", "alice@site13.test", [_sig("site13.test")], "pass", "ok", "quarantine")
    assert (result["dkim_aligned"], result["spf_aligned"], result["dmarc"]) == (True, True, "pass")


def test_a_subdomain_is_aligned_relaxed():
    result = receiver.verdict("lists.site13.test", "bob@lists.site13.test", [_sig("site13.test")], "pass", "", "reject")
    assert (result["dkim_aligned"], result["spf_aligned"]) == (True, True)


def test_a_failed_or_foreign_signature_does_not_align_and_spf_alone_still_passes_dmarc():
    signatures = [_sig("site13.test", passed=False), _sig("peer.test")]
    result = receiver.verdict("site13.test", "alice@site13.test", signatures, "pass", "", None)
    assert (result["dkim_aligned"], result["spf_aligned"], result["dmarc"]) == (False, True, "pass")


def test_nothing_aligned_fails_dmarc():
    result = receiver.verdict("site13.test", "someone@peer.test", [_sig("peer.test")], "pass", "", "quarantine")
    assert (result["dkim_aligned"], result["spf_aligned"], result["dmarc"]) == (False, False, "fail")
    result = receiver.verdict("site13.test", "alice@site13.test", [], "softfail", "", "quarantine")
    assert (result["spf_aligned"], result["dmarc"]) == (False, "fail")
    result = receiver.verdict("site13.test", "", [], "pass", "", None)
    assert result["spf_aligned"] is False


def test_the_receiver_runs_with_python_c_and_fails_without_its_arguments():
    # What the peer runs: the module's own text through `python3 -c`; without arguments it fails
    # before importing the peer's libraries.
    result = subprocess.run([sys.executable, "-c", receiver.source()], capture_output=True, text=True, timeout=30,
                            check=False)
    assert result.returncode != 0
    assert "ValueError" in result.stderr


def test_secrets_shown_names_each_secret_found_and_nothing_else():
    assert verdicts.secrets_shown("ok=46 changed=0") == []
    text = "password alice-Secret-1 and {SHA512-CRYPT}$6$rounds=100000$salt$x\n-----BEGIN OPENSSH PRIVATE KEY-----"
    assert verdicts.secrets_shown(text) == ["a SHA512-CRYPT hash", "a private key", "alice's password"]
    assert verdicts.secrets_shown("$6$bobsalt$0Z6qiD4TVhbwSwcIT5j1yDHue4KdZcpb") == ["bob's hash"]
    assert verdicts.secrets_shown("x", {"x": "x"}) == ["x"]


def test_scan_findings_keeps_the_asked_ids():
    scan = json.loads('[{"id": "SSLv2", "finding": "not offered"}, {"id": "TLS1_2", "finding": "offered"},'
                      ' {"id": "service", "finding": "SMTP"}, {"id": "TLS1_3"}]')
    assert verdicts.scan_findings(scan, ("SSLv2", "TLS1_2", "TLS1_3")) == {
        "SSLv2": "not offered", "TLS1_2": "offered", "TLS1_3": ""}


def test_without_auth_drops_the_auth_lines_and_keeps_the_tail():
    transcript = "<-  250 AUTH PLAIN LOGIN\n ~> AUTH PLAIN AGFsaWNlAHNlY3JldA==\n<~  235 2.7.0 ok\n<~* 553 not owned"
    shown = verdicts.without_auth(transcript)
    assert "AGFsaWNl" not in shown and "AUTH PLAIN" not in shown
    assert shown.endswith("<~* 553 not owned")
    assert verdicts.without_auth("a" * 50, tail=10) == "a" * 10


def test_non_aead_suites_names_cbc_and_sha1_suites_only():
    scan = [{"id": "cipher-tls1_2_xc030", "finding": "TLSv1.2 xc030 ECDHE-RSA-AES256-GCM-SHA384 ECDH 253 AESGCM 256 "
             "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
            {"id": "cipher-tls1_2_xc013", "finding": "TLSv1.2 xc013 ECDHE-RSA-AES128-SHA ECDH 253 AES 128 "
             "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
            {"id": "cipher-tls1_3_x1303", "finding": "TLSv1.3 x1303 TLS_CHACHA20_POLY1305_SHA256 ECDH 253 ChaCha20 256"},
            {"id": "cipherorder_TLSv1_2", "finding": "ECDHE-RSA-AES128-SHA"}]
    assert verdicts.non_aead_suites(scan) == [scan[1]["finding"]]
    assert verdicts.offered_suites(scan) == 3
