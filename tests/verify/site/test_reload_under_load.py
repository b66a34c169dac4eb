"""Reload under load (issue 9, in pytest since issue 14): a converge of the Debian 13 host that adds
a domain and a user (Postfix, Dovecot and OpenDKIM reload) runs with -v and --diff while the peer
sends to alice at a bounded rate (>= 500 messages at 10 a second) for the whole converge. Every
message is delivered exactly once across the reloads; a hand edit of main.cf made before the
converge is gone after it; nothing secret (password, hash, new DKIM key) is in its output.

The change goes to the converge as host_vars of a copy of the scenario's inventory, not on the
command line (it holds a password). The scenario runs once, in a module fixture; each test judges
one part of it. The fixture's finalizer undoes it whatever happened: the sender stopped, the hand
edit removed, and a converge with the scenario's own variables takes the new domain and user
away again, so verify.yml's checks (the records fragments, the idempotent rerun) hold on a rerun.
The nested converges are judged from their structured results (lablib.playbook).
"""

import json
import re
import shutil
from pathlib import Path

import pytest

from lablib import flush_queue, journal_mark, journal_since
from lablib.census import judge, message_census, tally
from lablib.inventory import inventory_with_change
from lablib.load import LoadSender, inside, reload_times
from lablib.playbook import run_playbook
from lablib.postfix import parse_postqueue
from lablib.secret import Secret

# Converges (the change under load): `make mutants` leaves the module out, as it would undo a mutant.
pytestmark = pytest.mark.converges

HOST = "site-debian13"
NEW_DOMAIN = "new13.test"
NEW_USER = {"address": "carol@new13.test", "password": Secret("carol-Secret-3")}
MINIMUM, RATE = 500, 10
HAND_EDIT = "smtpd_banner = $myhostname ESMTP drifted"
DRIFT_MARK = "drifted"


@pytest.fixture(scope="module")
def mail_host(hosts):
    return hosts[HOST]


def converge_playbook(project_dir):
    return project_dir / "extensions" / "molecule" / "site" / "converge.yml"


def read_secrets(mail_host):
    """{name: secret} of what the converge made for the new domain and user: the user's hash
    and the start of each new DKIM private key. Never printed."""
    alice = next(user for user in mail_host.vars["mail_users"] if user["address"].startswith("alice@"))
    secrets = {"carol's password": NEW_USER["password"], "alice's password": Secret(alice["password"])}
    line = mail_host.check("grep %s /etc/dovecot/users || true", "^%s:" % NEW_USER["address"]).strip()
    secrets["carol's hash"] = Secret(line.split(":")[1] if line.count(":") >= 1 else "")
    keys = mail_host.check("for k in /etc/opendkim/keys/%s/*.private; do [ -f \"$k\" ] && sed -n 2p \"$k\"; done; true",
                           NEW_DOMAIN).splitlines()
    for number, key in enumerate(keys, 1):
        secrets["new DKIM key %d" % number] = Secret(key.strip()[:40])
    return secrets


@pytest.fixture(scope="module")
def scenario(mail_host, peer, molecule_env, project_dir, run_id, tmp_path_factory, report):
    """Run the whole scenario once; undo it after the module, always."""
    host_vars = mail_host.vars
    records_dir = Path(molecule_env["MOLECULE_EPHEMERAL_DIRECTORY"]) / "dns-records"
    new_fragment = records_dir / ("%s.zone" % NEW_DOMAIN)
    fragment_existed = new_fragment.exists()
    change = Secret(json.dumps({"mail_domains": list(host_vars["mail_domains"]) + [NEW_DOMAIN],
                                "mail_users": list(host_vars["mail_users"]) + [NEW_USER],
                                "mail_dns_check": "warn"}))
    run = "load-" + run_id
    sender = LoadSender(peer, {"server": host_vars["mail_public_ipv4"], "recipient": "alice@" + host_vars["site_domain"],
                               "run": run, "minimum": MINIMUM, "rate": RATE, "stop_file": "/tmp/%s.stop" % run})
    found = {"run": run}
    scratch = tmp_path_factory.mktemp("reload")
    completed = False
    try:
        inventory_file = inventory_with_change(molecule_env, scratch, HOST, change, "50-reload-under-load.json")
        # An admin in a hurry edits main.cf by hand; the converge must undo it.
        mail_host.check("echo %s >> /etc/postfix/main.cf && postfix reload", HAND_EDIT)
        found["banner_before"] = mail_host.check("postconf -h smtpd_banner").strip()
        cursor = journal_mark(mail_host)
        sender.start()
        converge = run_playbook(converge_playbook(project_dir), molecule_env, limit=HOST, diff=True, verbosity=1,
                                inventory_file=inventory_file, timeout=900)
        found["converge"] = converge
        found["sent"] = sender.finish()
        # A delivery in flight when Dovecot reloads can get "421 4.3.2 Server shutting down" from
        # the old LMTP process: Postfix keeps it and retries at its next queue run, minutes later.
        found["deferred"] = parse_postqueue(mail_host.check("postqueue -j"))
        flush_queue(mail_host, timeout=120)
        found["census"] = message_census(mail_host, run)
        entries = []
        for identifier in ("postfix/master", "dovecot", "systemd"):
            entries += journal_since(mail_host, cursor, identifier=identifier)
        found["reloads"] = reload_times(entries)
        found["main_cf_drift"] = int(mail_host.check("grep -c %s /etc/postfix/main.cf || true", DRIFT_MARK).strip() or 0)
        found["banner_after"] = mail_host.check("postconf -h smtpd_banner").strip()
        found["secrets"] = read_secrets(mail_host)
        completed = True
        yield found
    finally:
        sender.close()
        shutil.rmtree(scratch, ignore_errors=True)  # the change holds a password
        restore = run_playbook(converge_playbook(project_dir), molecule_env, limit=HOST, timeout=900)
        if DRIFT_MARK in mail_host.run("postconf -h smtpd_banner").stdout:
            mail_host.check("sed -i %s /etc/postfix/main.cf && postfix reload", "/%s/d" % DRIFT_MARK)
        if not fragment_existed and new_fragment.exists():
            new_fragment.unlink()
        rc, failures = restore.rc, restore.failure_messages(HOST)
        report("reload under load: undone by a converge with the scenario's own variables: rc=%s, %d changed" % (
            rc, len(restore.changed(HOST))))
        # After a failed setup its own error is the one to see; the restore's is in the summary.
        assert rc == 0 or not completed, "the converge that takes %s away again failed: %s" % (NEW_DOMAIN, failures)


