"""The contract on site.yml's public mail_* variables (module_utils/_contract.py)."""

import datetime
import json
import pathlib
import re

import pytest
import yaml

from ansible_collections.postmaster.mail.plugins.module_utils import _contract
from ansible_collections.postmaster.mail.plugins.module_utils._contract import contract_errors

ROOT = pathlib.Path(__file__).parents[4]
BAD_INPUTS = yaml.safe_load((ROOT / "extensions" / "molecule" / "site" / "bad_inputs.yml").read_text())["bad_input_cases"]
# The cases about the public variables only (the others are about role variables).
MAIL_CASES = [case for case in BAD_INPUTS if all(name.startswith("mail_") for name in case["input"])]
SERVER_ROLE = ROOT / "roles" / "server"

BOB_HASH = (
    "{SHA512-CRYPT}$6$bobsalt$0Z6qiD4TVhbwSwcIT5j1yDHue4KdZcpbSt93bXItFsoSHHEQtSvGXCqwVNlMYoX0MNf/su10mwmSvPpWg8EHI1"
)


def make_base(ca_bundle):
    """The group_vars of extensions/molecule/site/molecule.yml for site-debian13 (mail_* only)."""
    return {
        "mail_hostname": "mail.site13.test",
        "mail_domains": ["site13.test", "lists.site13.test"],
        "mail_users": [
            {"address": "alice@site13.test", "password": "alice-Secret-1"},
            {"address": "bob@lists.site13.test", "password_hash": BOB_HASH},
        ],
        "mail_aliases": [
            {"address": "info@site13.test", "to": ["alice@site13.test"]},
            {"address": "@lists.site13.test", "to": ["alice@site13.test"]},
        ],
        "mail_dkim_ed25519": True,
        "mail_tls_mode": "acme",
        "mail_acme_directory": "https://acme.lab.test:14000/dir",
        "mail_acme_ca_bundle": str(ca_bundle),
        "mail_dmarc_policy": "quarantine",
        "mail_dns_resolvers": ["10.47.25.53"],
        "mail_dns_records_dir": "/tmp/molecule/site/dns-records",
        "mail_public_ipv4": "10.47.25.30",
    }


