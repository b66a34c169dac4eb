# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and atomically writing the files the collection's domain modules own
(postfix_config, dovecot_config, opendkim_config, dkim_key). Private to this collection: no
stable API."""

from __future__ import annotations

import grp
import os
import tempfile


def read_text(path):
    """The text of ``path`` (bytes that are not UTF-8 kept as surrogates, line ends as they are), or
    None when it does not exist."""
    try:
        with open(path, "r", encoding="utf-8", errors="surrogateescape", newline="") as stream:
            return stream.read()
    except FileNotFoundError:
        return None


def write_atomically(module, path, data, mode, group=None, prefix=".postmaster_mail."):
    """Write ``data`` (str or bytes) to ``path`` in one step: a temporary file in the same directory
    gets ``mode`` (an int), and group ``group`` (owner root) when given, before it holds anything,
    then replaces ``path``. So the file is never partly written, and what it holds (a key, a hash)
    is never readable by more than ``mode`` allows, not even for a moment. Fails the module when
    the directory or the group does not exist."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        module.fail_json(msg="the directory of %s does not exist" % path)
    gid = None
    if group is not None:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            module.fail_json(msg="the group %s of %s does not exist" % (group, path))
    fd, temp = tempfile.mkstemp(prefix=prefix, dir=directory)
    try:
        if gid is not None:
            os.fchown(fd, 0, gid)
        os.fchmod(fd, mode)
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as stream:
                stream.write(data)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
