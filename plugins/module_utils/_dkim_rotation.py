# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DKIM key rotation, gated by DNS: which selector signs, which keys are published. Pure. Private.

A rotation is asked for (one run at a time). The first asking run makes the next key under a new
selector and publishes its record beside the one in use; signing stays. A later asking run
switches signing to it once DNS shows its record (with this key); the old selector stays
published for `retire_days`, then the report says it can go. A run that does not ask changes
nothing but retiring what is past its time.

The state (per domain and key type: active, next, retired) lives beside the keys on the host, in
a file that holds selectors and dates only.
"""

from __future__ import annotations

import datetime

STATE_FILE = "rotation.json"
SUFFIX = {"rsa": "", "ed25519": "-ed"}


def selector(stem, key_type):
    """The selector of a key type for a stem: the stem for RSA, stem-ed for Ed25519 (as the first keys)."""
    return stem + SUFFIX[key_type]


def stem_of(name, key_type):
    suffix = SUFFIX[key_type]
    return name[:-len(suffix)] if suffix and name.endswith(suffix) else name


def next_stem(base, today, taken):
    """<base>-<YYYYMMDD>, with a letter after it when a key of that day exists already."""
    stem = "%s-%s" % (base, today.replace("-", ""))
    for letter in [""] + [chr(code) for code in range(ord("b"), ord("z") + 1)]:
        if stem + letter not in taken:
            return stem + letter
    raise ValueError("more than 25 DKIM rotations in one day")


def plan(state, domains, key_types, base, rotate, published, retire_days, today):
    """What this run does.

    state: {domain: {type: {"active", "next", "retired": [{"selector", "until"}]}}} as read (or {}).
    published: the DNS names (<selector>._domainkey.<domain>) whose record DNS shows with the key.
    today: "YYYY-MM-DD". Returns {"state", "sign": {domain: {type: selector}}, "publish": [{domain,
    type, selector, role}] (role: active, next or retired), "events": [{domain, type, event, ...}]}.
    """
    new_state, sign, publish, events = {}, {}, [], []
    day = datetime.date.fromisoformat(today)
    for domain in domains:
        for key_type in key_types:
            entry = dict((state.get(domain) or {}).get(key_type) or {})
            active = entry.get("active") or selector(base, key_type)
            upcoming = entry.get("next")
            retired = [dict(item) for item in entry.get("retired") or []]
            if rotate:
                if not upcoming:
                    taken = {stem_of(name, key_type) for name in [active] + [r["selector"] for r in retired]}
                    upcoming = selector(next_stem(base, today, taken), key_type)
                    events.append({"domain": domain, "type": key_type, "event": "created", "selector": upcoming})
                elif "%s._domainkey.%s" % (upcoming, domain) in published:
                    until = (day + datetime.timedelta(days=int(retire_days))).isoformat()
                    retired.append({"selector": active, "until": until})
                    events.append({"domain": domain, "type": key_type, "event": "switched", "selector": upcoming,
                                   "old": active, "until": until})
                    active, upcoming = upcoming, None
                else:
                    events.append({"domain": domain, "type": key_type, "event": "waiting", "selector": upcoming})
            kept = []
            for item in retired:
                if datetime.date.fromisoformat(item["until"]) <= day:
                    events.append({"domain": domain, "type": key_type, "event": "retired", "selector": item["selector"],
                                   "until": item["until"]})
                else:
                    kept.append(item)
            sign.setdefault(domain, {})[key_type] = active
            publish.append({"domain": domain, "type": key_type, "selector": active, "role": "active"})
            if upcoming:
                publish.append({"domain": domain, "type": key_type, "selector": upcoming, "role": "next"})
            publish.extend({"domain": domain, "type": key_type, "selector": item["selector"], "role": "retired"}
                           for item in kept)
            new_state.setdefault(domain, {})[key_type] = {"active": active, "next": upcoming, "retired": kept}
    return {"state": new_state, "sign": sign, "publish": publish, "events": events}


def describe(event):
    """One line of the play's report about a rotation event."""
    name = "%s._domainkey.%s" % (event["selector"], event["domain"])
    kind = "%s key of %s" % (event["type"].upper() if event["type"] == "rsa" else "Ed25519", event["domain"])
    if event["event"] == "created":
        return ("DKIM rotation: the next %s is %s: publish its TXT record (in the zone fragment), then run again with "
                "mail_dkim_rotate=true to switch; signing stays on the current key" % (kind, name))
    if event["event"] == "waiting":
        return ("DKIM rotation: waiting for DNS to show %s (the next %s); signing stays on the current key; run again "
                "with mail_dkim_rotate=true once it is published" % (name, kind))
    if event["event"] == "switched":
        old = "%s._domainkey.%s" % (event["old"], event["domain"])
        return ("DKIM rotation: the %s signs with %s now; keep %s published until %s (mail signed before is still "
                "verified), the report says when it can go" % (kind, event["selector"], old, event["until"]))
    if event["event"] == "retired":
        return "DKIM rotation: %s (retired, published until %s) can be removed from DNS now" % (name, event["until"])
    raise ValueError("unknown rotation event %r" % (event.get("event"),))
