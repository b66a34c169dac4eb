"""MTA-STS (RFC 8461) and the mail-client autoconfig files: the pure functions of _mta_sts, and the
doctor's HTTPS checks against a fake DNS and a fake web (a dict url -> (code, body) or an error), and
dns_doctor_info's real fetcher against a local HTTP and HTTPS server."""

import datetime
import hashlib
import http.server
import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ET

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.postmaster.mail.plugins.module_utils import _doctor, _mta_sts, _records
from ansible_collections.postmaster.mail.plugins.modules import dns_doctor_info

from .fake_dns import FakeDns, zone_of

HOST = "mail.example.org"
IP = "192.0.2.25"
IP6 = "2001:db8::25"
STS = {"mode": "testing", "max_age": 604800}
POLICY = "version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 604800\r\n"
POLICY_URL = "https://mta-sts.example.org/.well-known/mta-sts.txt"
CONFIG_URL = "https://autoconfig.example.org/mail/config-v1.1.xml"
DISCOVER_URL = "https://autodiscover.example.org/autodiscover/autodiscover.xml"


# --- _mta_sts -------------------------------------------------------------------------------------

def test_policy_text_is_exact_with_crlf_lines():
    assert _mta_sts.policy("testing", ["MAIL.example.org."], 604800) == POLICY
    assert _mta_sts.policy("enforce", ["a.example.org", "*.example.net"], "86400") == \
        "version: STSv1\r\nmode: enforce\r\nmx: a.example.org\r\nmx: *.example.net\r\nmax_age: 86400\r\n"
    with pytest.raises(ValueError):
        _mta_sts.policy("strict", [HOST], 86400)


def test_policy_id_is_stable_and_changes_with_the_policy():
    text = _mta_sts.policy("testing", [HOST], 604800)
    assert _mta_sts.policy_id(text) == _mta_sts.policy_id(_mta_sts.policy("testing", [HOST], 604800))
    assert _mta_sts.policy_id(text) == hashlib.sha256(text.encode()).hexdigest()[:20]
    assert _mta_sts.policy_id(text) != _mta_sts.policy_id(_mta_sts.policy("enforce", [HOST], 604800))
    assert len(_mta_sts.policy_id(text)) == 20 and _mta_sts.policy_id(text).isalnum()
    assert _mta_sts.txt_value(text) == "v=STSv1; id=%s" % _mta_sts.policy_id(text)


@pytest.mark.parametrize("value, parsed", [
    ("v=STSv1; id=20160831085700Z", "20160831085700Z"),
    ("v=STSv1;id=abc;", "abc"),
    ("v=STSv1; id=abc; ext=1", "abc"),
    ("v = STSv1; id=abc", "abc"),
    ("v=STSv1", None),
    ("v=STSv1; id=", None),
    ("v=STSv1; id=a-b", None),
    ("v=STSv1; id=" + "a" * 33, None),
    ("v=STSv1; id=\u00e9t\u00e9", None),
    ("id=abc; v=STSv1", None),
    ("v=spf1 -all", None),
])
def test_parse_txt(value, parsed):
    assert _mta_sts.parse_txt(value) == parsed


def test_parse_policy_of_a_good_policy():
    fields, problems = _mta_sts.parse_policy(POLICY)
    assert problems == []
    assert fields == {"version": "STSv1", "mode": "testing", "mx": [HOST], "max_age": 604800}
    fields, problems = _mta_sts.parse_policy("version: STSv1\nmode: none\nmax_age: 0\n")
    assert problems == [] and fields["mx"] == []


@pytest.mark.parametrize("text, words", [
    ("mode: testing\nmx: a.example.org\nmax_age: 1\n", "version must be STSv1"),
    ("version: STSv2\nmode: testing\nmx: a.example.org\nmax_age: 1\n", "version must be STSv1"),
    ("version: STSv1\nmode: strict\nmx: a.example.org\nmax_age: 1\n", "mode must be testing, enforce or none"),
    ("version: STSv1\nmode: testing\nmx: a.example.org\nmax_age: 31557601\n", "max_age must be"),
    ("version: STSv1\nmode: testing\nmx: a.example.org\nmax_age: a week\n", "max_age must be"),
    ("version: STSv1\nmode: testing\nmax_age: 86400\n", "no mx line"),
    ("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example.org\nmax_age: 1\n", "mode appears twice"),
    ("version: STSv1\nmode testing\nmx: a.example.org\nmax_age: 1\n", "line 2 is not 'key: value'"),
    ("<html>Not found</html>", "version must be STSv1"),
])
def test_parse_policy_problems(text, words):
    _fields, problems = _mta_sts.parse_policy(text)
    assert any(words in problem for problem in problems), problems


