"""DMARC aggregate reports (plugins/module_utils/_dmarc_reports.py): reading RFC 7489 XML from
messages (plain, gzip, zip), summing per source, counting aligned days, the next step."""

import email.message
import gzip
import io
import zipfile

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils import _dmarc_reports as dr

DAY = 86400
T0 = 1796515200  # 2026-12-06 00:00 UTC


def feedback(rows, begin=T0 - DAY, end=T0, org="example.net", report_id="r1", domain="example.org", p="none",
             namespace=False):
    records = "".join(
        "<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated><disposition>none</disposition>"
        "<dkim>%s</dkim><spf>%s</spf></policy_evaluated></row><identifiers><header_from>%s</header_from>"
        "</identifiers><auth_results/></record>" % (ip, count, dkim, spf, domain) for ip, count, dkim, spf in rows)
    ns = ' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"' if namespace else ""
    return ('<?xml version="1.0"?><feedback%s><report_metadata><org_name>%s</org_name><email>r@%s</email>'
            "<report_id>%s</report_id><date_range><begin>%d</begin><end>%d</end></date_range></report_metadata>"
            "<policy_published><domain>%s</domain><adkim>r</adkim><aspf>r</aspf><p>%s</p><sp>%s</sp><pct>100</pct>"
            "</policy_published>%s</feedback>" % (ns, org, org, report_id, begin, end, domain, p, p, records)).encode()


def message(data, filename, content_type):
    msg = email.message.EmailMessage()
    msg["Subject"] = "Report Domain: example.org"
    msg.set_content("a report")
    maintype, subtype = content_type.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def zipped(data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("example.net!example.org!1!2.xml", data)
    return buffer.getvalue()


def test_parse_feedback_reads_rows_and_alignment():
    report = dr.parse_feedback(feedback([("192.0.2.1", 5, "pass", "fail"), ("198.51.100.7", 2, "fail", "fail")]))
    assert report["org"] == "example.net" and report["domain"] == "example.org" and report["policy"]["p"] == "none"
    assert [(r["source_ip"], r["count"], r["aligned"]) for r in report["rows"]] == [
        ("192.0.2.1", 5, True), ("198.51.100.7", 2, False)]


def test_parse_feedback_reads_namespaced_reports():
    assert dr.parse_feedback(feedback([("192.0.2.1", 1, "pass", "pass")], namespace=True))["rows"][0]["aligned"]


@pytest.mark.parametrize("data, words", [
    (b"<html/>", "not <feedback>"),
    (b"not xml", "not XML"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><feedback/>', "DTD"),
    (b"<feedback><report_metadata/></feedback>", "date_range"),
])
def test_parse_feedback_refuses_what_is_not_a_report(data, words):
    with pytest.raises(dr.ReportError, match=words):
        dr.parse_feedback(data)


@pytest.mark.parametrize("wrap, filename, content_type", [
    (lambda d: d, "report.xml", "text/xml"),
    (gzip.compress, "example.net!example.org!1!2.xml.gz", "application/gzip"),
    (zipped, "example.net!example.org!1!2.zip", "application/zip"),
])
def test_reports_in_message_reads_plain_gzip_and_zip(wrap, filename, content_type):
    raw = message(wrap(feedback([("192.0.2.1", 3, "pass", "pass")])), filename, content_type)
    reports, problems = dr.reports_in_message(raw)
    assert problems == [] and len(reports) == 1 and reports[0]["rows"][0]["count"] == 3


def test_reports_in_message_names_a_broken_attachment_and_ignores_plain_mail():
    reports, problems = dr.reports_in_message(message(b"not a zip", "r.zip", "application/zip"))
    assert reports == [] and "broken zip" in problems[0]
    plain = email.message.EmailMessage()
    plain.set_content("hello")
    assert dr.reports_in_message(plain.as_bytes()) == ([], [])


def test_summarise_sums_per_source_failing_first_and_counts_a_report_once():
    one = dr.parse_feedback(feedback([("192.0.2.1", 5, "pass", "pass")], report_id="a"))
    two = dr.parse_feedback(feedback([("192.0.2.1", 1, "pass", "fail"), ("198.51.100.7", 2, "fail", "fail")],
                                     org="example.com", report_id="b"))
    rows = dr.summarise([one, two, one])
    assert [(r["source_ip"], r["messages"], r["aligned"], r["failed"], r["dkim_pass"], r["spf_pass"]) for r in rows] == [
        ("198.51.100.7", 2, 0, 2, 0, 0), ("192.0.2.1", 6, 6, 0, 6, 5)]
    assert rows[1]["reporters"] == ["example.com", "example.net"]


def day_report(day, aligned=True, report_id=None):
    return dr.parse_feedback(feedback([("192.0.2.1", 4, "pass" if aligned else "fail", "fail")],
                                      begin=T0 + day * DAY, end=T0 + (day + 1) * DAY, report_id=report_id or "d%d" % day))


def test_aligned_days_count_back_to_the_last_failure():
    history = [day_report(0, aligned=False)] + [day_report(n) for n in range(1, 6)]
    assert dr.aligned_days(history, "example.org") == 5
    assert dr.aligned_days(history + [day_report(6, aligned=False)], "example.org") == 0
    assert dr.aligned_days([day_report(n) for n in range(3)], "example.org") == 3
    assert dr.aligned_days([], "example.org") == 0
    assert dr.aligned_days(history, "other.example") == 0


def test_a_range_ending_at_midnight_covers_one_day():
    assert dr.aligned_days([day_report(0)], "example.org") == 1


@pytest.mark.parametrize("policy, spf, days, expected", [
    ("none", "~all", 14, [("mail_dmarc_policy", "quarantine"), ("SPF", "-all")]),
    ("quarantine", "-all", 20, [("mail_dmarc_policy", "reject")]),
    ("reject", "-all", 30, None),
    ("none", "~all", 13, None),
])
def test_recommend_names_the_next_step_once_aligned_long_enough(policy, spf, days, expected):
    steps = dr.recommend(policy, spf, days, 14)
    assert (None if steps is None else [step[:2] for step in steps]) == expected


def test_history_keep_drops_old_reports():
    old, new = day_report(-100), day_report(0)
    assert dr.history_keep([old, new], T0 + DAY) == [new]
