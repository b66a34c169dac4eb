# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The postmaster's daily report (roles/report): what the day's log says (deliveries, deferrals,
bounces and rejections by reason, failed logins, bans), and the report's text from every fact the
host gathered, compared with the last report's state so that only changes are shouted about. Pure:
the program on the host reads the journal, the queue, the DNS; this judges and words. Private."""

from __future__ import annotations

import datetime
import re

# Postfix's lines (RFC 3464 status words as Postfix logs them).
_STATUS = re.compile(r"^[0-9A-Za-z]+: to=<(?P<to>[^>]*)>,(?: orig_to=<[^>]*>,)? relay=(?P<relay>[^,]*),.*"
                     r" status=(?P<status>sent|deferred|bounced|expired) \((?P<reason>.*)\)$")
_REJECT = re.compile(r"^(?:NOQUEUE|[0-9A-Za-z]+): (?:milter-)?reject: (?:RCPT|MAIL|DATA|END-OF-MESSAGE|CONNECT|HELO|"
                     r"EHLO|VRFY|ETRN|BDAT|header|body) from [^:]*\]:(?:\d+:)? (?P<reply>.*)$")
_SASL_FAILED = re.compile(r"^warning: [^\[]*\[(?P<ip>[0-9A-Fa-f.:]+)\]: SASL \S+ authentication failed")
_DOVECOT_FAILED = re.compile(r"^(?:imap|pop3|managesieve|submission)-login: .*\(auth[ _]failed, (?P<n>\d+) attempts?"
                             r".*\brip=(?P<ip>[0-9A-Fa-f.:]+)")
_BAN = re.compile(r"^(?P<when>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ fail2ban\.actions\s*\[\d+\]:\s*NOTICE\s+"
                  r"\[(?P<jail>[^\]]+)\] Ban (?P<ip>\S+)")
_ADDRESS = re.compile(r"<[^>]*>")
_IP_IN_BRACKETS = re.compile(r"\[[0-9A-Fa-f.:]+\](?::\d+)?")
LOCAL_RELAYS = ("lmtp", "dovecot", "private/", "local", "virtual")
# Below these, a fact needs attention.
CERTIFICATE_DAYS = 21
DISK_FREE_PERCENT = 10
BACKUP_HOURS = 48


def _reason(text, limit=160):
    return " ".join(text.split())[:limit]


def _reply_reason(reply):
    """A rejection's reason without its codes, addresses and the envelope after it."""
    reply = reply.split("; from=<", 1)[0]
    reply = re.sub(r"^\d{3}(?: \d\.\d{1,3}\.\d{1,3})? ", "", reply)
    reply = re.sub(r"^<[^>]*>: ", "", reply)
    reply = _IP_IN_BRACKETS.sub("[...]", reply)
    return _reason(reply)


def parse_log(entries):
    """The day's mail from journal entries ({SYSLOG_IDENTIFIER, MESSAGE}): delivered {local,
    remote}, deferred, bounced and rejected as {reason: count} (deferred and bounced keyed by the
    recipient's domain and the reason), failed logins {address: count}."""
    facts = {"delivered": {"local": 0, "remote": 0}, "deferred": {}, "bounced": {}, "rejected": {}, "logins_failed": {}}
    for entry in entries:
        ident, message = entry.get("SYSLOG_IDENTIFIER") or "", entry.get("MESSAGE") or ""
        if not isinstance(message, str):
            continue
        if ident.startswith("postfix"):
            status = _STATUS.match(message)
            if status:
                kind = status.group("status")
                if kind == "sent":
                    relay = status.group("relay").lower()
                    local = any(word in relay for word in LOCAL_RELAYS)
                    facts["delivered"]["local" if local else "remote"] += 1
                    continue
                domain = status.group("to").rpartition("@")[2].lower() or "(no domain)"
                key = "%s: %s" % (domain, _reason(status.group("reason")))
                table = facts["deferred" if kind == "deferred" else "bounced"]
                table[key] = table.get(key, 0) + 1
                continue
            reject = _REJECT.match(message)
            if reject:
                key = _reply_reason(reject.group("reply"))
                facts["rejected"][key] = facts["rejected"].get(key, 0) + 1
                continue
            sasl = _SASL_FAILED.match(message)
            if sasl:
                ip = sasl.group("ip")
                facts["logins_failed"][ip] = facts["logins_failed"].get(ip, 0) + 1
        elif ident.startswith("dovecot"):
            failed = _DOVECOT_FAILED.match(message)
            if failed:
                ip = failed.group("ip")
                facts["logins_failed"][ip] = facts["logins_failed"].get(ip, 0) + int(failed.group("n"))
    return facts


def parse_bans(lines, since):
    """{address: [jails]} of the bans fail2ban's log shows from `since` (a naive local datetime) on."""
    bans = {}
    for line in lines:
        found = _BAN.match(line)
        if not found:
            continue
        when = datetime.datetime.strptime(found.group("when"), "%Y-%m-%d %H:%M:%S")
        if when >= since:
            jails = bans.setdefault(found.group("ip"), [])
            if found.group("jail") not in jails:
                jails.append(found.group("jail"))
    return bans


