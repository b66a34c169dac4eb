"""Mail leaves over IPv6 only from a forward-confirmed address (issue 16), on the Debian 13 host,
which is on the lab's IPv6 network (fd47:25::30) beside the peer (mx.peer.test, fd47:25::25):

  * as converged, its PTR published as a hosting provider would (prepare.yml): the report says
    "IPv4 and IPv6" and mail reaches the peer over IPv6;
  * the PTR removed, the next run of site.yml keeps the SMTP client to IPv4 (smtp and relay:
    -o inet_protocols=ipv4) and says why in its report: mail reaches the peer from 10.47.25.30
    only, though the peer has an AAAA record;
  * the PTR back, the run after that sends over IPv6 again.
Not on Debian 12 (nothing here depends on Dovecot). Run by extensions/molecule/site/verify.yml.
"""

import ipaddress
import re

import pytest

from lablib import poll
from lablib.playbook import run_playbook

# Converges: `make mutants` leaves the module out, as it would undo a mutant.
pytestmark = pytest.mark.converges

HOST13 = "site-debian13"
CAPTURE = "/var/mail/capture/inbox/new"


def reverse_name(address):
    return ipaddress.ip_address(address).reverse_pointer


def leaves_over(peer, server, mark):
    """The address the peer saw the host connect from, for one message sent by the host."""
    server.check("printf 'From: root@%s\\nTo: v6@peer.test\\nSubject: ipv6\\nX-Run: %s\\n\\nbody\\n' | /usr/sbin/sendmail v6@peer.test"
                 % (server.vars["mail_hostname"], mark))
    script = 'grep -l -x -F "X-Run: $1" %s/* 2>/dev/null | head -1' % CAPTURE

    def look():
        return peer.sh(script, mark).stdout.strip()

    path = poll(look, timeout=60, interval=0.5, what="message %s at the peer" % mark)
    received = peer.read_file(path)
    found = re.search(r"^Received: from %s \([^)]*\[(?:IPv6:)?([0-9a-fA-F:.]+)\]\)" % re.escape(server.vars["mail_hostname"]), received, re.M)
    assert found, received[:1500]
    return found.group(1)


def outbound_line(run, name):
    reports = [result.msg or "" for result in run.results if result.host == name and result.task == "Report" and result.status == "ok"]
    assert len(reports) == 1, run.failure_messages(name)
    found = re.search(r"outbound: [^\n\"']*", reports[0])
    assert found, reports[0]
    return found.group(0)


def smtp_options(server):
    """The master.cf entries of the two SMTP clients, their -o options included."""
    return server.check("postconf -M smtp/unix relay/unix")


def test_mail_leaves_over_ipv4_until_the_ipv6_ptr_forward_confirms(peer, hosts, lab_dns, molecule_env, project_dir, run_id, report):
    server = hosts[HOST13]
    name, v4, v6 = server.vars["mail_hostname"], server.vars["mail_public_ipv4"], server.vars["mail_public_ipv6"]
    converge = project_dir / "extensions" / "molecule" / "site" / "converge.yml"
    ptr = reverse_name(v6)
    assert lab_dns.get(ptr, "PTR") == [name + "."], "prepare.yml publishes the PTR of %s" % v6
    assert "inet_protocols=ipv4" not in smtp_options(server)
    seen = set()
    for attempt in range(10):  # Postfix picks IPv4 or IPv6 at random (smtp_address_preference = any)
        seen.add(leaves_over(peer, server, "%s-both-%d" % (run_id, attempt)))
        if v6 in seen:
            break
    assert v6 in seen, seen

    lab_dns.delete(ptr, "PTR")
    without = run_playbook(converge, molecule_env, limit=HOST13)
    assert without.rc == 0, without.failure_messages()
    line = outbound_line(without, HOST13)
    assert line.startswith("outbound: IPv4 only: %s has no PTR %s that resolves back to it" % (v6, name)), line
    assert smtp_options(server).count("-o inet_protocols=ipv4") == 2
    over = {leaves_over(peer, server, "%s-v4-%d" % (run_id, attempt)) for attempt in range(4)}
    assert over == {v4}, over

    lab_dns.restore()
    again = run_playbook(converge, molecule_env, limit=HOST13)
    assert again.rc == 0, again.failure_messages()
    assert outbound_line(again, HOST13) == "outbound: IPv4 and IPv6: the PTR of %s is %s, forward-confirmed" % (v6, name)
    assert "inet_protocols=ipv4" not in smtp_options(server)
    seen = set()
    for attempt in range(10):
        seen.add(leaves_over(peer, server, "%s-back-%d" % (run_id, attempt)))
        if v6 in seen:
            break
    assert v6 in seen, seen
    report("%s IPv6: PTR published -> over %s; PTR removed -> %s (report: %s); PTR back -> over IPv6 again"
           % (HOST13, " and ".join(sorted(seen)), " ".join(sorted(over)), line))
