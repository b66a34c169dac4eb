# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: why the lineage holding the next key needs a new key (the certbot role's rollover)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: certbot_next_key_reasons
short_description: Why the prepared next key must be made again, as sentences
version_added: 0.6.0
description:
  - With a prepared next key (C(certbot_next_key)), the certbot role keeps a second ACME lineage whose key is
    the one served after the next rollover. From what was read of its certificate and renewal settings, the
    reasons to give it a new key, in order; empty when it will do.
options:
  _input:
    description: The certificate's fields (C(public_key_type)); empty when there is no readable certificate.
    type: dict
    required: true
  key_type:
    description: The key type asked for, V(ecdsa) or V(rsa).
    type: str
    required: true
  autorenew:
    description:
      - Whether certbot renews the lineage (its renewal settings lack C(autorenew = False)). Only the lineage in
        use renews, so a next-key lineage that does was in use until a rollover, and its key is the retired one.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Say why
  ansible.builtin.debug:
    msg: "{{ info | postmaster.mail.certbot_next_key_reasons(key_type='ecdsa', autorenew=false) }}"
"""

RETURN = r"""
_value:
  description: The reasons, as sentences; empty when the next key will do.
  type: list
  elements: str
"""

from ansible_collections.postmaster.mail.plugins.module_utils import _tls_layout


def certbot_next_key_reasons(info, key_type, autorenew=False):
    return _tls_layout.next_key_reasons(info or {}, key_type, autorenew)


class FilterModule:
    def filters(self):
        return {"certbot_next_key_reasons": certbot_next_key_reasons}
