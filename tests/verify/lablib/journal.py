"""The systemd journal of a mail host: mark a point, read what came after it."""

import json
import re

from .poll import poll


def parse_journal(text):
    """`journalctl -o json` output as a list of dicts; MESSAGE always a str (journald gives a
    list of byte values for non-UTF-8 text, and null for an over-long one)."""
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        message = entry.get("MESSAGE")
        if isinstance(message, list):
            message = bytes(message).decode("utf-8", "replace")
        entry["MESSAGE"] = message if message is not None else ""
        entries.append(entry)
    return entries


def journal_mark(lab_host):
    """The time of the journal's last entry now, in microseconds since the epoch (None when the
    journal is empty): pass it to journal_since. A time, not a cursor: Debian 12's journald in a
    container keeps entries under several sequence number ids, and --after-cursor then misses some."""
    entries = parse_journal(lab_host.check("journalctl -q --no-pager -o json -n 1"))
    return int(entries[-1]["__REALTIME_TIMESTAMP"]) if entries else None


def journal_since(lab_host, mark, unit=None, identifier=None):
    """The journal entries written after `mark` (all when None), of one systemd unit and/or one
    syslog identifier (e.g. "postfix/smtpd"), as dicts (MESSAGE, SYSLOG_IDENTIFIER, _PID, ...)."""
    command, args = "journalctl -q --no-pager -o json", []
    if mark:
        command += " --since %s"
        args.append("@%d.%06d" % divmod(mark, 1000000))
    if unit:
        command += " -u %s"
        args.append(unit)
    if identifier:
        command += " -t %s"
        args.append(identifier)
    entries = parse_journal(lab_host.check(command, *args))
    return [entry for entry in entries if not mark or int(entry.get("__REALTIME_TIMESTAMP", 0)) > mark]


def journal_wait(lab_host, mark, pattern, unit=None, identifier=None, timeout=20):
    """Wait for an entry after `mark` (journal_mark) whose MESSAGE matches the regex `pattern`; return the
    matching entries (journald may write a moment after the event that caused it)."""
    regex = re.compile(pattern)

    def matching():
        return [e for e in journal_since(lab_host, mark, unit, identifier) if regex.search(e["MESSAGE"])]

    return poll(matching, timeout=timeout, interval=0.3,
                what="%s: journal entry matching %r" % (lab_host.name, pattern))
