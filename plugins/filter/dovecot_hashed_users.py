# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that hashes the changed passwords of a list of mail users."""

from __future__ import annotations

DOCUMENTATION = r"""
name: dovecot_hashed_users
short_description: The mail users as the dovecot_config module takes them, hashing only changed passwords
version_added: 0.3.0
description:
  - Each user with a plain C(password) gets a keyed fingerprint (HMAC-SHA256 of the address, the
    password and the cost, keyed with O(secret)). When it is the one in O(known) (what
    M(postmaster.mail.dovecot_owner) read beside the hashes on the host) the user becomes
    C({address, fingerprint}) and M(postmaster.mail.dovecot_config) keeps the hash it has; otherwise
    the password is hashed as P(postmaster.mail.dovecot_password_hash#filter) does, giving
    C({address, password_hash, fingerprint}). A user given with a C(password_hash) is passed on as it is.
  - So a rerun with a thousand users hashes nothing, and a changed password only that one.
  - Addresses are written in lower case. The result holds hashes; hide it (C(no_log)).
positional: secret, known
options:
  _input:
    description: The users, each C({address, password}) or C({address, password_hash}).
    type: list
    elements: dict
    required: true
  secret:
    description: The host's secret that keys salts and fingerprints.
    type: str
    required: true
  known:
    description: The fingerprints on the host, address to fingerprint.
    type: dict
    default: {}
  scheme:
    description: The hash scheme of new hashes.
    type: str
    choices: [ARGON2ID, SHA512-CRYPT]
    default: ARGON2ID
  memory:
    description: Argon2id memory cost in KiB.
    type: int
    default: 65536
  iterations:
    description: Argon2id passes.
    type: int
    default: 3
  rounds:
    description: SHA-512 crypt rounds (O(scheme=SHA512-CRYPT) only).
    type: int
    default: 100000
"""

EXAMPLES = r"""
- name: Hash what changed
  ansible.builtin.set_fact:
    hashed: "{{ mail_users | postmaster.mail.dovecot_hashed_users(host_secret, owner.fingerprints) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The users, each C({address, fingerprint}), C({address, password_hash, fingerprint}) or C({address, password_hash}).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils._passwords import (
    ARGON2_ITERATIONS, ARGON2_MEMORY, ARGON2ID, MissingArgon2, hash_users)


def dovecot_hashed_users(users, secret, known=None, scheme=ARGON2ID, memory=ARGON2_MEMORY, iterations=ARGON2_ITERATIONS,
                         rounds=100000):
    try:
        return hash_users(users, secret, known, scheme, int(memory), int(iterations), int(rounds))
    except (ValueError, MissingArgon2) as exc:
        raise AnsibleFilterError("dovecot_hashed_users: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"dovecot_hashed_users": dovecot_hashed_users}