@pytest.mark.parametrize("pattern, host, matches", [
    ("*.example.org", "mail.example.org", True),
    ("*.example.org", "a.b.example.org", False),
    ("*.example.org", "example.org", False),
    ("mail.example.org", "MAIL.example.org.", True),
    ("mail.example.org.", "mail.example.org", True),
    ("mail.example.org", "mx.example.org", False),
])
def test_mx_matches(pattern, host, matches):
    assert _mta_sts.mx_matches(pattern, host) is matches


def test_web_names():
    assert _mta_sts.web_names(["example.org", "Example.NET."]) == [
        "mta-sts.example.org", "autoconfig.example.org", "autodiscover.example.org",
        "mta-sts.example.net", "autoconfig.example.net", "autodiscover.example.net"]
    assert _mta_sts.web_names(["example.org"], autoconfig=False) == ["mta-sts.example.org"]
    assert _mta_sts.web_names(["example.org"], mta_sts=False, autoconfig=False) == []


def test_autoconfig_xml_parses_and_names_the_host_and_ports():
    root = ET.fromstring(_mta_sts.autoconfig_xml("MAIL.example.org.", ["example.org", "example.net"]))
    provider = root.find("emailProvider")
    assert provider.get("id") == HOST
    assert [d.text for d in provider.findall("domain")] == ["example.org", "example.net"]
    incoming = [(s.get("type"), s.findtext("hostname"), s.findtext("port"), s.findtext("socketType"))
                for s in provider.findall("incomingServer")]
    outgoing = [(s.get("type"), s.findtext("hostname"), s.findtext("port"), s.findtext("socketType"))
                for s in provider.findall("outgoingServer")]
    assert incoming[0] == ("imap", HOST, "993", "SSL")
    assert ("smtp", HOST, "465", "SSL") in outgoing and ("smtp", HOST, "587", "STARTTLS") in outgoing
    assert provider.find("incomingServer").findtext("username") == "%EMAILADDRESS%"
    # Services switched off are not offered.
    root = ET.fromstring(_mta_sts.autoconfig_xml(HOST, ["example.org"], {"pop3s": False, "submission": False}))
    ports = [s.findtext("port") for s in root.iter() if s.tag in ("incomingServer", "outgoingServer")]
    assert ports == ["993", "465"]


def test_autoconfig_xml_escapes_the_display_name():
    root = ET.fromstring(_mta_sts.autoconfig_xml(HOST, ["example.org"], display_name="A & B <mail>"))
    assert root.find("emailProvider").findtext("displayName") == "A & B <mail>"


def test_autodiscover_xml_parses_with_one_protocol_each():
    root = ET.fromstring(_mta_sts.autodiscover_xml(HOST))
    assert root.tag == "{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}Autodiscover"
    protocols = [p for p in root.iter() if p.tag.endswith("}Protocol")]
    found = {p.findtext("{*}Type"): (p.findtext("{*}Server"), p.findtext("{*}Port"), p.findtext("{*}Encryption"))
             for p in protocols}
    assert found == {"IMAP": (HOST, "993", "SSL"), "POP3": (HOST, "995", "SSL"), "SMTP": (HOST, "465", "SSL")}
    assert len(protocols) == 3


# --- the doctor's HTTPS checks --------------------------------------------------------------------

class FakeWeb:
    """fetch(url, method, body): pages {url or (method, url): (code, body) or an error message};
    anything else cannot be connected to."""

    def __init__(self, pages):
        self.pages = pages
        self.asked = []

    def __call__(self, url, method="GET", body=None):
        self.asked.append((method, url, body))
        page = self.pages.get((method, url), self.pages.get(url))
        if page is None:
            return {"status": "error", "code": None, "body": "", "msg": "could not connect: connection refused"}
        if isinstance(page, str):
            return {"status": "error", "code": None, "body": "", "msg": page}
        return {"status": "ok", "code": page[0], "body": page[1], "msg": "" if page[0] == 200 else "Nope"}


