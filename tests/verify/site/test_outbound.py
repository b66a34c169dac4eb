"""Outbound reputation as receivers meet it (issue 16), from the lab's peer and on the hosts:
  * the null sender is refused on 587 and 465 (13);
  * a message submitted without Message-ID and Date arrives at the peer with both, and no header
    of the peer's copy names the submitting client's address, HELO name or login (13);
  * DKIM: relaxed/relaxed, From, To, Subject, Date and Message-ID signed once more than they occur
    (oversigned), and the signature passes at the peer (13);
  * bounces leave from MAILER-DAEMON@<primary domain> (myorigin), DKIM-signed and aligned, and mail
    from an address at the host name is signed with the primary domain's key (13);
  * mail to root on the host reaches the primary domain's postmaster, a real mailbox (both);
  * Postfix's per-client limits are the documented defaults (13);
  * From: must be one of the login's own addresses: another user's is refused with 554 5.7.1,
    to an outside and to a local recipient, while an alias the user owns and a +extension pass;
    GTUBE is refused like any pre-result, and a submission is never scored as spam (the refusal
    on both, the rest on 13);
  * each user's hourly sending limit: carol's N+1st message is deferred with 451 4.7.1 naming N
    (both: rspamd 3.12 and 3.4; mail_send_limit is lowered to 60 in the lab).
The ciphers of 587/465/993/995 are judged by test_tls.py (testssl.sh -E). Run by
extensions/molecule/site/verify.yml.
"""

import email
import email.utils
import json
import re

import pytest

from lablib import imap_fetch, poll, receiver
from lablib.peer import ROOTS_PEM
from lablib.verdicts import without_auth

HOSTS = ("site-debian13", "site-debian12")
HOST13 = "site-debian13"
ALICE_PASSWORD = "alice-Secret-1"
PEER_ADDRESS = "10.47.25.25"
CLIENT_HELO = "client.peer.test"
# The peer's catch-all Maildir (tests/lab/peer/start.sh).
CAPTURE = "/var/mail/capture/inbox/new"
OVERSIGNED = ("from", "to", "subject", "date", "message-id")
CAROL_PASSWORD = "carol-Secret-3"
# Sends as `login` on 587 until the server defers or refuses a message or `most` were accepted,
# in one SMTP session (python in the peer): {"accepted": n, "refused": [code, text] or null}.
SEND_UNTIL_REFUSED = """
import json, smtplib, ssl, sys
host, login, most, roots = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
password = sys.stdin.read()
accepted, refused = 0, None
with smtplib.SMTP(host, 587, timeout=60) as smtp:
    smtp.starttls(context=ssl.create_default_context(cafile=roots))
    smtp.login(login, password)
    for number in range(1, most + 1):
        message = "From: <%s>\\r\\nTo: <%s>\\r\\nSubject: limit %d\\r\\n\\r\\nMessage %d.\\r\\n" % (login, login, number, number)
        try:
            smtp.sendmail(login, [login], message)
        except smtplib.SMTPResponseException as error:
            refused = [error.smtp_code, error.smtp_error.decode()]
            break
        accepted += 1
print(json.dumps({"accepted": accepted, "refused": refused}))
"""


@pytest.fixture(scope="module")
def findings(report):
    found = {}
    yield found
    for key in sorted(found):
        report("outbound %s: %s" % (key, found[key]))


def submit(peer, server, port, *args):
    domain = server.vars["site_domain"]
    tls = "--tls" if port == "587" else "--tls-on-connect"
    return peer.swaks("--server", server.vars["mail_hostname"], "--port", port, tls, "--ehlo", CLIENT_HELO,
                      "--tls-verify", "--tls-ca-path", ROOTS_PEM, "--auth", "PLAIN", "--auth-user", "alice@" + domain,
                      "--auth-password", ALICE_PASSWORD, *args)


def refusal(transcript):
    """The server's first error reply (swaks marks it "<~*" or "<**")."""
    found = re.search(r"^\s*<~?\*+\s+([45]\d\d .*)$", transcript, re.M)
    return found.group(1) if found else ""


def at_the_peer(peer, mark, what):
    """The path and text of the message with "X-Run: <mark>" in the peer's catch-all Maildir."""
    script = 'grep -l -x -F "X-Run: $1" %s/* 2>/dev/null | head -1' % CAPTURE

    def look():
        return peer.sh(script, mark).stdout.strip()

    path = poll(look, timeout=60, interval=0.5, what=what)
    return path, peer.read_file(path)


