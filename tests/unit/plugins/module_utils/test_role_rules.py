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
FAIL2BAN = {"fail2ban_maxretry": 5, "fail2ban_findtime": 600, "fail2ban_bantime": 3600, "fail2ban_ignore_networks": ["2001:db8::/32"],
            "fail2ban_ports": [587, 465, 993, 995, 143, 110]}
NGINX = {"nginx_cert_file": "/etc/tls/fullchain.pem", "nginx_key_file": "/etc/tls/privkey.pem",
         "nginx_acme_webroot": "/var/lib/postmaster-mail/acme",
         "nginx_sites": [{"name": "mta-sts", "names": ["mta-sts.example.org"],
                          "files": [{"path": "/.well-known/mta-sts.txt", "file": "mta-sts.txt", "content": "x"}]},
                         {"name": "autoconfig", "names": ["autoconfig.example.org", "autodiscover.example.org"],
                          "files": [{"path": "/mail/config-v1.1.xml", "file": "config-v1.1.xml", "content": "x"}]}]}
MTA_STS = {"mta_sts_port": 8461, "mta_sts_timeout": 4, "mta_sts_strict_testing": False}
BACKUP = {"backup_repository": "/srv/backup", "backup_password": "backup-Secret-12", "backup_paths": ["/var/vmail"],
          "backup_owners": [{"path": "/var/vmail", "user": "vmail", "group": "vmail"}], "backup_schedule": "daily",
          "backup_delay": 1800, "backup_keep": {"daily": 7, "weekly": 5, "monthly": 12}, "backup_environment": {}}
VALID = {"backup": BACKUP, "postfix": POSTFIX, "dovecot": DOVECOT, "opendkim": OPENDKIM, "fail2ban": FAIL2BAN, "nginx": NGINX, "mta_sts": MTA_STS}


