"""Mailboxes people live in (issue 18), as their clients meet them, on Dovecot 2.4 (Debian 13)
and 2.3 (Debian 12), for dave, a user who has done nothing yet:

  * IMAP LIST "" "*" RETURN (SPECIAL-USE) shows Drafts, Sent, Archive, Junk and Trash with their
    uses, subscribed;
  * ManageSieve on 4190 refuses AUTHENTICATE before STARTTLS, and a real client (sievelib) logs in
    after it, the certificate verified, and uploads and activates her script;
  * the script files a tagged message into a folder it creates, and redirects another to the
    peer, which receives it once with an SRS envelope sender; a script that redirects more often
    than the limit redirects nothing and keeps the message;
  * its vacation reply answers a normal sender once, and never a message with Precedence: bulk,
    a List-Id, or the null sender (the reply to a later normal sender arrives after them, so
    one to them would have arrived too);
  * ManageSieve refuses TLS below 1.2;
  * erin's 100 KiB quota: a message announced larger is refused at RCPT, mail until the mailbox is
    full, then 552 at RCPT; IMAP QUOTA; the 85 and 95% warnings in her INBOX; a message past the
    RCPT check is held (452) and delivered once there is room; the queue never holds a bounce;
  * a user removed from mail_users (Debian 13): the report says the mailbox is kept, mail to the
    address gets 550 at RCPT although a catch-all covers its domain, the login is refused, and
    adding the user back restores the old mail and new deliveries;
  * moving in (mail_imports): each host copies 200 messages in three folders from the other host's
    dave (the old provider, over IMAPS) into frank: Message-IDs, flags and INTERNALDATEs equal; a
    rerun copies the message that arrived there since, nothing twice, and keeps the mail
    delivered here in between; the password is only in a root-only file.
Run by extensions/molecule/site/verify.yml.
"""

import email
import email.utils
import imaplib
import json
import os
import re
import time

import pytest
from sievelib.managesieve import Client

from lablib import imap_fetch, journal_mark, journal_since, poll, send
from lablib.inventory import inventory_with_change
from lablib.playbook import run_playbook
from lablib.remote import tls_context
from lablib.secret import Secret

HOSTS = ("site-debian13", "site-debian12")
PASSWORD = "dave-Secret-4"
CAPTURE = "/var/mail/capture/inbox/new"
SPECIAL_USE = {"Drafts": "\\Drafts", "Sent": "\\Sent", "Archive": "\\Archive", "Junk": "\\Junk", "Trash": "\\Trash"}
MAX_REDIRECTS = 4

SCRIPT = """require ["fileinto", "mailbox", "vacation"];
if header :contains "X-Tag" "projects" {
  fileinto :create "Projects";
  stop;
}
if header :contains "X-Tag" "forward" {
  redirect "%(forward)s";
  stop;
}
if header :contains "X-Tag" "flood" {
%(flood)s  stop;
}
vacation :days 1 :subject "Away %(mark)s" :addresses ["%(user)s"] "Back on Monday.";
"""


def user_of(server):
    return "dave@" + server.vars["site_domain"]


def imap_login(server, roots):
    client = imaplib.IMAP4_SSL(server.address, 993, ssl_context=tls_context(roots, server.vars["mail_hostname"]),
                               timeout=20)
    client.login(user_of(server), PASSWORD)
    return client


def special_use_list(server, roots):
    """{mailbox: set of flags} from LIST "" "*" RETURN (SPECIAL-USE), and the subscribed names."""
    client = imap_login(server, roots)
    try:
        typ, data = client._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")  # pylint: disable=protected-access
        assert typ == "OK", data
        _typ, lines = client._untagged_response(typ, data, "LIST")  # pylint: disable=protected-access
        found = {}
        for line in lines:
            text = line.decode() if isinstance(line, bytes) else str(line)
            flags, name = re.match(r'\(([^)]*)\) "[^"]*" "?([^"]*)"?$', text).groups()
            found[name] = set(flags.split())
        _typ, subscribed = client.lsub('""', '"*"')
        names = {re.match(r'\([^)]*\) "[^"]*" "?([^"]*)"?$', line.decode()).group(1) for line in subscribed if line}
        return found, names
    finally:
        client.logout()