@pytest.fixture(scope="module")
def findings(report):
    found = {}
    yield found
    missing = "not proven (see the failures)"
    report("reload under load: converge %s; delivery %s; reloads %s; drift %s; output %s" % tuple(
        found.get(name, missing) for name in ("converge", "delivery", "reloads", "drift", "secrets")))


@pytest.mark.converges
def test_the_converge_adds_the_domain_and_succeeds(scenario, findings):
    converge = scenario["converge"]
    rc, stats = converge.rc, converge.stats.get(HOST, {})
    assert rc == 0, converge.failure_messages(HOST)
    assert (stats.get("failures"), stats.get("unreachable")) == (0, 0), converge.summary()
    assert stats.get("changed", 0) >= 1, converge.summary()
    findings["converge"] = "-v --diff, rc=0, %d changed" % stats["changed"]


@pytest.mark.converges
def test_every_message_is_delivered_exactly_once_across_the_reloads(scenario, findings):
    sent = scenario["sent"]
    accepted, refused = sent["accepted"], sent["refused"]
    assert len(accepted) >= MINIMUM, "%d accepted, refused: %s" % (len(accepted), refused[:5])
    assert refused == []
    problems = judge(tally(scenario["census"]), accepted)
    assert problems == {"missing": [], "doubled": {}, "unexpected": []}
    reasons = sorted({reason[:60] for entry in scenario["deferred"] for _address, reason in entry["recipients"]})
    findings["delivery"] = ("%d delivered exactly once / %d sent at %s a second in %.1f s (%d retries by the sender; "
                            "%d deferred on the way and delivered at the flush: %s)" % (
                                len(scenario["census"]), len(accepted), sent["rate"], sent["window"][1] - sent["window"][0],
                                len(sent["retries"]), len(scenario["deferred"]), reasons))


@pytest.mark.converges
def test_postfix_and_dovecot_reload_while_the_messages_arrive(scenario, findings):
    window, reloads = scenario["sent"]["window"], scenario["reloads"]
    during = {daemon: inside(times, window) for daemon, times in reloads.items()}
    assert during["postfix"], {"window": window, "reloads": reloads}
    assert during["dovecot"], {"window": window, "reloads": reloads}
    findings["reloads"] = "inside the sending window: %s" % {daemon: len(times) for daemon, times in during.items()}


@pytest.mark.converges
def test_the_hand_edit_of_main_cf_is_undone(scenario, findings):
    assert DRIFT_MARK in scenario["banner_before"], "the hand edit did not take: %s" % scenario["banner_before"]
    assert scenario["main_cf_drift"] == 0
    assert DRIFT_MARK not in scenario["banner_after"], scenario["banner_after"]
    findings["drift"] = "the hand edit of main.cf was undone (smtpd_banner = %s)" % scenario["banner_after"]


@pytest.mark.converges
def test_the_converge_output_holds_no_secret(scenario, findings):
    secrets = scenario["secrets"]
    output = scenario["converge"].output
    assert sorted(secrets) == ["alice's password", "carol's hash", "carol's password", "new DKIM key 1", "new DKIM key 2"]
    empty = sorted(name for name, value in secrets.items() if len(value) < 8)
    assert empty == [], "these could not be read on the host"
    shown = sorted(name for name, value in secrets.items() if value in output)
    assert shown == [], "secrets in the converge's -v --diff output (values not shown here)"
    assert re.search(r"BEGIN [A-Z ]*PRIVATE KEY", output) is None
    findings["secrets"] = "-v --diff (%d characters) holds no password, no hash and none of the 2 new DKIM keys" % len(output)