def _count(table, limit=8):
    items = sorted(table.items(), key=lambda item: (-item[1], item[0]))
    words = ["%d x %s" % (count, reason) for reason, count in items[:limit]]
    if len(items) > limit:
        words.append("and %d more reasons" % (len(items) - limit))
    return words


def _size(number):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if number < 1024 or unit == "TiB":
            return ("%d %s" % (number, unit)) if unit == "B" else ("%.1f %s" % (number, unit))
        number /= 1024.0
    return str(number)


def doctor_state(checks):
    return {"%s %s" % (check["domain"], check["check"]): {"status": check["status"], "found": check["found"]}
            for check in checks}


def _values(found):
    # A record set's values come in any order ("a | b" one day, "b | a" the next): not a change.
    return sorted((found or "").split(" | "))


def dns_changes(checks, previous):
    """Lines for the checks whose result differs from the last report's (None: no last report)."""
    lines = []
    for check in checks:
        key = "%s %s" % (check["domain"], check["check"])
        before = (previous or {}).get(key)
        if previous is None:
            continue
        if before is None:
            if check["status"] != "ok":
                lines.append("DNS %s: new check, %s: found %s; %s"
                             % (key, check["status"], check["found"] or "nothing", check["remedy"]))
        elif before["status"] != check["status"] or _values(before["found"]) != _values(check["found"]):
            lines.append("DNS %s: %s -> %s: found %s (was %s)%s" % (
                key, before["status"], check["status"], check["found"] or "nothing", before["found"] or "nothing",
                "; " + check["remedy"] if check["remedy"] else ""))
    for key in sorted(set(previous or {}) - {"%s %s" % (c["domain"], c["check"]) for c in checks}):
        lines.append("DNS %s: no longer checked (was %s)" % (key, previous[key]["status"]))
    return lines


def listing_changes(listed, previous):
    lines = []
    if previous is None:
        return lines
    for ip in sorted(set(listed) | set(previous)):
        now, before = set(listed.get(ip, [])), set(previous.get(ip, []))
        for zone in sorted(now - before):
            lines.append("%s is now listed in %s" % (ip, zone))
        for zone in sorted(before - now):
            lines.append("%s is no longer listed in %s" % (ip, zone))
    return lines


