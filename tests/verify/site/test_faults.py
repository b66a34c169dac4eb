"""Faults during traffic on the Debian 13 host (issue 9, in pytest since issue 14), each message
counted by Message-ID across all the Maildirs, exactly once:

  * OpenDKIM down during submission: accepted and delivered, unsigned (milter_default_action =
    accept, README of the opendkim role);
  * Dovecot down during arrivals on 25: deferred in Postfix's queue, delivered once it is back;
    SMTP AUTH meanwhile answers 454 (try later), not 535;
  * the lab's authoritative DNS frozen during a converge, once per doctor mode: enforce fails the
    play with one clear message, warn finishes with the same verdict in its report; nothing
    crashes. The nested converges are judged from their structured results (lablib.playbook).

(The ACME server down is the certbot scenario's failure case.) Every fault is undone by its
fixture, whatever the test did. See tests/verify/conftest.py for the fixtures.
"""

import re
import subprocess

import dns.exception
import dns.resolver
import pytest

from lablib import flush_queue, poll, send
from lablib.census import judge, message_census, tally
from lablib.playbook import run_playbook
from lablib.postfix import parse_postqueue
from lablib.secret import Secret

HOST = "site-debian13"
FAULT_COUNT = 10
OPENDKIM_SOCKETS = ("/var/spool/postfix/opendkim/opendkim.sock", "/var/spool/postfix/opendkim/opendkim-ed25519.sock")
LAB_DNS_CONTAINER = "postmaster-lab-dns"
LAB_DNS_ADDRESS = "10.47.25.53"
RESOLVERS_VERDICT = "resolvers: DNS could not be asked: check mail_dns_resolvers"


@pytest.fixture(scope="module")
def mail_host(hosts):
    return hosts[HOST]


@pytest.fixture(scope="module")
def alice(mail_host):
    user = next(entry for entry in mail_host.vars["mail_users"] if entry["address"].startswith("alice@"))
    return user["address"], Secret(user["password"])


@pytest.fixture(scope="module")
def fault_run(run_id):
    """This module's Message-ID mark: <fault-RUN.kind.N@peer.test>."""
    return "fault-" + run_id


@pytest.fixture(scope="module")
def findings(report):
    found = {}
    yield found
    missing = "not proven (see the failures)"
    report("faults: OpenDKIM down: %s; Dovecot down: %s; SMTP AUTH meanwhile: %s" % (
        found.get("dkim", missing), found.get("lmtp", missing), found.get("auth", missing)))
    report("faults: DNS down: enforce %s; warn %s" % (found.get("enforce", missing), found.get("warn", missing)))


def opendkim_units(mail_host):
    listing = mail_host.check("systemctl list-units --all --type=service --plain --no-legend %s", "opendkim*")
    return sorted(line.split()[0] for line in listing.splitlines() if line.strip())


@pytest.fixture
def opendkim_stopped(mail_host):
    """Every OpenDKIM instance stopped for the test; started again after it, always, and its
    sockets back in Postfix's chroot."""
    units = opendkim_units(mail_host)
    try:
        if units:
            mail_host.check("systemctl stop " + " ".join(["%s"] * len(units)), *units)
        yield units
    finally:
        mail_host.check("systemctl start " + " ".join(["%s"] * len(units)), *units)
        poll(lambda: mail_host.run("test -S %s && test -S %s", *OPENDKIM_SOCKETS).rc == 0, timeout=20,
             what="OpenDKIM's sockets after the restart")


@pytest.fixture
def dovecot_stopped(mail_host):
    """Dovecot stopped for the test; started again after it, always, and the queue flushed, so
    what waited for it is delivered."""
    try:
        mail_host.check("systemctl stop dovecot")
        yield
    finally:
        mail_host.check("systemctl start dovecot")
        poll(lambda: mail_host.run("systemctl is-active dovecot").rc == 0, timeout=20, what="dovecot to be active")
        flush_queue(mail_host, timeout=60)


def lab_dns_answers():
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [LAB_DNS_ADDRESS]
    resolver.lifetime = 2
    try:
        resolver.resolve("site13.test.", "SOA")
        return True
    except dns.exception.DNSException:
        return False


