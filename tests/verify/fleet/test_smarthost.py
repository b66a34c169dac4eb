"""A host whose provider blocks port 25 sends through a smarthost (issue 19), on the fleet scenario.
A refused login (a wrong password) holds the mail in the queue, never bounced, until it is right.

fleet-edge (mail.edge.fleet.test) has mail_relayhost: the peer's relay.peer.test:587, which asks
for TLS first and a SASL login before it relays (tests/lab/peer/start.sh); its certificate is
from the lab CA, which the edge host trusts. prepare.yml rejects every connection to port 25
leaving the edge host.
"""

import functools
import json
import re
import time

from lablib import journal_mark, journal_wait, poll, send
from lablib.inventory import inventory_with_change
from lablib.playbook import run_playbook
from lablib.secret import Secret

EDGE = "fleet-edge"
CAPTURE = "/var/mail/capture/inbox/new"
RELAY = ("relay.peer.test", 587)


def test_the_edge_host_has_no_route_to_port_25(hosts, peer):
    edge = hosts[EDGE]
    blocked = edge.run("timeout 5 bash -c %s", "</dev/tcp/%s/25" % peer.address)
    assert blocked.rc != 0, "the edge host reaches the peer's port 25: the lab's provider block is not there"
    assert edge.run("timeout 5 bash -c %s", "</dev/tcp/%s/587" % peer.address).rc == 0


def test_mail_leaves_through_the_smarthost_logged_in_over_verified_tls(hosts, peer, run_id, report):
    edge = hosts[EDGE]
    user, password = edge.vars["mail_users"][0]["address"], edge.vars["mail_users"][0]["password"]
    mark = journal_mark(edge)
    sent = send(edge, 587, user, ["out-edge@peer.test"], headers={"X-Run": run_id + "-edge"}, tls="starttls",
                auth=(user, password), local=True)
    assert sent.code == 250, sent

    def look():
        return peer.sh('grep -l -x -F "X-Run: $1" %s/* 2>/dev/null | head -1' % CAPTURE, run_id + "-edge").stdout.strip()

    found = poll(look, timeout=60, interval=0.5, what="the edge host's message at the peer")
    text = peer.check("cat", found)
    received = re.findall(r"(?ims)^Received: (.*?)(?=^\S)", text)
    # The peer's own Received line: from the edge host, authenticated over TLS (ESMTPSA).
    assert re.search(r"from %s .*by mx\.peer\.test .*with ESMTPSA" % re.escape(edge.vars["mail_hostname"]),
                     " ".join(received[0].split())), received[0]
    line = journal_wait(edge, mark, r"Verified TLS connection established to %s\[" % re.escape(RELAY[0]),
                        identifier="postfix/smarthost/smtp", timeout=30)
    relayed = journal_wait(edge, mark, r"to=<out-edge@peer\.test>, relay=%s\[[0-9.]+\]:%d, .*status=sent" % (
        re.escape(RELAY[0]), RELAY[1]), identifier="postfix/smarthost/smtp", timeout=30)
    report("smarthost: %s (port 25 out blocked) -> %s:%d: %s | %s | the peer: %s"
           % (edge.vars["mail_hostname"], RELAY[0], RELAY[1], line[0]["MESSAGE"], relayed[-1]["MESSAGE"][:160],
              " ".join(received[0].split())[:160]))


def test_the_smarthost_login_is_root_only_and_in_no_output(hosts, molecule_env, project_dir):
    edge = hosts[EDGE]
    password = edge.vars["mail_relayhost"]["password"]
    modes = edge.check("stat -c '%%n %%U:%%G:%%a' %s %s", "/etc/postfix/smarthost_password",
                       "/etc/postfix/smarthost_password.lmdb").splitlines()
    assert modes == ["/etc/postfix/smarthost_password root:root:600", "/etc/postfix/smarthost_password.lmdb root:root:600"]
    rerun = run_playbook(project_dir / "extensions" / "molecule" / "fleet" / "converge.yml", molecule_env, limit=EDGE,
                         verbosity=1, diff=True, timeout=900)
    assert rerun.rc == 0, rerun.failure_messages()
    assert rerun.changed(EDGE) == [], rerun.changed(EDGE)
    assert password not in rerun.output, "the smarthost's password is in the -v --diff output"
    said = " ".join(rerun.output.split())
    assert "outbound: through the smarthost [relay.peer.test]:587 (TLS verified, login relay@peer.test)" in said


def test_a_refused_login_keeps_the_mail_queued_until_the_password_is_right(
        hosts, peer, molecule_env, project_dir, tmp_path, run_id, report):
    edge = hosts[EDGE]
    converge = project_dir / "extensions" / "molecule" / "fleet" / "converge.yml"
    wrong = dict(edge.vars["mail_relayhost"], password="not-the-Password-9")
    inventory = inventory_with_change(molecule_env, tmp_path, EDGE, Secret(json.dumps({"mail_relayhost": wrong})),
                                      "50-wrong-relay-password.json")
    changed = run_playbook(converge, molecule_env, limit=EDGE, inventory_file=inventory, timeout=900, verbosity=1,
                           diff=True)
    assert changed.changed(EDGE), "the wrong password changed nothing"
    assert changed.rc == 0, changed.failure_messages()
    user, password = edge.vars["mail_users"][0]["address"], edge.vars["mail_users"][0]["password"]
    try:
        sent = send(edge, 587, user, ["out-edge@peer.test"], headers={"X-Run": run_id + "-wrong"}, tls="starttls",
                    auth=(user, password), local=True)
        assert sent.code == 250, sent
        held = poll(functools.partial(edge.check, "postqueue -j"), timeout=60, interval=0.5,
                    until=lambda text: "authentication failed" in text.lower(),
                    what="the message deferred for the refused login")
        entries = [json.loads(line) for line in held.splitlines() if line.strip()]
        assert [entry["sender"] for entry in entries] == [user], entries  # deferred, no bounce beside it
        assert all(recipient.get("delay_reason", "").startswith("SASL authentication failed")
                   for entry in entries for recipient in entry["recipients"]), entries
    finally:
        restored = run_playbook(converge, molecule_env, limit=EDGE, timeout=900, verbosity=1, diff=True)
        assert restored.rc == 0, restored.failure_messages()
    for output in (changed.output, restored.output):
        for secret in ("not-the-Password-9", edge.vars["mail_relayhost"]["password"]):
            assert secret not in output, "a smarthost password is in the -v --diff output"
    edge.check("postqueue -f")

    def copies():
        return peer.sh('grep -l -x -F "X-Run: $1" %s/* 2>/dev/null' % CAPTURE, run_id + "-wrong").stdout.split()

    poll(copies, timeout=90, interval=1, what="the held message at the peer once the password is right")
    poll(functools.partial(edge.check, "postqueue -j"), timeout=60, interval=0.5, until=lambda text: not text.strip(),
         what="the edge host's queue empty")
    time.sleep(2)
    found = copies()
    assert len(found) == 1, found
    report("smarthost, wrong password: %s; the message held (4.7.0), no bounce; the right password: delivered once"
           % entries[0]["recipients"][0]["delay_reason"][:120])