def sieve_client(server, roots):
    """sievelib's client, logged in after STARTTLS, the certificate verified against the lab's
    ACME root (sievelib uses ssl.create_default_context(), which reads SSL_CERT_FILE)."""
    os.environ["SSL_CERT_FILE"] = str(roots)
    try:
        client = Client(server.address, 4190, srvhostname=server.vars["mail_hostname"])
        assert client.connect(user_of(server), PASSWORD, starttls=True, authmech="PLAIN"), client.errmsg
    finally:
        del os.environ["SSL_CERT_FILE"]
    return client


def swaks_25(peer, server, *args):
    result = peer.swaks("--server", server.vars["mail_hostname"], "--port", "25", "--ehlo", "mx.peer.test", *args,
                        timeout=90)
    assert result.returncode == 0, result.stdout[-1500:]
    return result


def at_peer(peer, pattern):
    """The peer's captured files whose text matches the extended regular expression `pattern`."""
    return peer.sh('grep -l -E -e "$1" %s/* 2>/dev/null || true' % CAPTURE, pattern).stdout.split()


def in_mailbox(server, roots, mailbox, mark):
    try:
        return imap_fetch(server.address, user_of(server), PASSWORD, roots, server_hostname=server.vars["mail_hostname"],
                          header=("X-Run", mark), mailbox=mailbox)
    except imaplib.IMAP4.error:  # the mailbox is not there (yet)
        return []


@pytest.mark.parametrize("name", HOSTS)
def test_a_new_user_finds_the_five_special_use_folders(hosts, name, pebble_roots, report):
    server = hosts[name]
    found, subscribed = special_use_list(server, pebble_roots)
    uses = {mailbox: (flags & set(SPECIAL_USE.values())) for mailbox, flags in found.items()}
    assert {mailbox: use for mailbox, use in uses.items() if use} == {m: {u} for m, u in SPECIAL_USE.items()}, found
    assert set(SPECIAL_USE) <= subscribed, subscribed
    report("%s: LIST RETURN (SPECIAL-USE) for %s: %s, all subscribed" % (
        name, user_of(server), ", ".join("%s %s" % (m, u) for m, u in SPECIAL_USE.items())))


# Run on the peer, which fail2ban never bans (the refused login counts as a failed one).
PLAIN_LOGIN = r"""
import base64, re, socket, sys
conn = socket.create_connection((sys.argv[1], 4190), timeout=10)
greeting = b""
while not re.search(rb"^OK", greeting, re.M):
    greeting += conn.recv(4096)
print(greeting.decode())
conn.sendall(b'AUTHENTICATE "PLAIN" "%s"\r\n' % base64.b64encode(("\0%s\0%s" % (sys.argv[2], sys.argv[3])).encode()))
print("ANSWER " + conn.recv(4096).decode())
"""


@pytest.mark.parametrize("name", HOSTS)
def test_managesieve_refuses_a_login_before_starttls(hosts, name, peer, report):
    server = hosts[name]
    result = peer.run("python3", "-c", PLAIN_LOGIN, server.vars["mail_hostname"], user_of(server), PASSWORD, timeout=30)
    assert result.returncode == 0, result.stderr[-1500:]
    said = result.stdout
    assert re.search(r'^"STARTTLS"', said, re.M), said
    # No mechanism is offered before TLS, and a login is refused anyway.
    assert re.search(r'^"SASL" ""', said, re.M), said
    answer = said.split("ANSWER ", 1)[1].strip()
    assert answer.startswith("NO (ENCRYPT-NEEDED)"), answer
    report("%s ManageSieve: AUTHENTICATE before STARTTLS -> %s" % (name, answer))


