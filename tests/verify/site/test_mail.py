"""Mail flow as the world meets it, from the lab's peer (outside mynetworks): submission on 587
and 465, DKIM (RSA and Ed25519), SPF and DMARC evaluated on what the peer received, delivery on
25 to an alias, postmaster@, a catch-all and the real mailbox beside it, reading over IMAPS and
POP3S with the certificate verified, and the refusals (spoofed sender, relay, unknown user,
wrong passwords, logins before STARTTLS).

Sending is swaks in the peer; reading is imaplib/poplib from the controller, verified against
Pebble's root and the host name; the receiver's verdict is dkimpy/pyspf in the peer
(lablib.receiver). Needs the records published (test_rerun.py runs first). Run by
extensions/molecule/site/verify.yml.
"""

import email.utils
import imaplib
import json
import poplib
import re
import statistics
import time

import pytest

from lablib import imap_fetch, poll, pop3_fetch, receiver
from lablib.peer import ROOTS_PEM
from lablib.remote import tls_context
from lablib.verdicts import without_auth

HOSTS = ("site-debian13", "site-debian12")
ALICE_PASSWORD = "alice-Secret-1"
BOB_PASSWORD = "bob-Secret-2"
CAPTURE = "/var/mail/capture/inbox/new"
# Submissions: case -> (port, TLS, login, sender); each to bob@lists.DOMAIN and out-DOMAIN@peer.test.
SUBMISSIONS = {
    "587": ("587", "--tls", "alice", "alice@{d}"),
    "465": ("465", "--tls-on-connect", "alice", "info@{d}"),
    "587b": ("587", "--tls", "bob", "bob@lists.{d}"),
}
# Deliveries on port 25 from the peer: case -> recipient.
DELIVERIES = {"25-info": "info@{d}", "25-postmaster": "postmaster@{d}", "25-anything": "anything@lists.{d}",
              "25-bob": "bob@lists.{d}"}
# Who gets what: alice has info@, postmaster@ and the catch-all; bob the submissions and his own.
MAILBOXES = {"alice": ("alice@{d}", ALICE_PASSWORD, {"25-info", "25-postmaster", "25-anything"}),
             "bob": ("bob@lists.{d}", BOB_PASSWORD, {"587", "465", "587b", "25-bob"})}


def login(user, domain):
    if user == "alice":
        return "alice@" + domain, ALICE_PASSWORD
    return "bob@lists." + domain, BOB_PASSWORD


@pytest.fixture(scope="module")
def servers(hosts):
    return [hosts[name] for name in HOSTS]


@pytest.fixture(scope="module")
def sent(peer, servers, run_id):
    """Every submission and delivery of the run, made once: {(host, case): swaks result}."""
    results = {}
    for server in servers:
        domain, name = server.vars["site_domain"], server.vars["mail_hostname"]
        for case, (port, tls, user, sender) in SUBMISSIONS.items():
            auth_user, password = login(user, domain)
            results[server.name, case] = peer.swaks(
                "--server", name, "--port", port, tls, "--ehlo", "client.peer.test", "--tls-verify",
                "--tls-ca-path", ROOTS_PEM, "--auth", "PLAIN", "--auth-user", auth_user, "--auth-password", password,
                "--from", sender.format(d=domain), "--to", "bob@lists.%s,out-%s@peer.test" % (domain, domain),
                "--header", "X-Run: " + run_id, "--header", "X-Case: " + case)
        for case, recipient in DELIVERIES.items():
            results[server.name, case] = peer.swaks(
                "--server", name, "--port", "25", "--ehlo", "mx.peer.test", "--tls", "--from", "someone@peer.test",
                "--to", recipient.format(d=domain), "--header", "X-Run: " + run_id, "--header", "X-Case: " + case)
    return results


def test_every_submission_and_delivery_is_accepted(sent, report):
    refused = {"%s %s" % key: result.returncode for key, result in sent.items() if result.returncode != 0}
    assert not refused, "swaks exit codes: %s; last transcript lines: %s" % (
        refused, {key: without_auth(sent[tuple(key.split(" "))].stdout, 300) for key in refused})
    report("mail: %d messages submitted (587, 465) and delivered (25) from the peer" % len(sent))


