"""Every message of a run, counted by Message-ID across all the Maildirs of a mail host.

Standard library only (Python 3.9+): `message_census(lab_host, prefix)` runs this file on the
host (`python3 -c <this file> <json>`, over the host's ssh connection), which walks the Maildirs
under /var/vmail (new/ and cur/) and reads each message's header block once. For every message
whose Message-ID starts with "<" + prefix + "." it reports the file's Maildir and whether it
carries a DKIM-Signature. `tally()` turns that into counts: what "nothing lost, nothing doubled"
is judged on.
"""

import json
import os
import re
import sys

VMAIL = "/var/vmail"


def header_block(data):
    """The header block of a message (bytes), up to the first empty line."""
    end = re.search(rb"\n\r?\n", data)
    return data[:end.end()] if end else data


def header_values(block, name):
    """The values of every header `name` (any case) in a header block, unfolded and stripped."""
    values, current = [], None
    for line in re.split(r"\r?\n", block.decode("utf-8", "replace")):
        if not line.strip():
            break
        if line[0] in " \t":
            if current is not None:
                values[current] += " " + line.strip()
            continue
        current = None
        field, sep, value = line.partition(":")
        if sep and field.strip().lower() == name.lower():
            values.append(value.strip())
            current = len(values) - 1
    return values


def scan(root, prefix):
    """[{"id", "maildir", "dkim"}] of the messages under `root` whose Message-ID starts with
    <prefix. (one entry per file: a message delivered twice is two entries)."""
    wanted = "<%s." % prefix
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories.sort()
        if os.path.basename(directory) not in ("new", "cur"):
            continue
        for name in sorted(files):
            try:
                with open(os.path.join(directory, name), "rb") as stream:
                    block = header_block(stream.read(256 * 1024))
            except FileNotFoundError:  # moved from new/ to cur/ meanwhile: seen there, or not at all
                continue
            ids = header_values(block, "Message-ID")
            if ids and ids[0].startswith(wanted):
                found.append({"id": ids[0], "maildir": os.path.dirname(directory),
                              "dkim": bool(header_values(block, "DKIM-Signature"))})
    return found


def tally(entries):
    """{Message-ID: number of copies} of scan()'s entries."""
    counts = {}
    for entry in entries:
        counts[entry["id"]] = counts.get(entry["id"], 0) + 1
    return counts


def judge(counts, expected):
    """What is wrong with `counts` ({id: copies}) against the Message-IDs `expected`:
    {"missing": [...], "doubled": {id: copies}, "unexpected": [...]}, each empty when all is well."""
    expected = set(expected)
    return {"missing": sorted(expected - set(counts)),
            "doubled": {key: value for key, value in sorted(counts.items()) if value != 1},
            "unexpected": sorted(set(counts) - expected)}


def message_census(lab_host, prefix, root=VMAIL, timeout=120):
    """scan() run on the mail host: the entries of the messages of run `prefix`."""
    with open(__file__, encoding="utf-8") as stream:
        source = stream.read()
    output = lab_host.check("python3 -c %s %s", source, json.dumps({"root": root, "prefix": prefix}), timeout=timeout)
    return json.loads(output)


if __name__ == "__main__":
    ARGUMENTS = json.loads(sys.argv[1])
    print(json.dumps(scan(ARGUMENTS["root"], ARGUMENTS["prefix"])))