@pytest.mark.parametrize("name", HOSTS)
def test_a_sieve_script_uploaded_over_managesieve_files_redirects_and_answers_once(
        hosts, name, peer, pebble_roots, run_id, report):
    server = hosts[name]
    user = user_of(server)
    mark = "%s-%s" % (run_id, name)
    forward = "sieve-%s@peer.test" % mark
    flood = "".join('  redirect "flood%d-%s@peer.test";\n' % (i, mark) for i in range(MAX_REDIRECTS + 1))
    client = sieve_client(server, pebble_roots)
    try:
        script = SCRIPT % {"forward": forward, "flood": flood, "mark": mark, "user": user}
        assert client.putscript("filters", script), client.errmsg
        assert client.setactive("filters"), client.errmsg
        active, _others = client.listscripts()
        assert active == "filters", client.listscripts()
    finally:
        client.logout()

    # Filed into a folder the script creates.
    swaks_25(peer, server, "--from", "someone@peer.test", "--to", user, "--header", "X-Tag: projects",
             "--header", "X-Run: %s-projects" % mark)
    filed = poll(lambda: in_mailbox(server, pebble_roots, "Projects", mark + "-projects"), timeout=60,
                 what="the tagged message in Projects")
    assert in_mailbox(server, pebble_roots, "INBOX", mark + "-projects") == []

    # Redirected to the peer, with an SRS envelope sender like any forward.
    swaks_25(peer, server, "--from", "someone@peer.test", "--to", user, "--header", "X-Tag: forward",
             "--header", "X-Run: %s-forward" % mark)
    files = poll(lambda: at_peer(peer, "^X-Run: %s-forward$" % mark), timeout=60, what="the redirected copy at the peer")
    head = peer.read_file(files[0]).split("\n\n", 1)[0]
    srs = email.utils.parseaddr(email.message_from_string(head)["Return-Path"])[1]
    assert re.fullmatch(r"SRS0=[^=@]+=[^=@]+=peer\.test=someone@%s" % re.escape(server.vars["mail_hostname"]), srs,
                        re.I), srs

    # More redirects than the limit: none is made, the message is kept.
    swaks_25(peer, server, "--from", "someone@peer.test", "--to", user, "--header", "X-Tag: flood",
             "--header", "X-Run: %s-flood" % mark)
    poll(lambda: in_mailbox(server, pebble_roots, "INBOX", mark + "-flood"), timeout=60, what="the flood message kept")

    # Vacation: a normal sender is answered, once.
    swaks_25(peer, server, "--from", "first-%s@peer.test" % mark, "--to", user,
             "--header", "Message-Id: <%s-v1@peer.test>" % mark, "--header", "X-Run: %s-v1" % mark)
    poll(lambda: at_peer(peer, "^In-Reply-To: <%s-v1@peer.test>" % mark), timeout=60, what="the vacation reply")
    for number, extra in (("v2", []), ("bulk", ["--header", "Precedence: bulk"]),
                          ("list", ["--header", "List-Id: <news.peer.test>"])):
        sender = "first-%s@peer.test" % mark if number == "v2" else "%s-%s@peer.test" % (number, mark)
        swaks_25(peer, server, "--from", sender, "--to", user, "--header", "Message-Id: <%s-%s@peer.test>" % (mark, number),
                 "--header", "X-Run: %s-%s" % (mark, number), *extra)
    swaks_25(peer, server, "--from", "<>", "--to", user, "--header", "From: robot-%s@peer.test" % mark,
             "--header", "Message-Id: <%s-null@peer.test>" % mark, "--header", "X-Run: %s-null" % mark)
    # A later normal sender: once its reply is at the peer, replies to the ones before would be too.
    swaks_25(peer, server, "--from", "later-%s@peer.test" % mark, "--to", user,
             "--header", "Message-Id: <%s-later@peer.test>" % mark, "--header", "X-Run: %s-later" % mark)
    poll(lambda: at_peer(peer, "^In-Reply-To: <%s-later@peer.test>" % mark), timeout=60, what="the later reply")
    for number in ("v2", "bulk", "list", "null"):
        poll(lambda number=number: in_mailbox(server, pebble_roots, "INBOX", "%s-%s" % (mark, number)), timeout=30,
             what="the %s message delivered" % number)
    time.sleep(2)
    replies = at_peer(peer, "^Subject: Away %s" % mark)
    answered = sorted(re.search(r"In-Reply-To: <%s-(\w+)@peer.test>" % re.escape(mark), peer.read_file(path)).group(1)
                      for path in replies)
    assert answered == ["later", "v1"], answered
    flooded = at_peer(peer, "^X-Run: %s-flood$" % mark)
    assert flooded == [], flooded
    assert len(at_peer(peer, "^X-Run: %s-forward$" % mark)) == 1
    report("%s Sieve over ManageSieve: tagged -> Projects (%d); redirected -> the peer as %s; %d redirects (limit %d) "
           "-> none, kept; vacation answered v1 once and the later sender, not bulk, list, null sender (%s)"
           % (name, len(filed), srs, MAX_REDIRECTS + 1, MAX_REDIRECTS, ", ".join(answered)))


