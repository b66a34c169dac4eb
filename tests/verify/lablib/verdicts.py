"""Small pure judgements of the site scenario's verify steps (unit-tested in
tests/unit/verify/test_site_helpers.py):

    secrets_shown(text, patterns)   the names of the secrets a run's output shows (never the secrets)
    scan_findings(scan, ids)     {id: finding} from testssl.sh's JSON list
    without_auth(transcript)        a swaks transcript without its AUTH lines (their base64 holds
                                    the password), for assertion messages
"""

import re

# What must never appear in what a user sees of a site.yml run with the site scenario's
# inventory: the plain password, a piece of bob's given hash, any SHA512-CRYPT hash made with the
# roles' rounds or Argon2id hash, a private key.
SITE_SECRETS = {
    "alice's password": re.escape("alice-Secret-1"),
    "carol's password": re.escape("carol-Secret-3"),
    "bob's hash": re.escape("0Z6qiD4TVhbwSwcIT5j1yDHue4Kd"),
    "a SHA512-CRYPT hash": re.escape("$6$rounds=100000$"),
    "an Argon2id hash": re.escape("$argon2id$v=19$"),
    "a private key": r"BEGIN [A-Z ]*PRIVATE KEY",
    "rspamd's controller password": re.escape("rspamd-Controller-3"),
    "an rspamd password hash": r"\$1\$[ybndrfg8ejkmcpqxot1uwisza345h769]{32}\$",
}


def secrets_shown(text, patterns=None):
    """The sorted names of the patterns ({name: regex}, default SITE_SECRETS) found in `text`."""
    patterns = SITE_SECRETS if patterns is None else patterns
    return sorted(name for name, pattern in patterns.items() if re.search(pattern, text))


def scan_findings(scan, ids):
    """{id: finding} of the entries of testssl's JSON list (`--jsonfile`) whose id is in `ids`."""
    return {entry["id"]: entry.get("finding", "") for entry in scan if entry.get("id") in ids}


def non_aead_suites(scan):
    """The cipher suites testssl's `-E` found offered (ids "cipher-tls1_2_x...", "cipher-tls1_3_...")
    that are not AEAD (AES-GCM, AES-CCM, ChaCha20-Poly1305): CBC suites with a SHA-1, SHA-256 or
    SHA-384 MAC, and anything older. Each as its finding line."""
    return [entry.get("finding", "") for entry in scan
            if re.match(r"cipher-tls", entry.get("id", ""))
            and not re.search(r"GCM|CCM|CHACHA20|POLY1305", entry.get("finding", ""))]


def offered_suites(scan):
    """How many suites testssl's `-E` listed as offered."""
    return sum(1 for entry in scan if re.match(r"cipher-tls", entry.get("id", "")))


def without_auth(transcript, tail=1000):
    """The last `tail` characters of a swaks transcript, its AUTH command lines left out."""
    return "\n".join(line for line in transcript.splitlines() if not re.search(r"\bAUTH [A-Z]", line))[-tail:]
