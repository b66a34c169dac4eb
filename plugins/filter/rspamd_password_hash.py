# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that hashes rspamd's controller password, reproducibly."""

from __future__ import annotations

DOCUMENTATION = r"""
name: rspamd_password_hash
short_description: Hash a password for rspamd's controller, the same way on every run
version_added: 0.3.0
description:
  - Returns rspamd's C($1$salt$key) (PBKDF2 with BLAKE2b, 16000 rounds, as C(rspamadm pw -t pbkdf2)
    makes), which rspamd's controller accepts as C(password) and C(enable_password).
  - The salt comes from the password and O(salt_seed) (the host's name), so a rerun gives the same
    hash (idempotent) while two hosts with the same password do not share one.
  - Runs on the controller in pure Python; the password never reaches the host.
positional: salt_seed
options:
  _input:
    description: The password in clear.
    type: str
    required: true
  salt_seed:
    description: Mixed into the salt; the C(postmaster.mail.rspamd) role gives the host's name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Hash a password
  ansible.builtin.debug:
    msg: "{{ 'secret' | postmaster.mail.rspamd_password_hash(inventory_hostname) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The hash, C($1$<salt>$<key>).
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils._rspamd import controller_password_hash


def rspamd_password_hash(password, salt_seed):
    try:
        return controller_password_hash(password, salt_seed)
    except (ValueError, TypeError) as exc:
        raise AnsibleFilterError("rspamd_password_hash: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"rspamd_password_hash": rspamd_password_hash}
