"""Bans of clients that keep failing to log in (issue 16: fail2ban on the journal, nftables),
from a dedicated lab client (10.47.25.26, held by the peer), never from the peer itself (its
address is in mail_ban_ignore_networks: the abuse probe guesses passwords from it on purpose):
  * Debian 13 (Dovecot 2.4): wrong IMAP passwords are counted by the Dovecot jail; then
    mail_ban_after_failures wrong SMTP passwords on 587 ban the client from 587, 993, 465, 995 and
    ManageSieve's 4190 while the controller (not exempt) still connects; the ban survives restarts of fail2ban, Postfix and
    Dovecot, and lifts by itself after mail_ban_time;
  * Debian 12 (Dovecot 2.3): wrong IMAP passwords alone ban the client from 993 and 587 (the
    Dovecot 2.3 words are matched too), lifted by hand afterwards; wrong SMTP passwords are counted
    by the Postfix jail there too (Postfix logs under another unit on 12).
Run by extensions/molecule/site/verify.yml.
"""

import json
import re
import time

import pytest

from lablib import poll
from lablib.peer import ROOTS_PEM, port_open

HOST13 = "site-debian13"
HOST12 = "site-debian12"
CLIENT2 = "10.47.25.26"
ALICE_PASSWORD = "alice-Secret-1"
JAILS = ("postmaster-postfix", "postmaster-dovecot")
# Whether CLIENT2 gets a TCP connection to host:port (python in the peer, bound to CLIENT2):
# "open", or how it was refused.
CONNECT = """
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(5)
try:
    s.connect((sys.argv[2], int(sys.argv[3])))
    print("open")
except OSError as error:
    print(type(error).__name__)
"""


def connects(peer, server, port):
    return peer.check("python3", "-c", CONNECT, CLIENT2, server.address, port, timeout=20).strip()


def jail(server, name):
    """{"failed": currently failed, "total_failed", "banned": [addresses]} of a jail."""
    # (fail2ban-client exits 255 while fail2ban starts, which ssh would report as its own failure.)
    result = server.run("fail2ban-client status %s 2>&1 || exit 3", name)
    assert result.rc == 0, "fail2ban-client status %s: %s" % (name, result.stdout.strip())
    status = result.stdout
    numbers = {key: int(value) for key, value in re.findall(r"(Currently failed|Total failed):\s+(\d+)", status)}
    banned = re.search(r"Banned IP list:\s*(.*)$", status, re.M)
    return {"failed": numbers.get("Currently failed"), "total_failed": numbers.get("Total failed"),
            "banned": banned.group(1).split() if banned else []}


def imap_failure(peer, server):
    domain = server.vars["site_domain"]
    result = peer.curl("--interface", CLIENT2, "--cacert", ROOTS_PEM, "-u", "alice@%s:wrong-guess" % domain,
                       "imaps://%s/" % server.vars["mail_hostname"])
    assert result.returncode == 67, (result.returncode, result.stderr)  # login denied


def smtp_failure(peer, server):
    domain = server.vars["site_domain"]
    result = peer.swaks("--server", server.vars["mail_hostname"], "--port", "587", "--local-interface", CLIENT2,
                        "-tls", "--tls-ca-path", ROOTS_PEM, "--auth", "PLAIN", "--auth-user", "alice@" + domain,
                        "--auth-password", "wrong-guess", "--quit-after", "AUTH")
    assert result.returncode == 28, result.stdout[-600:]  # AUTH failed


def two_failures_counted(server, name, fail):
    """Two failures (fail() makes one) counted by a jail, below its limit: (its state, the count before)."""
    before = jail(server, name)["total_failed"]
    fail()
    fail()
    counted = poll(lambda: jail(server, name), until=lambda state: state["total_failed"] >= before + 2,
                   timeout=20, what="%s: the jail %s counting two failed logins" % (server.name, name))
    assert CLIENT2 not in counted["banned"], counted
    return counted, before


def unban(server):
    for name in JAILS:
        server.run("fail2ban-client set %s unbanip %s", name, CLIENT2)


@pytest.fixture
def clean(hosts):
    """Each test starts with CLIENT2 neither banned nor counted, and leaves it so."""
    touched = []

    def start(server):
        unban(server)
        touched.append(server)
        return server

    yield start
    for server in touched:
        unban(server)


