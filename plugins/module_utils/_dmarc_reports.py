# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DMARC aggregate reports (RFC 7489 section 7.2, appendix C): read from the messages receivers
send to the rua address (the XML as an attachment, plain, gzip or zip), summed per source and
domain, and the next step of the policy once every source has aligned long enough. Pure: the
daily report (roles/report) gives it the messages' bytes and keeps the history. Private."""

from __future__ import annotations

import datetime
import email
import email.policy
import gzip
import io
import xml.etree.ElementTree as ET
import zipfile

# The most read of one report (a zip bomb gets no further): real ones are kilobytes.
XML_LIMIT = 16 * 1024 * 1024
POLICY_STEPS = {"none": "quarantine", "quarantine": "reject"}
DAY = 86400


class ReportError(ValueError):
    """A part that claims to be a report and is not one."""


def _text(element, path, default=""):
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None and found.text else default


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _strip_namespaces(root):
    # Reports of the DMARCbis draft carry a namespace; RFC 7489's do not. Read both alike.
    for element in root.iter():
        element.tag = _local(element.tag)
    return root


def parse_feedback(data):
    """One aggregate report's XML (bytes) as a dict: org, report_id, begin, end (Unix seconds),
    domain, policy {p, sp, pct, adkim, aspf}, rows [{source_ip, count, header_from, dkim, spf,
    disposition, aligned}] where dkim and spf are the receiver's policy_evaluated results
    (aligned ones) and aligned is either passing. Raises ReportError."""
    if len(data) > XML_LIMIT:
        raise ReportError("larger than %d bytes" % XML_LIMIT)
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise ReportError("a DTD or entity declaration (refused)")
    try:
        root = _strip_namespaces(ET.fromstring(data))
    except ET.ParseError as exc:
        raise ReportError("not XML: %s" % exc) from None
    if root.tag != "feedback":
        raise ReportError("the root element is <%s>, not <feedback>" % root.tag)
    meta, published = root.find("report_metadata"), root.find("policy_published")
    try:
        begin = int(_text(meta, "date_range/begin"))
        end = int(_text(meta, "date_range/end"))
    except ValueError:
        raise ReportError("no date_range in report_metadata") from None
    rows = []
    for record in root.findall("record"):
        row = record.find("row")
        evaluated = row.find("policy_evaluated") if row is not None else None
        try:
            count = int(_text(row, "count", "0"))
        except ValueError:
            raise ReportError("a record's count is not a number") from None
        dkim, spf = _text(evaluated, "dkim").lower(), _text(evaluated, "spf").lower()
        rows.append({
            "source_ip": _text(row, "source_ip"),
            "count": count,
            "header_from": _text(record, "identifiers/header_from").lower(),
            "dkim": dkim or "none",
            "spf": spf or "none",
            "disposition": _text(evaluated, "disposition", "none").lower(),
            "aligned": "pass" in (dkim, spf),
        })
    domain = _text(published, "domain").lower()
    return {
        "org": _text(meta, "org_name") or _text(meta, "email") or "an unnamed receiver",
        "report_id": _text(meta, "report_id"),
        "begin": begin,
        "end": end,
        "domain": domain,
        "policy": {key: _text(published, key) for key in ("p", "sp", "pct", "adkim", "aspf")},
        "rows": rows,
    }


def _payloads(name, content_type, data):
    """The XML documents in one attachment: plain, .gz or .zip (by name or type)."""
    name, content_type = (name or "").lower(), (content_type or "").lower()
    if name.endswith(".zip") or "zip" in content_type and "gzip" not in content_type:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                found = []
                for member in archive.infolist():
                    if member.file_size > XML_LIMIT:
                        raise ReportError("%s in the zip is larger than %d bytes" % (member.filename, XML_LIMIT))
                    if member.filename.lower().endswith(".xml"):
                        found.append(archive.read(member))
                return found
        except zipfile.BadZipFile as exc:
            raise ReportError("a broken zip: %s" % exc) from None
    if name.endswith(".gz") or "gzip" in content_type:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
                xml = unpacked.read(XML_LIMIT + 1)
        except (OSError, EOFError) as exc:
            raise ReportError("a broken gzip: %s" % exc) from None
        return [xml]
    if name.endswith(".xml") or "xml" in content_type:
        return [data]
    return []


