"""The postmaster's daily report (issue 20, parts 2 and 3), on Debian 13 (nothing in it depends on
Dovecot's version; Debian 12 shows it runs there too). Ansible never makes the report: the test
starts the timer's unit, as the timer would, and reads what reaches the postmaster's mailbox.

  * a first report, the state the next one compares with;
  * two DMARC aggregate reports from the peer to the rua mailbox (dmarc@, gzip and zip): one
    all-pass, one with a failing source; the peer's MTA stopped while the host sends it a message
    (deferred); the host's SPF record broken in the lab DNS; the next report names the changed
    record, the deferral, both sources with their counts, and the failing one as needing attention;
  * passing reports for the days after the failure (mail_dmarc_aligned_days: 2 on this host): the
    next report recommends the step after the policy published (quarantine -> reject).
"""

import email
import email.message
import email.policy
import gzip
import io
import re
import time
import zipfile

from lablib import journal_mark, journal_wait, poll

HOST, OTHER = "site-debian13", "site-debian12"
MAILDIR = "/var/vmail/site13.test/%s/Maildir"
SUBJECT = "[postmaster.mail] mail.site13.test"
LAB_RESOLVER_CACHE = 3
DAY = 86400


def feedback(rows, begin, report_id, org="peer.test"):
    records = "".join(
        "<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated><disposition>none</disposition>"
        "<dkim>%s</dkim><spf>%s</spf></policy_evaluated></row><identifiers><header_from>site13.test</header_from>"
        "</identifiers><auth_results/></record>" % row for row in rows)
    return ('<?xml version="1.0" encoding="UTF-8"?><feedback><report_metadata><org_name>%s</org_name>'
            "<email>dmarc@%s</email><report_id>%s</report_id><date_range><begin>%d</begin><end>%d</end></date_range>"
            "</report_metadata><policy_published><domain>site13.test</domain><adkim>r</adkim><aspf>r</aspf>"
            "<p>quarantine</p><sp>quarantine</sp><pct>100</pct></policy_published>%s</feedback>"
            % (org, org, report_id, begin, begin + DAY, records)).encode()


def report_message(xml, report_id, packing):
    message = email.message.EmailMessage()
    message["From"] = "dmarc@peer.test"
    message["To"] = "dmarc@site13.test"
    message["Subject"] = "Report Domain: site13.test Submitter: peer.test Report-ID: <%s>" % report_id
    message["Message-ID"] = "<%s@peer.test>" % report_id
    message.set_content("A DMARC aggregate report.")
    name = "peer.test!site13.test!%s" % report_id
    if packing == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name + ".xml", xml)
        message.add_attachment(buffer.getvalue(), maintype="application", subtype="zip", filename=name + ".zip")
    else:
        message.add_attachment(gzip.compress(xml), maintype="application", subtype="gzip", filename=name + ".xml.gz")
    return message.as_string()


def deliver_reports(peer, server, reports):
    """Send each (xml, id, packing) from the peer's MTA (MX lookup) and wait for them in dmarc's INBOX."""
    for xml, report_id, packing in reports:
        sent = peer.run("sendmail", "-oi", "-f", "dmarc@peer.test", "dmarc@site13.test",
                        stdin=report_message(xml, report_id, packing))
        assert sent.returncode == 0, sent.stderr
    for entry in reports:
        report_id = entry[1]
        poll(lambda rid=report_id: server.run("grep -rlF %s %s/new %s/cur", "<%s@peer.test>" % rid,
                                              MAILDIR % "dmarc", MAILDIR % "dmarc").stdout.split(),
             timeout=90, what="DMARC report %s in dmarc@'s INBOX" % report_id)


def run_report(server):
    """Start the report's unit as the timer does; the newest report in alice's (postmaster@) mailbox."""
    before = set(reports_in(server))
    server.check("systemctl start postmaster-mail-report.service")
    new = poll(lambda: [path for path in reports_in(server) if path not in before], timeout=90,
               what="the daily report in the postmaster's mailbox")
    assert len(new) == 1, new
    raw = server.check("cat %s" % new[0])
    message = email.message_from_string(raw, policy=email.policy.default)
    return message["Subject"], message.get_content()


def reports_in(server):
    found = server.run("grep -rlF %s %s/new %s/cur 2>/dev/null || true", "Subject: " + SUBJECT,
                       MAILDIR % "alice", MAILDIR % "alice")
    return found.stdout.split()