def generated(mta_sts=None, autoconfig=True):
    return _records.generate(HOST, ["example.org"], [IP], [IP6], dmarc_policy="quarantine",
                             mta_sts=STS if mta_sts is None else mta_sts, autoconfig=autoconfig)


def good_web(policy=POLICY, hostname=HOST):
    return {
        POLICY_URL: (200, policy),
        CONFIG_URL: (200, _mta_sts.autoconfig_xml(hostname, ["example.org"])),
        ("POST", DISCOVER_URL): (200, _mta_sts.autodiscover_xml(hostname)),
        ("GET", DISCOVER_URL): (405, "<html>405 Not Allowed</html>"),
    }


def run(zone=None, web=None, records=None, policy=POLICY):
    records = records or generated()
    zone = zone_of(records) if zone is None else zone
    fetch = FakeWeb(good_web() if web is None else web)
    results = _doctor.diagnose(FakeDns(zone), HOST, ["example.org"], [IP, IP6], records=records["records"],
                               fetch=fetch, mta_sts_policy=policy)
    for result in results:
        assert (result["status"] == "ok") == (result["remedy"] == ""), result
    return {r["check"]: r for r in results}, fetch


def test_the_generated_records_and_files_give_ok():
    records = generated()
    assert records["mta_sts_policy"] == POLICY
    results, fetch = run(records=records)
    assert [r for r in results.values() if r["status"] != "ok"] == []
    sts = results["mta-sts"]
    assert sts["found"] == "mode testing, mx mail.example.org, max_age 604800, id %s" % _mta_sts.policy_id(POLICY)
    assert sts["expected"] == sts["found"]
    assert results["autoconfig"]["found"] == "both name mail.example.org"
    posted = [body for method, url, body in fetch.asked if method == "POST"]
    assert len(posted) == 1 and "<EMailAddress>postmaster@example.org</EMailAddress>" in posted[0]
    ET.fromstring(posted[0])


def test_without_a_fetcher_no_https_check_runs():
    records = generated()
    results = _doctor.diagnose(FakeDns(zone_of(records)), HOST, ["example.org"], [IP, IP6],
                               records=records["records"])
    assert not {"mta-sts", "autoconfig"} & {r["check"] for r in results}


def test_without_mta_sts_or_autoconfig_rows_nothing_is_fetched():
    records = _records.generate(HOST, ["example.org"], [IP], [IP6], dmarc_policy="quarantine")
    results, fetch = run(records=records, web={})
    assert "mta-sts" not in results and "autoconfig" not in results and fetch.asked == []


def test_a_missing_txt_record_warns_and_says_to_publish_it():
    zone = zone_of(generated())
    del zone[("_mta-sts.example.org", "TXT")]
    result = run(zone)[0]["mta-sts"]
    assert result["status"] == "warn"
    assert 'publish _mta-sts.example.org. TXT "v=STSv1; id=' in result["remedy"]
    assert "do not look for the policy" in result["remedy"]


def test_a_txt_record_that_is_not_sts_counts_as_missing():
    zone = zone_of(generated())
    zone[("_mta-sts.example.org", "TXT")] = ["google-site-verification=abc"]
    assert run(zone)[0]["mta-sts"]["status"] == "warn"


def test_two_sts_records_fail():
    zone = zone_of(generated())
    zone[("_mta-sts.example.org", "TXT")].append("v=STSv1; id=older")
    result = run(zone)[0]["mta-sts"]
    assert result["status"] == "fail" and "RFC 8461 3.1" in result["remedy"]
    assert "v=STSv1; id=older" in result["found"]


def test_a_malformed_id_fails():
    zone = zone_of(generated())
    zone[("_mta-sts.example.org", "TXT")] = ["v=STSv1; id=not-alnum!"]
    result = run(zone)[0]["mta-sts"]
    assert result["status"] == "fail" and "replace the record at _mta-sts.example.org" in result["remedy"]


def test_a_stale_id_with_the_new_policy_served_warns():
    zone = zone_of(generated())
    zone[("_mta-sts.example.org", "TXT")] = ["v=STSv1; id=20240101000000"]
    result = run(zone)[0]["mta-sts"]
    assert result["status"] == "warn"
    assert "publish the new id" in result["remedy"] and "only when the id changes" in result["remedy"]
    assert result["found"].endswith("id 20240101000000")


