# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the dovecot_config module: the users file (passwd-file) and its secret-free
diff. Private to this collection: no stable API."""

from __future__ import annotations

from ansible_collections.postmaster.mail.plugins.module_utils import _passwords
from ansible_collections.postmaster.mail.plugins.module_utils._passwords import dovecot_hash

FINGERPRINTS_COMMENT = "# Keyed fingerprints of the passwords hashed in the users file: address:fingerprint"

USERS_COMMENT = "# Mail users of the postmaster.mail.dovecot role: address:{scheme}hash"


def comment_block(header):
    """``header`` as Ansible's ``comment`` filter writes it (what the role's templates used)."""
    return "#\n" + "".join("# %s\n" % line if line else "#\n" for line in header.splitlines()) + "#\n"


def user_problems(users):
    """What is wrong with the users (address, exactly one of password and password_hash - or
    neither with a fingerprint: the hash on the host is kept - no address twice), naming users by
    address only."""
    problems = []
    seen = set()
    for index, user in enumerate(users):
        address = (user.get("address") or "").strip()
        name = address or "entry %d" % (index + 1)
        if not address or any(char in address for char in ":\n \t"):
            problems.append("%s: the address must be non-empty, without ':' or white space" % name)
        given = [key for key in ("password", "password_hash") if user.get(key) not in (None, "")]
        if len(given) > 1 or (not given and user.get("fingerprint") in (None, "")):
            problems.append("%s: give exactly one of password and password_hash" % name)
        hashed = user.get("password_hash")
        if hashed and any(char in hashed for char in ":\n"):
            problems.append("%s: password_hash must not contain ':' or a new line" % name)
        if address.lower() in seen:
            problems.append("%s: the address is given twice" % name)
        seen.add(address.lower())
    return problems


def needs_secret(users):
    """Whether a user has a plain password, to hash with the host's secret."""
    return any(user.get("password") not in (None, "") for user in users)


def user_entries(users, secret, rounds, current=None, known=None, scheme=_passwords.ARGON2ID,
                 memory=_passwords.ARGON2_MEMORY, iterations=_passwords.ARGON2_ITERATIONS):
    """([(address, hash)] in the order given, {address: fingerprint}).

    A given password_hash is kept as given (with its fingerprint when one comes with it: the
    controller hashed it). A user with a fingerprint only keeps its hash in ``current`` ({address:
    hash} of the users file). A plain password is hashed (salt from ``secret``, the address and
    the password) unless its fingerprint is the one in ``known`` and ``current`` has its hash.
    Raises ValueError naming the address when a hash to keep is not there.
    """
    current = current or {}
    known = known or {}
    cost = _passwords.cost_label(scheme, memory, iterations, rounds)
    entries, fingerprints = [], {}
    for user in users:
        address = user["address"].strip().lower()
        mark = user.get("fingerprint") or None
        if user.get("password_hash") not in (None, ""):
            entries.append((address, user["password_hash"]))
        elif user.get("password") not in (None, ""):
            mark = _passwords.fingerprint(user["password"], address, secret, cost)
            if known.get(address) == mark and current.get(address):
                entries.append((address, current[address]))
            else:
                entries.append((address, dovecot_hash(user["password"], address, secret, rounds, scheme, memory, iterations)))
        elif current.get(address):
            entries.append((address, current[address]))
        else:
            raise ValueError("%s: the hash to keep is not in the users file (it changed during the run); "
                             "nothing was changed, run again" % address)
        if mark:
            fingerprints[address] = mark
    return entries, fingerprints


def render_fingerprints(fingerprints, header):
    """The fingerprints file: the header, then ``address:fingerprint`` lines."""
    return (comment_block(header) + FINGERPRINTS_COMMENT + "\n"
            + "".join("%s:%s\n" % item for item in fingerprints.items()))


def parse_fingerprints(text, current):
    """{address: fingerprint} of a fingerprints file, for the addresses ``current`` (the users
    file's {address: hash}) has a hash for: a fingerprint without its hash is worthless."""
    found = {}
    for line in (text or "").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        address, _sep, mark = line.partition(":")
        if mark and current.get(address):
            found[address] = mark.strip()
    return found


def render_users(entries, header):
    """The passwd-file: the header, then ``address:hash`` lines."""
    return comment_block(header) + USERS_COMMENT + "\n" + "".join("%s:%s\n" % entry for entry in entries)


def parse_users(text):
    """{address: hash} of a users file (comments and blank lines skipped); {} when there is none."""
    found = {}
    for line in (text or "").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        address, _sep, rest = line.partition(":")
        found[address] = rest.split(":", 1)[0]
    return found


def users_diff_view(before_text, entries):
    """(before, after) texts for diff mode with addresses only, never a hash: an address whose
    hash changes is marked "(password changed)" on the after side. ``entries`` None means the
    hashes are not known (check mode before the host has a secret): the after side lists the
    addresses given."""
    before = parse_users(before_text)
    before_lines = ["%s\n" % address for address in before]
    after_lines = []
    for address, hashed in entries:
        if hashed is not None and address in before and before[address] != hashed:
            after_lines.append("%s (password changed)\n" % address)
        else:
            after_lines.append("%s\n" % address)
    return "".join(before_lines), "".join(after_lines)


# Global Sieve scripts and the programs they pipe to -----------------------------------------------

SIEVE_SUFFIX = ".sieve"
SIEVE_BINARY_SUFFIX = ".svbin"


def sieve_binary_path(script_path):
    """Where Pigeonhole keeps the compiled form of a file script: next to it, ``.sieve`` replaced by
    ``.svbin`` (the path Dovecot looks at, and the one sievec writes by default)."""
    base = script_path[:-len(SIEVE_SUFFIX)] if script_path.endswith(SIEVE_SUFFIX) else script_path
    return base + SIEVE_BINARY_SUFFIX


def sieve_binary_stale(script_mtime, binary_mtime):
    """Whether Dovecot would compile the script again at its next run: no binary, or one older than
    the script (it then tries to write the new binary next to the script, which it may not)."""
    return script_mtime is None or binary_mtime is None or binary_mtime < script_mtime


def file_problems(sieve_scripts, programs, absent):
    """What is wrong with the paths of the Sieve scripts, programs and paths to remove: each
    absolute, a script named ``*.sieve``, no path given twice."""
    problems = []
    seen = set()
    named = ([("sieve_scripts", entry["path"]) for entry in sieve_scripts]
             + [("programs", entry["path"]) for entry in programs] + [("absent", path) for path in absent])
    for option, path in named:
        if not path.startswith("/") or path.endswith("/"):
            problems.append("%s: %s must be an absolute file path" % (option, path))
        if option == "sieve_scripts" and not path.endswith(SIEVE_SUFFIX):
            problems.append("%s: %s must end with %s" % (option, path, SIEVE_SUFFIX))
        if path in seen:
            problems.append("%s: %s is given twice" % (option, path))
        seen.add(path)
    return problems


def sieve_warnings(output):
    """The warning lines of sievec's output (``<name>: line <n>: warning: ...``)."""
    return [line.strip() for line in output.splitlines() if ": warning: " in line]
