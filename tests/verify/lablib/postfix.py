"""Postfix state on a mail host: settings read structurally, the queue flushed and awaited."""

import json
import re
from typing import NamedTuple

from .hosts import CommandFailed


class Milter(NamedTuple):
    socket: str     # "unix:opendkim/opendkim.sock", "inet:10.47.25.25:8899"
    options: dict   # {"default_action": "accept"}: the name=value settings of a { ... } group


def parse_milters(value):
    """The milters of a smtpd_milters/non_smtpd_milters value, in order.

    Postfix takes a list separated by commas and/or whitespace, where one element may be a
    group `{ socket, name=value, ... }` carrying per-milter settings (Postfix 3.0+).
    """
    milters = []
    for group, plain in re.findall(r"\{([^}]*)\}|([^\s,{}]+)", value):
        if plain:
            milters.append(Milter(plain, {}))
            continue
        items = [item for item in re.split(r"[\s,]+", group) if item]
        if not items:
            continue
        options = dict(item.split("=", 1) for item in items[1:] if "=" in item)
        milters.append(Milter(items[0], options))
    return milters


def postconf(lab_host, *names):
    """{name: value} of main.cf settings as Postfix resolves them (`postconf name...`)."""
    values = {}
    for line in lab_host.check("postconf %s" % " ".join(["%s"] * len(names)), *names).splitlines():
        name, sep, value = line.partition(" = ")
        if sep:
            values[name.strip()] = value.strip()
    missing = set(names) - set(values)
    if missing:
        raise AssertionError("%s: postconf gave no value for %s" % (lab_host.name, ", ".join(sorted(missing))))
    return values


def parse_postqueue(text):
    """`postqueue -j` output (one JSON object a line) as a list of
    {"queue_id", "queue_name", "sender", "recipients": [(address, delay_reason), ...]}."""
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        entries.append({
            "queue_id": entry.get("queue_id"),
            "queue_name": entry.get("queue_name"),
            "sender": entry.get("sender"),
            "recipients": [(r.get("address"), r.get("delay_reason", "")) for r in entry.get("recipients", [])],
        })
    return entries


# Flush, then wait on the host until the queue is empty: one command, one round trip.
_FLUSH_AND_WAIT = """
postqueue -f || exit 2
end=$(( $(date +%s) + $1 ))
while q=$(postqueue -j) && [ -n "$q" ]; do
  if [ "$(date +%s)" -ge "$end" ]; then printf '%s\\n' "$q"; exit 3; fi
  sleep 0.2
done
"""


def flush_queue(lab_host, timeout=60):
    """`postqueue -f`, then wait until the queue is empty; fail with what is still queued."""
    result = lab_host.run("sh -c %s flush %s", _FLUSH_AND_WAIT, str(int(timeout)), timeout=timeout + 15)
    if result.rc == 3:
        left = parse_postqueue(result.stdout)
        raise AssertionError("%s: the queue is not empty after %ss: %s" % (lab_host.name, timeout, left))
    if result.rc != 0:
        raise CommandFailed("%s: flushing the queue failed (rc %s): %s" % (lab_host.name, result.rc, result.stderr.strip()))
