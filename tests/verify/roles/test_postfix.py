"""The postfix role alone (roles-postfix, mail.example.test): its settings, the wire from the peer
(outside mynetworks), delivery into virtual(8)'s Maildirs and out to the peer over TLS, testssl.sh,
an index deleted by hand rebuilt by a rerun, bad input refused before /etc changes, and a check +
diff rerun that finds nothing to change.

Run by extensions/molecule/roles/verify.yml; fixtures in tests/verify/conftest.py and ./conftest.py.
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from lablib import find_message, flush_queue, poll, postconf
from lablib.playbook import run_playbook

HOST = "roles-postfix"
ROLE = "postmaster.mail.postfix"
SASL_PASSWORD = "alice-secret"  # prepare.yml's test user (hashed on the host)
PEER_INBOX = "/var/mail/capture/inbox/new"
MAILDIRS = "/var/mail/vhosts/example.test"

EXPECTED_MAIN_CF = {
    "smtpd_tls_protocols": ">=TLSv1.2",
    "smtpd_tls_mandatory_protocols": ">=TLSv1.2",
    "smtp_tls_protocols": ">=TLSv1.2",
    "smtp_tls_mandatory_protocols": ">=TLSv1.2",
    "smtpd_tls_security_level": "may",
    "smtp_tls_security_level": "may",
    "smtpd_tls_auth_only": "yes",
    "smtpd_sasl_auth_enable": "no",
    "smtpd_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
    "mynetworks": "127.0.0.0/8, [::1]/128",
    "smtpd_tls_received_header": "yes",
    "virtual_mailbox_maps": "lmdb:/etc/postfix/virtual_mailbox",
    "smtpd_tls_exclude_ciphers": "aNULL, eNULL, EXPORT, DES, RC4, MD5, PSK, SRP, 3DES",
}
EXPECTED_MASTER_CF = {
    "submission/inet/smtpd_tls_security_level": "encrypt",
    "submission/inet/smtpd_sasl_auth_enable": "yes",
    "submissions/inet/smtpd_tls_wrappermode": "yes",
    "submissions/inet/smtpd_sasl_auth_enable": "yes",
    "submissions/inet/smtpd_relay_restrictions": "permit_sasl_authenticated,reject",
}

BAD_INPUT = [
    ("wrong type of a list", {"postfix_mynetworks": {"net": "10.0.0.0/8"}},
     r"argument 'postfix_mynetworks' is of type dict"),
    ("wrong type of a boolean", {"postfix_submission_enabled": "maybe"},
     r"argument 'postfix_submission_enabled' is of type str and we were unable to convert to bool"),
    ("value outside the choices", {"postfix_map_type": "hash"}, r"value of postfix_map_type must be one of: lmdb, cdb"),
    ("invalid host name", {"postfix_myhostname": "mail_host..example"}, r"postfix_myhostname: must be a fully qualified host name"),
    ("invalid network", {"postfix_mynetworks": ["10.0.0.0/8", "0.0.0.0/0x"]}, r"postfix_mynetworks: must be a list of networks"),
    ("invalid mail domain", {"postfix_virtual_mailbox_domains": ["exa mple.test"]},
     r"postfix_virtual_mailbox_domains: must be a list of domain names"),
    ("table key with a space", {"postfix_virtual_alias_maps": {"a b@example.test": ["alice@example.test"]}},
     r"postfix_virtual_alias_maps: keys must be"),
    ("unknown key in a master.cf service", {"postfix_master_cf": {"submission/inet": {"comand": "smtpd"}}},
     r'postfix_master_cf: entry "submission/inet" is invalid'),
    ("unknown main.cf parameter", {"postfix_main_cf": {"smtpd_tls_securty_level": "encrypt"}},
     r"postfix_main_cf / postfix_master_cf: Postfix rejected .* unused parameter: smtpd_tls_securty_level"),
    ("main.cf parameter name with a dash", {"postfix_main_cf": {"smtpd-banner": "hello"}},
     r"postfix_main_cf: .* names that are not Postfix parameters"),
]


def redacted(transcript):
    """A swaks transcript without what the client sent to authenticate (AUTH and its base64
    lines), for failure messages."""
    return "\n".join("[client line redacted]" if re.match(r"^\s*[~-]> (AUTH\b|[A-Za-z0-9+/=]{8,}\s*$)", line) else line
                     for line in transcript.splitlines())


@pytest.fixture(scope="module")
def mail_host(hosts):
    return hosts[HOST]


@pytest.fixture(scope="module")
def swaks(peer, mail_host):
    def run(*args, timeout=40):
        return peer.swaks("--server", mail_host.address, "--ehlo", "mx.peer.test", *args, timeout=timeout)
    return run


@pytest.fixture(scope="module")
def findings(report):
    found = {}
    yield found
    report("postfix: %s" % "; ".join("%s: %s" % item for item in found.items()))


def test_check_mode_rerun_changes_nothing(molecule_env, converge, findings):
    run = run_playbook(converge, molecule_env, limit=HOST, check=True, diff=True)
    assert run.rc == 0, run.failure_messages()
    assert run.stats[HOST]["changed"] == 0, [(r.role, r.task, r.item_label) for r in run.changed(HOST)]
    assert run.stats[HOST]["failures"] == 0 and run.stats[HOST]["unreachable"] == 0, run.summary()
    findings["check+diff rerun"] = "changed=0"


def test_main_cf_settings(mail_host):
    assert postconf(mail_host, *EXPECTED_MAIN_CF) == EXPECTED_MAIN_CF


def test_master_cf_settings(mail_host):
    lines = mail_host.check("postconf -P %s" % " ".join(["%s"] * len(EXPECTED_MASTER_CF)), *EXPECTED_MASTER_CF)
    found = dict(line.split(" = ", 1) for line in lines.splitlines() if " = " in line)
    assert found == EXPECTED_MASTER_CF


# swaks marks what the server said with "<-" before TLS and "<~" inside TLS; after STARTTLS it
# prints the second EHLO answer.
@pytest.mark.parametrize("name, args, offered, not_offered", [
    ("25 plain", ["--port", "25"], [r"<-  250[- ]STARTTLS"], [r"<-  250[- ]AUTH"]),
    ("25 STARTTLS", ["--port", "25", "--tls"], [r"TLS started"], [r"<~  250[- ]AUTH"]),
    ("587 plain", ["--port", "587"], [r"<-  250[- ]STARTTLS"], [r"<-  250[- ]AUTH"]),
    ("587 STARTTLS", ["--port", "587", "--tls"], [r"<~  250[- ]AUTH PLAIN"], []),
    ("465 TLS", ["--port", "465", "--tls-on-connect"], [r"<~  250[- ]AUTH PLAIN"], []),
])
def test_ehlo_offers(swaks, name, args, offered, not_offered):
    result = swaks(*args, "--quit-after", "EHLO")
    assert result.returncode == 0, "%s: swaks exited %s: %s" % (name, result.returncode, result.stdout[-2000:])
    for pattern in offered:
        assert re.search(pattern, result.stdout), "%s: %r not in the EHLO answer:\n%s" % (name, pattern, result.stdout)
    for pattern in not_offered:
        assert not re.search(pattern, result.stdout), "%s: %r offered:\n%s" % (name, pattern, result.stdout)


def test_587_needs_starttls(swaks):
    result = swaks("--port", "587", "--from", "alice@example.test", "--to", "bob@example.test")
    assert result.returncode != 0
    assert re.search(r"<\*\* 530 5\.7\.0 Must issue a STARTTLS command first", result.stdout), result.stdout


@pytest.mark.parametrize("args", [["--port", "587", "--tls"], ["--port", "465", "--tls-on-connect"]], ids=["587", "465"])
def test_wrong_password_refused(swaks, args):
    result = swaks(*args, "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "wrong",
                   "--from", "alice@example.test", "--to", "bob@example.test")
    code = result.returncode
    assert code == 28, "swaks exited %s (28: AUTH failed): %s" % (code, redacted(result.stdout[-2000:]))


def test_foreign_sender_refused(swaks):
    result = swaks("--port", "587", "--tls", "--auth", "PLAIN", "--auth-user", "alice@example.test",
                   "--auth-password", SASL_PASSWORD, "--from", "bob@example.test", "--to", "bob@example.test")
    code, transcript = result.returncode, redacted(result.stdout)
    assert code == 24, "swaks exited %s (24: no recipient accepted)" % code
    assert re.search(r"Sender address rejected. not owned by user", transcript), transcript


@pytest.mark.parametrize("sender, recipient, reason", [
    ("someone@peer.test", "victim@elsewhere.test", r"<\*\* 554 5\.7\.1 .*Relay access denied"),
    # A served domain as sender from outside is refused before relaying is even asked.
    ("alice@example.test", "victim@elsewhere.test", r"<\*\* 554 5\.7\.1 .*Sender address rejected: This domain is served here"),
    ("someone@peer.test", "nobody@example.test", r"<\*\* 550 5\.1\.1 .*User unknown"),
])
def test_relay_and_unknown_refused(swaks, sender, recipient, reason):
    result = swaks("--port", "25", "--from", sender, "--to", recipient)
    assert result.returncode == 24, "swaks exited %s (24: no recipient accepted): %s" % (result.returncode, result.stdout[-2000:])
    assert re.search(reason, result.stdout), result.stdout


def test_delivery(swaks, peer, mail_host, run_id, findings):
    sends = {
        "inbound": ("alice@example.test", ["--port", "25", "--tls", "--from", "someone@peer.test"]),
        "alias": ("info@example.test", ["--port", "25", "--from", "someone@peer.test"]),
        "submission": ("bob@example.test", ["--port", "587", "--tls", "--auth", "PLAIN", "--auth-user", "alice@example.test",
                                            "--auth-password", SASL_PASSWORD, "--from", "alice@example.test"]),
        "submissions-as-alias": ("friend@peer.test", ["--port", "465", "--tls-on-connect", "--auth", "LOGIN",
                                                      "--auth-user", "alice@example.test", "--auth-password", SASL_PASSWORD,
                                                      "--from", "info@example.test"]),
    }
    for name, (recipient, args) in sends.items():
        result = swaks(*args, "--to", recipient, "--header", "X-Run: %s-%s" % (run_id, name))
        code = result.returncode
        assert code == 0, "%s: swaks exited %s: %s" % (name, code, redacted(result.stdout[-2000:]))
    for name, user in (("inbound", "alice"), ("alias", "alice"), ("submission", "bob")):
        find_message(mail_host, "%s/%s" % (MAILDIRS, user), {"X-Run": "%s-%s" % (run_id, name)})
    relayed = poll(lambda: peer.run("grep", "-rl", "X-Run: %s-submissions-as-alias" % run_id, PEER_INBOX),
                   until=lambda result: result.returncode == 0, timeout=30,
                   what="the relayed message in the peer's %s" % PEER_INBOX)
    message = peer.read_file(relayed.stdout.splitlines()[0])
    assert re.search(r"using TLSv1\.[23]", message), "relayed without TLS 1.2+:\n%s" % message[:3000]
    flush_queue(mail_host, timeout=30)
    findings["delivered"] = "inbound, alias, submission in Maildirs; relayed to the peer over TLS; queue empty"


def test_testssl(peer, mail_host, run_id, findings):
    """Nothing below TLS 1.2 and no NULL, anonymous or export cipher on 25, 587 and 465."""
    specs = {25: ["--starttls", "smtp"], 587: ["--starttls", "smtp"], 465: []}

    def testssl(port):
        report_file = "/tmp/testssl-roles-%s-%s.json" % (port, run_id)
        peer.run("testssl", "--quiet", "--color", "0", "--warnings", "batch", "-p", "-s", "--jsonfile", report_file,
                 *specs[port], "%s:%s" % (mail_host.address, port), timeout=300)
        return {entry["id"]: entry["finding"] for entry in json.loads(peer.read_file(report_file))}

    with ThreadPoolExecutor(max_workers=len(specs)) as pool:
        results = dict(zip(specs, pool.map(testssl, specs)))
    for port, findings_of_port in results.items():
        for protocol in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
            assert findings_of_port.get(protocol) == "not offered", (port, protocol, findings_of_port.get(protocol))
        assert str(findings_of_port.get("TLS1_2", "")).startswith("offered"), (port, findings_of_port.get("TLS1_2"))
        for ciphers in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT"):
            assert findings_of_port.get(ciphers) == "not offered", (port, ciphers, findings_of_port.get(ciphers))
    findings["testssl"] = "25, 587, 465: TLS 1.2+ only, no NULL/aNULL/EXPORT"


@pytest.mark.converges
def test_index_deleted_by_hand_is_rebuilt(molecule_env, converge, mail_host, findings):
    mail_host.check("rm -f /etc/postfix/virtual_mailbox.lmdb")
    run = run_playbook(converge, molecule_env, limit=HOST)
    assert run.rc == 0, run.failure_messages()
    assert mail_host.check("postmap -q alice@example.test lmdb:/etc/postfix/virtual_mailbox").strip() == "example.test/alice/"
    findings["index"] = "deleted by hand, rebuilt by a rerun"


@pytest.mark.converges
@pytest.mark.parametrize("name, extra, error", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_refused(refused, apply_role, mail_host, name, extra, error):
    refused(mail_host, apply_role, dict(extra, role=ROLE), error)
