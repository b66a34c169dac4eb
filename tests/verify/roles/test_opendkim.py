"""OpenDKIM through playbooks/site.yml (roles-opendkim, example.test, selfsigned, RSA + Ed25519): the
records site.yml wrote, published in the lab DNS; keys and sockets with their owners and modes;
Postfix's milters; mail submitted by alice signed twice and verified by dkimpy at the peer (and
failing once tampered with), mail from outside not signed; a rerun keeps the keys; bad input
refused before /etc changes; and OPENDKIM_BOOTS container restarts (3 in make test, 30 in make
soak) with both OpenDKIM instances starting cleanly each time (test_boots, last: it restarts the host).

Run by extensions/molecule/roles/verify.yml; fixtures in tests/verify/conftest.py and ./conftest.py.
"""

import functools
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from lablib import find_message, parse_milters, poll
from lablib.playbook import run_playbook

HOST = "roles-opendkim"
DOMAIN = "example.test"
PASSWORD = "alice-Secret-1"  # the scenario's test user; must never show in a run's output
KEYS = {"mail": "rsa-sha256", "mail-ed": "ed25519-sha256"}
KEY_DIR = "/etc/opendkim/keys/example.test"
SOCKET_DIR = "/var/spool/postfix/opendkim"
UNITS = ("opendkim", "opendkim-ed25519")
MAILDIR = "/var/vmail/example.test/alice/Maildir"
PEER_INBOX = "/var/mail/capture/inbox/new"
DKIM_VERIFY = (Path(__file__).resolve().parent / "dkim_verify.py").read_text(encoding="utf-8")

BAD_INPUT = [
    ("selector with invalid characters", {"opendkim_domains": [DOMAIN], "opendkim_selector": "mail_2026!"},
     r"opendkim_selector: must be DNS labels"),
    ("domain with invalid characters", {"opendkim_domains": ["exa mple.test"]},
     r'opendkim_domains: must be a list of domain names .* invalid: \["exa mple.test"\]'),
    ("RSA size below 2048", {"opendkim_domains": [DOMAIN], "opendkim_rsa_size": 1024},
     r"opendkim_rsa_size: must be at least 2048 bits"),
    ("key type switch that is not a boolean", {"opendkim_domains": [DOMAIN], "opendkim_ed25519": "sometimes"},
     r"argument 'opendkim_ed25519' is of type str and we were unable to convert to bool"),
]


@pytest.fixture(scope="module")
def mail_host(hosts):
    return hosts[HOST]


@pytest.fixture(scope="module")
def findings(report):
    found = {}
    yield found
    report("opendkim: %s" % "; ".join("%s: %s" % item for item in found.items()))


def redacted(transcript):
    """A swaks transcript without what the client sent to authenticate (AUTH and its base64
    lines), for failure messages."""
    return "\n".join("[client line redacted]" if re.match(r"^\s*[~-]> (AUTH\b|[A-Za-z0-9+/=]{8,}\s*$)", line) else line
                     for line in transcript.splitlines())


def dkim_records(zone_text):
    """{DNS name: TXT record line} of the DKIM keys in a zone fragment site.yml wrote (pure)."""
    records = {}
    for line in zone_text.splitlines():
        fields = line.split(None, 4)
        if len(fields) == 5 and fields[3].upper() == "TXT" and "._domainkey." in fields[0]:
            records[fields[0].rstrip(".")] = line
    return records


@pytest.fixture(scope="module")
def published(molecule_env, inventory, tmp_path_factory):
    """The DKIM records site.yml wrote for example.test, published in the lab DNS (for good, as a
    user would publish them)."""
    records_dir = inventory[HOST].get("mail_dns_records_dir") or Path(molecule_env["MOLECULE_INVENTORY_FILE"]).parent / "dns-records"
    zone = Path(str(records_dir), DOMAIN + ".zone")
    assert zone.is_file(), "site.yml wrote no %s" % zone
    records = dkim_records(zone.read_text(encoding="utf-8"))
    assert sorted(records) == sorted("%s._domainkey.%s" % (selector, DOMAIN) for selector in KEYS), records
    return records, zone


