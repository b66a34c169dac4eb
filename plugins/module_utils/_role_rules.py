# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of each role's own variables that its argument spec cannot express, one definition
each, checked by the role's "preflight" entry point through the postmaster.mail.role_errors
filter before the host is touched. Every message names the variable and the form it expects.
(The public mail_* variables have theirs in _contract.py; mail users obey user_entry_errors there.)"""

from __future__ import annotations

import re

from ansible_collections.postmaster.mail.plugins.module_utils import _dkim, _names
from ansible_collections.postmaster.mail.plugins.module_utils._contract import (
    _is_list, to_json, user_entry_errors,
)

# A network as mynetworks takes it: IPv4 with an optional prefix, or [IPv6] with one.
NETWORK_RE = re.compile(
    r"^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}(/([0-9]|[12][0-9]|3[0-2]))?"
    r"|\[[0-9a-fA-F:.]+\](/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?)$")
INTERNAL_HOST_RE = re.compile(r"^[0-9A-Fa-f:.]+(/[0-9]+)?$|^[A-Za-z0-9.-]+$")
DIGITS_RE = re.compile(r"^[0-9]+$")


def _int(value):
    """Jinja's int filter: the number, or 0 when it is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _items(value):
    return list(value) if _is_list(value) else [value]


def _absolute(value):
    return isinstance(value, str) and value.startswith("/")


def _invalid(values, valid):
    return [item for item in _items(values) if not (isinstance(item, str) and valid(item))]


def _domains_rule(name, domains):
    invalid = _invalid(domains, _names.is_domain_name)
    if invalid:
        return ["%s: must be a list of domain names such as example.org; invalid: %s" % (name, to_json(invalid))]
    return []


def postfix_errors(values):
    errors = []
    hostname = values.get("postfix_myhostname")
    if not (isinstance(hostname, str) and _names.is_domain_name(hostname)):
        errors.append("postfix_myhostname: must be a fully qualified host name such as mail.example.org, got %s"
                      % to_json(hostname))
    invalid = _invalid(values.get("postfix_mynetworks", []), NETWORK_RE.match)
    if invalid:
        errors.append("postfix_mynetworks: must be a list of networks such as 192.0.2.0/24 or [2001:db8::]/32; "
                      "invalid: %s" % to_json(invalid))
    for name in ("postfix_tls_cert_file", "postfix_tls_key_file"):
        if not _absolute(values.get(name)):
            errors.append("%s: must be an absolute path, got %s" % (name, to_json(values.get(name))))
    errors += _domains_rule("postfix_virtual_mailbox_domains", values.get("postfix_virtual_mailbox_domains", []))
    return errors


def dovecot_errors(values):
    errors = _domains_rule("dovecot_domains", values.get("dovecot_domains", []))
    rounds = values.get("dovecot_password_rounds")
    if not 5000 <= _int(rounds) <= 999999999:
        errors.append("dovecot_password_rounds: must be between 5000 and 999999999, got %s" % to_json(rounds))
    concurrency = values.get("dovecot_lmtp_concurrency")
    if not (DIGITS_RE.match(str(concurrency)) and _int(concurrency) >= 1):
        errors.append("dovecot_lmtp_concurrency: must be a whole number of deliveries at once, 1 or more (10 matches "
                      "Dovecot's limit per user), got %s" % to_json(concurrency))
    if not (_absolute(values.get("dovecot_tls_cert_file")) and _absolute(values.get("dovecot_tls_key_file"))):
        errors.append("dovecot_tls_cert_file: dovecot_tls_cert_file and dovecot_tls_key_file must be absolute paths")
    users = values.get("dovecot_users", [])
    domains = _items(values.get("dovecot_domains", []))
    errors += ["dovecot_users: " + message
               for message in user_entry_errors([user for user in _items(users) if isinstance(user, dict)],
                                                domains, "dovecot_domains")]
    return errors


def opendkim_errors(values):
    errors = _domains_rule("opendkim_domains", values.get("opendkim_domains", []))
    selector = values.get("opendkim_selector")
    if not (isinstance(selector, str) and _dkim.SELECTOR_RE.match(selector)):
        errors.append("opendkim_selector: must be DNS labels (letters, digits and hyphens, dots between labels), got %s"
                      % to_json(selector))
    size = values.get("opendkim_rsa_size")
    if _int(size) < 1024:
        errors.append("opendkim_rsa_size: must be at least 1024 bits (verifiers refuse shorter RSA keys), got %s" % size)
    if _invalid(values.get("opendkim_internal_hosts", []), INTERNAL_HOST_RE.match):
        errors.append("opendkim_internal_hosts: must be a list of addresses, networks or host names")
    return errors


RULES = {"postfix": postfix_errors, "dovecot": dovecot_errors, "opendkim": opendkim_errors}


def role_errors(role, values):
    """The messages of the broken rules of ``role`` for its variables ``values`` (a mapping)."""
    return RULES[role](values)
