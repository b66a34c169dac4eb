"""Inbound defence as the world meets it (issue 15), from the lab's peer and its second address:

  * postscreen: a client the lab blocklist (bl.lab.test) lists is refused, the reply naming the
    list; the peer itself passes (Debian 13);
  * rspamd: GTUBE refused at the end of DATA (both hosts); a forged sender whose domain publishes
    DMARC p=reject refused (13); a clean message delivered to INBOX with the server's
    Authentication-Results saying spf=pass (both); a forged sender under p=quarantine delivered
    into Junk by the real checks (both);
  * no served domain as envelope sender from outside (13);
  * forwarding (both): mail to an alias that forwards to the peer leaves with an SRS envelope sender
    that passes SPF there, the local copy keeps its sender, and a bounce to the SRS address comes
    back to the original sender; what would be filed into Junk is refused instead of forwarded;
  * learning: moving a message into Junk teaches rspamd spam, out of it ham, other moves nothing
    (both);
  * the local resolver validates DNSSEC: a lab zone Knot signs answers with AD, one with a wrong
    trust anchor SERVFAIL (13); while mail is filtered it is asked for lab names only (13);
  * faults: rspamd, Redis or the local resolver down, mail counted by Message-ID (13).

Sending is swaks in the peer (its --local-interface picks the second address) or lablib.send
from the controller; reading is imaplib against Pebble's root. Run by
extensions/molecule/site/verify.yml; see tests/verify/conftest.py for the fixtures.
"""

import email
import email.utils
import imaplib
import json
import re

import pytest

from lablib import flush_queue, imap_fetch, journal_mark, journal_since, poll, receiver, send
from lablib.census import judge, message_census, tally
from lablib.remote import tls_context
from lablib.verdicts import without_auth

HOSTS = ("site-debian13", "site-debian12")
HOST13 = "site-debian13"
CLIENT2 = "10.47.25.26"
ALICE_PASSWORD = "alice-Secret-1"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
# rspamc asks the controller through its learning socket (the rspamd role's worker-controller.inc).
RSPAMC = "rspamc -h /run/rspamd-learn/controller.sock"
# A message long enough for rspamd's Bayes to learn (it refuses messages of few words).
PROSE = " ".join("The quarterly garden report lists tomatoes beans peppers and %d rows of late lettuce." % n
                 for n in range(40))
FAULT_COUNT = 5
# The peer's catch-all Maildir (tests/lab/peer/start.sh).
CAPTURE = "/var/mail/capture/inbox/new"


def swaks_25(peer, server, *args, timeout=90):
    """swaks from the peer to the server's port 25 (postscreen greets a new client after a few
    seconds: the timeout is generous)."""
    return peer.swaks("--server", server.vars["mail_hostname"], "--port", "25", *args, timeout=timeout)


def last_reply(transcript):
    """The server's last reply line (<~ or <** in swaks' transcript)."""
    lines = [line for line in transcript.splitlines() if re.match(r"^\s*<(~|\*\*)?\s+\d{3}[ -]", line)]
    return re.sub(r"^\s*<(~|\*\*)?\s+", "", lines[-1]) if lines else ""


def quarantine_forgery(peer, server, local_part, mark):
    """From the peer in the name of lax.peer.test (SPF -all, DMARC p=quarantine): a forgery the
    real checks mark as spam."""
    return swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "news@lax.peer.test",
                    "--header", "From: <news@lax.peer.test>", "--to", "%s@%s" % (local_part, server.vars["site_domain"]),
                    "--header", "X-Run: " + mark)


def mailbox_messages(server, mailbox, header, password=ALICE_PASSWORD, roots=None, user=None):
    user = user or "alice@" + server.vars["site_domain"]
    return imap_fetch(server.address, user, password, roots, server_hostname=server.vars["mail_hostname"],
                      header=header, mailbox=mailbox)


