# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for Postfix configuration. Private to this collection: no stable API."""

from __future__ import annotations

from collections.abc import Mapping


def render_value(value, separator=", "):
    """Return ``value`` as Postfix writes it: yes/no, joined lists, plain text.

    Raises ValueError for values that cannot be written on one configuration line.
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, Mapping):
        raise ValueError("a dict cannot be written as a Postfix value: %r" % (value,))
    if isinstance(value, (list, tuple)):
        text = separator.join(render_value(item, separator) for item in value)
    else:
        text = str(value)
    if "\n" in text or "\r" in text:
        raise ValueError("a Postfix value cannot contain a line break: %r" % (text,))
    return text


def stale_indexes(sources, files, map_type, changed=()):
    """Return the table sources whose index must be rebuilt, in the order given.

    ``files`` are dicts with ``path`` and ``mtime`` (as ``ansible.builtin.find`` returns them).
    A source is stale when it changed in this run, when its index is missing, or when its index
    is older than the source itself (so a rebuild that failed earlier is retried).
    """
    mtimes = {f["path"]: f["mtime"] for f in files}
    changed = set(changed)
    stale = []
    for source in sources:
        index = "%s.%s" % (source, map_type)
        if (
            source in changed
            or index not in mtimes
            or mtimes[index] < mtimes.get(source, 0)
        ):
            stale.append(source)
    return stale