@pytest.mark.parametrize("port", ["587", "465"])
def test_the_null_sender_is_refused_on_submission(peer, hosts, port, findings):
    server = hosts[HOST13]
    result = submit(peer, server, port, "--from", "<>", "--to", "out@peer.test")
    reply = refusal(result.stdout)
    assert result.returncode in (23, 24), without_auth(result.stdout)  # refused at MAIL, or at RCPT (delayed)
    assert reply.startswith("553 5.7.1") or reply.startswith("554 5.7.1"), without_auth(result.stdout)
    assert "The null sender is for bounces" in reply, reply
    findings["null sender %s" % port] = reply


def test_a_submission_leaves_with_message_id_and_date_without_the_client_and_oversigned(peer, hosts, run_id, findings):
    server = hosts[HOST13]
    domain = server.vars["site_domain"]
    mark = "%s-bare" % run_id
    # A message as a careless program writes it: no Message-ID, no Date.
    data = ("From: <alice@%s>\nTo: <bare-%s@peer.test>\nSubject: bare\nX-Run: %s\n\nNo Message-ID, no Date.\n"
            % (domain, domain, mark))
    result = submit(peer, server, "587", "--from", "alice@" + domain, "--to", "bare-%s@peer.test" % domain,
                    "--data", data)
    assert result.returncode == 0, without_auth(result.stdout)
    path, text = at_the_peer(peer, mark, "the bare message at the peer")
    head = text.split("\n\n", 1)[0]
    message = email.message_from_string(head)
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", (message["Message-ID"] or "").strip()), head
    assert email.utils.parsedate_to_datetime(message["Date"]) is not None, head
    # Nothing names the submitting client: not its address, not its HELO name, not the login (the
    # From: and Return-Path: lines are the user's own address and are left out of the search).
    others = "\n".join(line for line in head.replace("\n\t", " ").replace("\n ", " ").splitlines()
                       if not line.lower().startswith(("from:", "return-path:")))
    for trace in (PEER_ADDRESS, CLIENT_HELO, "alice@" + domain):
        assert trace not in others, (trace, head)
    # The log keeps who sent it.
    logged = server.check("journalctl -q -o cat --since '30 min ago' SYSLOG_IDENTIFIER=postfix/submission/smtpd")
    assert "sasl_username=alice@%s" % domain in logged, logged[-2000:]
    # DKIM: relaxed/relaxed, the headers receivers show oversigned, and it passes at the peer.
    signatures = [receiver.tags(re.sub(r"\s", "", value)) for value in message.get_all("DKIM-Signature")]
    rsa = [tags for tags in signatures if tags.get("a") == "rsa-sha256"]
    assert rsa, head
    signed = [name.lower() for name in rsa[0]["h"].split(":")]
    assert rsa[0]["c"] == "relaxed/relaxed", rsa[0]
    for name in OVERSIGNED:
        assert signed.count(name) == len(message.get_all(name, [])) + 1, (name, signed)
    for name in ("cc", "reply-to"):  # absent, signed as absent: none can be added
        assert signed.count(name) == 1, (name, signed)
    evaluated = peer.run("python3", "-c", receiver.source(), path, server.vars["mail_public_ipv4"],
                         server.vars["mail_hostname"], timeout=60)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    verdict = json.loads(evaluated.stdout)
    assert [sig["pass"] for sig in verdict["dkim"]] == [True] * len(verdict["dkim"]) and verdict["dkim"], verdict
    assert verdict["dmarc"] == "pass", verdict
    findings["submission"] = "Message-ID %s and Date added; no client address, HELO or login in the headers; " \
        "DKIM c=relaxed/relaxed h=%s, pass" % (message["Message-ID"].strip(), rsa[0]["h"])


