"""The rules of the postfix, dovecot and opendkim roles' own variables (role_errors): one case per
rule that holds and one that breaks, with the message the role's preflight shows."""

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils import _role_rules

POSTFIX = {"postfix_myhostname": "mail.example.org", "postfix_mynetworks": ["127.0.0.0/8", "[::1]/128"],
           "postfix_tls_cert_file": "/etc/tls/fullchain.pem", "postfix_tls_key_file": "/etc/tls/privkey.pem",
           "postfix_virtual_mailbox_domains": ["example.org"]}
DOVECOT = {"dovecot_domains": ["example.org"], "dovecot_password_rounds": 100000, "dovecot_lmtp_concurrency": 10,
           "dovecot_tls_cert_file": "/etc/tls/fullchain.pem", "dovecot_tls_key_file": "/etc/tls/privkey.pem",
           "dovecot_users": [{"address": "alice@example.org", "password": "s3cret-Pass"}]}
OPENDKIM = {"opendkim_domains": ["example.org"], "opendkim_selector": "mail", "opendkim_rsa_size": 2048,
            "opendkim_internal_hosts": ["127.0.0.1", "::1", "10.0.0.0/8", "relay.example.org"]}
VALID = {"postfix": POSTFIX, "dovecot": DOVECOT, "opendkim": OPENDKIM}


@pytest.mark.parametrize("role", sorted(VALID))
def test_the_defaults_of_each_role_are_valid(role):
    assert _role_rules.role_errors(role, VALID[role]) == []


@pytest.mark.parametrize("role, change, message", [
    ("postfix", {"postfix_myhostname": "mail_host..example"},
     'postfix_myhostname: must be a fully qualified host name such as mail.example.org, got "mail_host..example"'),
    ("postfix", {"postfix_myhostname": 42}, "postfix_myhostname: must be a fully qualified host name such as mail.example.org, got 42"),
    ("postfix", {"postfix_mynetworks": ["10.0.0.0/8", "0.0.0.0/0x", "[2001:db8::]/129"]},
     'postfix_mynetworks: must be a list of networks such as 192.0.2.0/24 or [2001:db8::]/32; invalid: ["0.0.0.0/0x", "[2001:db8::]/129"]'),
    ("postfix", {"postfix_tls_key_file": "privkey.pem"}, 'postfix_tls_key_file: must be an absolute path, got "privkey.pem"'),
    ("postfix", {"postfix_virtual_mailbox_domains": ["example.org", "exa mple.org"]},
     'postfix_virtual_mailbox_domains: must be a list of domain names such as example.org; invalid: ["exa mple.org"]'),
    ("dovecot", {"dovecot_domains": ["example.org", "-bad-.org"]},
     'dovecot_domains: must be a list of domain names such as example.org; invalid: ["-bad-.org"]'),
    ("dovecot", {"dovecot_password_rounds": 4999}, "dovecot_password_rounds: must be between 5000 and 999999999, got 4999"),
    ("dovecot", {"dovecot_password_rounds": "many"}, 'dovecot_password_rounds: must be between 5000 and 999999999, got "many"'),
    ("dovecot", {"dovecot_lmtp_concurrency": 0}, "dovecot_lmtp_concurrency: must be a whole number of deliveries at once"),
    ("dovecot", {"dovecot_lmtp_concurrency": "2.5"}, "dovecot_lmtp_concurrency: must be a whole number of deliveries at once"),
    ("dovecot", {"dovecot_tls_key_file": "key.pem"},
     "dovecot_tls_cert_file: dovecot_tls_cert_file and dovecot_tls_key_file must be absolute paths"),
    ("dovecot", {"dovecot_users": [{"address": "bob@example.net", "password": "s3cret-Pass"}]},
     'dovecot_users: every user must be in a domain of dovecot_domains (example.org); not served: ["bob@example.net"]'),
    ("dovecot", {"dovecot_users": [{"address": "bob@example.org"}]},
     'dovecot_users: every user needs exactly one of password or password_hash; wrong for: ["bob@example.org"]'),
    ("opendkim", {"opendkim_domains": ["exa mple.test"]},
     'opendkim_domains: must be a list of domain names such as example.org; invalid: ["exa mple.test"]'),
    ("opendkim", {"opendkim_selector": "mail_2026"},
     'opendkim_selector: must be DNS labels (letters, digits and hyphens, dots between labels), got "mail_2026"'),
    ("opendkim", {"opendkim_selector": "-mail"}, "opendkim_selector: must be DNS labels"),
    ("opendkim", {"opendkim_rsa_size": 512}, "opendkim_rsa_size: must be at least 1024 bits (verifiers refuse shorter RSA keys), got 512"),
    ("opendkim", {"opendkim_internal_hosts": ["127.0.0.1", "bad host"]},
     "opendkim_internal_hosts: must be a list of addresses, networks or host names"),
])
def test_each_broken_rule_names_its_variable(role, change, message):
    errors = _role_rules.role_errors(role, dict(VALID[role], **change))
    assert len(errors) == 1, errors
    assert errors[0].startswith(message)


def test_a_password_never_appears_in_a_message():
    users = [{"address": "alice@example.net", "password": "s3cret-Pass"}, {"address": "bad", "password": "0ther-Pass"}]
    errors = _role_rules.role_errors("dovecot", dict(DOVECOT, dovecot_users=users))
    assert errors and not [error for error in errors if "s3cret" in error or "0ther" in error]


def test_the_selector_rule_is_the_one_of_the_opendkim_modules():
    from ansible_collections.postmaster.mail.plugins.module_utils import _dkim
    for selector in ("mail", "mail-ed", "2026.rsa", "a" * 63, "mail_1", "-x", "x-", "a" * 64, ""):
        refused = bool(_role_rules.role_errors("opendkim", dict(OPENDKIM, opendkim_selector=selector)))
        assert refused == (not _dkim.SELECTOR_RE.match(selector)), selector