@pytest.mark.parametrize("name", HOSTS)
@pytest.mark.parametrize("case", list(SUBMISSIONS))
def test_outbound_mail_passes_dkim_spf_and_dmarc_aligned(peer, hosts, sent, run_id, name, case, report):
    assert sent[name, case].returncode == 0, without_auth(sent[name, case].stdout)
    server = hosts[name]
    domain = server.vars["site_domain"]
    # The peer's catch-all Maildir: the copy for out-DOMAIN@peer.test of this run and case.
    script = ('grep -l -x -F "X-Run: $1" %s/* 2>/dev/null | xargs -r grep -l -x -F "X-Case: $2"'
              ' | xargs -r grep -l "^To:.*out-$3@peer[.]test" | head -1') % CAPTURE

    def look():
        return peer.sh(script, run_id, case, domain).stdout.strip()

    found = poll(look, timeout=30, interval=0.5, what="the %s message from %s at the peer" % (case, name))
    evaluated = peer.run("python3", "-c", receiver.source(), found, server.vars["mail_public_ipv4"],
                         server.vars["mail_hostname"], timeout=60)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    result = json.loads(evaluated.stdout)
    dkim = result["dkim"]
    assert len(dkim) == 2, result
    assert [sig for sig in dkim if sig["pass"]] == dkim, result
    assert sorted(sig["a"] for sig in dkim) == ["ed25519-sha256", "rsa-sha256"], result
    assert sorted({sig["d"] for sig in dkim}) == [result["from_domain"]], result
    assert result["spf"] == "pass", result
    assert (result["dkim_aligned"], result["spf_aligned"], result["dmarc"]) == (True, True, "pass"), result
    assert result["dmarc_policy"] == "quarantine", result
    report("%s %s: DKIM %s pass, SPF pass, DMARC pass (p=quarantine), from %s" % (
        domain, case, "+".join(sorted(sig["a"] for sig in dkim)), result["from_domain"]))


def _fetch(server, protocol, user, password, cafile, run_id):
    fetch = imap_fetch if protocol == "imaps" else pop3_fetch
    return fetch(server.address, user, password, cafile, server_hostname=server.vars["mail_hostname"],
                 header=("X-Run", run_id))


@pytest.mark.parametrize("name", HOSTS)
@pytest.mark.parametrize("protocol", ["imaps", "pop3s"])
@pytest.mark.parametrize("mailbox", list(MAILBOXES))
def test_each_mailbox_gets_its_mail_read_over_imaps_and_pop3s(hosts, sent, pebble_roots, run_id, name, protocol, mailbox):
    assert all(result.returncode == 0 for result in sent.values()), "a message was refused (see above)"
    server = hosts[name]
    domain = server.vars["site_domain"]
    user, password, cases = MAILBOXES[mailbox]
    user = user.format(d=domain)
    messages = poll(lambda: _fetch(server, protocol, user, password, pebble_roots, run_id),
                    until=lambda found: len(found) >= len(cases), timeout=30, interval=0.5,
                    what="%s's %d messages over %s on %s" % (user, len(cases), protocol, name))
    by_case = {message["X-Case"]: message for message in messages}
    # alice: info@, postmaster@, the catch-all, never bob's own; bob: his 3 submissions and his own.
    assert sorted(by_case) == sorted(cases), "%s over %s: %s" % (user, protocol, sorted(by_case))
    assert len(messages) == len(cases), "%s over %s: %s" % (user, protocol, [m["X-Case"] for m in messages])
    if mailbox == "bob":
        # The 465 submission was sent as info@, an alias alice owns.
        assert email.utils.parseaddr(by_case["465"]["Return-Path"])[1] == "info@" + domain, by_case["465"]["Return-Path"]
        # The submission's own Received header (the client's name and address, the login) was
        # dropped before the message was queued (issue 16): only the delivery's is left.
        received = " ".join(" ".join(by_case["587"].get_all("Received")).split())
        assert "client.peer.test" not in received and "Authenticated sender" not in received, received
        assert "with LMTP" in received, received


@pytest.mark.parametrize("name", HOSTS)
def test_a_user_cannot_send_as_another_users_address(peer, hosts, name):
    server = hosts[name]
    domain = server.vars["site_domain"]
    result = peer.swaks("--server", server.vars["mail_hostname"], "--port", "587", "--tls", "--auth", "PLAIN",
                        "--auth-user", "alice@" + domain, "--auth-password", ALICE_PASSWORD,
                        "--from", "bob@lists." + domain, "--to", "bob@lists." + domain)
    assert result.returncode == 24, without_auth(result.stdout)
    assert "not owned by user alice@" + domain in result.stdout, without_auth(result.stdout)


@pytest.mark.parametrize("name", HOSTS)
def test_no_relay_to_an_outside_domain_without_auth(peer, hosts, name):
    result = peer.swaks("--server", hosts[name].vars["mail_hostname"], "--port", "25", "--tls",
                        "--from", "someone@peer.test", "--to", "victim@example.net")
    assert result.returncode == 24, without_auth(result.stdout)
    assert re.search(r"<.\* 554 5\.7\.1 .*Relay access denied", result.stdout), without_auth(result.stdout)