@pytest.mark.parametrize("name", HOSTS)
def test_managesieve_refuses_tls_below_1_2(hosts, name, peer, report):
    # testssl 3.0 does not speak ManageSieve: OpenSSL's client does (-starttls sieve). It offers
    # TLS 1.1 at security level 0, so a refusal is the server's: alert 70 (protocol_version) from
    # Dovecot 2.4's OpenSSL, the handshake closed from 2.3's; TLS 1.2 then succeeds the same way.
    server = hosts[name]
    target = "%s:4190" % server.vars["mail_hostname"]
    old = peer.sh('echo | openssl s_client -connect "$1" -starttls sieve -tls1_1 -cipher DEFAULT@SECLEVEL=0 2>&1', target,
                  timeout=60).stdout
    refused = re.search(r"alert protocol version|SSL alert number 70|unexpected eof while reading", old)
    assert refused, old[-1500:]
    assert "Cipher is (NONE)" in old, old[-1500:]
    new = peer.sh('echo | openssl s_client -connect "$1" -starttls sieve -tls1_2 2>&1', target, timeout=60).stdout
    cipher = re.search(r"New, TLSv1\.2, Cipher is (\S+)", new)
    assert cipher and cipher.group(1) != "(NONE)", new[-1500:]
    report("%s ManageSieve TLS: 1.1 offered by OpenSSL at SECLEVEL=0 -> %s; 1.2 -> %s"
           % (name, refused.group(0), cipher.group(1)))


# --- Quotas ----------------------------------------------------------------------------------------

ERIN_PASSWORD = "erin-Secret-5"
QUOTA_KIB = 100
GRACE_KIB = 10  # dovecot_quota_grace in molecule.yml
FILLER = ("x" * 70 + "\n") * 110  # about 7.8 KiB a message: the one that crosses the limit fits the grace (10%)


def erin(server):
    return "erin@" + server.vars["site_domain"]


def smtp_session(server, sender, recipient, body, size=None):
    """One SMTP session from the controller to port 25: (code, text) of the RCPT reply, then of
    DATA when the recipient was accepted. `size` is announced as MAIL FROM's SIZE= (RFC 1870)."""
    import smtplib  # pylint: disable=import-outside-toplevel
    message = ("From: <%s>\r\nTo: <%s>\r\nSubject: filler\r\nMessage-ID: <%s>\r\n\r\n%s" % (
        sender, recipient, email.utils.make_msgid(domain="peer.test")[1:-1], body.replace("\n", "\r\n"))).encode()
    client = smtplib.SMTP(server.address, 25, timeout=60)
    try:
        client.ehlo("mx.peer.test")
        code, reply = client.mail(sender, options=["SIZE=%d" % size] if size else [])
        assert code == 250, (code, reply)
        code, reply = client.rcpt(recipient)
        if code != 250:
            return code, reply.decode()
        code, reply = client.data(message)
        return code, reply.decode()
    finally:
        client.quit()


def quota_root(server, roots):
    """(used, limit) of STORAGE in KiB, from IMAP GETQUOTAROOT INBOX (RFC 9208)."""
    client = imaplib.IMAP4_SSL(server.address, 993, ssl_context=tls_context(roots, server.vars["mail_hostname"]),
                               timeout=20)
    try:
        client.login(erin(server), ERIN_PASSWORD)
        typ, data = client.getquotaroot("INBOX")
        assert typ == "OK", data
        text = " ".join(part.decode() if isinstance(part, bytes) else str(part) for block in data for part in block)
        used, limit = re.search(r"STORAGE (\d+) (\d+)", text).groups()
        return int(used), int(limit)
    finally:
        client.logout()