def learned(server):
    """What rspamd has learned: {"BAYES_SPAM": n, "BAYES_HAM": n, "total": n}. The per-class counts
    are Bayes' own in Redis (hash RS, learns_spam / learns_ham: a message learned again as the other
    class moves from one to the other), which `rspamc stat` shows per statfile only after a delay;
    its "Messages learned" is immediate and counts every learning, relearning included."""
    spam = server.check("redis-cli HGET RS learns_spam").strip()
    ham = server.check("redis-cli HGET RS learns_ham").strip()
    total = re.search(r"^Messages learned: (\d+)$", server.check(RSPAMC + " stat"), re.M)
    assert total, "rspamc stat says nothing of what it learned"
    return {"BAYES_SPAM": int(spam or 0), "BAYES_HAM": int(ham or 0), "total": int(total.group(1))}


CONTROLLER_PASSWORD = "rspamd-Controller-3"
# The controller's answer to /stat on 127.0.0.1:11334, asked on the host (its headers: name=value arguments).
HTTP_STATUS = (
    "import sys, urllib.request, urllib.error\n"
    "request = urllib.request.Request('http://127.0.0.1:11334/stat', headers=dict(a.split('=', 1) for a in sys.argv[1:]))\n"
    "try:\n    print(urllib.request.urlopen(request, timeout=10).status)\n"
    "except urllib.error.HTTPError as error:\n    print(error.code)\n"
)


@pytest.fixture(scope="module", autouse=True)
def rspamd_listening(hosts):
    """rspamd compiles its rules at its first start (up to a minute on 2 busy cores); until its
    milter listens Postfix delivers unfiltered, as documented. The checks wait for it."""
    for name in HOSTS:
        poll(lambda name=name: hosts[name].run("ss -Hlnt 'sport = :11332'").stdout.strip() != "", timeout=180, interval=2,
             what="rspamd's milter on %s" % name)


@pytest.fixture(scope="module")
def findings(report):
    found = {}
    yield found
    for key in sorted(found):
        report("inbound %s: %s" % (key, found[key]))


# --- postscreen ---------------------------------------------------------------------------------

def test_a_blocklisted_client_is_refused_naming_the_blocklist(peer, hosts, findings):
    server = hosts[HOST13]
    result = swaks_25(peer, server, "--local-interface", CLIENT2, "--ehlo", "client2.peer.test",
                      "--from", "someone@peer.test", "--to", "alice@" + server.vars["site_domain"])
    assert result.returncode == 24, without_auth(result.stdout)
    reply = last_reply(result.stdout)
    assert reply.startswith("550 5.7.1") and "blocked using bl.lab.test" in reply, result.stdout[-1500:]
    findings["postscreen"] = "client %s: %s" % (CLIENT2, reply)


def test_the_peer_itself_passes_postscreen(peer, hosts, run_id):
    server = hosts[HOST13]
    result = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "someone@peer.test",
                      "--to", "alice@" + server.vars["site_domain"], "--header", "X-Run: %s-pass" % run_id)
    assert result.returncode == 0, without_auth(result.stdout)


# --- rspamd's verdicts --------------------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTS)
def test_gtube_is_refused_at_the_end_of_data(peer, hosts, name, findings):
    server = hosts[name]
    result = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "someone@peer.test",
                      "--to", "alice@" + server.vars["site_domain"], "--body", "Test message.\n" + GTUBE + "\n")
    assert result.returncode == 26, without_auth(result.stdout)  # 26: refused after the message's end
    reply = last_reply(result.stdout)
    assert reply.startswith("554 5.7.1"), result.stdout[-1500:]
    findings["gtube " + name] = reply


def test_a_dmarc_reject_forgery_is_refused(peer, hosts, findings):
    server = hosts[HOST13]
    result = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "ceo@strict.peer.test",
                      "--header", "From: <ceo@strict.peer.test>", "--to", "alice@" + server.vars["site_domain"])
    assert result.returncode == 26, without_auth(result.stdout)
    reply = last_reply(result.stdout)
    assert reply.startswith("554 5.7.1"), result.stdout[-1500:]
    findings["dmarc reject"] = reply


