# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that hashes a password for Dovecot, reproducibly."""

from __future__ import annotations

DOCUMENTATION = r"""
name: dovecot_password_hash
short_description: Hash a password for Dovecot's passwd-file, the same way on every run
version_added: 0.1.0
description:
  - Returns C({SHA512-CRYPT}$6$rounds=N$salt$hash). The salt is HMAC-SHA256 of the address keyed
    with O(secret), so a rerun gives the same hash (idempotent) while no two addresses or hosts
    with different secrets share a salt.
  - Runs on the controller, with passlib when it is installed, else in pure Python (the same
    strings). The C(postmaster.mail.dovecot) role hashes its users' plain passwords with it, so they
    never reach the host; the C(postmaster.mail.dovecot_config) module writes the hashes.
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
    description: Secret mixed into the salt (the dovecot role keeps one per host).
    type: str
    required: true
  rounds:
    description: SHA-512 crypt rounds; Dovecot pays this cost at every login.
    type: int
    default: 100000
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
from ansible_collections.postmaster.mail.plugins.module_utils._passwords import dovecot_hash


def dovecot_password_hash(password, address, secret, rounds=100000):
    try:
        return dovecot_hash(password, address, secret, rounds)
    except (ValueError, RuntimeError) as exc:
        raise AnsibleFilterError("dovecot_password_hash for %s: %s" % (address, exc)) from exc


class FilterModule:
    def filters(self):
        return {"dovecot_password_hash": dovecot_password_hash}