def podman(*argv):
    return subprocess.run(["podman"] + list(argv), capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def frozen_dns():
    """The lab's authoritative DNS paused for the module's converges (it keeps its address but
    answers nothing, like a dead server); unpaused after them, always, and answering again."""
    try:
        paused = podman("pause", LAB_DNS_CONTAINER)
        assert paused.returncode == 0, "podman pause %s: %s" % (LAB_DNS_CONTAINER, paused.stderr)
        assert not lab_dns_answers(), "the lab DNS still answers while paused"
        yield
    finally:
        state = podman("inspect", "--format", "{{.State.Status}}", LAB_DNS_CONTAINER).stdout.strip()
        if state == "paused":
            unpaused = podman("unpause", LAB_DNS_CONTAINER)
            assert unpaused.returncode == 0, "podman unpause %s: %s" % (LAB_DNS_CONTAINER, unpaused.stderr)
        poll(lab_dns_answers, timeout=30, what="the lab DNS to answer again")


def submit(mail_host, alice, message_id, pebble_roots, recipient):
    address, password = alice
    return send(mail_host, 587, address, [recipient], headers={"Message-ID": message_id, "Subject": "fault"},
                tls="starttls", auth=(address, password), cafile=pebble_roots)


def test_opendkim_down_submission_is_delivered_once_unsigned(mail_host, alice, opendkim_stopped, fault_run,
                                                             pebble_roots, findings):
    assert opendkim_stopped == ["opendkim-ed25519.service", "opendkim.service"]
    bob = next(entry["address"] for entry in mail_host.vars["mail_users"] if entry["address"].startswith("bob@"))
    expected = ["<%s.dkim.%d@peer.test>" % (fault_run, number) for number in range(1, FAULT_COUNT + 1)]
    replies = [submit(mail_host, alice, message_id, pebble_roots, bob) for message_id in expected]
    assert [reply.code for reply in replies] == [250] * FAULT_COUNT, replies
    flush_queue(mail_host, timeout=60)
    entries = poll(lambda: [e for e in message_census(mail_host, fault_run) if ".dkim." in e["id"]],
                   until=lambda found: len(found) >= FAULT_COUNT, timeout=30, what="the 10 submitted messages")
    problems = judge(tally(entries), expected)
    assert problems == {"missing": [], "doubled": {}, "unexpected": []}
    # milter_default_action = accept (README, opendkim role): delivered, unsigned.
    signed = [entry["id"] for entry in entries if entry["dkim"]]
    assert signed == []
    findings["dkim"] = "%d submitted, %d delivered once (unsigned, as documented)" % (len(replies), len(entries))


def test_dovecot_down_arrivals_wait_in_the_queue_and_are_delivered_once(mail_host, alice, dovecot_stopped, fault_run,
                                                                        pebble_roots, findings):
    sender = "%s@peer.test" % fault_run
    expected = ["<%s.lmtp.%d@peer.test>" % (fault_run, number) for number in range(1, FAULT_COUNT + 1)]
    replies = [send(mail_host, 25, sender, [alice[0]], headers={"Message-ID": message_id, "Subject": "fault"},
                    tls="starttls") for message_id in expected]
    assert [reply.code for reply in replies] == [250] * FAULT_COUNT, replies

    def deferred():
        return [entry for entry in parse_postqueue(mail_host.check("postqueue -j"))
                if entry["sender"] == sender and entry["queue_name"] == "deferred"]

    waiting = poll(deferred, until=lambda found: len(found) >= FAULT_COUNT, timeout=60, interval=0.5,
                   what="the 10 arrivals to be deferred while Dovecot is down")
    assert len(waiting) == FAULT_COUNT, waiting
    # SMTP AUTH needs Dovecot's auth service: "try later", not "wrong password".
    auth = send(mail_host, 587, alice[0], [alice[0]], tls="starttls", auth=alice, cafile=pebble_roots)
    assert (auth.code, auth.text[:5]) == (454, "4.7.0"), auth
    assert "Temporary authentication failure" in auth.text, auth
    findings["auth"] = "%d %s" % (auth.code, auth.text)
    # Dovecot back (the fixture's finalizer does the same, for when this test fails earlier).
    mail_host.check("systemctl start dovecot")
    flush_queue(mail_host, timeout=60)
    entries = [e for e in message_census(mail_host, fault_run) if ".lmtp." in e["id"]]
    problems = judge(tally(entries), expected)
    assert problems == {"missing": [], "doubled": {}, "unexpected": []}
    # alice's mailbox: INBOX, or Junk where rspamd finds the controller's messages suspect (they
    # come from an address without reverse DNS that peer.test's SPF does not allow).
    mailbox = "/var/vmail/%s/alice/Maildir" % mail_host.vars["site_domain"]
    assert {entry["maildir"] for entry in entries} <= {mailbox, mailbox + "/.Junk"}
    findings["lmtp"] = "%d deferred, %d delivered once after it was back" % (len(waiting), len(entries))


def converge(project_dir, molecule_env, extra_vars=None, **kwargs):
    """site.yml on the host, its DNS checks asking the paused authoritative server itself (a
    resolver in front of it would answer SERVFAIL: another case, "could not get an answer")."""
    return run_playbook(project_dir / "extensions" / "molecule" / "site" / "converge.yml", molecule_env,
                        limit=HOST, timeout=900,
                        extra_vars=dict({"mail_dns_resolvers": [LAB_DNS_ADDRESS]}, **(extra_vars or {})), **kwargs)


def report_messages(run, host):
    """The Report task's lines (roles/server/tasks/report.yml), as its result's msg."""
    return [result.msg or "" for result in run.results if result.host == host and result.task == "Report"]


@pytest.mark.converges
def test_dns_down_enforce_fails_the_play_with_one_clear_message(project_dir, molecule_env, frozen_dns, findings):
    run = converge(project_dir, molecule_env, extra_vars={"mail_dns_check": "enforce"})
    rc, stats, failures, output = run.rc, run.stats.get(HOST, {}), run.failure_messages(HOST), run.output
    assert rc != 0, run.summary()
    assert (stats.get("failures"), stats.get("unreachable")) == (1, 0), run.summary()
    assert len(failures) == 1 and RESOLVERS_VERDICT in failures[0], failures
    assert "Traceback" not in output, output[-3000:]
    findings["enforce"] = 'failed the play with "%s"' % re.search(r"resolvers: DNS could not be asked[^;(]*", failures[0]).group(0).strip()


@pytest.mark.converges
def test_dns_down_warn_finishes_with_the_verdict_in_its_report(project_dir, molecule_env, frozen_dns, findings):
    run = converge(project_dir, molecule_env, extra_vars={"mail_dns_check": "warn"})
    rc, stats, output = run.rc, run.stats.get(HOST, {}), run.output
    assert rc == 0, run.failure_messages(HOST)
    assert (stats.get("failures"), stats.get("unreachable"), stats.get("changed")) == (0, 0, 0), \
        (run.summary(), [(r.task, r.item_label) for r in run.changed(HOST)])
    reports = report_messages(run, HOST)
    assert len(reports) == 1 and "fail | * | resolvers |" in reports[0], reports
    assert "Traceback" not in output, output[-3000:]
    findings["warn"] = "finished (changed=0) with the same verdict in its report"
