"""A backup MX (issue 19), on the fleet scenario: fleet-backup (mx2.fleet.test, group
mail_backup_mx) serves the primary's domain fleet.test with the same users and aliases, and no
mailboxes. In order:

  * the records the primary wrote hold the whole fleet: MX 10 mail, MX 20 mx2, mx2's A and TLSA
    (the key it serves), SPF of the primary only; published, the doctor of each host finds them;
  * the MTA-STS policy the primary serves (fetched from the peer over HTTPS) names both MX hosts
    and its digest is the published id; the doctor finds it sound, and fails once DNS names an MX
    the policy does not cover;
  * at the backup MX: unknown recipients refused at RCPT, no relaying elsewhere, no served domain
    as sender from outside (the same defence as the primary);
  * the primary's Postfix stopped: the peer sends 100 messages through its own MTA (MX lookup);
    the backup's queue holds all 100, and says why (the primary refuses connections);
  * the primary back: all 100 in alice's mailbox exactly once (by Message-ID), each with the
    Received line of the backup -> primary hop, the sender unchanged (no SRS on that hop), and
    rspamd's SPF verdict on the peer (the client the backup took it from), not on the backup;
  * the primary lets the backup through postscreen and the own-domain rule; the peer it does not.
"""

import functools
import hashlib
import json
import re
import time
from pathlib import Path

import pytest

from lablib import WaitTimeout, journal_mark, journal_wait, poll, records, send
from lablib.doctor import doctor_checks

PRIMARY, BACKUP = "fleet-primary", "fleet-backup"
USER = "alice@fleet.test"
MAILDIR = "/var/vmail/fleet.test/alice/Maildir"
COUNT = 100
# The doctor asks the lab's validating resolver, which caches for 3 s.
DOCTOR_RESOLVER = "10.47.25.54"
LAB_RESOLVER_CACHE = 3


def queue(host):
    """The host's queue: one JSON entry per message."""
    return [json.loads(line) for line in host.check("postqueue -j").splitlines() if line.strip()]


def marked(host, mark):
    """The files in alice's Maildir (new/ and cur/) of the messages with X-Run: mark."""
    found = host.run("grep -rlxF %s %s/new %s/cur 2>/dev/null || true", "X-Run: " + mark, MAILDIR, MAILDIR)
    return found.stdout.split()


@pytest.fixture(scope="module")
def published(hosts, project_dir, molecule_env):
    """The fragments site.yml wrote, published in the lab DNS: the fleet.test fragment's text."""
    directory = Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"], "dns-records")
    records.LabDns(records.load_lab_dns(project_dir)).load(*sorted(directory.glob("*.zone")))
    return (directory / "fleet.test.zone").read_text(encoding="utf-8")


def test_the_records_hold_the_whole_fleet(hosts, published, lab_dns, report):
    primary, backup = hosts[PRIMARY], hosts[BACKUP]
    lines = [" ".join(line.split()) for line in published.splitlines() if not line.startswith(";")]
    assert "fleet.test. 3600 IN MX 10 mail.fleet.test." in lines, lines
    assert "fleet.test. 3600 IN MX 20 mx2.fleet.test." in lines, lines
    assert "mx2.fleet.test. 3600 IN A %s" % backup.address in lines, lines
    spf = [line for line in lines if line.startswith("fleet.test. 3600 IN TXT \"v=spf1")]
    assert spf == ['fleet.test. 3600 IN TXT "v=spf1 ip4:%s ~all"' % primary.address], spf  # the backup sends none as it
    # The TLSA of mx2 is the key mx2 serves (read on mx2, as a sender's DANE check would hash it).
    served = backup.check("openssl x509 -in /etc/postmaster-mail/tls/fullchain.pem -noout -pubkey"
                          " | openssl pkey -pubin -outform DER | sha256sum").split()[0]
    assert "_25._tcp.mx2.fleet.test. 3600 IN TLSA 3 1 1 %s" % served in lines, lines
    assert sorted(lab_dns.get("fleet.test", "MX")) == ["10 mail.fleet.test.", "20 mx2.fleet.test."]
    report("fleet records (fleet.test.zone, written by the primary): MX 10 mail / MX 20 mx2, mx2 A %s and TLSA 3 1 1 "
           "%s..., SPF %s" % (backup.address, served[:16], spf[0].split("TXT ", 1)[1]))


