# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: why an ACME certificate in place does not do (the certbot role's request decision)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: certbot_request_reasons
short_description: Why the ACME certificate in place does not do, as sentences
version_added: 0.6.0
description:
  - From what C(community.crypto.x509_certificate_info) read of a lineage's certificate and what its
    renewal settings say, the reasons to ask the ACME server for a new certificate, in order; empty when
    the certificate does. The certbot role decides each of its lineages with it.
options:
  _input:
    description: The certificate's fields as C(community.crypto.x509_certificate_info) returns them (with
      C(valid_at.renew)); empty when there is no readable certificate.
    type: dict
    required: true
  names:
    description: The names the certificate must cover.
    type: list
    elements: str
    required: true
  key_type:
    description: V(ecdsa) or V(rsa).
    type: str
    required: true
  directory:
    description: The ACME directory URL.
    type: str
    required: true
  authenticator:
    description: How renewals must answer the challenge (V(standalone), V(webroot)).
    type: str
    required: true
  renewal_server:
    description: The C(server) of the lineage's renewal settings.
    type: str
    default: ""
  renewal_authenticator:
    description: The C(authenticator) of the lineage's renewal settings.
    type: str
    default: ""
  renewal_text:
    description: The lineage's renewal settings as text; when given, its C(server) and C(authenticator) are used.
    type: str
  renew_days:
    description: The days before expiry within which it is renewed (for the message).
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Say why
  ansible.builtin.debug:
    msg: "{{ info | postmaster.mail.certbot_request_reasons(names=['mail.example.org'], key_type='ecdsa',
             directory='https://acme-v02.api.letsencrypt.org/directory', authenticator='webroot') }}"
"""

RETURN = r"""
_value:
  description: The reasons, as sentences; empty when the certificate in place does.
  type: list
  elements: str
"""

from ansible_collections.postmaster.mail.plugins.module_utils import _tls_layout


def certbot_request_reasons(info, names, key_type, directory, authenticator, renewal_server="", renewal_authenticator="",
                            renew_days=30, renewal_text=None):
    info = info or {}
    if renewal_text is not None:
        renewal_server = _tls_layout.renewal_server(renewal_text)
        renewal_authenticator = _tls_layout.renewal_authenticator(renewal_text)
    if not info:
        return ["there is no certificate yet"]
    wanted = sorted({str(name).lower() for name in names})
    have = sorted({entry[4:].lower() for entry in info.get("subject_alt_name") or [] if entry.startswith("DNS:")})
    reasons = []
    if have != wanted:
        reasons.append("the names change from %s to %s" % (", ".join(have), ", ".join(wanted)))
    if not (info.get("valid_at") or {}).get("renew", False):
        reasons.append("it expires within %s days" % renew_days)
    current = "ecdsa" if info.get("public_key_type", "") == "ECC" else "rsa"
    if current != key_type:
        reasons.append("the key type changes from %s to %s" % (current, key_type))
    if renewal_authenticator != authenticator:
        reasons.append("renewals answer the challenge with %s, not %s" % (authenticator, renewal_authenticator or "unknown"))
    if renewal_server != directory:
        reasons.append("the ACME directory changes from %s to %s" % (renewal_server or "unknown", directory))
    return reasons


class FilterModule:
    def filters(self):
        return {"certbot_request_reasons": certbot_request_reasons}