@pytest.mark.parametrize("name", HOSTS)
def test_a_full_mailbox_refuses_mail_at_rcpt_and_warns_its_user(hosts, name, pebble_roots, report):
    server = hosts[name]
    user = erin(server)
    mark = journal_mark(server)
    used, limit = quota_root(server, pebble_roots)
    assert limit == QUOTA_KIB, (used, limit)
    # A message announced (SIZE=) larger than the quota is refused before it is sent (2.3 says it is
    # too large for the quota, 2.4 that the mailbox is full).
    code, text = smtp_session(server, "someone@peer.test", user, "too big\n", size=(QUOTA_KIB + 50) * 1024)
    assert code == 552 and re.search(r"5\.2\.[23] .*(larger than the mailbox's quota|Mailbox is full)", text), (code, text)
    too_big = text

    # Messages, each delivered before the next is sent, until the mailbox is full: the last one
    # accepted takes it past the quota within the grace, the next is refused at RCPT.
    accepted, refusal = 0, None
    for _attempt in range(30):
        code, text = smtp_session(server, "someone@peer.test", user, FILLER)
        if code != 250:
            refusal = (code, text)
            break
        accepted += 1
        poll(lambda: server.check("postqueue -j").strip(), until=lambda queue: queue == "", timeout=30,
             what="message %d delivered" % accepted)
    assert refusal and refusal[0] == 552 and "Mailbox is full" in refusal[1], (accepted, refusal)
    assert accepted >= QUOTA_KIB // 8, accepted
    used, limit = quota_root(server, pebble_roots)
    assert limit <= used <= limit + GRACE_KIB, (used, limit)
    # Nothing waits and nothing bounced: the refusal happened at RCPT, in the session.
    assert server.check("postqueue -j").strip() == ""
    inbox = imap_fetch(server.address, user, ERIN_PASSWORD, pebble_roots, server_hostname=server.vars["mail_hostname"])
    warnings = [message["Subject"] for message in inbox if (message["Subject"] or "").startswith("Your mailbox is")]
    assert sorted(warnings) == ["Your mailbox is 85% full", "Your mailbox is 95% full"], warnings

    # A message that got past the RCPT check (a race with the delivery before it; here, sent on
    # the host through Sieve's listener, which has no such check) is held by Dovecot (452) and
    # waits in the queue, never bounced; once the user makes room it arrives, once.
    held_mark = "held-" + email.utils.make_msgid()[1:13]
    sent = send(server, 10025, "someone@peer.test", [user], headers={"Subject": "filler", "X-Run": held_mark},
                local=True)
    assert sent.code == 250, sent
    held = poll(lambda: server.check("postqueue -j").strip(), until=lambda queue: "452 4.2.2" in queue, timeout=30,
                what="the message held by Dovecot (452) in the queue")
    assert len(held.splitlines()) == 1, held
    server.check("doveadm expunge -u %s mailbox '*' SUBJECT filler NOT HEADER X-Run %s", user, held_mark)
    server.check("postqueue -f")
    poll(lambda: server.check("postqueue -j").strip(), until=lambda queue: queue == "", timeout=60,
         what="the held message delivered once there is room")
    arrived = [line for line in server.check("doveadm search -u %s mailbox '*' HEADER X-Run %s", user, held_mark).splitlines()
               if line.strip()]
    assert len(arrived) == 1, arrived
    bounces = [entry["MESSAGE"] for entry in journal_since(server, mark)
               if user in str(entry.get("MESSAGE", "")) and "status=bounced" in str(entry.get("MESSAGE", ""))]
    assert bounces == [], bounces
    race = re.search(r"452 4\.2\.2[^\"]*", held).group(0)
    report("%s quota %d KiB: SIZE=%d KiB -> 552 %s; %d messages of 7.8 KiB accepted, then RCPT -> %d %s; "
           "IMAP QUOTA %d/%d KiB; queue empty; warnings: %s; past the RCPT check: held (%s), delivered once after room was made; no bounce"
           % (name, QUOTA_KIB, QUOTA_KIB + 50, too_big, accepted, refusal[0], refusal[1], used, limit,
              ", ".join(sorted(warnings)), race))


# --- A user removed: the mail stays, the address is refused ------------------------------------------

HOST13 = "site-debian13"
BOB_PASSWORD = "bob-Secret-2"  # molecule.yml gives bob's hash, made from this password


