"""Two milters, composed (issue 14): the site scenario's Debian 13 host has the lab's milter on the
peer (tests/lab/peer/lab_milter.py, default_action=tempfail, every flow) as a contribution of its
own beside OpenDKIM's two (default_action=accept, outbound mail) and rspamd's (inbound mail). A message received on port 25 passes all of them; each
milter, stopped, gets its own default_action: the lab milter's refuses for now, OpenDKIM's lets
the message through unsigned.

Run by extensions/molecule/site/verify.yml; see tests/verify/conftest.py for the fixtures.
"""

import pytest

from lablib import Milter, dkim_tags, find_message, parse_milters, poll, port_open, send

HOST = "site-debian13"
ALICE = "alice@site13.test"
MAILDIR = "/var/vmail/site13.test/alice/Maildir"
OPENDKIM_UNITS = ("opendkim", "opendkim-ed25519")
OPENDKIM_SOCKETS = ("/var/spool/postfix/opendkim/opendkim.sock", "/var/spool/postfix/opendkim/opendkim-ed25519.sock")
LAB_MILTER_PORT = 8899
# How tests/lab/peer/start.sh starts it, detached from the podman exec session.
LAB_MILTER_START = "setsid -f python3 /lab/peer/lab_milter.py inet:8899@0.0.0.0 > /var/log/lab_milter.log 2>&1 < /dev/null"


class LabMilter:
    """The lab milter in the peer: up when it accepts connections on its port."""

    def __init__(self, peer):
        self.peer = peer

    def listening(self):
        return port_open(self.peer.address, LAB_MILTER_PORT)

    def stop(self):
        # "[l]ab_milter" matches the milter's command line but not pkill's, nor timeout's around it.
        result = self.peer.run("pkill", "-f", "[l]ab_milter[.]py", timeout=15)
        assert result.returncode in (0, 1), "pkill in the peer: %s" % result.stderr
        poll(lambda: not self.listening(), timeout=15, what="the lab milter to stop")

    def start(self):
        if self.listening():
            return
        result = self.peer.sh(LAB_MILTER_START, timeout=15)
        assert result.returncode == 0, "starting the lab milter: %s" % result.stderr
        poll(self.listening, timeout=15, what="the lab milter to listen on %s:%s" % (self.peer.address, LAB_MILTER_PORT))


@pytest.fixture(scope="module")
def mail_host(hosts):
    if HOST not in hosts:
        pytest.fail("%s is not in the site scenario's inventory (hosts: %s)" % (HOST, ", ".join(sorted(hosts))),
                    pytrace=False)
    return hosts[HOST]


@pytest.fixture(scope="module")
def findings(report):
    """What each test proved; one summary line at the end of the module, like the YAML's."""
    found = {}
    yield found
    missing = "not proven (see the failures)"
    report("two milters: smtpd_milters = %s; both up: %s; lab milter (tempfail) down: %s; OpenDKIM (accept) down: %s" % (
        found.get("milters", missing), found.get("both", missing), found.get("lab_down", missing),
        found.get("dkim_down", missing)))


@pytest.fixture
def lab_milter(peer):
    """The lab milter, running when the test starts and again after it, whatever happened."""
    milter = LabMilter(peer)
    milter.start()
    yield milter
    milter.start()


@pytest.fixture
def opendkim_running(mail_host):
    """Both OpenDKIM instances up with their sockets in Postfix's chroot (a previous test may
    just have started them)."""
    mail_host.check("systemctl is-active %s %s", *OPENDKIM_UNITS)
    poll(lambda: mail_host.run("test -S %s && test -S %s", *OPENDKIM_SOCKETS).rc == 0, timeout=15,
         what="OpenDKIM's sockets")


@pytest.fixture
def opendkim_stopped(mail_host):
    """Both OpenDKIM instances stopped for the test, and started again after it, always."""
    try:
        mail_host.check("systemctl stop %s %s", *OPENDKIM_UNITS)
        yield
    finally:
        mail_host.check("systemctl start %s %s", *OPENDKIM_UNITS)