def test_a_stale_id_with_an_old_policy_served_fails():
    zone = zone_of(generated())
    zone[("_mta-sts.example.org", "TXT")] = ["v=STSv1; id=20240101000000"]
    old = POLICY.replace("604800", "86400")
    result = run(zone, web=good_web(policy=old))[0]["mta-sts"]
    assert result["status"] == "fail" and "neither the id" in result["remedy"]


def test_another_policy_served_under_the_right_id_warns():
    enforce = _mta_sts.policy("enforce", [HOST], 604800)
    result = run(web=good_web(policy=enforce))[0]["mta-sts"]
    assert result["status"] == "warn" and "another policy than this run wrote" in result["remedy"]
    assert "mode enforce" in result["found"] and "mode testing" in result["expected"]


def test_the_same_policy_with_other_line_endings_is_the_same_policy():
    result = run(web=good_web(policy=POLICY.replace("\r\n", "\n")))[0]["mta-sts"]
    assert result["status"] == "ok", result


def test_without_the_expected_policy_only_the_served_one_is_judged():
    enforce = _mta_sts.policy("enforce", [HOST], 604800)
    result = run(web=good_web(policy=enforce), policy=None)[0]["mta-sts"]
    assert result["status"] == "ok" and result["expected"].startswith('_mta-sts.example.org. TXT "v=STSv1; id=')


@pytest.mark.parametrize("error", [
    "TLS certificate verification failed: Hostname mismatch, certificate is not valid for 'mta-sts.example.org'",
    "could not connect: connection refused",
    "no answer within 10 s",
])
def test_a_policy_that_cannot_be_fetched_fails(error):
    web = good_web()
    web[POLICY_URL] = error
    result = run(web=web)[0]["mta-sts"]
    assert result["status"] == "fail" and error in result["found"]
    assert "certificate valid for mta-sts.example.org" in result["remedy"]


@pytest.mark.parametrize("code", [404, 500, 301])
def test_a_policy_not_served_with_200_fails(code):
    web = good_web()
    web[POLICY_URL] = (code, "<html>no</html>")
    result = run(web=web)[0]["mta-sts"]
    assert result["status"] == "fail" and "HTTP %d" % code in result["found"]
    assert "status 200 and no redirect" in result["remedy"]


def test_a_bad_policy_fails_with_its_problems():
    web = good_web(policy="version: STSv1\r\nmode: strict\r\nmx: mail.example.org\r\nmax_age: 604800\r\n")
    result = run(web=web)[0]["mta-sts"]
    assert result["status"] == "fail" and "mode must be testing, enforce or none" in result["remedy"]


def test_an_mx_host_the_policy_does_not_cover_fails_and_is_named():
    zone = zone_of(generated())
    zone[("example.org", "MX")] = [(10, HOST), (20, "backup.example.net")]
    result = run(zone)[0]["mta-sts"]
    assert result["status"] == "fail"
    assert "backup.example.net" in result["remedy"] and "mx: backup.example.net" in result["remedy"]
    assert HOST not in result["remedy"].split("MX host")[1].split(":")[0]
    assert "enforce" in result["remedy"] and "testing" in result["remedy"]


def test_a_wildcard_mx_pattern_covers_the_mx_hosts():
    zone = zone_of(generated())
    zone[("example.org", "MX")] = [(10, HOST), (20, "backup.example.org")]
    policy = _mta_sts.policy("testing", ["*.example.org"], 604800)
    result = run(zone, web=good_web(policy=policy), policy=policy)[0]["mta-sts"]
    assert result["status"] == "ok" and "mx *.example.org" in result["found"]
    zone[("example.org", "MX")] = [(10, HOST), (20, "mx.backup.example.org")]
    result = run(zone, web=good_web(policy=policy), policy=policy)[0]["mta-sts"]
    assert result["status"] == "fail" and "mx.backup.example.org" in result["remedy"]