def test_an_own_domain_sender_from_outside_is_refused(peer, hosts, findings):
    server = hosts[HOST13]
    domain = server.vars["site_domain"]
    result = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "ceo@" + domain,
                      "--header", "From: <ceo@%s>" % domain, "--to", "alice@" + domain)
    assert result.returncode == 24, without_auth(result.stdout)
    reply = last_reply(result.stdout)
    assert reply.startswith("554 5.7.1") and "Sender address rejected" in reply, result.stdout[-1500:]
    findings["own domain"] = reply


@pytest.mark.parametrize("name", HOSTS)
def test_a_clean_message_reaches_the_inbox_with_authentication_results(peer, hosts, pebble_roots, run_id, name, findings):
    server = hosts[name]
    mark = "%s-clean" % run_id
    result = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "someone@peer.test",
                      "--to", "alice@" + server.vars["site_domain"], "--header", "X-Run: " + mark)
    assert result.returncode == 0, without_auth(result.stdout)
    messages = poll(lambda: mailbox_messages(server, "INBOX", ("X-Run", mark), roots=pebble_roots),
                    timeout=30, interval=0.5, what="the clean message in alice's INBOX on %s" % name)
    results = messages[0].get_all("Authentication-Results") or []
    ours = [value for value in results if str(value).startswith(server.vars["mail_hostname"] + ";")]
    assert len(ours) == 1, results
    assert re.search(r"\bspf=pass\b", str(ours[0])), ours[0]
    assert messages[0].get("X-Spam") is None, str(messages[0])
    findings["clean " + name] = " ".join(str(ours[0]).split())[:200]


@pytest.mark.parametrize("name", HOSTS)
def test_a_quarantine_forgery_lands_in_junk(peer, hosts, pebble_roots, run_id, name, findings):
    server = hosts[name]
    mark = "%s-quarantine" % run_id
    result = quarantine_forgery(peer, server, "alice", mark)
    assert result.returncode == 0, without_auth(result.stdout)
    junk = poll(lambda: mailbox_messages(server, "Junk", ("X-Run", mark), roots=pebble_roots),
                timeout=30, interval=0.5, what="the p=quarantine forgery in alice's Junk on %s" % name)
    assert len(junk) == 1
    assert mailbox_messages(server, "INBOX", ("X-Run", mark), roots=pebble_roots) == []
    assert "dmarc=fail" in " ".join(str(v) for v in junk[0].get_all("Authentication-Results") or []), str(junk[0])
    findings["quarantine " + name] = "in Junk, X-Spam: %s" % junk[0].get("X-Spam")


def test_the_controller_wants_its_password_and_the_host_resolves_through_unbound(hosts, findings):
    server = hosts[HOST13]
    listening = server.check("ss -Hlnt").split()
    assert "127.0.0.1:11334" in listening and "0.0.0.0:11334" not in listening, listening
    without = server.check("python3 -c %s", HTTP_STATUS).strip()
    wrong = server.check("python3 -c %s %s", HTTP_STATUS, "Password=wrong").strip()
    right = server.check("python3 -c %s %s", HTTP_STATUS, "Password=" + CONTROLLER_PASSWORD).strip()
    assert (without, wrong, right) == ("403", "403", "200") or (without, wrong, right) == ("401", "401", "200"), (without, wrong, right)
    resolv = server.check("cat /etc/resolv.conf")
    assert re.search(r"^nameserver 127\.0\.0\.1$", resolv, re.M) and len(re.findall(r"^nameserver", resolv, re.M)) == 1, resolv
    answer = server.check("python3 -c %s", "import socket; print(socket.gethostbyname('26.25.47.10.bl.lab.test'))").strip()
    assert answer == "127.0.0.2", answer
    findings["controller"] = "no password %s, wrong %s, right %s; resolv.conf: 127.0.0.1 only, DNSBL answer %s" % (
        without, wrong, right, answer)