def test_the_mta_sts_policy_covers_every_mx(hosts, peer, published, lab_dns, molecule_env, tmp_path, pebble_roots,
                                            report):
    status, body = peer.https("https://mta-sts.fleet.test/.well-known/mta-sts.txt")
    assert status == 200, (status, body)
    fields = [line.split(": ", 1) for line in body.rstrip("\r\n").split("\r\n")]
    assert sorted(value for key, value in fields if key == "mx") == ["mail.fleet.test", "mx2.fleet.test"], body
    published_id = lab_dns.get("_mta-sts.fleet.test", "TXT")
    assert published_id == ["v=STSv1; id=%s" % hashlib.sha256(body.encode()).hexdigest()[:20]], published_id

    def doctor():
        records = [{"name": "_mta-sts.fleet.test.", "type": "TXT", "value": published_id[0]}]
        return doctor_checks(molecule_env, tmp_path, ["mta-sts"], "mail.fleet.test", ["fleet.test"], records,
                             [DOCTOR_RESOLVER], policy=body, ca_bundle=pebble_roots)[0]

    sound = doctor()
    assert sound["status"] == "ok", sound
    # An MX the policy does not name (a third host added to DNS, not to the inventory): senders
    # enforcing the policy would refuse it, and the doctor says which.
    lab_dns.set("fleet.test", "MX", "10 mail.fleet.test.", "20 mx2.fleet.test.", "30 mx3.fleet.test.")
    time.sleep(LAB_RESOLVER_CACHE)
    try:
        uncovered = doctor()
    finally:
        lab_dns.restore()
    assert uncovered["status"] == "fail" and "mx: mx3.fleet.test" in uncovered["remedy"], uncovered
    policy = " | ".join(": ".join(field) for field in fields)
    report("fleet MTA-STS: https://mta-sts.fleet.test/.well-known/mta-sts.txt -> %s; %s (its digest); doctor %s; "
           "with MX 30 mx3 in DNS: %s: %s"
           % (policy, published_id[0], sound["status"], uncovered["status"], uncovered["remedy"][:90]))


def test_the_backup_mx_takes_only_the_users_mail(hosts, peer, published, report):
    backup = hosts[BACKUP]
    # No mailboxes, no logins, no signing: neither Dovecot nor OpenDKIM is installed, and of the
    # mail ports only 25 listens.
    installed = backup.run("dpkg-query -W -f '${Status} ${Package}\\n' dovecot-core opendkim 2>/dev/null").stdout
    assert "ok installed" not in installed, installed
    listening = {token.rsplit(":", 1)[1] for token in backup.check("ss -Hltn").split() if re.match(r".*:\d+$", token)}
    assert listening & {"25", "587", "465", "993", "995", "143", "110", "4190"} == {"25"}, listening
    refusals = {}
    for label, sender, recipient in (("unknown", "someone@peer.test", "nobody@fleet.test"),
                                     ("relay", "someone@peer.test", "someone@example.net"),
                                     ("own domain", "forged@fleet.test", USER)):
        said = peer.swaks("--server", backup.address, "--port", "25", "--ehlo", "mx.peer.test", "--tls",
                          "--from", sender, "--to", recipient, "--quit-after", "RCPT")
        assert said.returncode != 0, said.stdout[-800:]
        refusals[label] = re.findall(r"<~?\*+ (5\d\d .*)", said.stdout)[-1]
    assert "User unknown in relay recipient table" in refusals["unknown"], refusals
    assert "Relay access denied" in refusals["relay"], refusals
    assert "served here" in refusals["own domain"], refusals
    report("backup MX refuses: %s" % " | ".join("%s: %s" % item for item in refusals.items()))


