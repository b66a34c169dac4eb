"""The daily report (plugins/module_utils/_report.py): the log read by reason, and the text judged
against the last report's state: a clean day is one line, changes are spelt out."""

import datetime

from ansible_collections.postmaster.mail.plugins.module_utils import _report

NOW = 1796558400


def entry(ident, message):
    return {"SYSLOG_IDENTIFIER": ident, "MESSAGE": message}


LOG = [
    entry("postfix/lmtp", "4ABC: to=<alice@example.org>, relay=mail.example.org[private/dovecot-lmtp], delay=0.1, "
                          "delays=0/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 <alice@example.org> Saved)"),
    entry("postfix/smtp", "5DEF: to=<bob@peer.test>, relay=mx.peer.test[10.47.25.25]:25, delay=1, delays=0/0/0/1, "
                          "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)"),
    entry("postfix/smtp", "6AAA: to=<bob@peer.test>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, "
                          "status=deferred (connect to mx.peer.test[10.47.25.25]:25: Connection refused)"),
    entry("postfix/error", "6AAA: to=<bob@peer.test>, relay=none, delay=90, delays=0/0/0/0, dsn=4.4.1, "
                           "status=deferred (connect to mx.peer.test[10.47.25.25]:25: Connection refused)"),
    entry("postfix/smtp", "7BBB: to=<x@far.example>, relay=mx.far.example[192.0.2.9]:25, delay=1, delays=0/0/0/1, "
                          "dsn=5.1.1, status=bounced (host mx.far.example[192.0.2.9] said: 550 5.1.1 unknown user "
                          "(in reply to RCPT TO command))"),
    entry("postfix/smtpd", "NOQUEUE: reject: RCPT from unknown[192.0.2.50]: 554 5.7.1 <x@elsewhere.example>: Relay "
                           "access denied; from=<a@b.example> to=<x@elsewhere.example> proto=ESMTP helo=<h>"),
    entry("postfix/postscreen", "NOQUEUE: reject: RCPT from [192.0.2.51]:40000: 550 5.7.1 Service unavailable; client "
                                "[192.0.2.51] blocked using bl.lab.test; from=<a@b.example>, to=<c@example.org>, "
                                "proto=ESMTP, helo=<h>"),
    entry("postfix/submission/smtpd", "warning: unknown[192.0.2.60]: SASL PLAIN authentication failed: "
                                      "UGFzc3dvcmQ6"),
    entry("dovecot", "imap-login: Login aborted: Connection closed (auth failed, 3 attempts in 6 secs) (auth_failed): "
                     "user=<alice@example.org>, method=PLAIN, rip=192.0.2.60, lip=10.0.0.1, TLS"),
    entry("dovecot", "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<a>, method=PLAIN, "
                     "rip=192.0.2.61, lip=10.0.0.1"),
]


def test_parse_log_counts_by_reason():
    facts = _report.parse_log(LOG)
    assert facts["delivered"] == {"local": 1, "remote": 1}
    assert facts["deferred"] == {"peer.test: connect to mx.peer.test[10.47.25.25]:25: Connection refused": 2}
    assert list(facts["bounced"]) == ["far.example: host mx.far.example[192.0.2.9] said: 550 5.1.1 unknown user "
                                      "(in reply to RCPT TO command)"]
    assert facts["rejected"] == {"Relay access denied": 1,
                                 "Service unavailable; client [...] blocked using bl.lab.test": 1}
    assert facts["logins_failed"] == {"192.0.2.60": 4, "192.0.2.61": 1}


def test_parse_bans_takes_the_days_bans():
    lines = ["2026-12-06 04:00:01,123 fail2ban.actions        [812]: NOTICE  [postmaster-dovecot] Ban 192.0.2.60\n",
             "2026-12-04 04:00:01,123 fail2ban.actions        [812]: NOTICE  [postmaster-dovecot] Ban 192.0.2.70\n",
             "2026-12-06 04:30:01,123 fail2ban.actions        [812]: NOTICE  [postmaster-dovecot] Unban 192.0.2.60\n"]
    assert _report.parse_bans(lines, datetime.datetime(2026, 12, 5, 6, 0)) == {"192.0.2.60": ["postmaster-dovecot"]}


def check(status="ok", found="v=spf1 ip4:192.0.2.25 ~all", name="spf", remedy=""):
    return {"domain": "example.org", "check": name, "status": status, "expected": "", "found": found, "remedy": remedy}