# --- forwarding: SRS ---------------------------------------------------------------------------

def at_the_peer(peer, mark, delivered_to, what, header=None):
    """The path and headers (an email.message.Message) of the message with "X-Run: <mark>" (or
    the given (name, value) header) delivered to <delivered_to> in the peer's catch-all Maildir."""
    line = "%s: %s" % header if header else "X-Run: %s" % mark
    script = ('grep -l -x -F "$1" %s/* 2>/dev/null | xargs -r grep -l -x -i -F "Delivered-To: $2" | head -1'
              % CAPTURE)

    def look():
        return peer.sh(script, line, delivered_to).stdout.strip()

    path = poll(look, timeout=30, interval=0.5, what=what)
    head = peer.read_file(path).split("\n\n", 1)[0]
    return path, email.message_from_string(head)


@pytest.mark.parametrize("name", HOSTS)
def test_forwarded_mail_leaves_with_an_srs_sender_and_its_bounce_comes_back(
        peer, hosts, pebble_roots, run_id, name, findings):
    server = hosts[name]
    domain, hostname = server.vars["site_domain"], server.vars["mail_hostname"]
    mark = "%s-forward" % run_id
    result = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "someone@peer.test",
                      "--to", "fwd@%s,alice@%s" % (domain, domain), "--header", "X-Run: " + mark)
    assert result.returncode == 0, without_auth(result.stdout)
    path, forwarded = at_the_peer(peer, mark, "fwd-%s@peer.test" % domain, "the forwarded copy at the peer (%s)" % name)
    sender = email.utils.parseaddr(forwarded["Return-Path"])[1]
    assert re.fullmatch(r"SRS0=[^=@]+=[^=@]+=peer\.test=someone@%s" % re.escape(hostname), sender, re.I), sender
    # The peer judges it as any receiver would: SPF of the SRS sender's domain, for this server's address.
    evaluated = peer.run("python3", "-c", receiver.source(), path, server.vars["mail_public_ipv4"], hostname, timeout=60)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    verdict = json.loads(evaluated.stdout)
    assert (verdict["mail_from"], verdict["spf"]) == (sender, "pass"), verdict
    # The copy delivered here keeps the original sender.
    local = poll(lambda: mailbox_messages(server, "INBOX", ("X-Run", mark), roots=pebble_roots), timeout=30,
                 interval=0.5, what="alice's copy on %s" % name)
    assert email.utils.parseaddr(local[0]["Return-Path"])[1] == "someone@peer.test", str(local[0])
    # The peer bounces it: the bounce, to the SRS address, comes back to the original sender.
    bounce = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "<>", "--to", sender,
                      "--header", "X-Run: %s-bounce" % mark, "--header", "Subject: Undelivered Mail Returned to Sender")
    assert bounce.returncode == 0, without_auth(bounce.stdout)
    _path, returned = at_the_peer(peer, mark + "-bounce", "someone@peer.test", "the bounce back at someone@peer.test")
    assert returned["Return-Path"].strip() == "<>", str(returned)
    # A made-up SRS address (a wrong hash) is refused.
    forged = re.sub(r"^SRS0=[^=]+=", "SRS0=AAAA=", sender)
    refused = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "<>", "--to", forged)
    assert refused.returncode == 24 and last_reply(refused.stdout).startswith("550 5.1.1"), without_auth(refused.stdout)
    findings["srs " + name] = "forwarded as %s (SPF %s at the peer); bounce returned to someone@peer.test; forged hash: %s" % (
        sender, verdict["spf"], last_reply(refused.stdout)[:60])