def send_to_alice(mail_host, run):
    """One message to alice on 127.0.0.1:25 from the host itself: an internal sender, so
    OpenDKIM signs it."""
    return send(mail_host, 25, ALICE, [ALICE], headers={"Subject": "two milters", "X-Run": run}, local=True,
                body="Passed through every milter.\n")


def test_postfix_lists_each_milter_with_its_default_action(mail_host, findings):
    """Each milter where its mail comes in: rspamd (inbound) on port 25 from outside, OpenDKIM
    (outbound) for the submissions, mynetworks and sendmail, the lab's (all) everywhere."""
    lab = Milter("inet:10.47.25.25:8899", {"default_action": "tempfail"})
    signers = [Milter("unix:opendkim/opendkim.sock", {"default_action": "accept"}),
               Milter("unix:opendkim/opendkim-ed25519.sock", {"default_action": "accept"})]
    rspamd = Milter("inet:127.0.0.1:11332", {"default_action": "accept"})
    values = dict(line.split(" = ", 1) for line in mail_host.check(
        "postconf smtpd_milters non_smtpd_milters postmaster_outbound_milters smtpd_milter_maps").splitlines())
    assert parse_milters(values["smtpd_milters"]) == [rspamd, lab], values
    # rspamd sees every SMTP client (the users' From: and sending limit), never the host's own mail.
    assert parse_milters(values["non_smtpd_milters"]) == signers + [lab], values
    assert parse_milters(values["postmaster_outbound_milters"]) == [rspamd] + signers + [lab], values
    assert values["smtpd_milter_maps"] == "cidr:/etc/postfix/milter_clients.cidr", values
    table = [line.split(" ", 1) for line in mail_host.check("cat /etc/postfix/milter_clients.cidr").splitlines()
             if line and not line.startswith("#")]
    assert [(network, parse_milters(value)) for network, value in table] == [
        ("127.0.0.0/8", [rspamd] + signers + [lab]), ("::1/128", [rspamd] + signers + [lab])], table
    submission = mail_host.check("postconf -P submission/inet/smtpd_milters submissions/inet/smtpd_milters").split()
    assert submission.count("$postmaster_outbound_milters") == 2, submission
    findings["milters"] = "port 25 %s; outbound %s" % (values["smtpd_milters"], values["postmaster_outbound_milters"])


def test_a_message_passes_every_milter(mail_host, lab_milter, opendkim_running, run_id, findings):
    sent = send_to_alice(mail_host, run_id + "-both")
    assert sent.code == 250, sent
    headers = find_message(mail_host, MAILDIR, sent.message_id)
    assert headers.get_all("X-Lab-Milter") == ["seen"], str(headers)
    algorithms = sorted(dkim_tags(value).get("a") for value in headers.get_all("DKIM-Signature") or [])
    assert algorithms == ["ed25519-sha256", "rsa-sha256"], str(headers)
    findings["both"] = "X-Lab-Milter: seen, DKIM-Signature a=rsa-sha256 and a=ed25519-sha256"


def test_the_lab_milter_down_defers_the_message(mail_host, lab_milter, run_id, findings):
    lab_milter.stop()
    sent = send_to_alice(mail_host, run_id + "-lab-down")
    assert 400 <= sent.code < 500, sent
    findings["lab_down"] = '"%s %s"' % (sent.code, sent.text)


def test_opendkim_down_lets_the_message_through_unsigned(mail_host, lab_milter, opendkim_stopped, run_id, findings):
    # The lab milter is up again (the lab_milter fixture waited for its port), but Postfix may
    # take a moment to reach it: retry until the message is taken.
    sent = poll(lambda: send_to_alice(mail_host, run_id + "-dkim-down"), until=lambda result: result.code == 250,
                timeout=20, interval=1, what="the message to be accepted with OpenDKIM down")
    headers = find_message(mail_host, MAILDIR, sent.message_id)
    assert headers.get_all("X-Lab-Milter") == ["seen"], str(headers)
    assert headers.get_all("DKIM-Signature") is None, str(headers)
    findings["dkim_down"] = "accepted, unsigned, X-Lab-Milter present"