def facts(**changes):
    base = {"hostname": "mail.example.org", "now": NOW, "log": _report.parse_log(LOG[:2]), "bans": {}, "queue": 0,
            "certificates": [{"path": "/etc/cert.pem", "not_after": NOW + 60 * 86400}],
            "disk": {"maildirs": 1 << 20, "free": 50 << 30, "total": 100 << 30}, "backup": None,
            "doctor": [check()], "blocklists": {"192.0.2.25": []}, "blocklist_zones": ["zen.spamhaus.org"], "dmarc": None}
    base.update(changes)
    return base


def test_a_clean_day_is_one_line():
    previous = {"doctor": {"example.org spf": {"status": "ok", "found": "v=spf1 ip4:192.0.2.25 ~all"}}}
    subject, text, state = _report.compose(facts(), previous)
    assert subject == "[postmaster.mail] mail.example.org: all well"
    assert text.count("\n") == 1 and "2 delivered (1 to mailboxes, 1 out), 0 deferred" in text
    assert state["doctor"] == {"example.org spf": {"status": "ok", "found": "v=spf1 ip4:192.0.2.25 ~all"}}


def test_a_changed_record_and_a_deferral_are_spelt_out():
    previous = {"doctor": {"example.org spf": {"status": "ok", "found": "v=spf1 ip4:192.0.2.25 ~all"}}, "blocklists": {}}
    broken = check("fail", "v=spf1 -all", remedy="publish v=spf1 ip4:192.0.2.25 ~all")
    today = facts(doctor=[broken], log=_report.parse_log(LOG), blocklists={"192.0.2.25": ["zen.spamhaus.org"]}, queue=1)
    subject, text, dummy = _report.compose(today, previous)
    assert subject.endswith("to look at") and "all well" not in subject
    changed = text.split("Changed since the last report:")[1].split("Needs attention:")[0]
    assert "DNS example.org spf: ok -> fail: found v=spf1 -all (was v=spf1 ip4:192.0.2.25 ~all)" in changed
    assert "192.0.2.25 is now listed in zen.spamhaus.org" in changed
    assert "deferred 2: peer.test: connect to mx.peer.test[10.47.25.25]:25: Connection refused" in text
    assert "bounced 1: far.example" in text and "1 messages wait in the queue" in text


def test_the_first_report_lists_problems_without_calling_them_changes():
    subject, text, dummy = _report.compose(facts(doctor=[check("warn", "nothing", name="dmarc", remedy="publish it")]), None)
    assert "Changed since" not in text and "DNS example.org dmarc warn: publish it" in text


def test_expiry_disk_and_backup_need_attention():
    dummy, text, dummy2 = _report.compose(facts(
        certificates=[{"path": "/etc/cert.pem", "not_after": NOW + 5 * 86400}],
        disk={"maildirs": 1, "free": 5, "total": 100}, backup={"result": "exit-code", "last_success": None}), {})
    assert "expires in 5 days" in text and "95% full" in text and "the last backup failed (exit-code)" in text


def test_dmarc_section_and_recommendation():
    rows = [{"source_ip": "192.0.2.9", "domain": "example.org", "messages": 3, "aligned": 0, "failed": 3, "dkim_pass": 0,
             "spf_pass": 0, "reporters": ["example.net"]}]
    dmarc = {"reports": 2, "rows": rows, "problems": [], "days": {"example.org": 0}, "needed": 14, "policy": "none",
             "recommend": {"example.org": None}}
    dummy, text, dummy2 = _report.compose(facts(dmarc=dmarc), {})
    assert "DMARC: 3 of 3 messages from 192.0.2.9 for example.org did not align" in text
    assert "192.0.2.9 for example.org: 3 messages, 0 aligned (DKIM pass 0, SPF pass 0), reported by example.net" in text
    ready = dict(dmarc, rows=[], days={"example.org": 15},
                 recommend={"example.org": [("mail_dmarc_policy", "quarantine", "aligned"), ("SPF", "-all", "listed")]})
    dummy, text, dummy2 = _report.compose(facts(dmarc=ready), {})
    assert "next step: set mail_dmarc_policy: quarantine; change SPF to -all (mail_spf_all)" in text


def test_the_same_records_in_another_order_are_no_change():
    previous = {"doctor": {"example.org tlsa": {"status": "ok", "found": "3 1 1 aa | 3 1 1 bb"}}}
    assert _report.dns_changes([check(found="3 1 1 bb | 3 1 1 aa", name="tlsa")], previous["doctor"]) == []