@pytest.mark.parametrize("name", HOSTS)
def test_what_would_be_junk_is_refused_rather_than_forwarded(peer, hosts, run_id, name, findings):
    """The p=quarantine forgery that lands in alice's Junk (above) is refused at SMTP time when it
    is for the alias that forwards to the peer: this server does not pass it on."""
    server = hosts[name]
    mark = "%s-forward-junk" % run_id
    result = quarantine_forgery(peer, server, "fwd", mark)
    assert result.returncode == 26, without_auth(result.stdout)
    reply = last_reply(result.stdout)
    assert reply == "554 5.7.1 Refused: this would be filed as spam, and this address forwards elsewhere", result.stdout[-1500:]
    assert peer.sh('grep -l -x -F "X-Run: $1" %s/* 2>/dev/null' % CAPTURE, mark).stdout == ""
    findings["forwarding refuses junk " + name] = reply


# --- the resolver validates ---------------------------------------------------------------------

# Asked on the host, of its own Unbound (127.0.0.1), with the DO bit: rcode name and whether the
# answer came with the AD flag (validated), for each name given.
ASK_DNSSEC = (
    "import json, sys\n"
    "import dns.flags, dns.message, dns.query, dns.rcode\n"
    "out = {}\n"
    "for name in sys.argv[1:]:\n"
    "    query = dns.message.make_query(name, 'A', want_dnssec=True)\n"
    "    answer = dns.query.udp(query, '127.0.0.1', timeout=10)\n"
    "    out[name] = [dns.rcode.to_text(answer.rcode()), bool(answer.flags & dns.flags.AD),\n"
    "                 [rr.to_text() for rrset in answer.answer for rr in rrset if rrset.rdtype == 1]]\n"
    "print(json.dumps(out))\n"
)


def test_the_local_resolver_validates_dnssec(hosts, findings):
    """Knot signs secure.test and bogus.test in the lab; the Debian 13 host trusts secure.test's
    real DS and a wrong one for bogus.test (mail_resolver_trust_anchors): a signed answer is
    validated (AD), one that does not match its anchor is refused (SERVFAIL), and an unsigned lab
    name still resolves (insecure, no AD). (peer.test is signed and trusted too: test_dane.py.)"""
    server = hosts[HOST13]
    answers = json.loads(server.check("python3 -c %s %s %s %s", ASK_DNSSEC, "www.secure.test", "www.bogus.test",
                                      "acme.lab.test"))
    assert answers["www.secure.test"] == ["NOERROR", True, ["10.47.25.53"]], answers
    assert answers["www.bogus.test"][:2] == ["SERVFAIL", False], answers
    assert answers["acme.lab.test"] == ["NOERROR", False, ["10.47.25.14"]], answers
    findings["dnssec"] = "www.secure.test NOERROR with AD; www.bogus.test (wrong anchor) SERVFAIL; acme.lab.test unsigned, no AD"


# Names the lab serves (Knot's zones under test., the lab's reverse zone): asking for them never
# leaves the lab. Unbound logs a query as "[pid:thread] info: 127.0.0.1 <name> <type> IN".
LAB_NAME_RE = re.compile(r"(^|\.)(test|10\.in-addr\.arpa)\.$", re.I)
QUERY_RE = re.compile(r"info: (?:127\.0\.0\.1|::1) (\S+) (\S+) IN$")