def test_records_published(published, lab_dns, findings):
    records, _zone = published
    fragment = Path(os.environ.get("TMPDIR", "/tmp"), "roles-dkim-%s.zone" % os.getpid())
    fragment.write_text("\n".join(records.values()) + "\n", encoding="utf-8")
    try:
        lab_dns.load(fragment)
    finally:
        fragment.unlink()
    for name in records:
        values = lab_dns.get(name, "TXT")
        assert len(values) == 1 and values[0].replace("\n", "").startswith("v=DKIM1;"), (name, values)
    findings["records"] = "%s published as site.yml wrote them" % ", ".join(sorted(records))


def test_keys_and_sockets(mail_host):
    for selector in KEYS:
        key = mail_host.host.file("%s/%s.private" % (KEY_DIR, selector))
        assert (key.is_file, key.user, key.mode) == (True, "opendkim", 0o600), key.path
    directory = mail_host.host.file(SOCKET_DIR)
    assert (directory.is_directory, directory.user, directory.group, directory.mode) == (True, "opendkim", "postfix", 0o750)
    for unit in UNITS:
        sock = mail_host.host.file("%s/%s.sock" % (SOCKET_DIR, unit))
        assert (sock.is_socket, sock.group, sock.mode) == (True, "postfix", 0o660), sock.path


def test_check_mode_rerun_changes_nothing(molecule_env, converge, findings):
    run = run_playbook(converge, molecule_env, limit=HOST, check=True, diff=True)
    assert run.rc == 0, run.failure_messages()
    assert run.stats[HOST]["changed"] == 0, [(r.role, r.task, r.item_label) for r in run.changed(HOST)]
    assert PASSWORD not in run.output
    findings["check+diff rerun"] = "changed=0"


def test_milters(mail_host):
    values = dict(line.split(" = ", 1) for line in mail_host.check(
        "postconf smtpd_milters non_smtpd_milters postmaster_outbound_milters milter_default_action").splitlines())
    # rspamd's milter checks what every SMTP client sends: on port 25 from outside as a receiver,
    # on the submission ports only for the outbound checks (From: ownership, the send limit).
    # OpenDKIM's sign what the users and the host send (the submissions, mynetworks, sendmail).
    rspamd = [("inet:127.0.0.1:11332", {"default_action": "accept"})]
    opendkim = [("unix:opendkim/opendkim.sock", {"default_action": "accept"}),
                ("unix:opendkim/opendkim-ed25519.sock", {"default_action": "accept"})]
    expected = {"smtpd_milters": rspamd, "postmaster_outbound_milters": rspamd + opendkim, "non_smtpd_milters": opendkim}
    for name, milters in expected.items():
        assert [tuple(m) for m in parse_milters(values[name])] == milters, "%s = %s" % (name, values[name])
    assert values["milter_default_action"] == "accept"