def _site(**change):
    return [dict(NGINX["nginx_sites"][0], **change)]


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
    ("dovecot", {"dovecot_password_scheme": "MD5-CRYPT"}, 'dovecot_password_scheme: must be one of ARGON2ID, SHA512-CRYPT, got "MD5-CRYPT"'),
    ("dovecot", {"dovecot_password_memory": 4096}, "dovecot_password_memory: must be the Argon2id memory in KiB, 8192 (8 MiB) to 1048576"),
    ("dovecot", {"dovecot_password_iterations": "3x"}, "dovecot_password_iterations: must be the Argon2id passes, 1 to 64, got \"3x\""),
    ("dovecot", {"dovecot_lmtp_concurrency": 0}, "dovecot_lmtp_concurrency: must be a whole number of deliveries at once"),
    ("dovecot", {"dovecot_lmtp_concurrency": "2.5"}, "dovecot_lmtp_concurrency: must be a whole number of deliveries at once"),
    ("dovecot", {"dovecot_sieve_max_redirects": -1}, "dovecot_sieve_max_redirects: must be a whole number of redirects from 0"),
    ("dovecot", {"dovecot_sieve_max_redirects": 101}, "dovecot_sieve_max_redirects: must be a whole number of redirects from 0"),
    ("dovecot", {"dovecot_sieve_max_redirects": True}, "dovecot_sieve_max_redirects: must be a whole number of redirects from 0"),
    ("dovecot", {"dovecot_submission_port": 70000}, "dovecot_submission_port: must be a TCP port from 1 to 65535"),
    ("dovecot", {"dovecot_import_progress_interval": 0}, "dovecot_import_progress_interval: must be a whole number"),
    ("dovecot", {"dovecot_import_progress_interval": "30s"}, "dovecot_import_progress_interval: must be a whole"),
    ("dovecot", {"dovecot_tls_key_file": "key.pem"},
     "dovecot_tls_cert_file: dovecot_tls_cert_file and dovecot_tls_key_file must be absolute paths"),
    ("dovecot", {"dovecot_users": [{"address": "bob@example.net", "password": "s3cret-Pass"}]},
     'dovecot_users: every user must be in a domain of dovecot_domains (example.org); not served: ["bob@example.net"]'),
    ("dovecot", {"dovecot_users": [{"address": "bob@example.org"}]},
     'dovecot_users: every user needs exactly one of password or password_hash; wrong for: ["bob@example.org"]'),
    ("backup", {"backup_paths": ["var/vmail"]},
     'backup_paths: must be a non-empty list of absolute paths; invalid: ["var/vmail"]'),
    ("backup", {"backup_owners": [{"path": "/var/vmail", "user": "Vmail"}]},
     'backup_owners: each must be {path (absolute, no spaces), user, group} with system user and group names; invalid: '
     '[{"path": "/var/vmail", "user": "Vmail"}]'),
    ("backup", {"backup_repository": " /srv/b"}, "backup_repository: must be one restic repository"),
    ("backup", {"backup_delay": "30m"}, 'backup_delay: must be a whole number of seconds from 0 to 86400, got "30m"'),
    ("postfix", {"postfix_relayhost": {"host": "smtp.example.net", "user": "me", "password": "pw", "tls": "none"}},
     "postfix_relayhost.tls: must be verify"),
    ("fail2ban", {"fail2ban_maxretry": 0}, "fail2ban_maxretry: must be a whole number of failed logins, 1 or more, got 0"),
    ("fail2ban", {"fail2ban_bantime": "1h"}, 'fail2ban_bantime: must be a whole number of seconds, 1 or more, got "1h"'),
    ("fail2ban", {"fail2ban_ignore_networks": ["192.0.2.0/24", "10.0.0.0/33", "office"]},
     'fail2ban_ignore_networks: must be a list of addresses or networks such as 192.0.2.0/24 or 2001:db8::/32; invalid: ["10.0.0.0/33", "office"]'),
    ("fail2ban", {"fail2ban_ports": [587, 70000]}, "fail2ban_ports: must be a non-empty list of TCP ports from 1 to 65535; invalid: [70000]"),
    ("fail2ban", {"fail2ban_ports": []}, "fail2ban_ports: must be a non-empty list of TCP ports"),
    ("opendkim", {"opendkim_domains": ["exa mple.test"]},
     'opendkim_domains: must be a list of domain names such as example.org; invalid: ["exa mple.test"]'),
    ("opendkim", {"opendkim_selector": "mail_2026"},
     'opendkim_selector: must be DNS labels (letters, digits and hyphens, dots between labels), got "mail_2026"'),
    ("opendkim", {"opendkim_selector": "-mail"}, "opendkim_selector: must be DNS labels"),
    ("opendkim", {"opendkim_rsa_size": 1024}, "opendkim_rsa_size: must be at least 2048 bits (receivers distrust shorter RSA keys), got 1024"),
    ("opendkim", {"opendkim_signing_aliases": {"mail.example.org": "example.net"}},
     "opendkim_signing_aliases: must map sender domains to domains of opendkim_domains, got {\"mail.example.org\": \"example.net\"}"),
    ("nginx", {"nginx_sites": _site(name="../etc")}, 'nginx_sites: each name must be a word (letters, digits, - and _); invalid: ["../etc"]'),
    ("nginx", {"nginx_sites": _site(names=["mta sts.example.org"])},
     'nginx_sites: names must be non-empty lists of host names; invalid: ["mta sts.example.org"]'),
    ("nginx", {"nginx_sites": _site(names=[])}, "nginx_sites: names must be non-empty lists of host names; invalid: []"),
    ("nginx", {"nginx_sites": _site() + [dict(_site()[0], name="other")]}, 'nginx_sites: host names served by two sites: ["mta-sts.example.org"]'),
    ("nginx", {"nginx_sites": _site(files=[{"path": "mta-sts.txt", "file": "a", "content": ""}])},
     'nginx_sites[mta-sts].files: path must be a URL path such as /mail/config-v1.1.xml; invalid: ["mta-sts.txt"]'),
    ("nginx", {"nginx_sites": _site(files=[{"path": "/a", "file": "../a", "content": ""}])},
     'nginx_sites[mta-sts].files: file must be a plain file name (letters, digits, ., - and _); invalid: ["../a"]'),
    ("nginx", {"nginx_cert_file": ""}, 'nginx_cert_file: must be the absolute path of a PEM file on the host when nginx_sites serves HTTPS, got ""'),
    ("nginx", {"nginx_acme_webroot": "acme"}, 'nginx_acme_webroot: must be an absolute path, got "acme"'),
    ("mta_sts", {"mta_sts_port": 0}, "mta_sts_port: must be a TCP port from 1 to 65535, got 0"),
    ("mta_sts", {"mta_sts_timeout": "4s"}, 'mta_sts_timeout: must be a whole number of seconds from 1 to 60, got "4s"'),
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