def test_nothing_is_asked_outside_the_lab_while_mail_is_filtered(peer, hosts, pebble_roots, run_id, findings):
    """The lab turns rspamd's internet checks off and gives postscreen a lab blocklist: while a
    message from the peer passes postscreen and rspamd into alice's INBOX, every name the host's
    Unbound is asked is a lab name (query log switched on at run time, off again after)."""
    server = hosts[HOST13]
    control = "unbound-control -c /etc/unbound/unbound.conf set_option log-queries: %s"
    mark = "%s-outside" % run_id
    cursor = journal_mark(server)
    server.check(control, "yes")
    try:
        result = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "someone@peer.test",
                          "--to", "alice@" + server.vars["site_domain"], "--header", "X-Run: " + mark,
                          "--body", "See https://www.example.com/offer and http://bit.ly/x for details.\n")
        assert result.returncode == 0, without_auth(result.stdout)
        poll(lambda: mailbox_messages(server, "INBOX", ("X-Run", mark), roots=pebble_roots), timeout=30,
             interval=0.5, what="the message in alice's INBOX")
    finally:
        server.check(control, "no")
    found = (QUERY_RE.search(entry["MESSAGE"]) for entry in journal_since(server, cursor, unit="unbound.service"))
    asked = [match.groups() for match in found if match]
    assert asked, "Unbound logged no query while the message was filtered"
    outside = sorted({"%s %s" % (name, rtype) for name, rtype in asked if not LAB_NAME_RE.search(name)})
    assert outside == [], outside
    findings["nothing outside"] = "%d queries while a message with two URLs was filtered, all lab names: %s" % (
        len(asked), ", ".join(sorted({name for name, _type in asked}))[:300])


# --- learning through IMAPSieve -----------------------------------------------------------------

class Imap:
    def __init__(self, server, roots):
        self.client = imaplib.IMAP4_SSL(server.address, 993, ssl_context=tls_context(roots, server.vars["mail_hostname"]),
                                        timeout=30)
        self.client.login("alice@" + server.vars["site_domain"], ALICE_PASSWORD)

    def move(self, source, mark, target):
        self.client.select(source)
        typ, found = self.client.uid("SEARCH", None, "HEADER", "X-Run", '"%s"' % mark)
        uids = found[0].split()
        assert typ == "OK" and len(uids) == 1, (source, mark, found)
        typ, answer = self.client.uid("MOVE", uids[0], target)
        assert typ == "OK", answer

    def close(self):
        try:
            self.client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


@pytest.mark.parametrize("name", HOSTS)
def test_moves_into_and_out_of_junk_teach_rspamd(peer, hosts, pebble_roots, run_id, name, findings):
    server = hosts[name]
    mark = "%s-learn" % run_id
    result = swaks_25(peer, server, "--ehlo", "mx.peer.test", "--from", "someone@peer.test",
                      "--to", "alice@" + server.vars["site_domain"], "--header", "X-Run: " + mark,
                      "--header", "Subject: garden report", "--body", PROSE)
    assert result.returncode == 0, without_auth(result.stdout)
    poll(lambda: mailbox_messages(server, "INBOX", ("X-Run", mark), roots=pebble_roots), timeout=30, interval=0.5,
         what="the message to learn from in INBOX")
    imap = Imap(server, pebble_roots)
    try:
        start = learned(server)
        imap.move("INBOX", mark, "Drafts")
        imap.move("Drafts", mark, "INBOX")
        assert learned(server) == start, "moves between other folders taught rspamd"
        imap.move("INBOX", mark, "Junk")
        spam = poll(lambda: learned(server), until=lambda now: now["BAYES_SPAM"] == start["BAYES_SPAM"] + 1,
                    timeout=20, what="rspamd's learned-spam count to rise")
        assert (spam["BAYES_HAM"], spam["total"]) == (start["BAYES_HAM"], start["total"] + 1), (start, spam)
        imap.move("Junk", mark, "INBOX")
        # The same message, now ham: rspamd relearns it (its spam learning is taken back).
        ham = poll(lambda: learned(server), until=lambda now: now["BAYES_HAM"] == start["BAYES_HAM"] + 1,
                   timeout=20, what="rspamd's learned-ham count to rise")
        assert (ham["BAYES_SPAM"], ham["total"]) == (start["BAYES_SPAM"], start["total"] + 2), (start, spam, ham)
    finally:
        imap.close()
    findings["learning " + name] = "learned spam %d -> %d, ham %d -> %d" % (
        start["BAYES_SPAM"], spam["BAYES_SPAM"], start["BAYES_HAM"], ham["BAYES_HAM"])