def compose(facts, previous):
    """(subject, text, state) of the report. facts: hostname, now (Unix seconds), log (parse_log),
    bans, queue (messages), certificates [{path, not_after (Unix seconds) or None, error}], disk
    {maildirs, free, total} (bytes), backup {result, last_success} or None, doctor (checks) or
    None with doctor_error, blocklists {address: [zones listed]}, blocklist_zones, dmarc (see
    dmarc_lines) or None. previous: the last report's state, or None."""
    host, now = facts["hostname"], facts["now"]
    log = facts["log"]
    changes, attention = [], []

    checks = facts.get("doctor")
    if checks is None:
        attention.append("DNS checks could not run: %s" % facts.get("doctor_error", "unknown reason"))
    else:
        changes += dns_changes(checks, (previous or {}).get("doctor"))
        failing = [c for c in checks if c["status"] != "ok"]
        for check in failing:
            attention.append("DNS %s %s %s: %s" % (check["domain"], check["check"], check["status"],
                                                   check["remedy"] or check["found"]))
    listed = {ip: zones for ip, zones in facts.get("blocklists", {}).items() if zones}
    changes += listing_changes(listed, (previous or {}).get("blocklists"))
    for ip, zones in sorted(listed.items()):
        attention.append("%s is listed in %s" % (ip, ", ".join(zones)))

    for key, count in sorted(log["deferred"].items(), key=lambda item: -item[1]):
        attention.append("deferred %d: %s" % (count, key))
    for key, count in sorted(log["bounced"].items(), key=lambda item: -item[1]):
        attention.append("bounced %d: %s" % (count, key))
    if facts.get("queue"):
        attention.append("%d messages wait in the queue (postqueue -p)" % facts["queue"])
    for cert in facts.get("certificates", []):
        if cert.get("not_after") is None:
            attention.append("certificate %s: cannot be read: %s" % (cert["path"], cert.get("error", "")))
        elif cert["not_after"] - now < CERTIFICATE_DAYS * 86400:
            attention.append("certificate %s expires in %d days (renewal is certbot.timer's; journalctl -u certbot)"
                             % (cert["path"], (cert["not_after"] - now) // 86400))
    disk = facts.get("disk") or {}
    if disk.get("total") and disk["free"] * 100 < disk["total"] * DISK_FREE_PERCENT:
        used = 100 - disk["free"] * 100 // disk["total"]
        attention.append("the mail's disk is %d%% full (%s free)" % (used, _size(disk["free"])))
    backup = facts.get("backup")
    if backup is not None:
        if backup.get("result") not in ("success", None):
            attention.append("the last backup failed (%s): journalctl -u postmaster-mail-backup" % backup.get("result"))
        elif backup.get("last_success") is None or now - backup["last_success"] > BACKUP_HOURS * 3600:
            attention.append("no backup succeeded in the last %d hours" % BACKUP_HOURS)
    dmarc = facts.get("dmarc")
    dmarc_text = dmarc_lines(dmarc) if dmarc else []
    if dmarc:
        for row in dmarc["rows"]:
            if row["failed"]:
                attention.append("DMARC: %d of %d messages from %s for %s did not align" % (
                    row["failed"], row["messages"], row["source_ip"], row["domain"]))
        for problem in dmarc.get("problems", []):
            attention.append("DMARC report unreadable: %s" % problem)
        for domain, steps in sorted((dmarc.get("recommend") or {}).items()):
            for variable, value, reason in steps or []:
                changes.append("DMARC %s: ready for %s %s (%s)" % (domain, variable, value, reason))

    delivered = log["delivered"]
    mail = "%d delivered (%d to mailboxes, %d out), %d deferred, %d bounced, %d rejected, queue %d" % (
        delivered["local"] + delivered["remote"], delivered["local"], delivered["remote"], sum(log["deferred"].values()),
        sum(log["bounced"].values()), sum(log["rejected"].values()), facts.get("queue", 0))
    state = {"time": now, "doctor": doctor_state(checks) if checks is not None else (previous or {}).get("doctor"),
             "blocklists": listed}
    day = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%d")
    if not changes and not attention:
        line = "%s %s: all well. %s; %s failed logins; DNS %s; not listed in %d blocklists" % (
            host, day, mail, sum(log["logins_failed"].values()),
            "%d checks ok" % len(checks) if checks else "not checked", len(facts.get("blocklist_zones", [])))
        return "[postmaster.mail] %s: all well" % host, line + "\n", state

    text = ["%s, %s: the last 24 hours." % (host, day), ""]
    if changes:
        text += ["Changed since the last report:"] + ["  " + line for line in changes] + [""]
    if attention:
        text += ["Needs attention:"] + ["  " + line for line in attention] + [""]
    text += ["Mail: " + mail]
    text += ["  rejected " + line for line in _count(log["rejected"])]
    failed = log["logins_failed"]
    text += ["Logins failed: %s" % (", ".join("%s (%d)" % item for item in sorted(failed.items(), key=lambda i: -i[1])[:10])
                                    or "none")]
    bans = facts.get("bans") or {}
    text += ["Banned: %s" % (", ".join("%s (%s)" % (ip, ", ".join(jails)) for ip, jails in sorted(bans.items())) or "none")]
    for cert in facts.get("certificates", []):
        if cert.get("not_after") is not None:
            text.append("Certificate %s: %d days left" % (cert["path"], (cert["not_after"] - now) // 86400))
    if disk:
        text.append("Disk: Maildirs %s; %s free of %s"
                    % (_size(disk.get("maildirs", 0)), _size(disk.get("free", 0)), _size(disk.get("total", 0))))
    if backup is not None:
        text.append("Backup: last %s; last success %s" % (
            backup.get("result") or "never run",
            datetime.datetime.fromtimestamp(backup["last_success"], datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            if backup.get("last_success") else "never"))
    if checks is not None:
        counts = {}
        for check in checks:
            counts[check["status"]] = counts.get(check["status"], 0) + 1
        text.append("DNS: %d checks: %s" % (len(checks), ", ".join("%d %s" % (counts[s], s) for s in sorted(counts))))
    text.append("Blocklists: %s" % ("; ".join("%s in %s" % (ip, ", ".join(z)) for ip, z in sorted(listed.items()))
                                    or "not listed in %d" % len(facts.get("blocklist_zones", []))))
    text += dmarc_text
    attention_count = len(changes) + len(attention)
    return "[postmaster.mail] %s: %d to look at" % (host, attention_count), "\n".join(text) + "\n", state


def dmarc_lines(dmarc):
    """The DMARC section: dmarc = {reports (new ones, count), rows (_dmarc_reports.summarise),
    days {domain: aligned days}, needed, policy, recommend {domain: steps or None}}."""
    lines = ["", "DMARC aggregate reports: %d new" % dmarc.get("reports", 0)]
    for row in dmarc["rows"]:
        lines.append("  %s for %s: %d messages, %d aligned (DKIM pass %d, SPF pass %d), reported by %s" % (
            row["source_ip"], row["domain"], row["messages"], row["aligned"], row["dkim_pass"], row["spf_pass"],
            ", ".join(row["reporters"])))
    for domain, days in sorted(dmarc.get("days", {}).items()):
        steps = (dmarc.get("recommend") or {}).get(domain)
        if steps:
            lines.append("  %s: every source aligned for %d days: next step: %s" % (
                domain, days, "; ".join("set %s: %s" % (variable, value) if variable.startswith("mail_")
                                        else "change %s to %s (mail_spf_all)" % (variable, value)
                                        for variable, value, dummy in steps)))
        elif days >= dmarc.get("needed", 0):
            lines.append("  %s: every source aligned for %d days; the policy is at its strictest" % (domain, days))
        else:
            lines.append("  %s: every source aligned for %d of the %d days wanted before the policy %s tightens"
                         % (domain, days, dmarc.get("needed", 0), dmarc.get("policy", "none")))
    return lines