def test_a_policy_with_mode_none_needs_no_mx_match():
    policy = "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n"
    zone = zone_of(generated())
    zone[("example.org", "MX")] = [(10, "mx.elsewhere.example")]
    result = run(zone, web=good_web(policy=policy), policy=policy)[0]["mta-sts"]
    assert result["status"] == "ok" and "mode none, mx none" in result["found"]


def test_an_unanswered_txt_lookup_is_unknown_not_missing():
    zone = zone_of(generated())
    zone[("_mta-sts.example.org", "TXT")] = "servfail"
    result = run(zone)[0]["mta-sts"]
    assert result["status"] == "fail" and result["found"].startswith("no answer")


def test_autoconfig_naming_another_host_warns():
    web = good_web()
    web[CONFIG_URL] = (200, _mta_sts.autoconfig_xml("mx.elsewhere.example", ["example.org"]))
    result = run(web=web)[0]["autoconfig"]
    assert result["status"] == "warn"
    assert CONFIG_URL in result["found"] and "no incomingServer with hostname mail.example.org" in result["found"]
    assert "mx.elsewhere.example" in result["found"] and "manual setup" in result["remedy"]


def test_autoconfig_host_names_compare_without_case():
    web = good_web()
    web[CONFIG_URL] = (200, _mta_sts.autoconfig_xml(HOST, ["example.org"]).replace(HOST, HOST.upper()))
    assert run(web=web)[0]["autoconfig"]["status"] == "ok"


def test_autoconfig_without_an_outgoing_server_warns():
    web = good_web()
    web[CONFIG_URL] = (200, _mta_sts.autoconfig_xml(HOST, ["example.org"], {"submissions": False, "submission": False}))
    result = run(web=web)[0]["autoconfig"]
    assert result["status"] == "warn" and "no outgoingServer" in result["found"]


def test_autodiscover_that_refuses_post_warns():
    web = good_web()
    web[("POST", DISCOVER_URL)] = (405, "<html>405 Not Allowed</html>")
    result = run(web=web)[0]["autoconfig"]
    assert result["status"] == "warn" and DISCOVER_URL + ": HTTP 405" in result["found"]
    assert CONFIG_URL not in result["found"] and "POST %s" % DISCOVER_URL in result["remedy"]


def test_autodiscover_naming_another_server_or_not_xml_warns():
    web = good_web()
    web[("POST", DISCOVER_URL)] = (200, _mta_sts.autodiscover_xml("mx.elsewhere.example"))
    result = run(web=web)[0]["autoconfig"]
    assert result["status"] == "warn" and "no Protocol with Server mail.example.org" in result["found"]
    web[("POST", DISCOVER_URL)] = (200, "<html><body>hello")
    result = run(web=web)[0]["autoconfig"]
    assert result["status"] == "warn" and "not XML" in result["found"]


def test_autoconfig_tls_errors_warn_with_the_error():
    web = good_web()
    web[CONFIG_URL] = "TLS certificate verification failed: self-signed certificate"
    web[("POST", DISCOVER_URL)] = "TLS certificate verification failed: self-signed certificate"
    result = run(web=web)[0]["autoconfig"]
    assert result["status"] == "warn"
    assert result["found"].count("self-signed certificate") == 2
    assert "a certificate valid for autoconfig.example.org and autodiscover.example.org" in result["remedy"]


def test_the_https_checks_follow_each_domain():
    records = _records.generate(HOST, ["example.org", "example.net"], [IP], [], dmarc_policy="quarantine",
                                mta_sts=STS, autoconfig=False)
    zone = zone_of(records)
    zone[("example.net", "SOA")] = ["ns.example.net"]
    web = {POLICY_URL: (200, POLICY), POLICY_URL.replace("example.org", "example.net"): (200, POLICY)}
    results = _doctor.diagnose(FakeDns(zone), HOST, ["example.org", "example.net"], [IP], records=records["records"],
                               fetch=FakeWeb(web), mta_sts_policy=POLICY)
    sts = [(r["domain"], r["status"]) for r in results if r["check"] == "mta-sts"]
    assert sts == [("example.org", "ok"), ("example.net", "ok")]
    assert not [r for r in results if r["check"] == "autoconfig"]