# --- faults -------------------------------------------------------------------------------------

@pytest.fixture
def stopped(hosts):
    """Units stopped for a test, started again after it, always, and the queue flushed."""
    server = hosts[HOST13]
    units = []

    def stop(*names):
        units.extend(names)
        server.check("systemctl stop " + " ".join(["%s"] * len(names)), *names)

    try:
        yield stop
    finally:
        if units:
            server.check("systemctl start " + " ".join(["%s"] * len(units)), *reversed(units))
            for unit in units:
                poll(lambda unit=unit: server.run("systemctl is-active %s", unit).rc == 0, timeout=30,
                     what="%s to be active again" % unit)
        flush_queue(server, timeout=60)


@pytest.mark.parametrize("units", [("rspamd",), ("redis-server",)], ids=["rspamd", "redis"])
def test_mail_flows_once_while_the_filter_is_down(hosts, stopped, run_id, units, findings):
    server = hosts[HOST13]
    alice = "alice@" + server.vars["site_domain"]
    prefix = "inbound-%s-%s" % (units[0], run_id)
    stopped(*units)
    expected = ["<%s.%d@peer.test>" % (prefix, number) for number in range(1, FAULT_COUNT + 1)]
    replies = [send(server, 25, "someone@peer.test", [alice], headers={"Message-ID": message_id, "Subject": "filter down"},
                    tls="starttls") for message_id in expected]
    assert [reply.code for reply in replies] == [250] * FAULT_COUNT, replies
    # GTUBE while rspamd is down: accepted unfiltered (rspamd_milter_default_action: accept).
    gtube = send(server, 25, "someone@peer.test", [alice], headers={"Message-ID": "<%s.gtube@peer.test>" % prefix},
                 tls="starttls", body=GTUBE + "\n")
    flush_queue(server, timeout=60)
    entries = poll(lambda: message_census(server, prefix), until=lambda found: len(found) >= FAULT_COUNT, timeout=30,
                   what="the messages sent while %s was down" % units[0])
    wanted = expected + (["<%s.gtube@peer.test>" % prefix] if gtube.code == 250 else [])
    assert judge(tally(entries), wanted) == {"missing": [], "doubled": {}, "unexpected": []}
    findings["%s down" % units[0]] = "%d sent, %d delivered once; GTUBE meanwhile: %s %s" % (
        len(wanted), len(entries), gtube.code, gtube.text[:80])
    if units == ("rspamd",):
        assert gtube.code == 250, gtube


def test_the_local_resolver_down_defers_outbound_mail_until_it_is_back(hosts, stopped, run_id, pebble_roots, findings):
    server = hosts[HOST13]
    alice = "alice@" + server.vars["site_domain"]
    message_id = "<resolver-%s@%s>" % (run_id, server.vars["site_domain"])
    stopped("unbound")
    sent = send(server, 587, alice, ["resolver-%s@peer.test" % run_id], headers={"Message-ID": message_id},
                tls="starttls", auth=(alice, ALICE_PASSWORD), cafile=pebble_roots)
    assert sent.code == 250, sent

    def deferred():
        queue = server.check("postqueue -j")
        return [line for line in queue.splitlines() if "resolver-%s@peer.test" % run_id in line and '"deferred"' in line]

    waiting = poll(deferred, timeout=60, interval=1, what="the outbound message to wait in the queue")
    reason = re.search(r'"delay_reason": "([^"]*)"', waiting[0])
    findings["resolver down"] = "outbound deferred: %s" % (reason.group(1) if reason else waiting[0][:200])
    server.check("systemctl start unbound")
    poll(lambda: server.run("systemctl is-active unbound").rc == 0, timeout=30, what="unbound to be active again")
    flush_queue(server, timeout=60)
    assert deferred() == []
