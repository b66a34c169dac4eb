"""Unit tests of the pure parts of lablib.abuse, lablib.load and lablib.census, the helpers of
tests/verify/site/test_abuse.py, test_faults.py and test_reload_under_load.py. Nothing reaches
the lab: Maildirs are temporary directories, SMTP is a scripted server on 127.0.0.1."""

import base64
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "verify"))

from lablib import abuse, census, load  # noqa: E402  pylint: disable=wrong-import-position
from lablib.secret import Secret  # noqa: E402  pylint: disable=wrong-import-position


# --- abuse ----------------------------------------------------------------------------------------

def test_plain_token_is_rfc4616_without_authorization_identity():
    assert base64.b64decode(abuse.plain_token("alice@d.test", "pw")) == b"\0alice@d.test\0pw"


def test_auth_mechanisms_sorted_upper_case():
    assert abuse.auth_mechanisms("plain LOGIN ") == ["LOGIN", "PLAIN"]
    assert abuse.auth_mechanisms("") == []
    assert abuse.auth_mechanisms(None) == []


def test_relay_attempts_cover_every_trick_once():
    attempts = abuse.relay_attempts("mail.d.test", "d.test", "alice@d.test", ("alice@d.test", "wrong"))
    kinds = [attempt[0] for attempt in attempts]
    assert len(kinds) == len(set(kinds)) == 15
    recipients = {attempt[0]: attempt[3] for attempt in attempts}
    assert recipients["percent hack"] == "victim%example.net@d.test"
    assert recipients["source route"] == "@d.test:victim@example.net"
    assert {attempt[1] for attempt in attempts} == {25, 465, 587}
    assert dict((a[0], a[4]) for a in attempts)["after a failed AUTH"] == {"login": ("alice@d.test", "wrong")}


def test_delay_summary_medians_and_codes():
    summary = abuse.delay_summary([(535, 2.0), (535, 2.2), (535, 1.9), (535, 2.1)],
                                  [(235, 0.01), (235, 0.0204), (235, 0.03), (235, 0.011)])
    assert summary["wrong_codes"] == [535]
    assert summary["right_codes"] == [235]
    assert summary["wrong_median"] == 2.05
    assert summary["right_median"] == 0.016
    assert summary["right_seconds"] == [0.01, 0.02, 0.03, 0.011]


def test_delay_summary_keeps_every_code_seen():
    assert abuse.delay_summary([(535, 1), (454, 1)], [(235, 0)])["wrong_codes"] == [454, 535]


def test_last_replies_names_kind_or_sender():
    assert abuse.last_replies([{"kind": "plain relay", "replies": ["MAIL 250 ok", "RCPT 554 no"]},
                               {"from": "a@d.test", "replies": []}]) == ["plain relay → RCPT 554 no", "a@d.test → -"]


# --- load -----------------------------------------------------------------------------------------

def test_due_time_paces_at_the_rate():
    assert [load.due_time(100.0, number, 10) for number in (1, 2, 11)] == [100.0, 100.1, 101.0]


@pytest.mark.parametrize("sent, stopped, now, expected", [
    (0, False, 0, True),       # not started
    (499, True, 0, True),      # stop asked, but fewer than the minimum sent
    (500, False, 0, True),     # the minimum sent, the converge still running
    (500, True, 0, False),     # both
    (10, False, 900, False),   # the deadline passed
])
def test_should_continue(sent, stopped, now, expected):
    assert load.should_continue(sent, 500, stopped, now, 900) is expected


@pytest.mark.parametrize("code, expected", [(250, "accepted"), (421, "retry"), (451, "retry"), (550, "refused"),
                                            (554, "refused")])
def test_verdict(code, expected):
    assert load.verdict(code) == expected


def test_build_numbers_the_message():
    message = load.build("load-x", 7, "alice@d.test")
    assert message["Message-ID"] == "<load-x.7@peer.test>"
    assert message["To"] == "alice@d.test"


def journal_entry(identifier, message, seconds):
    return {"SYSLOG_IDENTIFIER": identifier, "MESSAGE": message, "__REALTIME_TIMESTAMP": str(int(seconds * 1e6))}


def test_reload_times_by_daemon():
    entries = [
        journal_entry("postfix/master", "reload -- version 3.10.1, configuration /etc/postfix", 10.5),
        journal_entry("postfix/smtpd", "connect from peer.test[10.47.25.25]", 10.6),
        journal_entry("dovecot", "master: Warning: SIGHUP received - reloading configuration", 12.0),
        journal_entry("dovecot", "lmtp(alice@d.test): saved mail to INBOX", 12.1),
        journal_entry("systemd", "Reloaded dovecot.service - Dovecot IMAP/POP3 email server.", 12.2),
        journal_entry("systemd", "Reloaded opendkim-ed25519.service - OpenDKIM (ed25519).", 13.0),
        journal_entry("systemd", "Reloading postfix.service", 9.0),
        journal_entry("systemd", "Reloaded postfix.service - Postfix Mail Transport Agent.", 10.4),
    ]
    times = load.reload_times(entries)
    assert times == {"postfix": [10.4, 10.5], "dovecot": [12.0, 12.2], "opendkim": [13.0]}


def test_inside_is_strict():
    assert load.inside([1.0, 2.0, 3.0, 4.0], [1.0, 4.0]) == [2.0, 3.0]


