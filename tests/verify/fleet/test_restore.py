"""Backups, and a new machine for a lost one (issue 19), on the fleet scenario's two hosts.

fleet-primary is the mail server (mail.fleet.test) with mail_backup to /srv/backup/fleet, which
both hosts mount from the lab (outside them). fleet-spare is a bare Debian 13 with the same
identity in the inventory that nothing has converged yet. In order:

  * the primary holds mail (with a flag) and has forwarded a message to the peer (SRS); its
    records are published; one backup runs through its systemd unit;
  * the primary is stopped for good, the host name (and the PTR) move to the spare, which is
    converged with mail_backup_restore: true, from its bare image;
  * on the spare: the same messages and flags over IMAP with the old password, the same DKIM key
    (a new message's signature verifies against the record published for the primary), SRS and
    password-salt secrets, the certificate's key; files owned by the same names; the old SRS
    address still takes a bounce back to the original sender; the timer is scheduled;
  * the repository gone: the backup unit fails, and the next run's report says so.
"""

import imaplib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lablib import poll, receiver, records, send
from lablib.playbook import run_playbook
from lablib.remote import tls_context

PRIMARY, SPARE = "fleet-primary", "fleet-spare"
HOSTNAME = "mail.fleet.test"
USER, PASSWORD = "alice@fleet.test", "alice-Fleet-1"
CAPTURE = "/var/mail/capture/inbox/new"
# What must be the same on the new machine, byte for byte (read through links).
SECRETS = ("/etc/opendkim/keys/fleet.test/mail.private", "/etc/postsrsd.secret",
           "/etc/dovecot/private/password-salt-secret", "/etc/postmaster-mail/tls/privkey.pem")
OWNERS = {"/var/vmail/fleet.test/alice": "vmail:vmail", "/etc/opendkim/keys/fleet.test/mail.private": "opendkim:opendkim"}
# The backup's own secrets: the repository's password and restic's environment, root only.
SECRET_FILES = {"/etc/postmaster-mail/backup": "root:root:700", "/etc/postmaster-mail/backup/password": "root:root:600",
                "/etc/postmaster-mail/backup/env": "root:root:600"}
FLAG_WORDS = ("\\Seen", "\\Flagged", "\\Answered")


def imap_view(address, roots):
    """{Message-ID: flags} of the INBOX, read over IMAPS as the user (verifying mail.fleet.test)."""
    client = imaplib.IMAP4_SSL(address, 993, ssl_context=tls_context(roots, HOSTNAME), timeout=60)
    try:
        client.login(USER, PASSWORD)
        client.select("INBOX", readonly=True)
        status, data = client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        assert status == "OK", data
        view = {}
        for part in data:
            if isinstance(part, tuple):
                found = re.search(r"(?im)^Message-ID:\s*(\S+)", part[1].decode())
                view[found.group(1)] = tuple(flag for flag in FLAG_WORDS if flag in part[0].decode())
        return view
    finally:
        client.logout()


def digests(host):
    """{path: sha256} of the SECRETS on a host."""
    output = host.check("sha256sum $(readlink -f %s %s %s %s)", *SECRETS)
    return dict(zip(SECRETS, (line.split()[0] for line in output.splitlines())))


def at_peer(peer, mark, what):
    """The path of the message with X-Run: mark in the peer's catch-all Maildir."""
    def look():
        return peer.sh('grep -l -x -F "X-Run: $1" %s/* 2>/dev/null | head -1' % CAPTURE, mark).stdout.strip()

    return poll(look, timeout=60, interval=0.5, what=what)