def reports_in_message(raw):
    """(reports, problems) of one message (bytes): every aggregate report attached, and what could
    not be read (a message with no report at all gives neither)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    reports, problems = [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if not data:
            continue
        try:
            for document in _payloads(part.get_filename(), part.get_content_type(), data):
                reports.append(parse_feedback(document))
        except ReportError as exc:
            problems.append("%s: %s" % (part.get_filename() or part.get_content_type(), exc))
    return reports, problems


def summarise(reports):
    """Per (source_ip, domain): messages, and how many passed DKIM, SPF and alignment; sorted with
    the failing sources first, then by volume. Reports of one receiver's id count once."""
    seen, totals = set(), {}
    for report in reports:
        key = (report["org"], report["report_id"])
        if report["report_id"] and key in seen:
            continue
        seen.add(key)
        for row in report["rows"]:
            domain = row["header_from"] or report["domain"]
            entry = totals.setdefault((row["source_ip"], domain), {
                "source_ip": row["source_ip"], "domain": domain, "messages": 0, "dkim_pass": 0,
                "spf_pass": 0, "aligned": 0, "reporters": set()})
            entry["messages"] += row["count"]
            entry["dkim_pass"] += row["count"] if row["dkim"] == "pass" else 0
            entry["spf_pass"] += row["count"] if row["spf"] == "pass" else 0
            entry["aligned"] += row["count"] if row["aligned"] else 0
            entry["reporters"].add(report["org"])
    rows = []
    for entry in totals.values():
        entry["reporters"] = sorted(entry["reporters"])
        entry["failed"] = entry["messages"] - entry["aligned"]
        rows.append(entry)
    return sorted(rows, key=lambda e: (e["failed"] == 0, -e["failed"], -e["messages"], e["domain"], e["source_ip"]))


def _day(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).date()


def aligned_days(reports, domain):
    """Whole days (UTC) every source aligned for domain, counted back from the newest day any
    report covers: the days after the last day a report shows a failing message (a report's date
    range counts for each day it touches). 0 when the newest day had a failure or no report."""
    covered, failed = set(), set()
    for report in reports:
        rows = [row for row in report["rows"] if (row["header_from"] or report["domain"]) == domain]
        if not rows:
            continue
        # A range ending exactly at midnight does not cover the day it ends on.
        first, last = _day(report["begin"]), _day(max(report["begin"], report["end"] - 1))
        days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        covered.update(days)
        if any(not row["aligned"] and row["count"] > 0 for row in rows):
            failed.update(days)
    if not covered:
        return 0
    newest = max(covered)
    streak, day = 0, newest
    oldest = min(covered)
    while day >= oldest and day not in failed:
        if day in covered:
            streak += 1
        day -= datetime.timedelta(days=1)
    return streak


def recommend(policy, spf_all, days, needed):
    """The next step once every source has aligned for `needed` days, or None: a list of
    (variable, value, reason). policy: the published p= (none, quarantine, reject); spf_all:
    the SPF record's last term (~all or -all)."""
    if days < needed:
        return None
    steps = []
    if policy in POLICY_STEPS:
        steps.append(("mail_dmarc_policy", POLICY_STEPS[policy],
                      "every source aligned for %d days (at least %d)" % (days, needed)))
    if spf_all == "~all":
        steps.append(("SPF", "-all", "no legitimate sender outside the record for %d days" % days))
    return steps or None


def history_keep(reports, now, days=90):
    """The reports worth keeping in the history: those that end within `days` of now."""
    return [report for report in reports if report["end"] >= now - days * DAY]
