# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that hashes a password for Dovecot, reproducibly."""

from __future__ import annotations

DOCUMENTATION = r"""
name: dovecot_password_hash
short_description: Hash a password for Dovecot's passwd-file, the same way on every run
version_added: 0.1.0
description:
  - Returns C({ARGON2ID}$argon2id$v=19$m=M,t=T,p=1$salt$hash) (Dovecot verifies it through
    libsodium on Debian 12 and 13), or C({SHA512-CRYPT}$6$rounds=N$salt$hash) with
    O(scheme=SHA512-CRYPT).
  - The Argon2id salt is HMAC-SHA256 of the address and the password keyed with O(secret), so a
    rerun gives the same hash (idempotent), a new password a new salt, and no two addresses or
    hosts with different secrets share one. (SHA512-CRYPT keeps its salt of the address only, so
    hashes made before stay the same.)
  - Runs on the controller. Argon2id needs the Python package C(cryptography) 44 or later (its
    wheels; Debian's python3-cryptography is older) or C(argon2-cffi); without either the filter
    fails naming both. The C(postmaster.mail.dovecot) role hashes its users' plain passwords on the
    controller (with P(postmaster.mail.dovecot_hashed_users#filter)), so they never reach the host.
positional: address, secret, rounds
options:
  _input:
    description: The password in clear.
    type: str
    required: true
  address:
    description: The user's address; part of the salt.
    type: str
    required: true
  secret:
    description: Secret keying the salt (the dovecot role keeps one per host).
    type: str
    required: true
  rounds:
    description: SHA-512 crypt rounds (O(scheme=SHA512-CRYPT) only).
    type: int
    default: 100000
  scheme:
    description: The hash scheme.
    type: str
    choices: [ARGON2ID, SHA512-CRYPT]
    default: ARGON2ID
  memory:
    description: Argon2id memory cost in KiB; Dovecot pays it at every login.
    type: int
    default: 65536
  iterations:
    description: Argon2id passes.
    type: int
    default: 3
"""

EXAMPLES = r"""
- name: Hash a password
  ansible.builtin.debug:
    msg: "{{ 'secret' | postmaster.mail.dovecot_password_hash('alice@example.org', host_secret) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The hash with its scheme prefix.
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils._passwords import (
    ARGON2_ITERATIONS, ARGON2_MEMORY, ARGON2ID, MissingArgon2, dovecot_hash)


def dovecot_password_hash(password, address, secret, rounds=100000, scheme=ARGON2ID, memory=ARGON2_MEMORY,
                          iterations=ARGON2_ITERATIONS):
    try:
        return dovecot_hash(password, address, secret, rounds, scheme, memory, iterations)
    except (ValueError, MissingArgon2) as exc:
        raise AnsibleFilterError("dovecot_password_hash for %s: %s" % (address, exc)) from exc


class FilterModule:
    def filters(self):
        return {"dovecot_password_hash": dovecot_password_hash}
