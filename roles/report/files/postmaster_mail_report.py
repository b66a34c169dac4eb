# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The postmaster's daily report (postmaster.mail.report), run by postmaster-mail-report.timer.

Gathers the day's facts on this host (the journal, fail2ban's log, the queue, the certificates,
the disk, the backup's state, the DMARC aggregate reports in their mailbox, the DNS doctor's
checks against public resolvers, the host's addresses in blocklists) and mails the report to the
postmaster. The judging and wording are the collection's module_utils (_report, _dmarc_reports,
_doctor), installed beside this program, unit-tested in the collection.

  postmaster-mail-report            gather, compare with the last report, send, keep the state
  postmaster-mail-report --print    the same report on standard output; nothing sent or kept
"""

import datetime
import email.message
import email.utils
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, "/usr/local/lib/postmaster-mail/python")

from ansible_collections.postmaster.mail.plugins.module_utils import (  # noqa: E402
    _dmarc_reports, _dns, _doctor, _https, _psl, _report)

CONFIG = "/etc/postmaster-mail/report.json"
DAY = 86400


def run(argv, timeout=120):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def journal(since):
    """The journal entries of the mail services since `since` (Unix seconds), as dicts."""
    result = run(["journalctl", "--no-pager", "-o", "json", "--output-fields=SYSLOG_IDENTIFIER,MESSAGE",
                  "--since", "@%d" % since, "-t", "postfix/smtp", "-t", "postfix/lmtp", "-t", "postfix/local",
                  "-t", "postfix/virtual", "-t", "postfix/error", "-t", "postfix/smtpd", "-t", "postfix/postscreen",
                  "-t", "postfix/cleanup", "-t", "postfix/submission/smtpd", "-t", "postfix/submissions/smtpd",
                  "-t", "postfix/qmgr", "-t", "dovecot"], timeout=300)
    entries = []
    for line in result.stdout.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry.get("MESSAGE"), list):  # bytes that were not UTF-8
            entry["MESSAGE"] = bytes(entry["MESSAGE"]).decode("utf-8", "replace")
        entries.append(entry)
    return entries


def bans(since):
    lines = []
    for path in ("/var/log/fail2ban.log",):
        try:
            with open(path, encoding="utf-8", errors="replace") as stream:
                lines += stream.readlines()
        except OSError:
            pass
    return _report.parse_bans(lines, datetime.datetime.fromtimestamp(since))


def queue():
    result = run(["postqueue", "-j"])
    return sum(1 for line in result.stdout.splitlines() if line.strip())


def certificates(paths):
    found = []
    for path in paths:
        result = run(["openssl", "x509", "-noout", "-enddate", "-in", path])
        if result.returncode != 0:
            found.append({"path": path, "not_after": None, "error": (result.stderr.strip() or "unreadable")[:200]})
            continue
        when = result.stdout.strip().split("=", 1)[1]
        stamp = datetime.datetime.strptime(when, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=datetime.timezone.utc)
        found.append({"path": path, "not_after": int(stamp.timestamp())})
    return found


def disk(root):
    if not root or not os.path.isdir(root):
        return {}
    usage = shutil.disk_usage(root)
    used = run(["du", "-sb", root], timeout=600).stdout.split()
    return {"maildirs": int(used[0]) if used else 0, "free": usage.free, "total": usage.total}


def backup(program):
    if not program or not os.path.exists(program):
        return None
    try:
        state = json.loads(run([program, "--status"]).stdout)
    except ValueError:
        return {"result": "unreadable state", "last_success": None}
    last = None
    if state.get("last_success"):
        last = int(datetime.datetime.strptime(state["last_success"], "%Y-%m-%dT%H:%M:%SZ")
                   .replace(tzinfo=datetime.timezone.utc).timestamp())
    return {"result": state.get("result") if state.get("finished") else None, "last_success": last}


def blocklists(addresses, zones, lookup):
    """{address: [zones that list it]}, asked of the host's own resolver (blocklists answer public
    resolvers with an error code, 127.255.255.x, which is not a listing)."""
    listed = {}
    for address in addresses:
        reverse = _dns.reverse_name(address).rsplit(".in-addr.arpa", 1)[0].rsplit(".ip6.arpa", 1)[0]
        for zone in zones:
            answer = lookup("%s.%s" % (reverse, zone), "A")
            values = [r["value"] for r in answer.get("records", [])] if answer["status"] == _dns.OK else []
            if any(value.startswith("127.") and not value.startswith("127.255.255.") for value in values):
                listed.setdefault(address, []).append(zone)
    return listed


def dmarc(settings, state, now):
    """The DMARC section's facts and the history to keep; reads the mailbox's new messages."""
    maildir = settings.get("maildir")
    if not maildir:
        return None, state
    seen = set(state.get("seen", []))
    history = state.get("history", [])
    new, problems = [], []
    files = sorted(glob.glob(os.path.join(maildir, "new", "*")) + glob.glob(os.path.join(maildir, "cur", "*")))
    names = set()
    for path in files:
        name = os.path.basename(path).split(":2,", 1)[0]
        names.add(name)
        if name in seen:
            continue
        try:
            with open(path, "rb") as stream:
                reports, unreadable = _dmarc_reports.reports_in_message(stream.read())
        except OSError as exc:
            problems.append("%s: %s" % (name, exc))
            continue
        new += reports
        problems += ["%s: %s" % (name, problem) for problem in unreadable]
    history = _dmarc_reports.history_keep(history + new, now)
    domains = settings.get("domains", [])
    days = {domain: _dmarc_reports.aligned_days(history, domain) for domain in domains
            if any((row["header_from"] or report["domain"]) == domain for report in history for row in report["rows"])}
    recommend = {domain: _dmarc_reports.recommend(settings.get("policy", "none"), settings.get("spf_all", "~all"),
                                                  count, int(settings.get("days", 14)))
                 for domain, count in days.items()}
    facts = {"reports": len(new), "rows": _dmarc_reports.summarise(new), "problems": problems, "days": days,
             "needed": int(settings.get("days", 14)), "policy": settings.get("policy", "none"), "recommend": recommend}
    return facts, {"seen": sorted(names), "history": history}


def doctor(config):
    settings = config["doctor"]
    if not settings:
        return None, "not asked for"
    resolver = _dns.make_resolver(config.get("resolvers") or [], 3.0, 5.0)
    lookup = _dns.Lookup(resolver)
    fetch = _https.make_fetch(config.get("ca_bundle") or None, resolve=lambda host: _https.addresses(lookup, host),
                              agent="postmaster.mail daily report")
    checks = _doctor.diagnose(lookup, settings["hostname"], settings["domains"], settings["addresses"],
                              settings.get("dkim_records") or {}, ", ".join(config.get("resolvers") or []),
                              _psl.load(), settings.get("records") or [], fetch=fetch,
                              mta_sts_policy=settings.get("mta_sts_policy") or None,
                              mx_preference=settings.get("mx_preference", 10), backup_mx=settings.get("backup_mx", False))
    return checks, ""


def send(config, subject, text):
    message = email.message.EmailMessage()
    message["From"] = config["from"]
    message["To"] = config["to"]
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain=config["hostname"])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    result = subprocess.run(["/usr/sbin/sendmail", "-oi", "-f", config["from"], config["to"]],
                            input=message.as_bytes(), capture_output=True, timeout=120, check=False)
    if result.returncode != 0:
        raise SystemExit("sendmail exited %d: %s" % (result.returncode, result.stderr.decode("utf-8", "replace")))


def load_state(path):
    try:
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    except (OSError, ValueError):
        return {}


def save_state(path, state):
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(state, stream)
    os.replace(temporary, path)


def main():
    printing = "--print" in sys.argv[1:]
    with open(CONFIG, encoding="utf-8") as stream:
        config = json.load(stream)
    now = int(time.time())
    saved = load_state(config["state"])
    since = max(saved.get("report", {}).get("time", now - DAY), now - 7 * DAY) if saved.get("report") else now - DAY
    try:
        checks, doctor_error = doctor(config)
    except Exception as exc:  # pylint: disable=broad-except  # DNS down is a finding, not a crash
        checks, doctor_error = None, "%s: %s" % (exc.__class__.__name__, exc)
    lookup = _dns.Lookup(_dns.make_resolver([], 3.0, 5.0))
    dmarc_facts, dmarc_state = dmarc(config.get("dmarc") or {}, saved.get("dmarc", {}), now)
    facts = {
        "hostname": config["hostname"], "now": now, "log": _report.parse_log(journal(since)), "bans": bans(since),
        "queue": queue(), "certificates": certificates(config.get("certificates", [])),
        "disk": disk(config.get("maildirs", "")), "backup": backup(config.get("backup_program", "")),
        "doctor": checks, "doctor_error": doctor_error,
        "blocklists": blocklists(config.get("addresses", []), config.get("blocklists", []), lookup),
        "blocklist_zones": config.get("blocklists", []), "dmarc": dmarc_facts,
    }
    subject, text, state = _report.compose(facts, saved.get("report"))
    if printing:
        sys.stdout.write("Subject: %s\n\n%s" % (subject, text))
        return
    send(config, subject, text)
    save_state(config["state"], {"report": state, "dmarc": dmarc_state})


if __name__ == "__main__":
    main()