def test_a_bounce_leaves_dkim_signed_and_aligned(peer, hosts, run_id, findings):
    server = hosts[HOST13]
    domain, hostname = server.vars["site_domain"], server.vars["mail_hostname"]
    mark = "%s-bounce-out" % run_id
    # Mail from an outside sender to a mailbox that does not exist, queued on the host itself: the
    # bounce goes back to the sender at the peer.
    server.check("printf 'Subject: to nobody\\nX-Run: %s\\n\\nbody\\n' | /usr/sbin/sendmail -f bounced-%s@peer.test "
                 "nobody-%s@%s" % (mark, domain, mark, domain))
    script = 'grep -l -F "X-Run: $1" %s/* 2>/dev/null | xargs -r grep -l -i "^From:.*<MAILER-DAEMON@" | head -1' % CAPTURE

    def look():
        return peer.sh(script, mark).stdout.strip()

    path = poll(look, timeout=60, interval=0.5, what="the bounce at the peer")
    message = email.message_from_string(peer.read_file(path).split("\n\n", 1)[0])
    assert receiver.domain_of(message["From"]) == domain, message["From"]
    evaluated = peer.run("python3", "-c", receiver.source(), path, server.vars["mail_public_ipv4"], hostname, timeout=60)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    verdict = json.loads(evaluated.stdout)
    assert verdict["dkim"] and all(sig["pass"] and sig["d"] == domain for sig in verdict["dkim"]), verdict
    assert (verdict["dkim_aligned"], verdict["dmarc"]) == (True, "pass"), verdict
    findings["bounce"] = "From %s, DKIM d=%s pass, DMARC pass" % (message["From"], domain)


def test_mail_from_the_host_name_is_signed_with_the_primary_domains_key(peer, hosts, run_id, findings):
    server = hosts[HOST13]
    domain, hostname = server.vars["site_domain"], server.vars["mail_hostname"]
    mark = "%s-hostname" % run_id
    server.check("printf 'From: cron@%s\\nTo: hn@peer.test\\nSubject: cron\\nX-Run: %s\\n\\nbody\\n' | "
                 "/usr/sbin/sendmail -f cron@%s hn@peer.test" % (hostname, mark, hostname))
    path, _text = at_the_peer(peer, mark, "the host name's message at the peer")
    evaluated = peer.run("python3", "-c", receiver.source(), path, server.vars["mail_public_ipv4"], hostname, timeout=60)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    verdict = json.loads(evaluated.stdout)
    assert verdict["from_domain"] == hostname, verdict
    assert verdict["dkim"] and all(sig["pass"] and sig["d"] == domain for sig in verdict["dkim"]), verdict
    assert (verdict["dkim_aligned"], verdict["dmarc"]) == (True, "pass"), verdict
    findings["host name"] = "From cron@%s: DKIM d=%s pass, DMARC pass (relaxed alignment)" % (hostname, domain)


@pytest.mark.parametrize("name", HOSTS)
def test_mail_to_root_reaches_the_primary_postmaster(hosts, pebble_roots, run_id, name, findings):
    server = hosts[name]
    domain = server.vars["site_domain"]
    mark = "%s-root-%s" % (run_id, name)
    server.check("printf 'Subject: cron says\\nX-Run: %s\\n\\nroot mail\\n' | /usr/sbin/sendmail root" % mark)
    found = poll(lambda: imap_fetch(server.address, "alice@" + domain, ALICE_PASSWORD, pebble_roots,
                                    server_hostname=server.vars["mail_hostname"], header=("X-Run", mark)),
                 timeout=60, interval=1, what="root's mail in alice's INBOX on %s" % name)
    sender = email.utils.parseaddr(found[0]["From"])[1]
    assert sender == "root@" + domain, str(found[0])
    assert "d=%s;" % domain in re.sub(r"\s", "", found[0]["DKIM-Signature"] or ""), str(found[0])
    findings["root " + name] = "mail to root delivered to alice@%s (postmaster), From %s, DKIM-signed" % (domain, sender)


def test_the_per_client_limits_are_the_documented_defaults(hosts, findings):
    limits = hosts[HOST13].check("postconf -h smtpd_client_connection_count_limit smtpd_client_auth_rate_limit "
                                 "smtpd_recipient_limit myorigin").split()
    domain = hosts[HOST13].vars["site_domain"]
    assert limits == ["10", "20", "100", domain], limits
    findings["limits"] = "connections 10, AUTH 20/min, recipients 100 per client; myorigin %s" % domain