def test_mail_waits_at_the_backup_mx_and_reaches_the_primary_once(hosts, peer, published, run_id, report):
    primary, backup = hosts[PRIMARY], hosts[BACKUP]
    mark = run_id + "-backup-mx"
    poll(lambda: peer.check("dig", "+short", "MX", "fleet.test").split(), timeout=30, interval=1,
         until=lambda found: "mx2.fleet.test." in found, what="the fleet's MX records at the peer's resolver")
    primary.check("systemctl stop postfix")
    try:
        peer.sh('for n in $(seq 1 %d); do printf "From: someone@peer.test\\nTo: %s\\nSubject: while away $n\\n'
                'X-Run: %s\\n\\nmessage $n\\n" | sendmail -f someone@peer.test %s || exit 1; done'
                % (COUNT, USER, mark, USER), timeout=120)

        def at_the_backup():
            # What the peer's retry would do in its own time (minutes: a message the backup MX
            # turned away while the peer sent many at once waits there): a flush now and then.
            peer.run("postqueue", "-f")
            return queue(backup)

        held = poll(at_the_backup, timeout=180, interval=5,
                    until=lambda entries: len(entries) >= COUNT, what="the %d messages in the backup MX's queue" % COUNT)
        assert len(held) == COUNT, len(held)
        assert {entry["sender"] for entry in held} == {"someone@peer.test"}, held[:2]
        assert {r["address"] for entry in held for r in entry["recipients"]} == {USER}
        reasons = {r.get("delay_reason", "") for entry in held for r in entry["recipients"]}
        assert any("mail.fleet.test[%s]:25: Connection refused" % primary.address in reason for reason in reasons), reasons
        assert not marked(primary, mark)
        # The peer handed everything over: nothing waits there.
        assert poll(lambda: peer.check("postqueue", "-j").strip(), timeout=60, until=lambda text: not text,
                    what="the peer's queue empty") == ""
    finally:
        primary.check("systemctl start postfix")
    mark_journal = journal_mark(primary)
    poll(lambda: backup.run("timeout 3 bash -c %s", "</dev/tcp/%s/25" % primary.address).rc, timeout=60,
         until=lambda rc: rc == 0, what="the primary's port 25 open again")

    def arrived():
        # What Postfix's retry would do in its own time (minutes: a message that met the primary
        # while it started is deferred again): a flush now and then.
        backup.check("postqueue -f")
        return marked(primary, mark)

    try:
        poll(arrived, timeout=240, interval=10, until=lambda files: len(files) >= COUNT,
             what="the %d messages in alice's mailbox" % COUNT)
    except WaitTimeout as error:
        raise AssertionError("%s; the backup MX's queue: %s" % (error, json.dumps(queue(backup))[:3000])) from None
    poll(functools.partial(queue, backup), timeout=60, until=lambda entries: not entries, what="the backup MX's queue empty")
    files = marked(primary, mark)
    assert len(files) == COUNT, len(files)
    ids = primary.check("cat %s | grep -i '^Message-ID:' | sort -u | wc -l" % " ".join(files)).strip()
    assert ids == str(COUNT), "%s different Message-IDs among %d copies" % (ids, COUNT)
    # Every copy: the backup -> primary hop, the peer -> backup hop, the original sender, and
    # rspamd's SPF verdict about the peer (which peer.test's SPF authorises), not the backup.
    hop = r"from mx2\.fleet\.test \(mx2\.fleet\.test \[%s\]\)" % re.escape(backup.address)
    checks = {
        "backup hop": hop,
        "peer hop": r"from mx\.peer\.test \(mx\.peer\.test \[%s\]\)" % re.escape(peer.address),
        "sender": r"^Return-Path: <someone@peer\.test>",
        "spf": r"^Authentication-Results: mail\.fleet\.test;(?:[^\n]|\n\s)*?spf=pass",
    }
    for label, pattern in checks.items():
        missing = primary.run("grep -LPz %s " + " ".join(files), "(?m)" + pattern).stdout.split()
        assert not missing, "%s: %d copies lack it (%s), e.g. %s" % (label, len(missing), pattern, missing[:1])
    sample = primary.check("cat %s" % files[0])
    assert "SRS0=" not in sample
    allowed = journal_wait(primary, mark_journal, r"(ALLOW|WHITE)LISTED \[%s\]" % re.escape(backup.address),
                           identifier="postfix/postscreen", timeout=30)
    received = " ".join(re.search(r"(?ms)^Received: (from mx2.*?)(?=^\S)", sample).group(1).split())
    report("backup MX: primary's Postfix stopped; %d messages from the peer held at mx2 (%s...); primary back: "
           "%d copies, %s Message-IDs; %s; postscreen: %s"
           % (COUNT, sorted(reasons)[0][:90], len(files), ids, received[:150], allowed[0]["MESSAGE"]))


def test_the_primary_trusts_its_backup_mx_only(hosts, peer, published, run_id):
    primary, backup = hosts[PRIMARY], hosts[BACKUP]
    # A served domain as the sender: from the backup MX, accepted (the backup judged its client);
    # from the peer, refused.
    through = send(backup, 25, "someone@fleet.test", [USER], headers={"X-Run": run_id + "-own"}, local=True,
                   connect_to=primary.address, helo="mx2.fleet.test")
    assert through.code == 250, through
    refused = peer.swaks("--server", primary.address, "--port", "25", "--ehlo", "mx.peer.test", "--tls",
                         "--from", "someone@fleet.test", "--to", USER, "--quit-after", "RCPT")
    assert refused.returncode != 0 and "served here" in refused.stdout, refused.stdout[-800:]