# --- dns_doctor_info's fetcher, against a local server --------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, code, body, headers=()):
        data = body.encode()
        self.send_response(code)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.asked.append(("GET", self.path, None, None))
        if self.path == "/.well-known/mta-sts.txt":
            self._answer(200, POLICY)
        elif self.path == "/big":
            self._answer(200, "x" * 100000)
        elif self.path == "/moved":
            self._answer(302, "moved", [("Location", "/.well-known/mta-sts.txt")])
        elif self.path == "/slow":
            time.sleep(1.5)
            self._answer(200, "late")
        else:
            self._answer(404, "not here")

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.asked.append(("POST", self.path, body, self.headers["Content-Type"]))
        self._answer(200, "<Autodiscover>%s</Autodiscover>" % len(body))


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the clients that time out or fail the handshake on purpose


def _certificates(directory):
    """A CA and a certificate for localhost and 127.0.0.1 it signed: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [str(directory / name) for name in ("ca.pem", "cert.pem", "key.pem")]
    pem = serialization.Encoding.PEM
    blobs = (ca.public_bytes(pem), cert.public_bytes(pem),
             key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    for path, data in zip(paths, blobs):
        with open(path, "wb") as handle:
            handle.write(data)
    return paths


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """{'http': base URL, 'https': base URL (a certificate for localhost only), 'ca': its CA, 'asked': requests}."""
    ca, cert, key = _certificates(tmp_path_factory.mktemp("tls"))
    asked = []
    plain = _Server(("127.0.0.1", 0), _Handler)
    secure = _Server(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    for server in (plain, secure):
        server.asked = asked
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"http": "http://127.0.0.1:%d" % plain.server_port, "https": "https://localhost:%d" % secure.server_port,
           "https_by_address": "https://127.0.0.1:%d" % secure.server_port, "ca": ca, "asked": asked}
    for server in (plain, secure):
        server.shutdown()
        server.server_close()


def test_fetch_gets_a_page_over_verified_https(servers):
    fetch = dns_doctor_info.make_fetch(servers["ca"])
    assert fetch(servers["https"] + "/.well-known/mta-sts.txt") == {"status": "ok", "code": 200, "body": POLICY,
                                                                    "msg": ""}


def test_fetch_connects_where_the_doctors_resolvers_say_and_checks_the_name(servers):
    # The certificate is for localhost; the name is resolved by the doctor's resolvers, not the system's.
    port = servers["https"].rsplit(":", 1)[1]
    asked = []

    def resolve(host):
        asked.append(host)
        return {"localhost": ["127.0.0.1"]}.get(host, [])
    fetch = dns_doctor_info.make_fetch(servers["ca"], resolve=resolve)
    assert fetch("https://localhost:%s/.well-known/mta-sts.txt" % port)["body"] == POLICY
    unknown = fetch("https://mta-sts.nowhere.example:%s/.well-known/mta-sts.txt" % port)
    assert unknown["status"] == "error"
    assert unknown["msg"] == "could not resolve the name: mta-sts.nowhere.example has no A/AAAA record at the resolvers asked"
    assert asked == ["localhost", "mta-sts.nowhere.example"]


def test_fetch_checks_the_certificate_against_the_name_asked_not_the_address(servers):
    port = servers["https"].rsplit(":", 1)[1]
    fetch = dns_doctor_info.make_fetch(servers["ca"], resolve=lambda host: ["127.0.0.1"])
    answer = fetch("https://mta-sts.example.org:%s/.well-known/mta-sts.txt" % port)
    assert answer["status"] == "error" and answer["msg"].startswith("TLS certificate verification failed")


def test_fetch_refuses_a_certificate_the_trust_store_does_not_know(servers):
    answer = dns_doctor_info.make_fetch()(servers["https"] + "/.well-known/mta-sts.txt")
    assert answer["status"] == "error" and answer["code"] is None
    assert answer["msg"].startswith("TLS certificate verification failed")


def test_fetch_refuses_a_certificate_for_another_name(servers):
    answer = dns_doctor_info.make_fetch(servers["ca"])(servers["https_by_address"] + "/.well-known/mta-sts.txt")
    assert answer["status"] == "error" and answer["msg"].startswith("TLS certificate verification failed")
    assert "127.0.0.1" in answer["msg"]


def test_fetch_reports_http_errors_with_their_code_and_body(servers):
    answer = dns_doctor_info.make_fetch(servers["ca"])(servers["https"] + "/nothing")
    assert answer == {"status": "ok", "code": 404, "body": "not here", "msg": "Not Found"}


def test_fetch_follows_no_redirect(servers):
    del servers["asked"][:]
    answer = dns_doctor_info.make_fetch()(servers["http"] + "/moved")
    assert answer["status"] == "ok" and answer["code"] == 302
    assert answer["msg"] == "a redirect to /.well-known/mta-sts.txt, not followed"
    assert [asked[1] for asked in servers["asked"]] == ["/moved"]


def test_fetch_reads_at_most_64_kib(servers):
    answer = dns_doctor_info.make_fetch()(servers["http"] + "/big")
    assert answer["code"] == 200 and len(answer["body"]) == 65536


def test_fetch_posts_xml(servers):
    del servers["asked"][:]
    body = _doctor.autodiscover_request("postmaster@example.org")
    fetch = dns_doctor_info.make_fetch(servers["ca"])
    answer = fetch(servers["https"] + "/autodiscover/autodiscover.xml", "POST", body)
    assert answer == {"status": "ok", "code": 200, "body": "<Autodiscover>%d</Autodiscover>" % len(body), "msg": ""}
    assert servers["asked"] == [("POST", "/autodiscover/autodiscover.xml", body, "text/xml; charset=utf-8")]


def test_fetch_says_why_it_could_not_connect(servers):
    answer = dns_doctor_info.make_fetch()(servers["http"].replace("http:", "https:") + "/")
    assert answer["status"] == "error" and answer["msg"].startswith("TLS handshake failed"), answer
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    answer = dns_doctor_info.make_fetch()("https://127.0.0.1:%d/" % port)
    assert answer == {"status": "error", "code": None, "body": "", "msg": "could not connect: connection refused"}
    answer = dns_doctor_info.make_fetch(timeout=0.5)(servers["http"] + "/slow")
    assert answer["status"] == "error" and answer["msg"] == "no answer within 0.5 s", answer


# --- dns_doctor_info's options --------------------------------------------------------------------

class _Exit(Exception):
    """exit_json or fail_json was called; args[0] is the result."""


def _exit_json(self, **result):
    raise _Exit(result)


def _fail_json(self, **result):
    raise _Exit(dict(result, failed=True))


def _main(monkeypatch, records, **args):
    """What dns_doctor_info returns (or fails with) against the fake DNS and the fake web; the
    ca_bundle make_fetch was given is in result['_ca_bundle']."""
    given = []

    def make_fetch(cafile=None, timeout=10, resolve=None):  # pylint: disable=unused-argument
        given.append(cafile)
        return FakeWeb(good_web())

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    monkeypatch.setattr(dns_doctor_info, "make_fetch", make_fetch)
    monkeypatch.setattr(dns_doctor_info._dns_module, "lookup_for", lambda module: FakeDns(zone_of(records)))
    module_args = dict({"hostname": HOST, "domains": ["example.org"], "public_ipv4": [IP], "public_ipv6": [IP6],
                        "records": records["records"], "_ansible_check_mode": True}, **args)
    with patch_module_args(module_args):
        with pytest.raises(_Exit) as raised:
            dns_doctor_info.main()
    return dict(raised.value.args[0], _ca_bundle=given)


def test_the_module_runs_the_https_checks_unless_told_not_to(monkeypatch):
    records = generated()
    result = _main(monkeypatch, records, mta_sts_policy=records["mta_sts_policy"])
    checks = {r["check"]: r for r in result["checks"]}
    assert checks["mta-sts"]["status"] == "ok" and checks["autoconfig"]["status"] == "ok", result
    assert checks["mta-sts"]["expected"].startswith("mode testing") and result["_ca_bundle"] == [None]
    result = _main(monkeypatch, records, https=False)
    assert not {"mta-sts", "autoconfig"} & {r["check"] for r in result["checks"]} and result["_ca_bundle"] == []


def test_the_module_passes_the_ca_bundle_and_refuses_a_missing_one(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    assert _main(monkeypatch, generated(), ca_bundle=str(bundle))["_ca_bundle"] == [str(bundle)]
    result = _main(monkeypatch, generated(), ca_bundle=str(tmp_path / "nothing.pem"))
    assert result["failed"] and "ca_bundle" in result["msg"] and "is not a file" in result["msg"]
