# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What postmaster.mail.service_files must do with a service's files: pure decisions, unit-tested.
Private to this collection: no stable API."""

from __future__ import annotations

import fnmatch
import os
import re

MODE_RE = re.compile(r"^0?[0-7]{3,4}\Z")
SECRET_MARK = "(content not shown: it holds a secret)\n"


def request_problems(files, directories):
    """Everything wrong with the request, as sentences naming the file (empty when it is usable)."""
    problems = []
    seen = set()
    for entry in list(directories) + list(files):
        path = entry.get("path") or ""
        if not os.path.isabs(path) or os.path.normpath(path) != path:
            problems.append("%r is not an absolute, normalised path" % path)
        if path in seen:
            problems.append("%s is given twice" % path)
        seen.add(path)
        mode = entry.get("mode")
        if mode is not None and not MODE_RE.match(str(mode)):
            problems.append("%s: mode %r is not an octal mode such as 0640" % (path, mode))
    for entry in files:
        given = [key for key in ("content", "secret_content") if entry.get(key) is not None]
        if entry.get("state", "present") == "present" and len(given) != 1:
            problems.append("%s: give exactly one of content and secret_content" % entry.get("path"))
    return problems


def changed_contents(files, current):
    """The files of ``files`` (in order) whose wanted content differs from ``current`` (path =>
    text on the host, None when absent): those present and different, and those to remove that
    exist."""
    changed = []
    for entry in files:
        before = current.get(entry["path"])
        if entry.get("state", "present") == "absent":
            if before is not None:
                changed.append(entry)
        elif before != wanted_text(entry):
            changed.append(entry)
    return changed


def wanted_text(entry):
    text = entry.get("content")
    return entry.get("secret_content") if text is None else text


def is_secret(entry):
    return entry.get("secret_content") is not None


def diff_entry(entry, before):
    """A before/after pair for Ansible's diff; a secret file shows neither its old nor its new text."""
    path = entry["path"]
    after = "" if entry.get("state", "present") == "absent" else wanted_text(entry)
    if is_secret(entry):
        before = SECRET_MARK if before else ""
        after = SECRET_MARK if after else ""
    return {"before": before or "", "after": after, "after_header": path if entry.get("state", "present") == "present" else "%s (absent)" % path,
            "before_header": path if before else "%s (absent)" % path}


def matching(paths, patterns):
    """The patterns (shell-style, fnmatch) that match one of ``paths`` at least."""
    return [pattern for pattern in patterns if any(fnmatch.fnmatch(path, pattern) for path in paths)]
