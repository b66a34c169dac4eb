# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of a backup's settings, one definition for the backup role (backup_*) and the
contract (mail_backup.*): pure functions, no Ansible. No message shows the password or the
environment's values."""

from __future__ import annotations

import json
import re

KEEP_KINDS = ("daily", "weekly", "monthly")
# A system user or group name (useradd(8)).
USER_NAME_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\Z")
ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*\Z")
DIGITS_RE = re.compile(r"^[0-9]+\Z")
MIN_PASSWORD = 12


def _shown(value):
    return json.dumps(value, sort_keys=True, default=str)


def _absolute(value):
    return isinstance(value, str) and value.startswith("/") and "\n" not in value


def _count(value):
    """A whole number of 0 or more (not a bool), else None."""
    if isinstance(value, bool) or not DIGITS_RE.match(str(value)):
        return None
    return int(value)


def setting_errors(settings):
    """[(setting, message)] for the broken rules of ``settings`` ({repository, password, environment,
    paths, owners, schedule, delay, keep, restore_fresh_dir}, each optional). Nothing else is checked
    when the repository is empty (no backups)."""
    errors = []
    repository = settings.get("repository", "")
    if not isinstance(repository, str) or "\n" in repository or repository != repository.strip():
        return [("repository", "must be one restic repository (a path, sftp:user@host:/path, rest:https://..., "
                               "s3:...), a string without a line break or spaces around it")]
    if not repository:
        return []
    password = settings.get("password", "")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or "\n" in password:
        errors.append(("password", "must be one line of %d characters or more (the backups' encryption depends on "
                                   "it; keep it in a vault, and off the host)" % MIN_PASSWORD))
    environment = settings.get("environment", {})
    if not isinstance(environment, dict):
        errors.append(("environment", "must be a mapping of environment variable names to values"))
    else:
        bad = sorted(str(name) for name, value in environment.items()
                     if not ENV_NAME_RE.match(str(name)) or "\n" in str(value))
        if bad:
            errors.append(("environment", "names must be environment variable names (A-Z, 0-9, _) with one-line "
                                          "values; invalid: %s" % _shown(bad)))
    if "paths" in settings:
        paths = settings["paths"]
        invalid = [path for path in paths if not _absolute(path)] if isinstance(paths, list) else [paths]
        if not paths or invalid:
            errors.append(("paths", "must be a non-empty list of absolute paths; invalid: %s" % _shown(invalid)))
    owners = settings.get("owners", [])
    invalid = [owner for owner in (owners if isinstance(owners, list) else [owners])
               if not isinstance(owner, dict) or not _absolute(owner.get("path")) or " " in owner.get("path", " ")
               or not USER_NAME_RE.match(str(owner.get("user", "")))
               or not USER_NAME_RE.match(str(owner.get("group", owner.get("user", ""))))]
    if invalid:
        errors.append(("owners", "each must be {path (absolute, no spaces), user, group} with system user and group "
                                 "names; invalid: %s" % _shown(invalid)))
    schedule = settings.get("schedule", "daily")
    if not isinstance(schedule, str) or not schedule.strip() or "\n" in schedule:
        errors.append(("schedule", "must be a systemd calendar event such as daily or *-*-* 03:17:00, got %s"
                                   % _shown(schedule)))
    delay = _count(settings.get("delay", 0))
    if delay is None or delay > 86400:
        errors.append(("delay", "must be a whole number of seconds from 0 to 86400, got %s"
                                % _shown(settings.get("delay"))))
    keep = settings.get("keep", {"daily": 7})
    counts = [_count(keep[kind]) for kind in KEEP_KINDS if kind in keep] if isinstance(keep, dict) else [None]
    if (not isinstance(keep, dict) or set(keep) - set(KEEP_KINDS) or None in counts
            or not any(count > 0 for count in counts)):
        errors.append(("keep", "must map daily, weekly and/or monthly to whole numbers of snapshots, one of them 1 or "
                               "more, such as {daily: 7, weekly: 5, monthly: 12}, got %s" % _shown(keep)))
    fresh = settings.get("restore_fresh_dir", "")
    if fresh and not _absolute(fresh):
        errors.append(("restore_fresh_dir", "must be an absolute path, got %s" % _shown(fresh)))
    return errors
