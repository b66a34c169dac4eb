"""DKIM key rotation, gated by DNS (issue 20), on the fleet scenario's primary (mail.fleet.test),
whose records test_backup_mx.py published. In order, each run of site.yml asked with
mail_dkim_rotate=true but the last:

  * the first makes the next key (selector mail-<YYYYMMDD>) and puts its record in the zone
    fragment; signing stays on "mail";
  * the second, the record not in DNS yet, waits: signing stays;
  * the record published (the fragment loaded into the lab DNS), the third switches: new mail is
    signed with the new selector; the old selector stays in the fragment;
  * dkimpy at the peer verifies a message signed before and one signed after;
  * a run that does not ask changes nothing.
test_restore.py then restores the rotated keys and their state onto the new machine.
"""

import json
import re
from pathlib import Path

from lablib import poll, receiver, records, send
from lablib.playbook import run_playbook

PRIMARY = "fleet-primary"
USER, PASSWORD = "alice@fleet.test", "alice-Fleet-1"
CAPTURE = "/var/mail/capture/inbox/new"
STATE = "/etc/opendkim/keys/rotation.json"


def converge(project_dir, molecule_env, rotate):
    run = run_playbook(project_dir / "extensions" / "molecule" / "fleet" / "converge.yml", molecule_env, limit=PRIMARY,
                       extra_vars={"mail_dkim_rotate": True} if rotate else None, verbosity=1, diff=True, timeout=900)
    assert run.rc == 0, run.failure_messages()
    return run, " ".join(run.output.split())


def signed(primary, peer, pebble_roots, mark):
    """Send a message from alice to the peer; return the peer's verdict on its DKIM signatures, and the raw path."""
    sent = send(primary, 587, USER, ["rotation@peer.test"], headers={"X-Run": mark}, tls="starttls",
                auth=(USER, PASSWORD), cafile=str(pebble_roots), server_hostname="mail.fleet.test")
    assert sent.code == 250, sent

    def look():
        return peer.sh('grep -l -x -F "X-Run: $1" %s/* 2>/dev/null | head -1' % CAPTURE, mark).stdout.strip()

    found = poll(look, timeout=60, interval=0.5, what="the signed message at the peer")
    return found, verdict(peer, primary, found)


def verdict(peer, primary, path):
    evaluated = peer.run("python3", "-c", receiver.source(), path, primary.address, "mail.fleet.test", timeout=60)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    return [(sig["s"], sig["pass"]) for sig in json.loads(evaluated.stdout)["dkim"]]


def signing_selector(primary):
    return re.search(r"^\*@fleet\.test (\S+)\._domainkey\.fleet\.test$", primary.check("cat /etc/opendkim/SigningTable"),
                     re.M).group(1)


def test_a_rotation_waits_for_dns_then_switches_and_both_keys_verify(
        hosts, peer, lab_dns, pebble_roots, project_dir, molecule_env, run_id, report):
    primary = hosts[PRIMARY]
    fragment = Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"], "dns-records", "fleet.test.zone")
    assert signing_selector(primary) == "mail"
    before_path, before = signed(primary, peer, pebble_roots, run_id + "-before-rotation")
    assert before == [("mail", True)], before

    first, said = converge(project_dir, molecule_env, rotate=True)
    assert first.changed(PRIMARY), "asking for a rotation changed nothing"
    created = re.search(r"DKIM rotation: the next RSA key of fleet\.test is (mail-\d{8}[a-z]?)\._domainkey\.fleet\.test", said)
    assert created, said[-3000:]
    selector = created.group(1)
    assert signing_selector(primary) == "mail", "signing switched before the next key's record was published"
    text = fragment.read_text(encoding="utf-8")
    assert "%s._domainkey.fleet.test." % selector in text and "mail._domainkey.fleet.test." in text
    # A run limited to the primary keeps the backup MX's TLSA (from the values it left).
    assert "_25._tcp.mx2.fleet.test. 3600 IN TLSA 3 1 1 " in text, text
    state = json.loads(primary.check("cat %s" % STATE))
    assert state["domains"]["fleet.test"]["rsa"] == {"active": "mail", "next": selector, "retired": []}
    assert primary.check("stat -c '%%U:%%G:%%a' %s", STATE).strip() == "opendkim:opendkim:644"
    assert "PRIVATE KEY" not in primary.check("cat %s" % STATE)

    second, said = converge(project_dir, molecule_env, rotate=True)
    assert "waiting for DNS to show %s._domainkey.fleet.test" % selector in said, said[-3000:]
    assert second.changed(PRIMARY) == [], second.changed(PRIMARY)
    assert signing_selector(primary) == "mail"

    records.LabDns(records.load_lab_dns(project_dir)).load(fragment)
    third, said = converge(project_dir, molecule_env, rotate=True)
    switched = re.search(r"DKIM rotation: the RSA key of fleet\.test signs with %s now; keep mail\._domainkey\.fleet\.test "
                         r"published until (\d{4}-\d\d-\d\d)" % selector, said)
    assert switched, said[-3000:]
    assert signing_selector(primary) == selector
    assert "mail._domainkey.fleet.test." in fragment.read_text(encoding="utf-8"), "the old selector left the records"
    after_path, after = signed(primary, peer, pebble_roots, run_id + "-after-rotation")
    assert after == [(selector, True)], after
    # The message signed before the switch still verifies: the old selector is still published.
    assert verdict(peer, primary, before_path) == [("mail", True)]

    quiet, said = converge(project_dir, molecule_env, rotate=False)
    assert quiet.changed(PRIMARY) == [], quiet.changed(PRIMARY)
    assert "DKIM rotation: " not in said
    report("DKIM rotation: asked -> next key %s published in the fragment, signing stays on mail; asked again, record "
           "missing -> waiting (changed=0); record loaded -> switched, mail kept until %s; dkimpy at the peer: before %s, "
           "after %s (%s); a run not asking: changed=0" % (selector, switched.group(1), before, after, after_path.rsplit("/", 1)[-1][:20]))