class ScriptedSmtp:
    """A one-connection-at-a-time SMTP server on 127.0.0.1 answering RCPT with the next code
    from a list (then 250), to drive deliver() through each branch."""

    def __init__(self, rcpt_codes):
        self.rcpt_codes = list(rcpt_codes)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                connection = self.listener.accept()[0]
            except OSError:
                return
            with connection, connection.makefile("rb") as reader:
                connection.sendall(b"220 scripted ESMTP\r\n")
                for line in reader:
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        connection.sendall(b"250 scripted\r\n")
                    elif verb == b"RCPT":
                        code = self.rcpt_codes.pop(0) if self.rcpt_codes else 250
                        connection.sendall(b"%d reply %d\r\n" % (code, code))
                    elif verb == b"DATA":
                        connection.sendall(b"354 go\r\n")
                        for body_line in reader:
                            if body_line in (b".\r\n", b".\n"):
                                break
                        connection.sendall(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        connection.sendall(b"221 bye\r\n")
                        break
                    else:
                        connection.sendall(b"250 ok\r\n")

    def close(self):
        self.listener.close()


def test_deliver_reports_accept_retry_and_refusal(monkeypatch):
    server = ScriptedSmtp([451, 550])
    original = load.smtplib.SMTP
    target = {"port": server.port}

    def to_scripted(host, port, timeout=30):  # pylint: disable=unused-argument
        return original(host, target["port"], timeout=timeout)

    monkeypatch.setattr(load.smtplib, "SMTP", to_scripted)
    message = load.build("r", 1, "alice@d.test")
    try:
        assert load.deliver("127.0.0.1", "alice@d.test", message) == (451, "reply 451")
        assert load.deliver("127.0.0.1", "alice@d.test", message) == (550, "reply 550")
        assert load.deliver("127.0.0.1", "alice@d.test", message) == (250, "ok")
    finally:
        server.close()
    # A port nothing listens on: a broken connection, to be retried.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        target["port"] = unused.getsockname()[1]
        code, reply = load.deliver("127.0.0.1", "alice@d.test", message)
    assert code == 0 and "ConnectionRefusedError" in reply


# --- census ---------------------------------------------------------------------------------------

def write_message(maildir, sub, name, headers, body=b"body\r\n"):
    folder = maildir / sub
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"".join(h.encode() + b"\r\n" for h in headers) + b"\r\n" + body)


def test_header_values_unfolds_and_ignores_the_body():
    block = census.header_block(b"DKIM-Signature: v=1;\r\n\tb=abc\r\nMessage-Id: <a@b>\r\n\r\nMessage-ID: <body@b>\r\n")
    assert census.header_values(block, "message-id") == ["<a@b>"]
    assert census.header_values(block, "DKIM-Signature") == ["v=1; b=abc"]


def test_scan_counts_every_copy_in_new_and_cur(tmp_path):
    alice, bob = tmp_path / "d.test" / "alice" / "Maildir", tmp_path / "d.test" / "bob" / "Maildir"
    write_message(alice, "new", "1", ["Message-ID: <run1.lmtp.1@peer.test>"])
    write_message(alice, "cur", "2:2,S", ["message-id: <run1.lmtp.2@peer.test>"])
    write_message(alice, "cur", "3:2,S", ["Message-ID: <run1.lmtp.2@peer.test>"])
    write_message(bob, "new", "4", ["DKIM-Signature: v=1; a=rsa-sha256", "Message-ID: <run1.dkim.1@peer.test>"])
    write_message(bob, "new", "5", ["Message-ID: <run10.dkim.1@peer.test>"])  # another run's
    write_message(bob, "tmp", "6", ["Message-ID: <run1.dkim.9@peer.test>"])   # not delivered yet
    entries = census.scan(str(tmp_path), "run1")
    assert sorted((e["id"], e["maildir"].endswith("alice/Maildir"), e["dkim"]) for e in entries) == [
        ("<run1.dkim.1@peer.test>", False, True),
        ("<run1.lmtp.1@peer.test>", True, False),
        ("<run1.lmtp.2@peer.test>", True, False),
        ("<run1.lmtp.2@peer.test>", True, False),
    ]
    counts = census.tally(entries)
    assert counts["<run1.lmtp.2@peer.test>"] == 2
    assert census.judge(counts, ["<run1.lmtp.1@peer.test>", "<run1.lmtp.2@peer.test>", "<run1.lmtp.3@peer.test>"]) == {
        "missing": ["<run1.lmtp.3@peer.test>"], "doubled": {"<run1.lmtp.2@peer.test>": 2},
        "unexpected": ["<run1.dkim.1@peer.test>"]}


def test_judge_all_well():
    assert census.judge({"<a>": 1}, ["<a>"]) == {"missing": [], "doubled": {}, "unexpected": []}


def test_census_runs_as_a_script(tmp_path):
    """The file is run on the mail hosts as `python3 -c <file> <json>`: same result as scan()."""
    write_message(tmp_path / "a" / "Maildir", "new", "1", ["Message-ID: <r.x.1@peer.test>"])
    source = Path(census.__file__).read_text(encoding="utf-8")
    output = subprocess.run([sys.executable, "-c", source, json.dumps({"root": str(tmp_path), "prefix": "r"})],
                            capture_output=True, text=True, check=True).stdout
    assert json.loads(output) == census.scan(str(tmp_path), "r")


# --- secret ---------------------------------------------------------------------------------------

def test_secret_hides_its_value_in_repr_only():
    secret = Secret("alice-Secret-1")
    assert repr(secret) == "Secret('***')"
    assert "alice-Secret-1" not in repr({"password": secret, "pair": ("alice", secret)})
    assert secret == "alice-Secret-1"
    assert json.loads(json.dumps({"password": secret})) == {"password": "alice-Secret-1"}
    assert "Secret-1" in secret