def test_the_report_is_scheduled_and_runs_on_debian_12_too(hosts):
    for name in (HOST, OTHER):
        server = hosts[name]
        assert server.check("systemctl is-active postmaster-mail-report.timer").strip() == "active"
        assert server.check("stat -c '%U:%G:%a' /etc/postmaster-mail/report.json").strip() == "root:root:644"
        assert server.check("stat -c '%U:%G:%a' /var/lib/postmaster-mail/report").strip() == "root:root:700"
    printed = hosts[OTHER].check("postmaster-mail-report --print")
    assert printed.startswith("Subject: [postmaster.mail] mail.site12.test"), printed[:300]


def test_the_report_names_a_broken_record_a_deferral_and_the_dmarc_sources(hosts, peer, lab_dns, run_id, report):
    server = hosts[HOST]
    first_subject = run_report(server)[0]  # the state the next report compares with
    now = int(time.time()) // DAY * DAY
    passing = feedback([("10.47.25.30", 10, "pass", "pass")], now - 6 * DAY, run_id + "-pass")
    failing = feedback([("10.47.25.30", 4, "pass", "pass"), ("192.0.2.66", 3, "fail", "fail")], now - 5 * DAY,
                       run_id + "-fail", org="receiver.test")
    deliver_reports(peer, server, [(passing, run_id + "-pass", "gzip"), (failing, run_id + "-fail", "zip")])

    # The peer's SMTP service stopped while the host sends it a message: deferred. (Postfix is the
    # peer container's main process: its smtpd is disabled and the master told, not stopped.)
    mark = journal_mark(server)
    try:
        peer.check("postconf", "-e", "master_service_disable = smtp/inet")
        peer.check("postfix", "reload")
        server.check("printf 'Subject: to the peer\\n\\nwhile it is down\\n' | sendmail -f alice@site13.test someone@peer.test")
        journal_wait(server, mark, r"to=<someone@peer\.test>.*status=deferred", identifier="postfix/smtp", timeout=60)
    finally:
        peer.check("postconf", "-X", "master_service_disable")
        peer.check("postfix", "reload")

    # The SPF record broken in public DNS.
    spf = [value for value in lab_dns.get("site13.test", "TXT") if value.startswith("v=spf1")]
    assert spf, lab_dns.get("site13.test", "TXT")
    others = [value for value in lab_dns.get("site13.test", "TXT") if not value.startswith("v=spf1")]
    lab_dns.set("site13.test", "TXT", "v=spf1 -all", *others)
    time.sleep(LAB_RESOLVER_CACHE)
    try:
        subject, text = run_report(server)
    finally:
        lab_dns.restore()
    server.run("postqueue -f")
    assert subject.startswith(SUBJECT) and subject.endswith("to look at"), subject
    changed = text.split("Changed since the last report:", 1)[1].split("Needs attention:", 1)[0]
    assert re.search(r"DNS site13\.test spf[^:\n]*: ok -> (fail|warn): found [^\n]*", changed), text
    assert re.search(r"deferred \d+: peer\.test: connect to mx\.peer\.test\[[0-9a-f.:]+\]:25: Connection refused", text), text
    assert "10.47.25.30 for site13.test: 14 messages, 14 aligned (DKIM pass 14, SPF pass 14), reported by peer.test, receiver.test" in text, text
    assert "192.0.2.66 for site13.test: 3 messages, 0 aligned (DKIM pass 0, SPF pass 0), reported by receiver.test" in text, text
    assert "DMARC: 3 of 3 messages from 192.0.2.66 for site13.test did not align" in text, text
    assert "DMARC aggregate reports: 2 new" in text, text
    assert "next step" not in text, text
    dmarc_section = text.split("DMARC aggregate reports:", 1)[1]
    report("site-debian13 daily report: first %r; then %r: %s | %s | DMARC:%s"
           % (first_subject, subject, changed.strip().splitlines()[0][:120],
              re.search(r"deferred \d+: [^\n]*", text).group(0)[:110], " ".join(dmarc_section.split())[:300]))


def test_after_the_set_days_of_alignment_the_report_recommends_the_next_step(hosts, peer, run_id, report):
    server = hosts[HOST]
    now = int(time.time()) // DAY * DAY
    later = [(feedback([("10.47.25.30", 6, "pass", "pass")], now - days * DAY, "%s-day%d" % (run_id, days)),
              "%s-day%d" % (run_id, days), "gzip") for days in (2, 1)]
    deliver_reports(peer, server, later)
    subject, text = run_report(server)
    assert "DMARC aggregate reports: 2 new" in text, text
    assert "site13.test: every source aligned for 2 days: next step: set mail_dmarc_policy: reject" in text, text
    assert "DMARC site13.test: ready for mail_dmarc_policy reject" in text, text
    report("site-debian13 daily report after two aligned days: %r: %s" % (
        subject, re.search(r"site13\.test: every source aligned[^\n]*", text).group(0)))
