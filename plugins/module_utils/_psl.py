# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The organisational domain of a name, from the Public Suffix List (RFC 7489 3.2). Private.

The list comes with a package, never from the network: the Python package publicsuffixlist (its
public_suffix_list.dat) or Debian's publicsuffix (/usr/share/publicsuffix). parse() and
organisational() are pure; load() finds the file.
"""

from __future__ import annotations

import importlib.util
import os

DEBIAN_LIST = "/usr/share/publicsuffix/public_suffix_list.dat"
MISSING = ("no Public Suffix List: install the Python package publicsuffixlist on the controller "
           "(pip install publicsuffixlist) or Debian's publicsuffix")


def parse(text):
    """(rules, wildcards, exceptions): sets of lower-case suffixes from the list's text; a rule
    "*.ck" is the wildcard "ck", "!www.ck" the exception "www.ck"."""
    rules, wildcards, exceptions = set(), set(), set()
    for line in text.splitlines():
        rule = line.strip().split(" ")[0].lower()
        if not rule or rule.startswith("//"):
            continue
        if rule.startswith("!"):
            exceptions.add(rule[1:])
        elif rule.startswith("*."):
            wildcards.add(rule[2:])
        else:
            rules.add(rule)
    return rules, wildcards, exceptions


def public_suffix(name, psl):
    """The public suffix of a domain name, by the list's algorithm (publicsuffix.org/list/): the
    longest matching rule, an exception rule winning; no rule matches: the last label."""
    rules, wildcards, exceptions = psl
    labels = name.lower().rstrip(".").split(".")
    best = labels[-1:]
    for index in range(len(labels)):
        candidate = ".".join(labels[index:])
        if candidate in exceptions:
            return ".".join(labels[index + 1:])
        matched = None
        if candidate in rules:
            matched = labels[index:]
        elif index > 0 and ".".join(labels[index:]) in wildcards:
            matched = labels[index - 1:]
        if matched and len(matched) > len(best):
            best = matched
    return ".".join(best)


def organisational(name, psl):
    """The organisational domain: the public suffix and one more label (the name itself when it
    is a public suffix)."""
    labels = name.lower().rstrip(".").split(".")
    suffix = public_suffix(name, psl).split(".")
    return ".".join(labels[-(len(suffix) + 1):]) if len(labels) > len(suffix) else ".".join(labels)


def list_path():
    """The path of a Public Suffix List on this machine, or None."""
    spec = importlib.util.find_spec("publicsuffixlist")
    candidates = []
    if spec is not None and spec.submodule_search_locations:
        candidates += [os.path.join(location, "public_suffix_list.dat") for location in spec.submodule_search_locations]
    candidates.append(DEBIAN_LIST)
    for path in candidates:
        if os.path.isfile(path):
            return path
    return None


def load():
    """The parsed list, or None when there is none (the caller says so: MISSING)."""
    path = list_path()
    if path is None:
        return None
    with open(path, encoding="utf-8") as stream:
        return parse(stream.read())
