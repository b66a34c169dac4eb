"""TLS on every mail port of both hosts, scanned from the lab's peer with testssl.sh: nothing below
TLS 1.2, no NULL, anonymous or export cipher, TLS 1.2 offered; on the ports only the users' own
programs use (587, 465, 993, 995), every suite offered (`-E`) is AEAD: no CBC, no SHA-1 MAC.
Port 25 keeps a broad list for opportunistic peers.

The ten scans run in parallel in the peer (one podman exec each), once for the module; each test
judges one port from testssl's JSON findings. Run by extensions/molecule/site/verify.yml.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from lablib.verdicts import non_aead_suites, offered_suites, scan_findings

HOSTS = ("site-debian13", "site-debian12")
# port -> testssl arguments
TLS_PORTS = {25: ["--starttls", "smtp"], 587: ["--starttls", "smtp"], 465: [], 993: [], 995: []}
FINDINGS = ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "cipherlist_NULL", "cipherlist_aNULL",
            "cipherlist_EXPORT")
# The ports scanned suite by suite as well (testssl -E).
AEAD_PORTS = (587, 465, 993, 995)
SCAN_TIMEOUT = 600
PARALLEL = 5


def _scan(peer, address, domain, port):
    report_file = "/tmp/testssl-%s-%s.json" % (domain, port)
    result = peer.sh('rm -f "$1"; shift; exec testssl "$@"', report_file, "--quiet", "--color", "0",
                     "--warnings", "off", "--protocols", "--std", "--jsonfile", report_file,
                     *(["-E"] if port in AEAD_PORTS else []), *TLS_PORTS[port], "%s:%s" % (address, port),
                     timeout=SCAN_TIMEOUT)
    read = peer.run("cat", report_file, timeout=30)
    if read.returncode != 0:
        return {"error": "testssl exited %s and wrote no report: %s" % (result.returncode, result.stdout[-1500:])}
    scan = json.loads(read.stdout)
    return dict(scan_findings(scan, FINDINGS), non_aead=non_aead_suites(scan), offered=offered_suites(scan))


@pytest.fixture(scope="module")
def scans(peer, hosts):
    """{(host, port): findings}, every scan run once, PARALLEL at a time."""
    jobs = {(name, port): (hosts[name].vars["mail_public_ipv4"], hosts[name].vars["site_domain"], port)
            for name in HOSTS for port in TLS_PORTS}
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {key: pool.submit(_scan, peer, *job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("name", HOSTS)
@pytest.mark.parametrize("port", list(TLS_PORTS))
def test_nothing_below_tls_12_no_null_anonymous_or_export_cipher_and_tls_12_offered(scans, name, port, report):
    found = scans[name, port]
    assert "error" not in found, found["error"]
    for protocol in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert found.get(protocol, "").startswith("not offered"), (protocol, found)
    assert found.get("TLS1_2", "").startswith("offered"), found
    for ciphers in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT"):
        assert "not offered" in found.get(ciphers, ""), (ciphers, found)
    report("testssl %s:%s: TLS1_2 %s, TLS1_3 %s, below 1.2 and NULL/aNULL/EXPORT not offered" % (
        name, port, found["TLS1_2"], found.get("TLS1_3", "?")))


@pytest.mark.parametrize("name", HOSTS)
@pytest.mark.parametrize("port", AEAD_PORTS)
def test_the_users_ports_offer_aead_suites_only(scans, name, port, report):
    found = scans[name, port]
    assert "error" not in found, found["error"]
    assert found["offered"] > 0, "testssl -E listed no suite: %s" % found
    assert found["non_aead"] == [], found["non_aead"]
    report("testssl -E %s:%s: %d suites offered, all AEAD (no CBC, no SHA-1)" % (name, port, found["offered"]))