@pytest.mark.parametrize("name", HOSTS)
def test_an_unknown_local_address_is_refused(peer, hosts, name):
    domain = hosts[name].vars["site_domain"]
    result = peer.swaks("--server", hosts[name].vars["mail_hostname"], "--port", "25",
                        "--from", "someone@peer.test", "--to", "nobody@" + domain)
    assert result.returncode == 24, without_auth(result.stdout)
    assert re.search(r"<\*\* 550 5\.1\.1 <nobody@%s>. Recipient address rejected" % re.escape(domain),
                     result.stdout), without_auth(result.stdout)


@pytest.mark.parametrize("name", HOSTS)
def test_a_wrong_password_is_refused_over_smtp_auth(peer, hosts, name):
    domain = hosts[name].vars["site_domain"]
    result = peer.swaks("--server", hosts[name].vars["mail_hostname"], "--port", "587", "--tls", "--auth", "PLAIN",
                        "--auth-user", "alice@" + domain, "--auth-password", "wrong",
                        "--from", "alice@" + domain, "--to", "alice@" + domain)
    assert result.returncode == 28, without_auth(result.stdout)  # swaks: AUTH failed


@pytest.mark.parametrize("name", HOSTS)
@pytest.mark.parametrize("protocol", ["imaps", "pop3s"])
def test_a_wrong_password_is_refused_over_imaps_and_pop3s(peer, hosts, name, protocol):
    server = hosts[name]
    result = peer.curl("--cacert", ROOTS_PEM, "-u", "alice@%s:wrong" % server.vars["site_domain"],
                       "%s://%s/" % (protocol, server.vars["mail_hostname"]))
    assert result.returncode == 67, (result.returncode, result.stderr)  # curl: login denied


@pytest.mark.parametrize("name", HOSTS)
def test_143_and_110_refuse_a_login_before_starttls_and_take_it_after(hosts, pebble_roots, name):
    server = hosts[name]
    user, password = login("bob", server.vars["site_domain"])
    context = tls_context(pebble_roots, server.vars["mail_hostname"])
    with imaplib.IMAP4(server.address, 143, timeout=20) as imap:
        assert {"LOGINDISABLED", "STARTTLS"} <= set(imap.capabilities), imap.capabilities
        # imap.login() would refuse by itself on LOGINDISABLED: send the command raw, as a careless
        # client would, and let the server answer.
        try:
            answer = imap._simple_command("LOGIN", user, password)[0]  # pylint: disable=protected-access
        except imaplib.IMAP4.error as error:
            answer = "refused: %s" % error
        assert answer != "OK", "IMAP accepted LOGIN before STARTTLS"
    with imaplib.IMAP4(server.address, 143, timeout=20) as imap:
        imap.starttls(ssl_context=context)
        assert imap.login(user, password)[0] == "OK"
    pop = poplib.POP3(server.address, 110, timeout=20)
    try:
        with pytest.raises(poplib.error_proto):
            pop.user(user)
            pop.pass_(password)
    finally:
        pop.close()
    pop = poplib.POP3(server.address, 110, timeout=20)
    try:
        pop.stls(context=context)
        pop.user(user)
        assert pop.pass_(password).startswith(b"+OK")
    finally:
        pop.quit()


@pytest.mark.parametrize("name", HOSTS)
def test_argon2id_logins_work_a_wrong_password_fails_and_the_cost_is_reported(hosts, pebble_roots, name, report):
    """alice's hash is Argon2id (made on the controller), bob's a given SHA512-CRYPT one: both log
    in over IMAPS, a wrong password does not. What a login costs (the median of five, from the
    controller: TLS, LOGIN, LOGOUT) is reported, never judged: Argon2id is slow on purpose."""
    server = hosts[name]
    domain = server.vars["site_domain"]
    context = tls_context(pebble_roots, server.vars["mail_hostname"])

    def login_time(user, password):
        start = time.monotonic()
        with imaplib.IMAP4_SSL(server.address, 993, ssl_context=context, timeout=20) as imap:
            assert imap.login(user, password)[0] == "OK"
            imap.logout()
        return time.monotonic() - start

    costs = {}
    for label, (user, password) in (("Argon2id", login("alice", domain)), ("SHA512-CRYPT", login("bob", domain))):
        costs[label] = statistics.median(login_time(user, password) for _attempt in range(5))
        with imaplib.IMAP4_SSL(server.address, 993, ssl_context=context, timeout=20) as imap:
            with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
                imap.login(user, password + "x")
    report("%s login cost over IMAPS (median of 5): Argon2id m=64 MiB t=3 %.0f ms, SHA512-CRYPT 5000 rounds %.0f ms"
           % (name, costs["Argon2id"] * 1000, costs["SHA512-CRYPT"] * 1000))