def bob_has(server, mark):
    """bob's message files (any folder: the spam rule may file the lab's mail into Junk) marked `mark`."""
    maildir = "/var/vmail/lists.%s/bob/Maildir" % server.vars["site_domain"]
    return server.run("grep -rlxF --exclude='dovecot*' --exclude=subscriptions --exclude=maildirfolder %s %s 2>/dev/null "
                      "|| true", "X-Run: " + mark, maildir).stdout.split()


def test_a_removed_user_keeps_the_mail_and_the_address_is_refused_despite_the_catch_all(
        hosts, molecule_env, project_dir, pebble_roots, run_id, tmp_path, report):
    server = hosts[HOST13]
    domain = server.vars["site_domain"]
    bob, alice = "bob@lists." + domain, "alice@" + domain
    converge = project_dir / "extensions" / "molecule" / "site" / "converge.yml"
    kept = run_id + "-kept"
    assert send(server, 25, "someone@peer.test", [bob], headers={"X-Run": kept}).code == 250
    poll(lambda: bob_has(server, kept), timeout=60, what="bob's message in his Maildir")

    users = [user for user in server.vars["mail_users"] if user["address"] != bob]
    assert len(users) == len(server.vars["mail_users"]) - 1
    inventory = inventory_with_change(molecule_env, tmp_path, HOST13, Secret(json.dumps({"mail_users": users})),
                                      "50-removed-user.json")
    try:
        removed = run_playbook(converge, molecule_env, limit=HOST13, inventory_file=inventory)
        assert removed.rc == 0, removed.failure_messages()
        said = " ".join(removed.output.split())
        line = re.search(r"kept: the mailbox of %s, no longer a user \([^)]*\)" % re.escape(bob), said)
        assert line, said[-3000:]
        # The mail stays; the address is refused at RCPT although the catch-all of lists.<domain>
        # would take it; bob can no longer log in.
        assert bob_has(server, kept)
        refused_mark = run_id + "-refused"
        refused = send(server, 25, "someone@peer.test", [bob], headers={"X-Run": refused_mark})
        assert (refused.code, "5.1.1" in refused.text and "removed" in refused.text) == (550, True), refused
        with pytest.raises(imaplib.IMAP4.error):
            imap_fetch(server.address, bob, BOB_PASSWORD, pebble_roots, server_hostname=server.vars["mail_hostname"])
        other_mark = run_id + "-catch-all"  # (doveadm's HEADER search matches substrings: not refused_mark + ...)
        to_catch_all = send(server, 25, "someone@peer.test", ["nobody-%s@lists.%s" % (run_id, domain)],
                            headers={"X-Run": other_mark})
        assert to_catch_all.code == 250, to_catch_all  # the catch-all still takes other addresses
        poll(lambda: in_alice(server, pebble_roots, alice, other_mark), timeout=60, what="the catch-all's message at alice")
        assert in_alice(server, pebble_roots, alice, refused_mark) == []
    finally:
        restored = run_playbook(converge, molecule_env, limit=HOST13)
        assert restored.rc == 0, restored.failure_messages()
    back = run_id + "-back"
    assert send(server, 25, "someone@peer.test", [bob], headers={"X-Run": back}).code == 250
    poll(lambda: bob_has(server, back), timeout=60, what="bob's mail once he is a user again")
    assert bob_has(server, kept)
    report("%s removed user: %s; mail to him -> %d %s; IMAP login refused; the catch-all still takes other "
           "addresses; added back: his old mail is there and new mail arrives" % (HOST13, line.group(0), refused.code,
                                                                                  refused.text))


def in_alice(server, _roots, alice, mark):
    """alice's messages marked `mark`, in any folder (the spam rule may file the lab's mail into
    Junk), as doveadm finds them on the host (her mailbox is the lab's busiest: no IMAP timeout)."""
    return [line for line in server.check("doveadm search -u %s mailbox '*' HEADER X-Run %s", alice, mark).splitlines()
            if line.strip()]


# --- Moving in from the old provider: the other site host plays it -------------------------------------

OLD_FOLDERS = {"INBOX": 120, "Old": 50, "Old/Projects": 30}  # 200 messages
FLAG_WORDS = ("\\Seen", "\\Flagged", "\\Answered")


