# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side writes of the zone_files action (the records to publish): a directory and
the files in it, each written atomically and only when its content or mode differs. Runs in the
controller's process, no module and no connection. Private to this collection: no stable API."""

from __future__ import annotations

import os
import stat
import tempfile

DIRECTORY_MODE = 0o755
FILE_MODE = 0o644
PREFIX = ".postmaster_mail."


class ZoneFilesError(Exception):
    """A request that cannot be done (bad argument, a path that cannot be made or written)."""


def check_files(files):
    """The problems of ``files`` (name => content): a name must be a plain file name in the
    directory, and a content must be text. A list of messages, empty when all is well."""
    problems = []
    if not isinstance(files, dict):
        return ["files must be a mapping of file name to content, not %s" % type(files).__name__]
    for name, content in files.items():
        if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\0" in name:
            problems.append("%r is not a plain file name" % (name,))
        elif not isinstance(content, str):
            problems.append("the content of %s is %s, not text" % (name, type(content).__name__))
    return problems


def missing_directories(path):
    """The directories to make so that ``path`` exists, parents first (empty when it exists)."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return list(reversed(missing))


def current_state(path):
    """(bytes, mode) of the regular file ``path``, or (None, None) when it does not exist."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None, None
    if not stat.S_ISREG(info.st_mode):
        raise ZoneFilesError("%s exists and is not a regular file" % path)
    with open(path, "rb") as stream:
        return stream.read(), stat.S_IMODE(info.st_mode)


def needs_write(current, current_mode, wanted, mode=FILE_MODE):
    """Whether a file holding ``current`` (bytes or None) with ``current_mode`` must be written."""
    return current != wanted or current_mode != mode


def file_diff(path, current, current_mode, wanted, mode=FILE_MODE):
    """A diff-mode entry for one file that must be written: its text (the modes in the headers
    when they differ), or its mode alone when the text is the same."""
    if current == wanted:
        return {"before_header": path, "after_header": path,
                "before": {"path": path, "mode": "%04o" % current_mode}, "after": {"path": path, "mode": "%04o" % mode}}
    before_header, after_header = path, path
    if current is not None and current_mode != mode:
        before_header, after_header = "%s (mode %04o)" % (path, current_mode), "%s (mode %04o)" % (path, mode)
    return {"before_header": before_header, "after_header": after_header,
            "before": "" if current is None else current.decode("utf-8", errors="replace"),
            "after": wanted.decode("utf-8", errors="replace")}


def write_atomically(path, data, mode=FILE_MODE):
    """Write ``data`` (bytes) to ``path`` in one step: a temporary file in the same directory gets
    ``mode`` and the data, then replaces ``path``; it never stays behind."""
    fd, temp = tempfile.mkstemp(prefix=PREFIX, dir=os.path.dirname(path))
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


def _directory(path, check_mode, diff):
    """Make ``path`` (and its parents, each DIRECTORY_MODE) or give it DIRECTORY_MODE; whether it changed."""
    missing = missing_directories(path)
    for directory in missing:
        diff.append({"before_header": directory, "after_header": directory,
                     "before": {"path": directory, "state": "absent"},
                     "after": {"path": directory, "state": "directory", "mode": "%04o" % DIRECTORY_MODE}})
        if not check_mode:
            try:
                os.mkdir(directory, DIRECTORY_MODE)
            except FileExistsError:
                pass  # made meanwhile (another host's run of the same task)
            except OSError as error:
                raise ZoneFilesError("cannot make the directory %s: %s" % (directory, error.strerror or error))
            os.chmod(directory, DIRECTORY_MODE)  # the umask does not decide
    if missing:
        return True
    if not os.path.isdir(path):
        raise ZoneFilesError("%s exists and is not a directory" % path)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode == DIRECTORY_MODE:
        return False
    diff.append({"before_header": path, "after_header": path, "before": {"path": path, "mode": "%04o" % mode},
                 "after": {"path": path, "mode": "%04o" % DIRECTORY_MODE}})
    if not check_mode:
        try:
            os.chmod(path, DIRECTORY_MODE)
        except OSError as error:
            raise ZoneFilesError("cannot set the mode of the directory %s: %s" % (path, error.strerror or error))
    return True


def zone_files(path, files, check_mode=False):
    """Make the directory ``path`` (DIRECTORY_MODE, with its parents) and write each file of
    ``files`` (name => text) in it (FILE_MODE) when its content or mode differs. In check mode
    nothing changes. Returns the result: changed, path, written (the paths written, or that would
    be, in the order of ``files``) and diff (one entry per change)."""
    problems = check_files(files)
    if problems:
        raise ZoneFilesError("; ".join(problems))
    path = os.path.abspath(os.path.expanduser(path))
    diff = []
    changed = _directory(path, check_mode, diff)
    written = []
    for name, content in files.items():
        target = os.path.join(path, name)
        wanted = content.encode("utf-8", errors="surrogateescape")
        current, current_mode = current_state(target) if os.path.isdir(path) else (None, None)
        if not needs_write(current, current_mode, wanted):
            continue
        diff.append(file_diff(target, current, current_mode, wanted))
        written.append(target)
        if not check_mode:
            try:
                write_atomically(target, wanted)
            except OSError as error:
                raise ZoneFilesError("cannot write %s: %s" % (target, error.strerror or error))
    return {"changed": changed or bool(written), "path": path, "written": written, "diff": diff}