@pytest.fixture
def base(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    return make_base(bundle)


def check(values):
    return contract_errors(values)


# (a) Every bad input of the site scenario about mail_* variables gives its expected message.

@pytest.mark.parametrize("case", MAIL_CASES, ids=[case["name"] for case in MAIL_CASES])
def test_bad_inputs_of_the_site_scenario(base, case):
    errors = check(dict(base, **case["input"]))
    matching = [error for error in errors if re.search(case["error"], error)]
    assert matching, "%r matches none of %r" % (case["error"], errors)
    assert all(case["variable"] in error for error in matching)


def test_the_site_scenario_has_cases_about_the_public_variables():
    assert len(MAIL_CASES) >= 30


# (b) The valid inventory is valid.

def test_the_site_inventory_is_valid(base):
    assert check(base) == []


def test_the_defaults_are_valid():
    values = dict(_contract.DEFAULTS, mail_hostname="mail.example.org", mail_domains=["example.org"])
    assert check(values) == []


def test_the_defaults_are_the_server_roles():
    """The spec documents the defaults the rules assume, and the wiring applies the same ones."""
    spec = yaml.safe_load((SERVER_ROLE / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    assert {name: o["default"] for name, o in options.items() if "default" in o} == _contract.DEFAULTS
    wiring = "".join((SERVER_ROLE / part).read_text() for part in ("tasks/main.yml", "vars/main.yml"))
    used = dict(re.findall(r"\b(mail_[a-z0-9_]+) \| default\(('[^']*'|\[[0-9, ]*\]|\{\}|false|true|[0-9]+)\)", wiring))
    assert used, "no defaults found in the wiring"
    for name, literal in used.items():
        if name in _contract.DEFAULTS:
            assert yaml.safe_load(literal) == _contract.DEFAULTS[name], name
    assert set(_contract.DEFAULTS) - set(used) <= {"mail_password_min_length"}


def test_the_spec_documents_every_variable_the_rules_know():
    options = yaml.safe_load((SERVER_ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    named = {case["variable"] for case in MAIL_CASES} | set(_contract.DEFAULTS)
    named |= {"mail_tls_key_file", "mail_quota_default", "mail_password_min_length", "mail_public_ipv6"}
    assert named - set(options) == set()
    assert all(name.startswith("mail_") for name in options)


# (c) Edge cases and the rules that have no bad input in the scenario yet.

VALID = [
    pytest.param({}, id="the inventory as it is"),
    pytest.param({"mail_dkim_ed25519": "yes"}, id="ed25519 as the string yes"),
    pytest.param({"mail_dkim_ed25519": "No"}, id="ed25519 as the string No"),
    pytest.param({"mail_dkim_ed25519": "TRUE"}, id="ed25519 as the string TRUE"),
    pytest.param({"mail_dkim_ed25519": False}, id="ed25519 false"),
    pytest.param({"mail_public_ipv6": "2001:db8::25"}, id="one IPv6 address"),
    pytest.param({"mail_public_ipv6": ["2001:db8::25", "2001:DB8::26"]}, id="IPv6 addresses"),
    pytest.param({"mail_public_ipv4": ["10.47.25.30", "192.0.2.25"]}, id="IPv4 addresses"),
    pytest.param({"mail_public_ipv4": []}, id="no public IPv4 given"),
    pytest.param({"mail_dns_resolvers": ["127.0.0.1:5353", "[2001:db8::53]:5353", "2001:db8::53"]}, id="resolvers with ports"),
    pytest.param({"mail_aliases": [{"address": "@site13.test", "to": ["alice@site13.test"]}]}, id="catch-all alias"),
    pytest.param({"mail_aliases": [{"address": "Info@SITE13.test", "to": ["x@elsewhere.test"]}]}, id="alias in a served domain, other case"),
    pytest.param({"mail_users": [], "mail_aliases": []}, id="no users and no aliases"),
    pytest.param({"mail_users": [{"address": "Alice@Site13.test", "password": "alice-Secret-1", "quota": "500M"},
                                 {"address": "bob@lists.site13.test", "password_hash": BOB_HASH, "quota": "1G"},
                                 {"address": "carol@site13.test", "password_hash": BOB_HASH, "quota": 1048576}]},
                 id="quotas"),
    pytest.param({"mail_imports": [{"address": "Alice@site13.test", "host": "imap.gmail.com", "login": "alice@gmail.com",
                                    "password": "app pass%word"},
                                   {"address": "alice@site13.test", "host": "192.0.2.143", "login": "a", "password": "b",
                                    "port": 143, "tls": "starttls"}]}, id="imports"),
    pytest.param({"mail_backup": {"repository": "/srv/backup/mail", "password": "backup-Secret-12"}}, id="backup"),
    pytest.param({"mail_backup": {"repository": "sftp:backup@store.example.net:/mail", "password": "backup-Secret-12",
                                  "schedule": "daily", "keep": {"daily": 14}, "environment": {"RESTIC_COMPRESSION": "max"}},
                  "mail_backup_restore": True}, id="backup with everything, and a restore"),
    pytest.param({"mail_relayhost": {"host": "smtp.provider.example", "port": 465, "user": "me", "password": "p4ss word",
                                     "tls": "encrypt", "spf": "include:spf.provider.example"}}, id="smarthost"),
    pytest.param({"mail_relayhost": {"host": "192.0.2.25"}}, id="smarthost by address, no login"),
    pytest.param({"mail_quota_default": "2G"}, id="default quota"),
    pytest.param({"mail_quota_default": "750K"}, id="default quota in K"),
    pytest.param({"mail_password_min_length": 8,
                  "mail_users": [{"address": "alice@site13.test", "password": "12345678"}]}, id="password at the minimum"),
    pytest.param({"mail_password_min_length": "14"}, id="minimum length as a string"),
    pytest.param({"mail_tls_mode": "files", "mail_tls_cert_file": "/etc/ssl/mail.pem",
                  "mail_tls_key_file": "/etc/ssl/private/mail.key"}, id="files mode"),
    pytest.param({"mail_tls_mode": "selfsigned", "mail_acme_directory": "http://acme.lab.test/dir",
                  "mail_acme_email": "nobody"}, id="ACME settings unused outside acme mode"),
    pytest.param({"mail_tls_extra_names": ["imap.site13.test", "smtp.site13.test"]}, id="extra names"),
    pytest.param({"mail_acme_ca_bundle": ""}, id="no CA bundle"),
    pytest.param({"mail_acme_email": "ops@site13.test", "mail_dmarc_rua": "dmarc@site13.test"}, id="addresses"),
    pytest.param({"mail_dkim_selector": "mail2026.rsa"}, id="selector of two labels"),
    pytest.param({"mail_dmarc_policy": "reject", "mail_dns_check": "enforce"}, id="other choices"),
]


@pytest.mark.parametrize("change", VALID)
def test_valid(base, change):
    assert check(dict(base, **change)) == []


def test_only_the_required_variables():
    assert check({"mail_hostname": "mail.example.org", "mail_domains": ["example.org"]}) == []


def without(base, *names):
    return {name: value for name, value in base.items() if name not in names}


# Each: the change over the valid inventory (None removes a variable), and the exact messages.
INVALID = [
    pytest.param({"mail_hostname": None}, [
        "mail_hostname: must be one host name (a string), the server's fully qualified host name such as "
        "mail.example.org, got null"], id="hostname missing"),
    pytest.param({"mail_hostname": {"name": "mail", "n": 1}}, [
        "mail_hostname: must be one host name (a string), the server's fully qualified host name such as "
        'mail.example.org, got {"name": "mail", "n": 1}'], id="hostname as a mapping, JSON separators"),
    pytest.param({"mail_hostname": "m\u00e4il.site13.test"}, [
        "mail_hostname: must be the server's fully qualified host name, e.g. mail.example.org, "
        'got "m\\u00e4il.site13.test"'], id="hostname not ASCII, escaped as to_json does"),
    pytest.param({"mail_domains": None}, [
        "mail_domains: must be a list of the domains this server receives mail for, such as [example.org] "
        "(a list even for one domain), got null"], id="domains missing"),
    pytest.param({"mail_domains": {"site13.test": True}}, [
        "mail_domains: must be a list of the domains this server receives mail for, such as [example.org] "
        '(a list even for one domain), got {"site13.test": true}'], id="domains as a mapping"),
    pytest.param({"mail_domains": ["Site13.test", "lists.site13.test", "site13.TEST"]}, [
        'mail_domains: each domain may appear once (case does not matter); more than once: ["site13.test"]'],
        id="duplicate domains in different case"),
    pytest.param({"mail_users": None}, [
        "mail_users: must be a list of users, each {address, password} or {address, password_hash}, got NoneType"],
        id="users null"),
    pytest.param({"mail_users": "alice@site13.test"}, [
        "mail_users: must be a list of users, each {address, password} or {address, password_hash}, got a string"],
        id="users as a string"),
    pytest.param({"mail_users": 5}, [
        "mail_users: must be a list of users, each {address, password} or {address, password_hash}, got int"],
        id="users as a number"),
    pytest.param({"mail_users": [{"address": "alice@site13.test", "password": "alice-Secret-1"},
                                 {"address": "carol", "password": "carol-Secret-1"},
                                 {"address": "Dave@Elsewhere.test", "password": "dave-Secret-1"}]}, [
        'mail_users: every address must look like user@example.org; invalid: ["carol"]',
        "mail_users: every user must be in a domain of mail_domains "
        '(site13.test, lists.site13.test); not served: ["Dave@Elsewhere.test"]'], id="user addresses"),
    pytest.param({"mail_users": [{"password": "nobody-Secret-1"}]}, [
        'mail_users: every address must look like user@example.org; invalid: [""]'],
        id="user without an address"),
    pytest.param({"mail_users": [{"address": "alice@site13.test", "password": "alice-Secret-1"},
                                 {"address": "ALICE@site13.test", "password_hash": BOB_HASH}]}, [
        "mail_users: each address may appear once (case does not matter); "
        'duplicates: ["alice@site13.test"]'], id="duplicate users in different case"),
    pytest.param({"mail_users": [{"address": "alice@site13.test"},
                                 {"address": "bob@site13.test", "password": "bob-Secret-22", "password_hash": BOB_HASH}]}, [
        "mail_users: every user needs exactly one of password or password_hash; "
        'wrong for: ["alice@site13.test", "bob@site13.test"]'], id="neither or both secrets"),
    pytest.param({"mail_users": [{"address": "alice@site13.test", "password": 123456789012345},
                                 {"address": "bob@site13.test", "password": None}]}, [
        "mail_users: a password must be a non-empty string; empty or not a string "
        'for: ["alice@site13.test", "bob@site13.test"]'], id="password not a string"),
    pytest.param({"mail_users": [{"address": "alice@site13.test", "password_hash": "{SHA512-CRYPT}$6$a:b"}]}, [
        "mail_users: a password_hash must be {SCHEME}hash with SCHEME one of "
        "SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, ARGON2I, ARGON2ID, CRYPT, on one line without ':'; "
        'wrong for: ["alice@site13.test"]'], id="hash with a colon"),
    pytest.param({"mail_users": [{"address": "alice@site13.test", "password": "short-pw"},
                                 {"address": "bob@site13.test", "password": "bob-Secret-12"}]}, [
        "mail_users: every password must be at least 12 characters long (mail_password_min_length); "
        'too short for: ["alice@site13.test"]'], id="password shorter than the default minimum"),
    pytest.param({"mail_password_min_length": 20}, [
        "mail_users: every password must be at least 20 characters long (mail_password_min_length); "
        'too short for: ["alice@site13.test"]'], id="password shorter than the minimum set"),
    pytest.param({"mail_password_min_length": 7}, [
        "mail_password_min_length: must be a whole number of characters, 8 or more (12 when unset), got 7"],
        id="minimum length below 8"),
    pytest.param({"mail_password_min_length": True}, [
        "mail_password_min_length: must be a whole number of characters, 8 or more (12 when unset), got true"],
        id="minimum length as a boolean"),
    pytest.param({"mail_password_min_length": "twelve"}, [
        'mail_password_min_length: must be a whole number of characters, 8 or more (12 when unset), got "twelve"'],
        id="minimum length as a word"),
    pytest.param({"mail_users": [{"address": "alice@site13.test", "password": "alice-Secret-1", "quota": "lots"},
                                 {"address": "bob@site13.test", "password_hash": BOB_HASH, "quota": "1GB"},
                                 {"address": "carol@site13.test", "password_hash": BOB_HASH, "quota": 0},
                                 {"address": "dave@site13.test", "password_hash": BOB_HASH, "quota": "2G"}]}, [
        "mail_users: every quota must be a size, digits with an optional K, M, G or T suffix such as 500M or 1G; "
        'wrong for: ["alice@site13.test", "bob@site13.test", "carol@site13.test"], got ["lots", "1GB", 0]'],
        id="quotas that are not sizes"),
    pytest.param({"mail_imports": [{"address": "nobody@site13.test", "host": "imap.example.net", "login": "n",
                                    "password": "p"}]},
                 ['mail_imports: entry 1: address must be one of mail_users, got "nobody@site13.test"'], id="import for no user"),
    pytest.param({"mail_imports": [{"address": "alice@site13.test", "host": "imap example", "login": "",
                                    "password": "Secret-Old", "port": 99999, "tls": "ssl", "folder": "x"}]},
                 ['mail_imports: entry 1 (alice@site13.test): host must be the old provider\'s IMAP server, such as '
                  'imap.gmail.com, got "imap example"',
                  "mail_imports: entry 1 (alice@site13.test): login must be a non-empty string (an app password for the password)",
                  "mail_imports: entry 1 (alice@site13.test): port must be a TCP port, got 99999",
                  'mail_imports: entry 1 (alice@site13.test): tls must be imaps (port 993) or starttls (143), got "ssl"',
                  'mail_imports: entry 1 (alice@site13.test): unknown keys ["folder"]'], id="import entry wrong"),
    pytest.param({"mail_backup_mx": "maybe", "mail_mx_preference": 70000, "mail_backup_mx_queue_lifetime": "forever",
                  "mail_fleet_hosts": "mx2"},
                 ['mail_backup_mx: must be true (this host is a backup MX of mail_domains) or false, got "maybe"',
                  "mail_mx_preference: must be a whole number from 0 to 65535 (lower is preferred: 10 for a primary, 20 for a "
                  "backup MX unless set), got 70000",
                  'mail_backup_mx_queue_lifetime: must be a time such as 7d, 36h or 86400s: how long a backup MX keeps mail the '
                  'primary does not take, got "forever"',
                  'mail_fleet_hosts: must be a list of inventory host names (the hosts that serve these domains together), got "mx2"'],
                 id="fleet settings wrong"),
    pytest.param({"mail_backup_mx": True, "mail_backup": {"repository": "/srv/backup", "password": "backup-Secret-12"},
                  "mail_relayhost": {"host": "smtp.provider.example"}},
                 ["mail_backup: is for a primary: a backup MX (mail_backup_mx, or the group mail_backup_mx) holds no mailboxes; "
                  "it keeps mail in its queue and passes it on to the primary",
                  "mail_relayhost: is for a primary: a backup MX (mail_backup_mx, or the group mail_backup_mx) holds no mailboxes; "
                  "it keeps mail in its queue and passes it on to the primary"],
                 id="a backup MX with a primary's settings"),
    pytest.param({"mail_dkim_rotate": True, "mail_dns_check": "skip", "mail_dkim_retire_days": 0},
                 ["mail_dkim_rotate: the switch to the next key waits until DNS shows its record, which mail_dns_check: skip "
                  "never asks; set mail_dns_check to warn or enforce for the rotation",
                  "mail_dkim_retire_days: must be a whole number of days from 1 to 3650 (how long the old selector stays "
                  "published after a rotation), got 0"],
                 id="rotation without DNS"),
    pytest.param({"mail_imports": {"address": "alice@site13.test"}},
                 ["mail_imports: must be a list of {address, host, login, password} (port and tls optional), got dict"],
                 id="imports as a mapping"),
    pytest.param({"mail_backup": {"repository": "/srv/backup", "password": "short", "keep": {"daily": 0, "yearly": 2},
                                  "environment": {"aws key": "x"}, "schedule": ""}},
                 ["mail_backup: password: must be one line of 12 characters or more (the backups' encryption depends on it; "
                  "keep it in a vault, and off the host)",
                  'mail_backup: environment: names must be environment variable names (A-Z, 0-9, _) with one-line values; '
                  'invalid: ["aws key"]',
                  'mail_backup: schedule: must be a systemd calendar event such as daily or *-*-* 03:17:00, got ""',
                  "mail_backup: keep: must map daily, weekly and/or monthly to whole numbers of snapshots, one of them 1 or "
                  'more, such as {daily: 7, weekly: 5, monthly: 12}, got {"daily": 0, "yearly": 2}'], id="backup settings wrong"),
    pytest.param({"mail_backup": {"password": "backup-Secret-12", "target": "/srv"}},
                 ['mail_backup: unknown keys ["target"] (it takes repository, password, schedule, keep, environment)',
                  "mail_backup: repository: must be given (a path, sftp:user@host:/path, rest:https://..., s3:...)"],
                 id="backup without a repository"),
    pytest.param({"mail_backup": "/srv/backup"},
                 ["mail_backup: must be a mapping {repository, password, schedule, keep, environment}, got str"],
                 id="backup as a string"),
    pytest.param({"mail_backup_restore": True}, ["mail_backup_restore: needs mail_backup: the repository to restore from"],
                 id="restore without a backup"),
    pytest.param({"mail_backup_restore": "yes", "mail_backup": {"repository": "/srv/b", "password": "backup-Secret-12"}},
                 ['mail_backup_restore: must be true (one run on a fresh host) or false, got "yes"'], id="restore not a bool"),
    pytest.param({"mail_relayhost": {"host": "smtp provider", "port": 25000000, "user": "me", "tls": "yes",
                                     "spf": "~all", "relay": 1}},
                 ["mail_relayhost: unknown keys relay (it takes host, port, user, password, tls, spf)",
                  "mail_relayhost.host: must be the smarthost's name (or address), such as smtp.example.net",
                  "mail_relayhost.port: must be a TCP port: 587 (STARTTLS) or 465 (TLS from the start), got 25000000",
                  "mail_relayhost.user: user and password go together (or neither, for a smarthost that knows this host "
                  "by its address)",
                  "mail_relayhost.spf: must be the SPF mechanisms that authorise the smarthost, such as "
                  "include:spf.example.net, got ~all",
                  "mail_relayhost.tls: must be verify (the certificate checked against the host name, the default) or "
                  "encrypt (TLS without checking it), got yes"], id="smarthost wrong"),
    pytest.param({"mail_relayhost": "smtp.provider.example"},
                 ["mail_relayhost: must be a mapping {host, port, user, password, tls}"], id="smarthost as a string"),
    pytest.param({"mail_quota_warnings": [85, 101]}, [
        "mail_quota_warnings: must be a list of percentages of the quota, whole numbers from 1 to 100, each once, such "
        "as [85, 95] ([] sends no warning), got [85, 101]"], id="quota warning past 100"),
    pytest.param({"mail_quota_warnings": "85"}, [
        'mail_quota_warnings: must be a list of percentages of the quota, whole numbers from 1 to 100, each once, such '
        'as [85, 95] ([] sends no warning), got "85"'], id="quota warnings as a string"),
    pytest.param({"mail_quota_default": "unlimited"}, [
        "mail_quota_default: must be the quota of the users without one, a size: digits with an optional K, M, G "
        'or T suffix such as 500M or 1G, got "unlimited"'], id="default quota not a size"),
    pytest.param({"mail_aliases": "info@site13.test"}, [
        'mail_aliases: must be a list of {address, to} (address "@domain" for a catch-all)'],
        id="aliases as a string"),
    pytest.param({"mail_aliases": [{"to": ["alice@site13.test"]}]}, [
        'mail_aliases: must be a list of {address, to} (address "@domain" for a catch-all)'],
        id="alias without an address"),
    pytest.param({"mail_aliases": [{"address": "info@site13.test"}]}, [
        'mail_aliases: every alias needs "to", a non-empty list of addresses'], id="alias without to"),
    pytest.param({"mail_aliases": [{"address": "info@site13.test", "to": "alice@site13.test"}]}, [
        'mail_aliases: every alias needs "to", a non-empty list of addresses'], id="alias target as a string"),
    pytest.param({"mail_aliases": [{"address": "info@site13.test", "to": {"alice@site13.test": 1}}]}, [
        'mail_aliases: every alias needs "to", a non-empty list of addresses'], id="alias targets as a mapping"),
    pytest.param({"mail_aliases": [{"address": "info@site13.test", "to": [None, "alice@site13.test"]}]}, [
        'mail_aliases: every target in "to" must be an address such as alice@example.org; invalid: [null]'],
        id="alias target null"),
    pytest.param({"mail_aliases": [{"address": "@elsewhere.test", "to": ["alice@site13.test"]},
                                   {"address": "info@sub.site13.test", "to": ["alice@site13.test"]}]}, [
        "mail_aliases: every alias must be in a served domain (mail_domains), such as info@example.org or "
        '@example.org for a catch-all; not served: ["@elsewhere.test", "info@sub.site13.test"]'],
        id="catch-all and subdomain not served"),
    pytest.param({"mail_aliases": [{"address": "BOB@lists.site13.test", "to": ["alice@site13.test"]}]}, [
        "mail_aliases: an alias cannot have the address of a user (mail_users), it would hide the mailbox: give "
        'aliases addresses of their own; both alias and user: ["bob@lists.site13.test"]'],
        id="alias clashing with a user"),
    pytest.param({"mail_tls_mode": None}, [
        "mail_tls_mode: must be acme (certbot), selfsigned or files, got null"], id="TLS mode null"),
    pytest.param({"mail_tls_mode": "files", "mail_tls_cert_file": "/etc/ssl/mail.pem",
                  "mail_tls_key_file": "private/mail.key"}, [
        "mail_tls_cert_file / mail_tls_key_file: mail_tls_mode files needs both, as absolute paths on the host "
        '(certificate chain and private key), got "/etc/ssl/mail.pem" and "private/mail.key"'],
        id="files mode with a relative key"),
    pytest.param({"mail_tls_extra_names": "imap.site13.test"}, [
        'mail_tls_extra_names: must be a list of host names such as imap.example.org, got "imap.site13.test"'],
        id="extra names as a string"),
    pytest.param({"mail_tls_extra_names": {"imap.site13.test": True}}, [
        'mail_tls_extra_names: must be a list of host names such as imap.example.org, got {"imap.site13.test": true}'],
        id="extra names as a mapping"),
    pytest.param({"mail_dns_resolvers": {"10.47.25.53": 53}}, [
        "mail_dns_resolvers: must be a list of resolver addresses, each address or address:port such as 9.9.9.9 or "
        '127.0.0.1:5353 (names are not accepted: they would need a resolver), got {"10.47.25.53": 53}'],
        id="resolvers as a mapping"),
    pytest.param({"mail_acme_directory": "https://acme.lab.test/dir\n"}, [
        "mail_acme_directory: must be the https:// URL of an ACME directory, e.g. "
        'https://acme-v02.api.letsencrypt.org/directory, got "https://acme.lab.test/dir\\n"'],
        id="ACME directory with a line break"),
    pytest.param({"mail_acme_ca_bundle": None}, [
        "mail_acme_ca_bundle: must be a PEM file on the controller, got null"], id="CA bundle null"),
    pytest.param({"mail_public_ipv4": {"10.47.25.30": "mail"}}, [
        "mail_public_ipv4: must be the IPv4 address (or a list of them) the world reaches this server at, such as "
        '192.0.2.25, got {"10.47.25.30": "mail"}'], id="public IPv4 as a mapping"),
    pytest.param({"mail_public_ipv4": None}, [
        "mail_public_ipv4: must be the IPv4 address (or a list of them) the world reaches this server at, such as "
        "192.0.2.25, got null"], id="public IPv4 null"),
    pytest.param({"mail_public_ipv6": ["2001:db8::25", "2001:db8::25/64"]}, [
        "mail_public_ipv6: must be the IPv6 address (or a list of them) the world reaches this server at, such as "
        '2001:db8::25, got ["2001:db8::25", "2001:db8::25/64"]'], id="public IPv6 with a prefix length"),
    pytest.param({"mail_dns_resolvers": ["10.47.25.53:99999", "dns.example.org:53"]}, [
        "mail_dns_resolvers: must be a list of resolver addresses, each address or address:port such as 9.9.9.9 or "
        "127.0.0.1:5353 (names are not accepted: they would need a resolver), got "
        '["10.47.25.53:99999", "dns.example.org:53"]'], id="resolvers with a bad port and a name"),
    pytest.param({"mail_dns_resolvers": "10.47.25.53"}, [
        "mail_dns_resolvers: must be a list of resolver addresses, each address or address:port such as 9.9.9.9 or "
        '127.0.0.1:5353 (names are not accepted: they would need a resolver), got "10.47.25.53"'],
        id="resolver as a string"),
    pytest.param({"mail_dns_records_dir": None}, [
        "mail_dns_records_dir: must be a directory on the controller, such as dns-records or /srv/mail/dns-records, "
        "got null"], id="records directory null"),
    pytest.param({"mail_dkim_selector": 2026}, [
        "mail_dkim_selector: must be DNS labels (letters, digits and hyphens, dots between labels) such as mail or "
        "mail2026, got 2026"], id="selector as a number"),
    pytest.param({"mail_dkim_ed25519": 1}, [
        "mail_dkim_ed25519: must be true (an Ed25519 key beside the RSA one) or false (RSA only), got 1"],
        id="ed25519 as a number"),
    pytest.param({"mail_dkim_ed25519": "on"}, [
        'mail_dkim_ed25519: must be true (an Ed25519 key beside the RSA one) or false (RSA only), got "on"'],
        id="ed25519 as the string on"),
    pytest.param({"mail_dmarc_rua": datetime.date(2026, 1, 2)}, [
        'mail_dmarc_rua: must be the address DMARC reports go to, such as dmarc@example.org, got "2026-01-02"'],
        id="a date written as to_json writes it"),
]


@pytest.mark.parametrize("change, expected", INVALID)
def test_invalid(base, change, expected):
    values = dict(base, **change)
    values = {name: value for name, value in values.items() if not (value is None and name in ("mail_hostname", "mail_domains"))}
    assert check(values) == expected


def test_absent_and_null_differ(base):
    """An absent variable takes its default; a null one is a value, refused where it is no default."""
    assert check(without(base, "mail_users", "mail_aliases", "mail_tls_mode", "mail_dmarc_policy",
                         "mail_dns_resolvers", "mail_acme_ca_bundle", "mail_dns_records_dir",
                         "mail_public_ipv4", "mail_dkim_ed25519")) == []
    assert len(check(dict(base, mail_dns_resolvers=None, mail_dmarc_policy=None, mail_dns_check=None))) == 3


def test_messages_come_in_the_order_of_the_rules(base):
    errors = check(dict(base, mail_dkim_ed25519="maybe", mail_hostname="mail", mail_dmarc_policy="block",
                        mail_users=[{"address": "alice@site13.test", "password": "alice-Secret-1", "quota": "big"}],
                        mail_aliases=[{"address": "info@site13.test", "to": []}], mail_quota_default="huge"))
    assert [error.split(":", 1)[0] for error in errors] == [
        "mail_hostname", "mail_users", "mail_quota_default", "mail_aliases", "mail_dmarc_policy", "mail_dkim_ed25519"]


def test_no_rules_on_users_or_aliases_that_are_not_lists(base):
    errors = check(dict(base, mail_domains="site13.test", mail_users={"address": "x"}, mail_aliases="a"))
    assert [error.split(":", 1)[0] for error in errors] == ["mail_domains", "mail_users", "mail_aliases"]


def test_the_ca_bundle_is_looked_up_with_file_exists(base):
    seen = []
    assert contract_errors(dict(base, mail_acme_ca_bundle="/x/ca.pem"), file_exists=lambda p: seen.append(p) or True) == []
    assert seen == ["/x/ca.pem"]


def test_values_must_be_a_mapping():
    with pytest.raises(TypeError):
        contract_errors(["mail_hostname"])


@pytest.mark.parametrize("value, ok", [
    ("500M", True), ("1G", True), ("2T", True), ("100K", True), ("1024", True), (1024, True),
    ("0", False), (0, False), ("unlimited", False), ("1.5G", False), ("500m", False), ("1GB", False),
    (" 1G", False), ("1G\n", False), (True, False), (None, False), ("", False),
])
def test_sizes(value, ok):
    assert _contract.is_size(value) is ok


# (d) No message ever shows a password, a hash, or a user entry that is not a mapping.

def secrets_of(values):
    """Passwords, hashes, and what could hold one: mail_users as a string, entries not mappings."""
    users = values.get("mail_users")
    if isinstance(users, str):
        return [users]
    found = []
    for user in users if isinstance(users, list) else [users] if isinstance(users, dict) else []:
        if isinstance(user, dict):
            found += [user[key] for key in ("password", "password_hash") if user.get(key) not in (None, "")]
        else:
            found.append(user)
    return found


ALL_INPUTS = (
    [pytest.param(case["input"], id="bad input: " + case["name"]) for case in MAIL_CASES]
    + [pytest.param(param.values[0], id=param.id) for param in INVALID + VALID]
    + [pytest.param({"mail_users": [{"address": "alice@site13.test", "password": "alice-Secret-1", "password_hash": "{ROT13}nyvpr"},
                                    "carol@site13.test:carol-Secret-3", {"password": "nobody-Secret-4"},
                                    {"address": "dave@site13.test", "password": "tiny"}]},
                    id="every mail_users rule at once")]
)


@pytest.mark.parametrize("change", ALL_INPUTS)
def test_no_message_shows_a_secret(base, change):
    values = dict(base, **change)
    secrets = secrets_of(values)
    for error in check(values):
        for secret in secrets:
            assert json.dumps(secret) not in error
            assert not isinstance(secret, str) or len(secret) < 6 or secret not in error


def test_the_secrecy_cases_hold_secrets(base):
    with_secrets = [param for param in ALL_INPUTS if secrets_of(dict(base, **param.values[0]))]
    assert len(with_secrets) >= len(ALL_INPUTS) - 5


# The filter plugin around it.

def test_the_filter_takes_ansible_values(base):
    from ansible_collections.postmaster.mail.plugins.filter.contract_errors import FilterModule

    class Tagged(str):
        pass

    contract = FilterModule().filters()["contract_errors"]
    values = dict(base, mail_hostname=Tagged("mail"), mail_domains=("site13.test", "lists.site13.test"))
    assert contract(values) == [
        'mail_hostname: must be the server\'s fully qualified host name, e.g. mail.example.org, got "mail"']


def test_the_filter_refuses_what_is_not_a_mapping():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.postmaster.mail.plugins.filter.contract_errors import contract_errors as contract

    with pytest.raises(AnsibleFilterError, match="needs a mapping"):
        contract("mail_hostname")


def test_the_dovecot_role_checks_its_users_with_the_same_rules():
    """dovecot_users obeys the rules of mail_users' entries: one definition (user_errors filter)."""
    from ansible_collections.postmaster.mail.plugins.filter.user_errors import user_errors

    users = [{"address": "alice@site13.test", "password": "pw-one", "password_hash": "{SHA512-CRYPT}$6$x$y"},
             {"address": "Alice@site13.test", "password_hash": "{ROT13}nyvpr"},
             {"address": "carol@elsewhere.test", "password": ""},
             "not a mapping"]
    errors = user_errors(users, ["site13.test"], "dovecot_domains")
    assert errors == [
        'every user must be in a domain of dovecot_domains (site13.test); not served: ["carol@elsewhere.test"]',
        'each address may appear once (case does not matter); duplicates: ["alice@site13.test"]',
        'every user needs exactly one of password or password_hash; wrong for: ["alice@site13.test"]',
        'a password must be a non-empty string; empty or not a string for: ["carol@elsewhere.test"]',
        "a password_hash must be {SCHEME}hash with SCHEME one of %s, on one line without ':'; wrong for: "
        '["Alice@site13.test"]' % ", ".join(_contract.HASH_SCHEMES),
    ]
    assert not any("pw-one" in e or "nyvpr" in e or "$6$x$y" in e for e in errors)
    assert user_errors([], [], "dovecot_domains") == []


@pytest.mark.parametrize("sites", [
    [], [{"name": "zen.spamhaus.org", "weight": 3, "filter": "127.0.0.[2..11]"}],
    [{"name": "list.dnswl.org", "weight": -2, "filter": "127.0.[0..255].[1;2;3]"}, {"name": "bl.lab.test"}],
])
def test_dnsbl_sites_valid(sites):
    assert _contract.dnsbl_site_errors(sites) == []


@pytest.mark.parametrize("sites, fragment", [
    ("zen.spamhaus.org", "must be a list of {name, weight, filter}"),
    (["zen.spamhaus.org*3"], "entry 1 must be a mapping with a name"),
    ([{"name": "zen.spamhaus.org", "weight": 101}], "weight must be a whole number from -100 to 100"),
    ([{"name": "zen.spamhaus.org", "weight": True}], "weight must be a whole number from -100 to 100"),
    ([{"name": "zen.spamhaus.org", "filter": "10.0.0.2"}], "filter must be the answers that count"),
    ([{"name": "zen.spamhaus.org", "score": 3}], 'unknown keys ["score"]'),
])
def test_dnsbl_sites_invalid(sites, fragment):
    errors = _contract.dnsbl_site_errors(sites)
    assert len(errors) == 1 and fragment in errors[0], errors


@pytest.mark.parametrize("zones, fragment", [
    ([{"name": ".", "addresses": ["192.0.2.53"], "insecure": "yes"}], "insecure must be true or false"),
    ([{"name": "a..b", "addresses": ["192.0.2.53"]}], "name must be a zone"),
    ([{"name": "test.", "addresses": ["192.0.2.53@0"]}], "addresses must be a non-empty list of IP addresses"),
    ([{"name": "test.", "addresses": ["192.0.2.53"], "tls": True}], 'unknown keys ["tls"]'),
])
def test_resolver_zones_invalid(zones, fragment):
    errors = _contract.resolver_zone_errors(zones)
    assert len(errors) == 1 and fragment in errors[0], errors


def test_resolver_zones_valid():
    assert _contract.resolver_zone_errors([{"name": ".", "addresses": ["192.0.2.53", "2001:db8::53@5353"]},
                                           {"name": "test.", "addresses": ["10.47.25.54"], "insecure": True}]) == []