CERTBOT = {"certbot_mode": "acme", "certbot_domains": ["mail.example.org"], "certbot_email": "postmaster@example.org",
           "certbot_directory": "https://acme-v02.api.letsencrypt.org/directory", "certbot_ca_bundle": "",
           "certbot_cert_src": "", "certbot_key_src": "", "certbot_webroot": "", "certbot_renew_before_days": 30,
           "certbot_expected_addresses": ["192.0.2.25", "2001:db8::25"], "certbot_dns_resolvers": ["10.47.25.54:53"]}


def test_the_certbot_defaults_are_valid_in_every_mode(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    assert _role_rules.role_errors("certbot", dict(CERTBOT, certbot_ca_bundle=str(bundle))) == []
    assert _role_rules.role_errors("certbot", dict(CERTBOT, certbot_next_key=True, certbot_reuse_key=True,
                                                   certbot_next_key_tlsa_names=["_25._tcp.mail.example.org"])) == []
    assert _role_rules.role_errors("certbot", dict(CERTBOT, certbot_mode="selfsigned", certbot_email="")) == []
    assert _role_rules.role_errors("certbot", dict(CERTBOT, certbot_mode="files", certbot_cert_src="/etc/c.pem",
                                                   certbot_key_src="/etc/k.pem")) == []


@pytest.mark.parametrize("change, message", [
    ({"certbot_mode": "letsencrypt"}, 'certbot_mode: must be acme, selfsigned or files, got "letsencrypt"'),
    ({"certbot_domains": []}, "certbot_domains: must be a non-empty list of host names such as mail.example.org"),
    ({"certbot_domains": "mail.example.org"}, 'certbot_domains: must be a non-empty list of host names such as '
                                              'mail.example.org (no wildcards: HTTP-01 cannot prove them); invalid: "mail.example.org"'),
    ({"certbot_domains": ["mail.example.org", "*.example.org"]}, 'invalid: ["*.example.org"]'),
    ({"certbot_email": "postmaster"}, 'certbot_email: must be an e-mail address such as postmaster@example.org, got "postmaster"'),
    ({"certbot_directory": "http://acme.example/dir"}, "certbot_directory: must be the https:// URL of an ACME directory"),
    ({"certbot_ca_bundle": "/nonexistent/ca.pem"}, 'certbot_ca_bundle: must be a PEM file of CA certificates on the controller'),
    ({"certbot_mode": "files", "certbot_cert_src": "c.pem"}, 'certbot_cert_src / certbot_key_src: files mode needs both'),
    ({"certbot_webroot": "www"}, 'certbot_webroot: must be empty (standalone) or an absolute path, got "www"'),
    ({"certbot_renew_before_days": 0}, "certbot_renew_before_days: must be between 1 and 365, got 0"),
    ({"certbot_expected_addresses": ["192.0.2.300"]}, 'certbot_expected_addresses: must be a list of IPv4 or IPv6 addresses; invalid: ["192.0.2.300"]'),
    ({"certbot_dns_resolvers": ["10.0.0.1:99999"]}, 'certbot_dns_resolvers: must be a list of "address" or "address:port"'),
    ({"certbot_next_key": True, "certbot_reuse_key": False}, "certbot_next_key: a prepared next key needs certbot_reuse_key true"),
    ({"certbot_next_key_tlsa_names": ["mail.example.org"]}, 'certbot_next_key_tlsa_names: must be a list of TLSA names such '
                                                            'as _25._tcp.mail.example.org; invalid: ["mail.example.org"]'),
    ({"certbot_next_key_tlsa_names": "_25._tcp.mail.example.org"}, "certbot_next_key_tlsa_names: must be a list"),
    ({"certbot_next_key_tlsa_names": ["_25._tcp.bad_name..org"]}, "certbot_next_key_tlsa_names: must be a list"),
])
def test_each_broken_certbot_rule_names_its_variable(change, message):
    errors = _role_rules.role_errors("certbot", dict(CERTBOT, **change))
    assert len(errors) == 1, errors
    assert message in errors[0]


def test_the_acme_directory_rule_is_the_one_of_mail_acme_directory():
    from ansible_collections.postmaster.mail.plugins.module_utils import _contract
    for url in ("https://acme.lab.test:14000/dir", "https://acme_host/dir", "http://x/dir", "https://", "https://a b/"):
        refused = bool(_role_rules.role_errors("certbot", dict(CERTBOT, certbot_directory=url)))
        assert refused == (not _contract.ACME_DIRECTORY_RE.match(url)), url


RSPAMD = {"rspamd_reject_score": 15, "rspamd_junk_score": 6, "rspamd_local_networks": ["127.0.0.0/8", "::1"],
          "rspamd_nameservers": []}
UNBOUND = {"unbound_forward_zones": [{"name": ".", "addresses": ["192.0.2.53", "192.0.2.54@5353", "192.0.2.55@853#dns.example"]}],
           "unbound_stub_zones": [{"name": "corp.example.", "addresses": ["10.0.0.53"]}],
           "unbound_insecure_domains": ["test."], "unbound_local_zones_nodefault": ["10.in-addr.arpa."],
           "unbound_private_domains": [], "unbound_private_addresses": ["10.0.0.0/8", "fc00::/7"],
           "unbound_check_names": ["debian.org"]}


SRS = dict(POSTFIX, postfix_srs_enabled=True, postfix_srs_domain="mail.example.org", postfix_srs_exclude_domains=["example.org"],
           postfix_srs_forward_port=10001, postfix_srs_reverse_port=10002, postfix_srs_reinject_port=10027)


@pytest.mark.parametrize("role, values", [("rspamd", RSPAMD), ("unbound", UNBOUND), ("postfix", SRS)])
def test_the_inbound_defence_roles_valid(role, values):
    assert _role_rules.role_errors(role, values) == []


@pytest.mark.parametrize("role, values, change, fragment", [
    ("rspamd", RSPAMD, {"rspamd_send_limit": -1}, "rspamd_send_limit: must be a whole number of messages per user and hour (0: no limit), got -1"),
    ("rspamd", RSPAMD, {"rspamd_sender_logins": {"info@example.org": "alice@example.org", "ok@example.org": ["alice@example.org"]}},
     'rspamd_sender_logins: must map addresses to lists of logins (addresses), such as {"info@example.org": ["alice@example.org"]}; '
     'invalid: ["info@example.org"]'),
    ("rspamd", RSPAMD, {"rspamd_junk_score": 15}, "rspamd_junk_score: must be below rspamd_reject_score (15), got 15"),
    ("rspamd", RSPAMD, {"rspamd_reject_score": 0}, "rspamd_reject_score: must be a number above 0"),
    ("rspamd", RSPAMD, {"rspamd_reject_score": True}, "rspamd_reject_score: must be a number above 0"),
    ("rspamd", RSPAMD, {"rspamd_local_networks": ["lan"]}, 'rspamd_local_networks: must be a list of addresses or networks'),
    ("rspamd", RSPAMD, {"rspamd_nameservers": ["dns.example"]}, 'rspamd_nameservers: must be a list of "address"'),
    ("rspamd", RSPAMD, {"rspamd_forwarding_recipients": ["fwd@example.org", "@example.org", "@", "fwd"]},
     'rspamd_forwarding_recipients: must be a list of addresses such as fwd@example.org, or "@example.org" for a catch-all; '
     'invalid: ["@", "fwd"]'),
    ("unbound", UNBOUND, {"unbound_forward_zones": [{"name": ".", "addresses": ["192.0.2.53@99999"]}]},
     'addresses must be "ip", "ip@port" or "ip@port#tls-name"; invalid: ["192.0.2.53@99999"]'),
    ("unbound", UNBOUND, {"unbound_stub_zones": [{"name": "corp.example.", "addresses": []}]},
     'zones without addresses: ["corp.example."]'),
    ("unbound", UNBOUND, {"unbound_insecure_domains": ["bad name."]}, 'not domain names: ["bad name."]'),
    ("unbound", UNBOUND, {"unbound_private_addresses": ["127.0.0.0/8"]}, "neither loopback"),
    ("unbound", UNBOUND, {"unbound_private_addresses": ["0.0.0.0/0"]}, "nor everything (/0)"),
    ("unbound", UNBOUND, {"unbound_check_names": []}, "unbound_check_names: give at least one name"),
    ("postfix", SRS, {"postfix_srs_domain": "mail example"}, 'postfix_srs_domain: must be a domain name such as mail.example.org'),
    ("postfix", SRS, {"postfix_srs_exclude_domains": ["-x-.org"]}, 'postfix_srs_exclude_domains: must be a list of domain names'),
    ("postfix", SRS, {"postfix_srs_forward_port": 70000}, "postfix_srs_forward_port: must be a TCP port from 1 to 65535, got 70000"),
    ("postfix", SRS, {"postfix_srs_reinject_port": "25a"}, 'postfix_srs_reinject_port: must be a TCP port from 1 to 65535, got "25a"'),
    ("postfix", SRS, {"postfix_srs_reverse_port": 10001},
     "postfix_srs_forward_port / postfix_srs_reverse_port / postfix_srs_reinject_port: must be three different ports, got [10001, 10001, 10027]"),
    ("postfix", SRS, {"postfix_relay_domains": ["example.org", "bad name"]}, 'postfix_relay_domains: must be a list of domain names'),
    ("postfix", SRS, {"postfix_relay_recipients": ["alice@example.org", "@example.org", "alice"]},
     'postfix_relay_recipients: must be a list of addresses such as alice@example.org, or "@example.org" for every address '
     'of a domain; invalid: ["alice"]'),
    ("postfix", SRS, {"postfix_queue_lifetime": "0d"}, 'postfix_queue_lifetime: must be a time such as 5d'),
    ("postfix", SRS, {"postfix_queue_lifetime": "a week"}, 'postfix_queue_lifetime: must be a time such as 5d'),
    ("postfix", SRS, {"postfix_trusted_relays": ["192.0.2.26", "2001:db8::26/128", "mx2.example.org"]},
     'postfix_trusted_relays: must be a list of addresses or networks such as 192.0.2.7 or 2001:db8::7; invalid: ["mx2.example.org"]'),
    ("rspamd", RSPAMD, {"rspamd_relay_hostnames": ["mx2.example.org", "192.0.2.26 "]},
     'rspamd_relay_hostnames: must be a list of host names such as mx2.example.org; invalid: ["192.0.2.26 "]'),
    # Off: its variables are not asked.
    ("postfix", dict(SRS, postfix_srs_enabled=False, postfix_srs_domain="bad name"), {"postfix_myhostname": "x y"},
     "postfix_myhostname: must be a fully qualified host name"),
])
def test_the_inbound_defence_roles_rules(role, values, change, fragment):
    errors = _role_rules.role_errors(role, dict(values, **change))
    assert len(errors) == 1 and fragment in errors[0], errors


def test_argon2id_without_a_library_on_the_controller_is_named_before_the_host_changes():
    plain = dict(DOVECOT, dovecot_users=[{"address": "bob@example.org", "password": "s3cret-Pass"}])
    errors = _role_rules.password_scheme_errors(plain, argon2_available=False)
    assert len(errors) == 1 and errors[0].startswith("dovecot_password_scheme: ARGON2ID: Argon2id needs the Python package "
                                                     "cryptography 44 or later")
    assert "argon2-cffi" in errors[0] and "dovecot_password_scheme: SHA512-CRYPT" in errors[0]
    assert _role_rules.password_scheme_errors(dict(plain, dovecot_password_scheme="SHA512-CRYPT"), argon2_available=False) == []
    hashed = dict(DOVECOT, dovecot_users=[{"address": "bob@example.org", "password_hash": "{ARGON2ID}$argon2id$x"}])
    assert _role_rules.password_scheme_errors(hashed, argon2_available=False) == []
    assert _role_rules.password_scheme_errors(plain) == []  # this controller has both libraries