def other_host(hosts, name):
    return hosts[next(host for host in HOSTS if host != name)]


def imap_client(server, user, password, roots):
    client = imaplib.IMAP4_SSL(server.address, 993, ssl_context=tls_context(roots, server.vars["mail_hostname"]),
                               timeout=60)
    client.login(user, password)
    return client


def fill_old_mailbox(server, user, password, roots, mark):
    """200 messages in three folders, each with its own flags and an INTERNALDATE in 2019-2020."""
    client = imap_client(server, user, password, roots)
    try:
        number = 0
        for folder, count in OLD_FOLDERS.items():
            if folder != "INBOX":
                client.create('"%s"' % folder)
            for _index in range(count):
                number += 1
                flags = " ".join(flag for flag, every in zip(FLAG_WORDS, (3, 7, 11)) if number % every == 0)
                when = time.mktime((2019 + number % 2, 1 + number % 12, 1 + number % 28, number % 24, number % 60, 0, 0, 0, 0))
                message = ("From: someone@old.test\r\nTo: %s\r\nSubject: old %d\r\nMessage-ID: <%s-%d@old.test>\r\n\r\n"
                           "Ten years of mail, number %d.\r\n" % (user, number, mark, number, number)).encode()
                typ, data = client.append('"%s"' % folder, "(%s)" % flags if flags else None,
                                          imaplib.Time2Internaldate(when), message)
                assert typ == "OK", data
    finally:
        client.logout()


def mailbox_view(server, user, password, roots, folders):
    """{folder: {Message-ID: (flags among FLAG_WORDS, INTERNALDATE)}} and the Message-IDs counted once
    per message, over IMAP."""
    client = imap_client(server, user, password, roots)
    view, seen = {}, []
    try:
        for folder in folders:
            typ, _data = client.select('"%s"' % folder, readonly=True)
            assert typ == "OK", (folder, _data)
            typ, data = client.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            entries = {}
            for part in data:
                if not isinstance(part, tuple):
                    continue
                meta, header = part[0].decode(), part[1].decode()
                message_id = re.search(r"(?im)^Message-ID:\s*(\S+)", header)
                key = message_id.group(1) if message_id else header.strip()
                flags = tuple(flag for flag in FLAG_WORDS if flag in meta)
                internaldate = re.search(r'INTERNALDATE "([^"]+)"', meta).group(1)
                entries[key] = (flags, internaldate)
                seen.append(key)
            view[folder] = entries
    finally:
        client.logout()
    return view, seen


@pytest.mark.parametrize("name", HOSTS)
def test_moving_in_copies_folders_flags_and_dates_once_and_keeps_new_mail(
        hosts, name, molecule_env, project_dir, pebble_roots, run_id, tmp_path, report):
    server, old = hosts[name], other_host(hosts, name)
    old_user, new_user = user_of(old), "frank@" + server.vars["site_domain"]
    mark = "%s-%s" % (run_id, name)
    fill_old_mailbox(old, old_user, PASSWORD, pebble_roots, mark)
    folders = list(OLD_FOLDERS)
    before, _ids = mailbox_view(old, old_user, PASSWORD, pebble_roots, folders)
    assert sum(len(entries) for entries in before.values()) >= 200

    change = {"mail_users": list(server.vars["mail_users"]) + [{"address": new_user, "password": "frank-Secret-6"}],
              "mail_imports": [{"address": new_user, "host": old.vars["mail_hostname"], "login": old_user,
                                "password": PASSWORD}],
              "dovecot_import_progress_interval": 1}
    inventory = inventory_with_change(molecule_env, tmp_path, name, Secret(json.dumps(change)), "50-imports.json")
    converge = project_dir / "extensions" / "molecule" / "site" / "converge.yml"
    try:
        moved_in(dict(server=server, old=old, name=name, converge=converge, molecule_env=molecule_env,
                      inventory=inventory, new_user=new_user, old_user=old_user, mark=mark, folders=folders,
                      before=before, roots=pebble_roots), report)
    finally:
        # The scenario's own inventory again (frank is no longer a user; his mail is kept).
        restored = run_playbook(converge, molecule_env, limit=name, timeout=1200)
        assert restored.rc == 0, restored.failure_messages()


