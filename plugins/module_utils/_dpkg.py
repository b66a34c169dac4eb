# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dpkg's status file, read without dpkg-query or python3-apt (neither is on every host): which of
the given packages are installed, and in which version. Pure functions."""

from __future__ import annotations

import re

STATUS_PATH = "/var/lib/dpkg/status"


def parse_status(text):
    """``{package: {"status": ..., "version": ...}}`` from the text of dpkg's status file. A
    package of several architectures (multiarch) is kept once, installed if any of them is."""
    packages = {}
    for stanza in text.split("\n\n"):
        fields = {}
        key = None
        for line in stanza.splitlines():
            if not line.strip():
                continue
            if line[0] in " \t":
                continue  # a continuation line (Description, Conffiles): no field we read
            key, _sep, value = line.partition(":")
            fields[key.strip()] = value.strip()
        name = fields.get("Package")
        if not name:
            continue
        entry = {"status": fields.get("Status", ""), "version": fields.get("Version", "")}
        if name in packages and is_installed(packages[name]) and not is_installed(entry):
            continue
        packages[name] = entry
    return packages


def is_installed(entry):
    """Installed and configured: the "ok installed" state dpkg reports when nothing is left to do
    (half-installed, unpacked or config-files count as missing: apt must finish them)."""
    words = entry.get("status", "").split()
    return len(words) == 3 and words[1] == "ok" and words[2] == "installed"


def missing_packages(packages, wanted):
    """The names in ``wanted`` (``name`` or ``name:arch``) not installed, in the given order."""
    missing = []
    for name in wanted:
        base = name.split(":", 1)[0]
        entry = packages.get(base)
        if (entry is None or not is_installed(entry)) and name not in missing:
            missing.append(name)
    return missing


def debconf_selections(package, answers):
    """The input of ``debconf-set-selections`` for ``package``: one ``owner question type value``
    line per answer (a value is one line: debconf has no multi-line answers)."""
    lines = []
    for answer in answers:
        value = str(answer["value"])
        if "\n" in value:
            raise ValueError("debconf answer %s: a value is one line" % answer["question"])
        lines.append("%s %s %s %s" % (package, answer["question"], answer["vtype"], value))
    return "".join(line + "\n" for line in lines)


def lists_updated_at(entries):
    """When apt's package lists were last fetched, from ``entries`` ((file name, mtime) pairs of
    /var/lib/apt/lists): the newest package index (``*_Packages``, compressed or not), or None
    when there is none. The directory's own mtime says nothing: an image that deleted its lists
    when it was built has a new directory and nothing to install from."""
    times = [mtime for name, mtime in entries if _PACKAGES_INDEX_RE.search(name)]
    return max(times) if times else None


_PACKAGES_INDEX_RE = re.compile(r"_Packages(\.[a-z0-9]+)?$")


def fetch_problems(output):
    """What apt-get update could not fetch (its W:/E: lines, once each), joined for a message;
    empty when it fetched everything. apt-get exits 0 when a mirror cannot be reached."""
    seen = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith(("W: Failed to fetch", "E: Failed to fetch", "W: Some index files", "E: Some index files")):
            if line not in seen:
                seen.append(line)
    return " / ".join(seen)


def cache_is_fresh(updated_at, now, valid_seconds):
    """apt's package lists, updated at ``updated_at`` (a timestamp, None if never), are recent
    enough not to be fetched again."""
    return updated_at is not None and valid_seconds > 0 and now - updated_at < valid_seconds


def install_argv(apt_get, names):
    """apt-get's command line for one non-interactive transaction: no recommends, and a
    configuration file changed by hand kept (dpkg asks otherwise), waiting for dpkg's lock."""
    return [apt_get, "install", "--yes", "--no-install-recommends",
            "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
            "-o", "DPkg::Lock::Timeout=120"] + list(names)


POLICY_RC = "#!/bin/sh\n# postmaster.mail.debian_packages, during its package transaction only: no service starts.\nexit 101\n"