def test_signed_outbound_unsigned_inbound(published, peer, mail_host, run_id, findings):
    submitted = peer.swaks("--server", mail_host.address, "--port", "587", "--tls", "--auth", "PLAIN",
                           "--auth-user", "alice@example.test", "--auth-password", PASSWORD,
                           "--from", "alice@example.test", "--to", "friend@peer.test",
                           "--header", "Subject: signed %s" % run_id, "--header", "X-Run: %s-signed" % run_id)
    code = submitted.returncode
    assert code == 0, redacted(submitted.stdout[-2000:])
    inbound = peer.swaks("--server", mail_host.address, "--port", "25", "--from", "someone@peer.test",
                         "--to", "alice@example.test", "--header", "X-Run: %s-inbound" % run_id)
    assert inbound.returncode == 0, inbound.stdout[-2000:]

    signed = poll(lambda: peer.run("grep", "-rl", "X-Run: %s-signed" % run_id, PEER_INBOX),
                  until=lambda result: result.returncode == 0, timeout=30, what="the signed message at the peer")
    verdicts = json.loads(peer.check("python3", "-c", DKIM_VERIFY, signed.stdout.splitlines()[0]))
    as_sent = verdicts["as_sent"]
    assert sorted(v["a"] for v in as_sent) == sorted(KEYS.values()), as_sent
    assert sorted(v["s"] for v in as_sent) == sorted(KEYS), as_sent
    assert all(v["ok"] for v in as_sent), as_sent
    assert len(verdicts["body_changed"]) == 2 and not any(v["ok"] for v in verdicts["body_changed"]), verdicts
    assert len(verdicts["subject_changed"]) == 2 and not any(v["ok"] for v in verdicts["subject_changed"]), verdicts

    headers = find_message(mail_host, MAILDIR, {"X-Run": "%s-inbound" % run_id})
    assert headers.get_all("DKIM-Signature") is None, headers.get_all("DKIM-Signature")
    findings["mail"] = "outbound signed rsa-sha256 + ed25519-sha256, verified by dkimpy, tampering detected; inbound unsigned"


def key_digests(mail_host):
    return {selector: mail_host.check("sha256sum %s", "%s/%s.private" % (KEY_DIR, selector)).split()[0] for selector in KEYS}


@pytest.mark.converges
def test_rerun_keeps_the_keys(molecule_env, converge, mail_host, findings):
    before = key_digests(mail_host)
    run = run_playbook(converge, molecule_env, limit=HOST)
    assert run.rc == 0, run.failure_messages()
    assert run.stats[HOST]["changed"] == 0, [(r.role, r.task, r.item_label) for r in run.changed(HOST)]
    assert PASSWORD not in run.output
    assert key_digests(mail_host) == before
    findings["rerun"] = "changed=0, keys kept"


@pytest.mark.converges
@pytest.mark.parametrize("name, extra, error", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_refused(refused, apply_role, mail_host, name, extra, error):
    refused(mail_host, apply_role, dict(extra, role="postmaster.mail.opendkim"), error)


def _podman(*argv, timeout=60):
    return subprocess.run(["podman"] + [str(arg) for arg in argv], capture_output=True, text=True, timeout=timeout,
                          check=False)


def _system_state(container):
    """systemd's state once it has finished booting (right after a restart it may not answer yet)."""
    return _podman("exec", container, "systemctl", "is-system-running", "--wait", timeout=90).stdout.strip()


def test_boots(mail_host, findings):
    """OPENDKIM_BOOTS restarts of the container (3 by default; make soak: 30): after each boot,
    systemd finishes booting and both OpenDKIM instances are active with their sockets."""
    boots = int(os.environ.get("OPENDKIM_BOOTS", "3"))
    container = mail_host.name
    mail_host.close()  # the ssh master connection dies with the container
    started = time.monotonic()
    for boot in range(1, boots + 1):
        restarted = _podman("restart", "-t", "10", container, timeout=120)
        assert restarted.returncode == 0, "boot %s: podman restart: %s" % (boot, restarted.stderr)
        state = poll(functools.partial(_system_state, container),
                     until=lambda answer: answer in ("running", "degraded"), timeout=120, interval=0.5,
                     what="boot %s: systemd to finish booting" % boot)
        for unit in UNITS:
            active = _podman("exec", container, "systemctl", "is-active", unit)
            sock = _podman("exec", container, "test", "-S", "%s/%s.sock" % (SOCKET_DIR, unit))
            if active.returncode != 0 or sock.returncode != 0:
                journal = _podman("exec", container, "journalctl", "-b", "-u", unit, "--no-pager", "-n", "20").stdout
                pytest.fail("boot %s (system %s): %s is %s, socket %s\n%s" % (
                    boot, state, unit, active.stdout.strip(), "present" if sock.returncode == 0 else "missing", journal))
    findings["boots"] = "%s boots, %s clean starts of %s (%.0f s)" % (boots, boots, " and ".join(UNITS), time.monotonic() - started)