def moved_in(run, report):
    """The two imports of the test above (`run`: its names), the host then restored by it."""
    server, old, name, converge, molecule_env, inventory = (run[key] for key in (
        "server", "old", "name", "converge", "molecule_env", "inventory"))
    new_user, old_user, mark, folders, before, pebble_roots = (run[key] for key in (
        "new_user", "old_user", "mark", "folders", "before", "roots"))
    since = journal_mark(server)
    first = run_playbook(converge, molecule_env, limit=name, inventory_file=inventory, timeout=1200)
    assert first.rc == 0, first.failure_messages()
    assert PASSWORD not in first.output
    # Every folder of the old mailbox comes in (the earlier tests left mail in others than the three
    # compared below): the import's figures are the old mailbox's whole count, as Dovecot gives it.
    counted = old.check("doveadm -f flow mailbox status -u %s -t messages '*'", old_user)
    total = int(re.search(r"messages=(\d+)", counted).group(1))
    progress = [entry["MESSAGE"] for entry in journal_since(server, since, identifier="postmaster-mail-import")]
    assert "%s: copying from %s: %d messages there, 0 here before" % (new_user, old.vars["mail_hostname"], total) \
        in progress, progress
    assert any(re.match(r"%s: done in \d+ s: %d new messages, %d here now \(%d there\)$" % (
        re.escape(new_user), total, total, total), line) for line in progress), progress
    said = " ".join(first.output.split())
    assert "moved in: %s: %d new messages copied, %d here now (%d in the old mailbox)" % (
        new_user, total, total, total) in said, "the report does not say what was moved in"
    copied, ids = mailbox_view(server, new_user, "frank-Secret-6", pebble_roots, folders)
    assert copied == before, {folder: (len(before[folder]), len(copied.get(folder, {}))) for folder in folders}
    assert len(ids) == len(set(ids))
    mode = server.check("stat -c %s %s", "%U:%G:%a", "/etc/dovecot/imports/%s.conf" % new_user).strip()
    assert mode == "root:root:600", mode

    # Between two runs: a new message at the old provider, and mail delivered here.
    fill_one = imap_client(old, old_user, PASSWORD, pebble_roots)
    try:
        fill_one.append("INBOX", None, None, ("From: someone@old.test\r\nSubject: late\r\nMessage-ID: <%s-late@old.test>"
                                              "\r\n\r\nstill arriving there\r\n" % mark).encode())
    finally:
        fill_one.logout()
    local = send(server, 25, "someone@peer.test", [new_user], headers={"X-Run": mark + "-local"})
    assert local.code == 250, local
    poll(lambda: server.check("doveadm search -u %s mailbox '*' HEADER X-Run %s", new_user, mark + "-local").strip(),
         timeout=60, what="the local message delivered")
    second = run_playbook(converge, molecule_env, limit=name, inventory_file=inventory, timeout=1200, verbosity=1,
                          diff=True)
    assert second.rc == 0, second.failure_messages()
    assert PASSWORD not in second.output, "the old provider's password is in the -v --diff output"
    assert "moved in: %s: 1 new messages copied" % new_user in " ".join(second.output.split())
    again, ids = mailbox_view(server, new_user, "frank-Secret-6", pebble_roots, folders)
    assert "<%s-late@old.test>" % mark in again["INBOX"]
    assert len(ids) == len(set(ids)), "a message was copied twice"
    assert {folder: entries for folder, entries in again.items() if folder != "INBOX"} == \
        {folder: entries for folder, entries in before.items() if folder != "INBOX"}
    kept = server.check("doveadm search -u %s mailbox '*' HEADER X-Run %s", new_user, mark + "-local").strip()
    assert kept, "the mail delivered here between the imports is gone"
    compared = sum(len(entries) for entries in before.values())
    report("%s moving in: %d messages in %s from %s (%s, Dovecot imapc): Message-IDs, flags and INTERNALDATEs equal; "
           "rerun: the late message copied, nothing twice, the mail delivered here kept; the settings file root:root 600; "
           "the journal: %s" % (name, compared, ", ".join(folders), old_user, old.vars["mail_hostname"], " / ".join(progress)))