@pytest.fixture(scope="module")
def before(hosts, peer, project_dir, pebble_roots, run_id, molecule_env):
    """The primary with mail, a forward, its records published and one backup: what it holds."""
    primary = hosts[PRIMARY]
    records.LabDns(records.load_lab_dns(project_dir)).load(*sorted(Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"], "dns-records").glob("*.zone")))
    for number in range(3):
        sent = peer.swaks("--server", primary.address, "--port", "25", "--ehlo", "mx.peer.test", "--tls",
                          "--from", "someone@peer.test", "--to", USER, "--header", "X-Run: %s-%d" % (run_id, number))
        assert sent.returncode == 0, sent.stdout[-1500:]
    forwarded = peer.swaks("--server", primary.address, "--port", "25", "--ehlo", "mx.peer.test", "--tls",
                           "--from", "someone@peer.test", "--to", "fwd@fleet.test", "--header", "X-Run: %s-fwd" % run_id)
    assert forwarded.returncode == 0, forwarded.stdout[-1500:]
    copy = at_peer(peer, run_id + "-fwd", "the forwarded message at the peer")
    return_path = re.search(r"(?im)^Return-Path:\s*<([^>]*)>", peer.check("cat", copy)).group(1)
    assert return_path.lower().startswith("srs0="), return_path

    view = poll(lambda: imap_view(primary.address, pebble_roots), timeout=60, until=lambda found: len(found) >= 3,
                what="the three messages in alice's INBOX")
    client = imaplib.IMAP4_SSL(primary.address, 993, ssl_context=tls_context(pebble_roots, HOSTNAME), timeout=60)
    try:
        client.login(USER, PASSWORD)
        client.select("INBOX")
        assert client.store("1", "+FLAGS", "(\\Flagged \\Seen)")[0] == "OK"
    finally:
        client.logout()
    view = imap_view(primary.address, pebble_roots)
    assert ("\\Seen", "\\Flagged") in view.values(), view

    modes = primary.check("stat -c '%%n %%U:%%G:%%a' %s %s %s", *SECRET_FILES).splitlines()
    assert modes == ["%s %s" % pair for pair in SECRET_FILES.items()], modes
    backup = primary.run("systemctl start postmaster-mail-backup.service", timeout=300)
    assert backup.rc == 0, primary.check("journalctl -u postmaster-mail-backup --no-pager -n 30")
    snapshots = json.loads(primary.check("set -a && . /etc/postmaster-mail/backup/env && restic snapshots --json"))
    assert snapshots and {snapshot["hostname"] for snapshot in snapshots} == {HOSTNAME}, snapshots
    owners = {path: primary.check("stat -c %s %s", "%u:%g", path).strip() for path in OWNERS}
    return {"view": view, "digests": digests(primary), "srs": return_path, "numbers": owners}


def test_a_new_machine_from_the_backup_has_the_mail_keys_and_secrets(
        before, hosts, peer, lab_dns, pebble_roots, run_id, molecule_env, project_dir, tmp_path, report):
    spare = hosts[SPARE]
    # The old machine is gone; its name (and the PTR of the new address) move to the new one.
    subprocess.run(["podman", "stop", "-t", "20", PRIMARY], check=True, capture_output=True, timeout=120)
    moved_to(spare, lab_dns)

    # The new machine numbers its system users otherwise than the old one did (installed in another
    # order): the old vmail number is someone else's there, so the restore must give the files back by name.
    spare.check("useradd --system --no-create-home --shell /usr/sbin/nologin --uid %s lab-taken",
                before["numbers"]["/var/vmail/fleet.test/alice"].split(":")[0])
    inventory = restore_inventory(molecule_env, tmp_path)
    restored = run_playbook(project_dir / "extensions" / "molecule" / "fleet" / "converge.yml", molecule_env,
                            limit=SPARE, inventory_file=inventory, timeout=1500, verbosity=1, diff=True)
    assert restored.rc == 0, restored.failure_messages()
    said = " ".join(restored.output.split())
    assert "restored: the latest backup of %s from /srv/backup/fleet" % HOSTNAME in said, said[-3000:]
    assert "fleet-Backup-Secret-1" not in restored.output and PASSWORD not in restored.output, \
        "a password is in the -v --diff output"

    assert digests(spare) == before["digests"], "a key or secret differs from the old machine's"
    owners = {path: spare.check("stat -c %s %s", "%U:%G", path).strip() for path in OWNERS}
    assert owners == OWNERS, owners
    # vmail has another number here (lab-taken has the old one): the files went to the name.
    numbers = {path: spare.check("stat -c %s %s", "%u:%g", path).strip() for path in OWNERS}
    assert numbers["/var/vmail/fleet.test/alice"] != before["numbers"]["/var/vmail/fleet.test/alice"], numbers
    assert imap_view(spare.address, pebble_roots) == before["view"], "the mail or its flags differ"

    # A new message, signed on the new machine, verifies against the record published for the old one.
    sent = send(spare, 587, USER, ["out-fleet@peer.test"], headers={"X-Run": run_id + "-after"}, tls="starttls",
                auth=(USER, PASSWORD), cafile=str(pebble_roots), server_hostname=HOSTNAME)
    assert sent.code == 250, sent
    found = at_peer(peer, run_id + "-after", "the message sent from the new machine")
    evaluated = peer.run("python3", "-c", receiver.source(), found, spare.address, HOSTNAME, timeout=60)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    dkim = json.loads(evaluated.stdout)["dkim"]
    assert [(sig["d"], sig["pass"]) for sig in dkim] == [("fleet.test", True)], dkim

    # A bounce to the SRS address the old machine wrote still finds the original sender.
    bounce = peer.swaks("--server", spare.address, "--port", "25", "--ehlo", "mx.peer.test", "--tls",
                        "--from", "<>", "--to", before["srs"], "--header", "X-Run: %s-bounce" % run_id)
    assert bounce.returncode == 0, bounce.stdout[-1500:]
    back = at_peer(peer, run_id + "-bounce", "the bounce back at the original sender")
    assert re.search(r"(?im)^Delivered-To:\s*someone@peer\.test$", peer.check("cat", back)), \
        "the bounce did not go back to someone@peer.test"
    assert spare.check("systemctl is-enabled postmaster-mail-backup.timer").strip() == "enabled"
    report("restore: %s's backup on a bare Debian 13 (%s): %d messages and their flags, the DKIM key (signature "
           "verified against the published record), SRS, salt and TLS keys identical (sha256); owners by name; "
           "the old SRS address %s... still returns a bounce"
           % (HOSTNAME, spare.address, len(before["view"]), before["srs"][:24]))


def test_a_backup_that_cannot_reach_its_repository_fails_and_the_report_says_so(
        hosts, lab_dns, molecule_env, project_dir, tmp_path, report):
    spare = hosts[SPARE]
    moved_to(spare, lab_dns)
    repository = project_dir / ".cache" / "lab" / "backup" / "fleet"
    away = repository.with_name("fleet.away")
    repository.rename(away)
    try:
        failed = spare.run("systemctl start postmaster-mail-backup.service", timeout=300)
        assert failed.rc != 0
        assert spare.run("systemctl is-failed postmaster-mail-backup.service").stdout.strip() == "failed"
        rerun = run_playbook(project_dir / "extensions" / "molecule" / "fleet" / "converge.yml", molecule_env,
                             limit=SPARE, inventory_file=restore_inventory(molecule_env, tmp_path), timeout=1200,
                             verbosity=1, diff=True)
        assert rerun.rc == 0, rerun.failure_messages()
        assert "fleet-Backup-Secret-1" not in rerun.output, "the repository's password is in the -v --diff output"
        said = " ".join(rerun.output.split())
        line = re.search(r"backup: restic [^\"]*", said).group(0)
        assert "warning: the repository cannot be reached" in line, line
        assert not repository.exists(), "the run made a new repository where the old one was missing"
    finally:
        if repository.exists():
            shutil.rmtree(repository)
        away.rename(repository)
    report("backup, repository gone: postmaster-mail-backup.service failed; the report: %s" % line)


def moved_to(host, lab_dns):
    """The host name, and the PTR of the host's address, point at the host (for this test)."""
    lab_dns.set(HOSTNAME, "A", host.address)
    lab_dns.set(".".join(reversed(host.address.split("."))) + ".in-addr.arpa", "PTR", HOSTNAME + ".")


def restore_inventory(molecule_env, directory):
    """The scenario's inventory with the spare among the mail servers, restoring: a directory."""
    target = Path(directory) / "inventory"
    if not target.exists():
        shutil.copytree(Path(molecule_env["MOLECULE_INVENTORY_FILE"]).parent, target)
        (target / "zz-restore.yml").write_text(
            "mailservers:\n  hosts:\n    %s:\n      mail_backup_restore: true\n" % SPARE, encoding="utf-8")
    return target