@pytest.mark.parametrize("recipient", ["outside", "local"])
@pytest.mark.parametrize("name", HOSTS)
def test_another_users_address_in_from_is_refused(peer, hosts, run_id, name, recipient, findings):
    """alice may use bob's address neither in the envelope (Postfix) nor in From: (rspamd's rule,
    before OpenDKIM would sign it): the envelope is hers here, only the header is bob's. (rspamd
    3.12 on Debian 13, 3.4 on 12.)"""
    server = hosts[name]
    domain = server.vars["site_domain"]
    bob = "bob@lists." + domain
    to = "from-%s@peer.test" % run_id if recipient == "outside" else bob
    result = submit(peer, server, "587", "--from", "alice@" + domain, "--to", to, "--header", "From: Bob <%s>" % bob,
                    "--header", "X-Run: from-%s-%s" % (recipient, run_id))
    reply = refusal(result.stdout)
    assert result.returncode == 26, without_auth(result.stdout)  # refused after DATA
    assert reply == "554 5.7.1 From: %s is not an address of alice@%s" % (bob, domain), reply
    findings["foreign From to %s (%s)" % (recipient, name)] = reply


@pytest.mark.parametrize("sender", ["info@{d}", "alice+news@{d}", "Alice@{d}"])
def test_an_owned_alias_a_plus_address_and_any_case_pass_the_from_check(peer, hosts, sender):
    server = hosts[HOST13]
    domain = server.vars["site_domain"]
    address = sender.format(d=domain)
    result = submit(peer, server, "587", "--from", "alice@" + domain, "--to", "alice@" + domain,
                    "--header", "From: Alice <%s>" % address)
    assert result.returncode == 0, without_auth(result.stdout)


def test_a_submission_meets_only_the_outbound_checks(peer, hosts, run_id, findings):
    """rspamd sees the users' mail only for the From: check and the sending limit: the log line of
    a submission has no score and no other symbol; GTUBE (a pre-result, like the From: check) is
    refused on 587 too."""
    server = hosts[HOST13]
    domain = server.vars["site_domain"]
    message_id = "<outbound-%s@%s>" % (run_id, domain)
    result = submit(peer, server, "587", "--from", "alice@" + domain, "--to", "alice@" + domain,
                    "--header", "Message-ID: " + message_id, "--body", "Free money, click here: http://bit.ly/x\n")
    assert result.returncode == 0, without_auth(result.stdout)
    line = poll(lambda: server.run("grep -F %s /var/log/rspamd/rspamd.log | grep -F rspamd_task_write_log", message_id.strip("<>")).stdout,
                timeout=20, what="rspamd's log line of the submission")
    verdict = re.search(r"\(default: [FT] \(([^)]*)\): \[([-0-9.]+)/[-0-9.]+\] \[([^\]]*)\]", line)
    assert verdict and verdict.group(1) == "no action" and float(verdict.group(2)) == 0, line
    assert set(filter(None, re.findall(r"([A-Z0-9_]+)(?:\([^)]*\))?", verdict.group(3)))) <= {"RATELIMIT_CHECK", "RATELIMIT_UPDATE"}, line
    gtube = submit(peer, server, "587", "--from", "alice@" + domain, "--to", "alice@" + domain,
                   "--body", "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n")
    assert gtube.returncode == 26 and refusal(gtube.stdout).startswith("554 5.7.1"), without_auth(gtube.stdout)
    findings["submission in rspamd"] = "%s; GTUBE on 587: %s" % (verdict.group(0), refusal(gtube.stdout))


@pytest.mark.parametrize("name", HOSTS)
def test_the_hourly_sending_limit_defers_the_next_message_and_names_the_limit(peer, hosts, name, findings):
    server = hosts[name]
    limit = int(server.vars["mail_send_limit"])
    carol = "carol@" + server.vars["site_domain"]
    result = peer.run("python3", "-c", SEND_UNTIL_REFUSED, server.vars["mail_hostname"], carol, limit + 5, ROOTS_PEM,
                      stdin=CAROL_PASSWORD, timeout=300)
    assert result.returncode == 0, result.stderr[-1500:]
    sent = json.loads(result.stdout)
    assert sent["accepted"] == limit, sent
    code, text = sent["refused"]
    assert code == 451 and text.startswith("4.7.1 ") and "%d messages an hour" % limit in text, sent
    findings["sending limit (%s)" % name] = "carol: %d accepted, then %d %s" % (sent["accepted"], code, text)