def test_a_guesser_is_banned_from_587_and_993_and_the_ban_survives_restarts_then_lifts(peer, hosts, clean, report):
    server = clean(hosts[HOST13])
    limit, ban_time = int(server.vars["mail_ban_after_failures"]), int(server.vars["mail_ban_time"])
    assert connects(peer, server, 587) == "open" and connects(peer, server, 993) == "open"

    # Dovecot 2.4's words are counted by its jail (below the limit: no ban yet).
    counted, before = two_failures_counted(server, "postmaster-dovecot", lambda: imap_failure(peer, server))

    for _attempt in range(limit):
        smtp_failure(peer, server)
    started = time.monotonic()
    state = poll(lambda: jail(server, "postmaster-postfix"), until=lambda state: CLIENT2 in state["banned"],
                 timeout=30, what="the Postfix jail banning %s after %d failed SMTP logins" % (CLIENT2, limit))
    refused = {port: connects(peer, server, port) for port in (587, 993, 465, 995, 4190)}
    assert all(answer != "open" for answer in refused.values()), refused
    # Only that client: the controller's address is not exempt and still gets in.
    assert port_open(server.address, 587) and port_open(server.address, 993)

    for unit in ("fail2ban", "postfix", "dovecot"):
        server.check("systemctl restart %s", unit, timeout=90)
        poll(lambda: jail(server, "postmaster-postfix")["banned"], until=lambda banned: CLIENT2 in banned,
             timeout=30, interval=0.5, what="the ban of %s back after restarting %s" % (CLIENT2, unit), ignore=(AssertionError,))
        after = {port: connects(peer, server, port) for port in (587, 993)}
        assert all(answer != "open" for answer in after.values()), (unit, after)
    assert port_open(server.address, 587) and port_open(server.address, 993)

    lifted = poll(lambda: connects(peer, server, 587), until=lambda answer: answer == "open",
                  timeout=ban_time + 30, interval=1, what="the ban of %s lifting after %d s" % (CLIENT2, ban_time))
    assert lifted == "open" and connects(peer, server, 993) == "open"
    report("%s bans: %d wrong SMTP passwords from %s banned it from 587/465/993/995 (%s); kept across restarts of "
           "fail2ban, postfix, dovecot; lifted after %.0f s (mail_ban_time %d s); 2 wrong IMAP logins counted: %s"
           % (server.name, limit, CLIENT2, refused[587], time.monotonic() - started, ban_time, counted["total_failed"] - before))
    assert state["failed"] is not None


def test_dovecot_23_failures_ban_too(peer, hosts, clean, report):
    server = clean(hosts[HOST12])
    limit = int(server.vars["mail_ban_after_failures"])
    for _attempt in range(limit):
        imap_failure(peer, server)
    poll(lambda: jail(server, "postmaster-dovecot"), until=lambda state: CLIENT2 in state["banned"],
         timeout=30, what="the Dovecot jail banning %s after %d failed IMAP logins on Dovecot 2.3" % (CLIENT2, limit))
    refused = {port: connects(peer, server, port) for port in (993, 587)}
    assert all(answer != "open" for answer in refused.values()), refused
    assert port_open(server.address, 993)
    unban(server)
    assert poll(lambda: connects(peer, server, 993), until=lambda answer: answer == "open", timeout=15) == "open"
    report("%s bans: %d wrong IMAP passwords (Dovecot 2.3) banned %s from 993 and 587 (%s)" % (server.name, limit, CLIENT2, refused[993]))


def test_debian_12s_postfix_failures_are_counted_too(peer, hosts, clean, report):
    # Postfix logs as postfix@-.service on Debian 12 (postfix.service on 13): the jail reads both.
    server = clean(hosts[HOST12])
    last = server.check("journalctl -o json -n 1 SYSLOG_IDENTIFIER=postfix/master").strip()
    unit = json.loads(last).get("_SYSTEMD_UNIT") if last else None
    two_failures_counted(server, "postmaster-postfix", lambda: smtp_failure(peer, server))
    report("%s bans: 2 wrong SMTP passwords counted by the Postfix jail (Postfix logging as %s)" % (server.name, unit or "?"))
