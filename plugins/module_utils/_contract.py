# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules on site.yml's public ``mail_*`` variables (README, "Variables"). Private: no stable API.

One definition, pure Python, for the contract_errors filter (what site.yml checks before the host
is touched) and the unit tests. What a name or an address looks like comes from _names.py.

``contract_errors(values)`` takes the ``mail_*`` variables the user defined (an undefined one is
absent from the dict) and returns one message per broken rule, ``"<variable>: <expected>, got ..."``,
in a fixed order. Values in messages are written as Ansible's to_json writes them. A message about
mail_users names entries by position (from 1) or by address, never by password or hash.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re

from collections.abc import Mapping

from ansible_collections.postmaster.mail.plugins.module_utils import _backup, _names, _outbound

# The literal defaults of the optional variables (the server role's defaults/main.yml and its
# argument spec say the same). Computed ones (mail_acme_email, mail_dmarc_rua, mail_public_ipv4,
# mail_public_ipv6, mail_dns_records_dir) and unset ones are not here.
DEFAULTS = {
    "mail_users": [],
    "mail_aliases": [],
    "mail_tls_mode": "acme",
    "mail_tls_extra_names": [],
    "mail_dkim_selector": "mail",
    "mail_dkim_ed25519": False,
    "mail_dmarc_policy": "none",
    "mail_dns_check": "warn",
    "mail_dns_resolvers": [],
    "mail_acme_directory": "https://acme-v02.api.letsencrypt.org/directory",
    "mail_password_min_length": 12,
    "mail_quota_warnings": [85, 95],
    "mail_imports": [],
    "mail_greylisting": False,
    "mail_srs": True,
    "mail_spam_reject_score": 15,
    "mail_spam_junk_score": 6,
    "mail_spam_remote_checks": True,
    "mail_resolver": True,
    "mail_resolver_dnssec": True,
    "mail_resolver_forward_zones": [],
    "mail_resolver_stub_zones": [],
    "mail_resolver_trust_anchors": [],
    "mail_send_limit": 200,
    "mail_ban_after_failures": 5,
    "mail_ban_time": 3600,
    "mail_ban_ignore_networks": [],
    "mail_outbound_ipv6": "auto",
    "mail_dane": True,
    "mail_tls_key_rollover": False,
    "mail_managesieve": True,
    "mail_client_srv": True,
    "mail_mta_sts": True,
    "mail_mta_sts_outbound": True,
    "mail_mta_sts_mode": "testing",
    "mail_mta_sts_max_age": 604800,
    "mail_autoconfig": True,
    "mail_backup": {},
    "mail_backup_restore": False,
    "mail_relayhost": {},
    "mail_backup_mx_queue_lifetime": "7d",
    "mail_dkim_rotate": False,
    "mail_dkim_retire_days": 7,
    "mail_report": True,
    "mail_webmail": False,
    "mail_report_time": "*-*-* 06:30:00",
    "mail_dmarc_aligned_days": 14,
    "mail_spf_all": "~all",
}

MTA_STS_MODES = ("testing", "enforce", "none")
# RFC 8461 3.2: max_age is at most a year; below a day a sender fetches the policy all the time.
MTA_STS_MAX_AGE = (86400, 31557600)

TLS_MODES = ("acme", "selfsigned", "files")
DMARC_POLICIES = ("none", "quarantine", "reject")
DNS_CHECK_MODES = ("enforce", "warn", "skip")
# What -e and INI inventories give for a boolean that Ansible reads as one (lower case).
BOOLEAN_STRINGS = ("true", "false", "yes", "no")
# Hash schemes Dovecot reads from its passwd-file, as {SCHEME}hash (the dovecot role's
# __dovecot_hash_schemes holds the same list for its own preflight).
HASH_SCHEMES = ("SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "ARGON2I", "ARGON2ID", "CRYPT")
HASH_RE = re.compile(r"^\{(%s)\}[^:\s]+\Z" % "|".join(re.escape(s) for s in HASH_SCHEMES))
ACME_DIRECTORY_RE = re.compile(r"^https://[^/\s]+(/\S*)?\Z")
# A quota: a whole number of bytes, or of K, M, G or T (1024-based, as Dovecot reads it).
DIGITS_RE = re.compile(r"^[0-9]+\Z")
SIZE_RE = re.compile(r"^[1-9][0-9]*[KMGT]?\Z")
PASSWORD_MIN_LENGTH_FLOOR = 8
# What postscreen takes after a blocklist's name to say which answers count (postconf(5),
# postscreen_dnsbl_sites): an address pattern of 127.x.y.z with [a..b] ranges and ;-lists.
DNSBL_FILTER_RE = re.compile(r"^127(\.([0-9]{1,3}|\[[0-9]{1,3}(\.\.[0-9]{1,3})?(;[0-9]{1,3}(\.\.[0-9]{1,3})?)*\])){3}\Z")
DNSBL_FIELDS = ("name", "weight", "filter")

# The entries' own rules (the dovecot role checks its dovecot_users the same way, in its words).
_USERS = "mail_users"

_MISSING = object()


def plain_data(value):
    """The value as plain Python data (templated, without Ansible's tags or lazy containers)."""
    if isinstance(value, Mapping):
        return {plain_data(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


# --- What Jinja's tests and Ansible's to_json do, for the same answers and the same messages ---

def to_json(value):
    """Ansible's to_json: json.dumps with its default separators, dates in ISO format."""
    return json.dumps(value, default=_json_default)


def _json_default(value):
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _is_string(value):
    return isinstance(value, str)


def _is_mapping(value):
    return isinstance(value, Mapping)


def _is_sequence(value):
    """Jinja's "sequence" test: anything with a length and items (strings and mappings too)."""
    try:
        len(value)
        value.__getitem__  # pylint: disable=pointless-statement
    except Exception:  # pylint: disable=broad-except
        return False
    return True


def _is_list(value):
    """A list as the rules mean it: a sequence that is neither a string nor a mapping."""
    return _is_sequence(value) and not _is_string(value) and not _is_mapping(value)


def _type_name(value):
    """Ansible's type_debug: the built-in type's name (int, bool, NoneType, ...)."""
    for cls in type(value).__mro__:
        if cls.__module__ == "builtins" and cls is not object:
            return cls.__name__
    return type(value).__name__


def _text(value):
    """Jinja's string filter."""
    return value if isinstance(value, str) else str(value)


def _served(address, domains):
    """True when ``address`` (user@domain, or @domain for a catch-all) is in one of ``domains``."""
    address = address.lower()
    return any(address.endswith("@" + _text(domain).lower()) for domain in domains)


def _duplicates(items):
    """The items that appear more than once, each once, in the order of their first appearance."""
    found = []
    for item in items:
        if items.count(item) > 1 and item not in found:
            found.append(item)
    return found


def is_size(value):
    """A quota: 500M, 1G, 1024 (bytes); a whole number is read as bytes. 0 is not a size."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and bool(SIZE_RE.match(value))


def _whole_number(value):
    """An int, or a string of digits (-e and INI inventories give strings); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    return None


# --- The rules, in the order the messages come out ---

def contract_errors(values, file_exists=os.path.isfile):
    """Return the list of messages for the broken rules (empty when ``values`` is valid).

    ``values``: the ``mail_*`` variables the user defined. ``file_exists``: tells whether a path
    on the controller is a file (for mail_acme_ca_bundle).
    """
    if not _is_mapping(values):
        raise TypeError("contract_errors needs a mapping of the mail_* variables, got %s" % _type_name(values))
    errors = []
    for variable, expected in _rules(values, file_exists):
        errors.append("%s: %s" % (variable, expected))
    return errors


def _rules(values, file_exists):
    get = values.get
    yield from _hostname_rules(get("mail_hostname", _MISSING))
    domains = get("mail_domains", _MISSING)
    yield from _domains_rules(domains)
    domains_list = domains if domains is not _MISSING and _is_list(domains) else None
    users = get("mail_users", DEFAULTS["mail_users"])
    users_list = users if _is_list(users) else None
    yield from _users_rules(users, users_list, domains_list, get("mail_password_min_length", _MISSING))
    yield from _user_defaults_rules(get("mail_password_min_length", _MISSING), get("mail_quota_default", _MISSING))
    yield from _imports_rules(get("mail_imports", DEFAULTS["mail_imports"]), users_list)
    warnings = get("mail_quota_warnings", DEFAULTS["mail_quota_warnings"])
    if not (_is_list(warnings) and all(not isinstance(p, bool) and isinstance(p, int) and 1 <= p <= 100 for p in warnings)
            and len(set(warnings)) == len(warnings)):
        yield "mail_quota_warnings", ("must be a list of percentages of the quota, whole numbers from 1 to 100, each "
                                      "once, such as [85, 95] ([] sends no warning), got %s" % to_json(warnings))
    yield from _aliases_rules(get("mail_aliases", DEFAULTS["mail_aliases"]), users_list, domains_list)
    yield from _tls_rules(values, file_exists)
    yield from _address_rules(values)
    yield from _dns_rules(values)
    yield from _dkim_rules(values)
    yield from _defence_rules(values)
    yield from _reputation_rules(values)
    yield from _backup_rules(values)
    yield from _fleet_rules(values)
    yield from _rotation_rules(values)
    yield from _report_rules(values, users_list)
    for key, message in _outbound.relayhost_errors(values.get("mail_relayhost", DEFAULTS["mail_relayhost"]),
                                                   lambda host: _names.is_domain_name(host) or _names.is_ip_address(host)):
        yield "mail_relayhost" + (("." + key) if key else ""), message


def _hostname_rules(hostname):
    shown = to_json(None if hostname is _MISSING else hostname)
    if not _is_string(hostname):
        yield "mail_hostname", (
            "must be one host name (a string), the server's fully qualified host name such as "
            "mail.example.org, got %s" % shown
        )
    elif not _names.is_domain_name(hostname):
        yield "mail_hostname", "must be the server's fully qualified host name, e.g. mail.example.org, got %s" % shown


def _domains_rules(domains):
    if domains is _MISSING or not _is_list(domains):
        yield "mail_domains", (
            "must be a list of the domains this server receives mail for, such as [example.org] (a "
            "list even for one domain), got %s" % to_json(None if domains is _MISSING else domains)
        )
        return
    if len(domains) == 0:
        yield "mail_domains", "must name at least one domain, such as [example.org] (the first is the primary), got []"
    invalid = [domain for domain in domains if not _names.is_domain_name(domain)]
    if invalid:
        yield "mail_domains", "every entry must be a domain name such as example.org; invalid: %s" % to_json(invalid)
    duplicates = _duplicates([_text(domain).lower() for domain in domains])
    if duplicates:
        yield "mail_domains", (
            "each domain may appear once (case does not matter); more than once: %s" % to_json(duplicates)
        )


def _password_min_length(value):
    """The length plain passwords need: the default when unset, None when the setting is wrong."""
    if value is _MISSING:
        return DEFAULTS["mail_password_min_length"]
    number = _whole_number(value)
    return number if number is not None and number >= PASSWORD_MIN_LENGTH_FLOOR else None


def _users_rules(users, users_list, domains_list, min_length_setting):
    if users_list is None:
        kind = "a string" if _is_string(users) else "a mapping" if _is_mapping(users) else _type_name(users)
        yield "mail_users", (
            "must be a list of users, each {address, password} or {address, password_hash}, got %s" % kind
        )
        return
    # Positions (from 1), never the content, which could hold a secret.
    not_mappings = [position for position, user in enumerate(users_list, 1) if not _is_mapping(user)]
    if not_mappings:
        yield "mail_users", (
            "every user must be a mapping {address, password} or {address, password_hash}; not a "
            "mapping: entries number %s" % to_json(not_mappings)
        )
    entries = [user for user in users_list if _is_mapping(user)]
    # Addresses name the users in every message below: never a password or a hash.
    addresses = [_text(user["address"]) if "address" in user else "" for user in entries]
    names = [user["address"] if "address" in user else "?" for user in entries]

    for message in user_entry_errors(entries, domains_list, "mail_domains"):
        yield _USERS, message
    min_length = _password_min_length(min_length_setting)
    if min_length is not None:
        short = [
            name for user, name in zip(entries, names)
            if _is_string(user.get("password")) and 0 < len(user["password"]) < min_length
        ]
        if short:
            yield "mail_users", (
                "every password must be at least %d characters long (mail_password_min_length); "
                "too short for: %s" % (min_length, to_json(short))
            )
    bad_quotas = [(name, user["quota"]) for user, name in zip(entries, names) if "quota" in user and not is_size(user["quota"])]
    if bad_quotas:
        yield "mail_users", (
            "every quota must be a size, digits with an optional K, M, G or T suffix such as 500M or 1G; "
            "wrong for: %s, got %s" % (to_json([n for n, _q in bad_quotas]), to_json([q for _n, q in bad_quotas]))
        )


def user_entry_errors(entries, domains, domains_label):
    """The rules every user entry (a mapping) obeys, for mail_users here and for the dovecot role's
    dovecot_users: one definition. Yields messages without the variable's name; they name users by
    address, never by password or hash. ``domains_label`` names the list of served domains."""
    addresses = [_text(user["address"]) if "address" in user else "" for user in entries]
    names = [user["address"] if "address" in user else "?" for user in entries]

    invalid = [address for address in addresses if not _names.is_email_address(address)]
    if invalid:
        yield "every address must look like user@example.org; invalid: %s" % to_json(invalid)
    if domains:
        unserved = [address for address in addresses if "@" in address and not _served(address, domains)]
        if unserved:
            yield (
                "every user must be in a domain of %s (%s); not served: %s"
                % (domains_label, ", ".join(_text(domain) for domain in domains), to_json(unserved))
            )
    duplicates = _duplicates([address.lower() for address in addresses if address])
    if duplicates:
        yield (
            "each address may appear once (case does not matter); duplicates: %s" % to_json(duplicates)
        )
    secretless = [name for user, name in zip(entries, names) if ("password" in user) == ("password_hash" in user)]
    if secretless:
        yield (
            "every user needs exactly one of password or password_hash; wrong for: %s" % to_json(secretless)
        )
    empty = [
        name for user, name in zip(entries, names)
        if "password" in user and (not _is_string(user["password"]) or user["password"] == "")
    ]
    if empty:
        yield (
            "a password must be a non-empty string; empty or not a string for: %s" % to_json(empty)
        )
    bad_hashes = [
        name for user, name in zip(entries, names)
        if "password_hash" in user and not (_is_string(user["password_hash"]) and HASH_RE.match(user["password_hash"]))
    ]
    if bad_hashes:
        yield (
            "a password_hash must be {SCHEME}hash with SCHEME one of %s, on one line without ':'; "
            "wrong for: %s" % (", ".join(HASH_SCHEMES), to_json(bad_hashes))
        )


IMPORT_TLS = ("imaps", "starttls")


def _imports_rules(imports, users_list):
    """mail_imports: [{address, host, login, password, port?, tls?}]; messages name entries by
    position and address, never by login or password."""
    if not (_is_list(imports) and all(_is_mapping(entry) for entry in imports)):
        yield "mail_imports", ("must be a list of {address, host, login, password} (port and tls optional), got %s"
                               % ("a list with entries that are not mappings" if _is_list(imports) else _type_name(imports)))
        return
    addresses = {_text(user.get("address", "")).strip().lower() for user in users_list or [] if _is_mapping(user)}
    for position, entry in enumerate(imports, 1):
        where = "entry %d" % position
        address = entry.get("address")
        if not (_is_string(address) and address.strip().lower() in addresses):
            yield "mail_imports", "%s: address must be one of mail_users, got %s" % (where, to_json(address))
        else:
            where = "entry %d (%s)" % (position, address.strip().lower())
        host = entry.get("host")
        if not (_is_string(host) and (_names.is_domain_name(host) or _names.is_ip_address(host))):
            yield "mail_imports", "%s: host must be the old provider's IMAP server, such as imap.gmail.com, got %s" % (
                where, to_json(host))
        for key in ("login", "password"):
            value = entry.get(key)
            if not (_is_string(value) and value and "\n" not in value):
                yield "mail_imports", "%s: %s must be a non-empty string (an app password for the password)" % (where, key)
        port = entry.get("port", 993)
        if isinstance(port, bool) or not (str(port).isdigit() and 1 <= int(port) <= 65535):
            yield "mail_imports", "%s: port must be a TCP port, got %s" % (where, to_json(port))
        tls = entry.get("tls", "imaps")
        if tls not in IMPORT_TLS:
            yield "mail_imports", "%s: tls must be imaps (port 993) or starttls (143), got %s" % (where, to_json(tls))
        unknown = sorted(set(entry) - {"address", "host", "login", "password", "port", "tls"})
        if unknown:
            yield "mail_imports", "%s: unknown keys %s" % (where, to_json(unknown))


def _user_defaults_rules(min_length, quota_default):
    if min_length is not _MISSING and _password_min_length(min_length) is None:
        yield "mail_password_min_length", (
            "must be a whole number of characters, %d or more (%d when unset), got %s"
            % (PASSWORD_MIN_LENGTH_FLOOR, DEFAULTS["mail_password_min_length"], to_json(min_length))
        )
    if quota_default is not _MISSING and not is_size(quota_default):
        yield "mail_quota_default", (
            "must be the quota of the users without one, a size: digits with an optional K, M, G or T "
            "suffix such as 500M or 1G, got %s" % to_json(quota_default)
        )


def _aliases_rules(aliases, users_list, domains_list):
    aliases_list = aliases if _is_list(aliases) else None
    if aliases_list is None or not all(_is_mapping(alias) and "address" in alias for alias in aliases_list):
        yield "mail_aliases", 'must be a list of {address, to} (address "@domain" for a catch-all)'
    entries = [alias for alias in aliases_list or [] if _is_mapping(alias)]
    if any(
        ("address" in alias and "to" not in alias)
        or ("to" in alias and (not _is_list(alias["to"]) or len(alias["to"]) == 0))
        for alias in entries
    ):
        yield "mail_aliases", 'every alias needs "to", a non-empty list of addresses'
    bad_targets = [
        target
        for alias in entries if "to" in alias and _is_list(alias["to"])
        for target in alias["to"] if not _names.is_email_address(target)
    ]
    if bad_targets:
        yield "mail_aliases", (
            'every target in "to" must be an address such as alice@example.org; invalid: %s' % to_json(bad_targets)
        )
    if domains_list:
        unserved = [
            _text(alias["address"]) for alias in entries
            if "address" in alias and not _served(_text(alias["address"]), domains_list)
        ]
        if unserved:
            yield "mail_aliases", (
                "every alias must be in a served domain (mail_domains), such as info@example.org or "
                "@example.org for a catch-all; not served: %s" % to_json(unserved)
            )
    if users_list is not None:
        user_addresses = {
            _text(user["address"]).lower() for user in users_list if _is_mapping(user) and "address" in user
        }
        clashes = [
            _text(alias["address"]).lower() for alias in entries
            if "address" in alias and _text(alias["address"]).lower() in user_addresses
        ]
        if clashes:
            yield "mail_aliases", (
                "an alias cannot have the address of a user (mail_users), it would hide the mailbox: give "
                "aliases addresses of their own; both alias and user: %s" % to_json(clashes)
            )


def _tls_rules(values, file_exists):
    get = values.get
    mode = get("mail_tls_mode", DEFAULTS["mail_tls_mode"])
    if not (_is_string(mode) and mode in TLS_MODES):
        yield "mail_tls_mode", "must be acme (certbot), selfsigned or files, got %s" % to_json(mode)
    if mode == "files":
        cert, key = get("mail_tls_cert_file", ""), get("mail_tls_key_file", "")
        if not all(_is_string(path) and path.startswith("/") for path in (cert, key)):
            yield "mail_tls_cert_file / mail_tls_key_file", (
                "mail_tls_mode files needs both, as absolute paths on the host (certificate chain and "
                "private key), got %s and %s" % (to_json(cert), to_json(key))
            )
    extra_names = get("mail_tls_extra_names", DEFAULTS["mail_tls_extra_names"])
    if not (_is_list(extra_names) and all(_names.is_domain_name(name) for name in extra_names)):
        yield "mail_tls_extra_names", "must be a list of host names such as imap.example.org, got %s" % to_json(extra_names)
    if mode == "acme":
        email = get("mail_acme_email", _MISSING)
        if email is not _MISSING and not _names.is_email_address(email):
            yield "mail_acme_email", "must be an e-mail address such as postmaster@example.org, got %s" % to_json(email)
        directory = get("mail_acme_directory", _MISSING)
        if directory is not _MISSING and not (_is_string(directory) and ACME_DIRECTORY_RE.match(directory)):
            yield "mail_acme_directory", (
                "must be the https:// URL of an ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory, "
                "got %s" % to_json(directory)
            )
    bundle = get("mail_acme_ca_bundle", "")
    if bundle != "" and not (_is_string(bundle) and file_exists(bundle)):
        yield "mail_acme_ca_bundle", "must be a PEM file on the controller, got %s" % to_json(bundle)


def _public_addresses(value):
    """mail_public_ipv4/6 as a list: one address may be given as a string. None when not a list."""
    if _is_string(value):
        return [value]
    return value if _is_list(value) else None


def _address_rules(values):
    for version, example in ((4, "192.0.2.25"), (6, "2001:db8::25")):
        variable = "mail_public_ipv%d" % version
        value = values.get(variable, _MISSING)
        given = _public_addresses([] if value is _MISSING else value)
        if given is None or not all(_names.is_ip_address(address, version) for address in given):
            yield variable, (
                "must be the IPv%d address (or a list of them) the world reaches this server at, such as "
                "%s, got %s" % (version, example, to_json(None if value is _MISSING else value))
            )
    policy = values.get("mail_dmarc_policy", DEFAULTS["mail_dmarc_policy"])
    if not (_is_string(policy) and policy in DMARC_POLICIES):
        yield "mail_dmarc_policy", "must be none, quarantine or reject, got %s" % to_json(policy)
    rua = values.get("mail_dmarc_rua", _MISSING)
    if rua is not _MISSING and not _names.is_email_address(rua):
        yield "mail_dmarc_rua", "must be the address DMARC reports go to, such as dmarc@example.org, got %s" % to_json(rua)
    tls_rpt = values.get("mail_tls_rpt_rua", _MISSING)
    if tls_rpt is not _MISSING and not (_names.is_email_address(tls_rpt) or (
            _is_list(tls_rpt) and all(_names.is_email_address(address) for address in tls_rpt))):
        yield "mail_tls_rpt_rua", ("must be the address TLS reports go to (or a list of them; [] publishes no "
                                   "TLS-RPT record), such as tls-reports@example.org, got %s" % to_json(tls_rpt))
    for name in ("mail_dane", "mail_webmail", "mail_tls_key_rollover", "mail_managesieve", "mail_client_srv", "mail_mta_sts", "mail_autoconfig",
                 "mail_mta_sts_outbound"):
        flag = values.get(name, DEFAULTS[name])
        if not (isinstance(flag, bool) or (_is_string(flag) and flag.lower() in BOOLEAN_STRINGS)):
            yield name, "must be true or false, got %s" % to_json(flag)
    mode = values.get("mail_mta_sts_mode", DEFAULTS["mail_mta_sts_mode"])
    if not (_is_string(mode) and mode in MTA_STS_MODES):
        yield "mail_mta_sts_mode", ("must be testing (senders report failures), enforce (senders refuse to deliver "
                                    "without valid TLS) or none (withdraws a policy), got %s" % to_json(mode))
    age = values.get("mail_mta_sts_max_age", DEFAULTS["mail_mta_sts_max_age"])
    if isinstance(age, bool) or not (DIGITS_RE.match(str(age)) and MTA_STS_MAX_AGE[0] <= int(str(age)) <= MTA_STS_MAX_AGE[1]):
        yield "mail_mta_sts_max_age", ("must be how long senders cache the policy, in seconds, from %d (a day) to %d "
                                       "(a year; RFC 8461), such as 604800 (a week), got %s" % (MTA_STS_MAX_AGE + (to_json(age),)))
    bundle = values.get("mail_doctor_ca_bundle", _MISSING)
    if bundle is not _MISSING and not (_is_string(bundle) and (bundle == "" or bundle.startswith("/"))):
        yield "mail_doctor_ca_bundle", "must be the absolute path of a PEM file on the controller, got %s" % to_json(bundle)


def _dns_rules(values):
    check = values.get("mail_dns_check", DEFAULTS["mail_dns_check"])
    if not (_is_string(check) and check in DNS_CHECK_MODES):
        yield "mail_dns_check", "must be enforce (fail the play), warn or skip, got %s" % to_json(check)
    resolvers = values.get("mail_dns_resolvers", DEFAULTS["mail_dns_resolvers"])
    if not (_is_list(resolvers) and all(_names.is_resolver(resolver) for resolver in resolvers)):
        yield "mail_dns_resolvers", (
            "must be a list of resolver addresses, each address or address:port such as 9.9.9.9 or "
            "127.0.0.1:5353 (names are not accepted: they would need a resolver), got %s" % to_json(resolvers)
        )
    # Unset, it is dns-records/ next to the inventory (or in the current directory).
    records_dir = values.get("mail_dns_records_dir", _MISSING)
    if records_dir is not _MISSING and not (_is_string(records_dir) and len(records_dir) > 0):
        yield "mail_dns_records_dir", (
            "must be a directory on the controller, such as dns-records or /srv/mail/dns-records, got %s"
            % to_json(records_dir)
        )


def _dkim_rules(values):
    # A selector is one or more DNS labels: exactly what makes "<selector>.example.org" a name.
    selector = values.get("mail_dkim_selector", _MISSING)
    if selector is not _MISSING and not (_is_string(selector) and _names.is_domain_name(selector + ".example.org")):
        yield "mail_dkim_selector", (
            "must be DNS labels (letters, digits and hyphens, dots between labels) such as mail or "
            "mail2026, got %s" % to_json(selector)
        )
    # -e mail_dkim_ed25519=false and INI inventories give strings: take those Ansible reads as
    # booleans, refuse anything else instead of guessing.
    ed25519 = values.get("mail_dkim_ed25519", _MISSING)
    if ed25519 is not _MISSING and not (
        isinstance(ed25519, bool) or (_is_string(ed25519) and ed25519.lower() in BOOLEAN_STRINGS)
    ):
        yield "mail_dkim_ed25519", (
            "must be true (an Ed25519 key beside the RSA one) or false (RSA only), got %s" % to_json(ed25519)
        )


def dnsbl_site_errors(sites):
    """What is wrong with a list of blocklists as postscreen weighs them, one sentence each
    (shared by mail_dnsbl_sites and the postfix role's postfix_dnsbl_sites)."""
    if not _is_list(sites):
        return ["must be a list of {name, weight, filter} such as {name: zen.spamhaus.org, weight: 3}, got %s" % to_json(sites)]
    errors = []
    for position, site in enumerate(sites, start=1):
        if not _is_mapping(site) or not _is_string(site.get("name")):
            errors.append("entry %d must be a mapping with a name such as zen.spamhaus.org, got %s" % (position, to_json(site)))
            continue
        unknown = sorted(set(site) - set(DNSBL_FIELDS))
        if unknown:
            errors.append("entry %d (%s) has unknown keys %s (name, weight, filter are known)" % (position, site["name"], to_json(unknown)))
        if not _names.is_domain_name(site["name"]):
            errors.append("entry %d: name must be the blocklist's DNS zone such as zen.spamhaus.org, got %s" % (position, to_json(site["name"])))
        weight = site.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or not -100 <= weight <= 100:
            errors.append("entry %d (%s): weight must be a whole number from -100 to 100 (negative for allowlists), got %s"
                          % (position, site["name"], to_json(weight)))
        answer = site.get("filter")
        if answer is not None and not (_is_string(answer) and DNSBL_FILTER_RE.match(answer)):
            errors.append("entry %d (%s): filter must be the answers that count, such as 127.0.0.[2..11], got %s"
                          % (position, site["name"], to_json(answer)))
    return errors


def _score(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0 < value <= 1000


def _defence_rules(values):
    sites = values.get("mail_dnsbl_sites", _MISSING)
    if sites is not _MISSING:
        for message in dnsbl_site_errors(sites):
            yield "mail_dnsbl_sites", message
    reject = values.get("mail_spam_reject_score", DEFAULTS["mail_spam_reject_score"])
    junk = values.get("mail_spam_junk_score", DEFAULTS["mail_spam_junk_score"])
    for name, score in (("mail_spam_reject_score", reject), ("mail_spam_junk_score", junk)):
        if not _score(score):
            yield name, "must be an rspamd score, a number above 0 (rspamd's default: reject 15, junk 6), got %s" % to_json(score)
    if _score(reject) and _score(junk) and junk >= reject:
        yield "mail_spam_junk_score", (
            "must be below mail_spam_reject_score (%s): mail scoring between them goes to Junk, got %s" % (to_json(reject), to_json(junk)))
    for name in ("mail_greylisting", "mail_srs"):
        flag = values.get(name, DEFAULTS[name])
        if not (isinstance(flag, bool) or (_is_string(flag) and flag.lower() in BOOLEAN_STRINGS)):
            yield name, "must be true or false, got %s" % to_json(flag)
    for name in ("mail_resolver_forward_zones", "mail_resolver_stub_zones"):
        for message in resolver_zone_errors(values.get(name, DEFAULTS[name])):
            yield name, message
    anchors = values.get("mail_resolver_trust_anchors", DEFAULTS["mail_resolver_trust_anchors"])
    if not (_is_list(anchors) and all(_is_string(anchor) and anchor.strip() and "\n" not in anchor for anchor in anchors)):
        yield "mail_resolver_trust_anchors", (
            'must be a list of DS or DNSKEY records, one line each, such as "example.org. DS 12345 13 2 ABCD...", got %s' % to_json(anchors))


def _whole(value, low):
    return not isinstance(value, bool) and isinstance(value, int) and value >= low


BACKUP_KEYS = ("repository", "password", "schedule", "keep", "environment")


def _backup_rules(values):
    """mail_backup: {repository, password, schedule?, keep?, environment?} (the backup role's rules,
    _backup.py, under the contract's names); mail_backup_restore: a bool, with mail_backup."""
    backup = values.get("mail_backup", DEFAULTS["mail_backup"])
    restore = values.get("mail_backup_restore", DEFAULTS["mail_backup_restore"])
    if not isinstance(restore, bool):
        yield "mail_backup_restore", "must be true (one run on a fresh host) or false, got %s" % to_json(restore)
    if backup is None or (_is_mapping(backup) and not backup):
        if restore is True:
            yield "mail_backup_restore", "needs mail_backup: the repository to restore from"
        return
    if not _is_mapping(backup):
        yield "mail_backup", "must be a mapping {repository, password, schedule, keep, environment}, got %s" % _type_name(backup)
        return
    unknown = sorted(str(key) for key in backup if key not in BACKUP_KEYS)
    if unknown:
        yield "mail_backup", "unknown keys %s (it takes %s)" % (to_json(unknown), ", ".join(BACKUP_KEYS))
    if not backup.get("repository"):
        yield "mail_backup", "repository: must be given (a path, sftp:user@host:/path, rest:https://..., s3:...)"
        return
    for key, message in _backup.setting_errors({key: backup[key] for key in BACKUP_KEYS if key in backup}):
        yield "mail_backup", "%s: %s" % (key, message)


QUEUE_LIFETIME_RE = re.compile(r"^[0-9]+[smhdw]?\Z")


def is_queue_lifetime(value):
    """A Postfix time of at least 1 (maximal_queue_lifetime): digits and an optional s, m, h, d or w."""
    return not isinstance(value, bool) and bool(QUEUE_LIFETIME_RE.match(str(value))) and int(str(value).rstrip("smhdw")) >= 1


def is_address_or_domain(value):
    """An e-mail address, or "@domain" (every address of the domain), as Postfix's tables take them."""
    return _is_string(value) and (_names.is_email_address(value) or (value.startswith("@") and _names.is_domain_name(value[1:])))


def _fleet_rules(values):
    """Several hosts: a backup MX (mail_backup_mx, or membership of the group mail_backup_mx, which
    the server role passes here as mail_backup_mx), its MX preference and queue lifetime."""
    backup_mx = values.get("mail_backup_mx", False)
    if not isinstance(backup_mx, bool) and str(backup_mx).lower() not in BOOLEAN_STRINGS:
        yield "mail_backup_mx", "must be true (this host is a backup MX of mail_domains) or false, got %s" % to_json(backup_mx)
    elif backup_mx is True or str(backup_mx).lower() in ("true", "yes"):
        for name in ("mail_imports", "mail_backup", "mail_relayhost"):
            if values.get(name):
                yield name, ("is for a primary: a backup MX (mail_backup_mx, or the group mail_backup_mx) holds no "
                             "mailboxes; it keeps mail in its queue and passes it on to the primary")
    preference = values.get("mail_mx_preference", _MISSING)
    if preference is not _MISSING and not (_whole(preference, 0) and preference <= 65535):
        yield "mail_mx_preference", ("must be a whole number from 0 to 65535 (lower is preferred: 10 for a primary, "
                                     "20 for a backup MX unless set), got %s" % to_json(preference))
    lifetime = values.get("mail_backup_mx_queue_lifetime", DEFAULTS["mail_backup_mx_queue_lifetime"])
    if not is_queue_lifetime(lifetime):
        yield "mail_backup_mx_queue_lifetime", ("must be a time such as 7d, 36h or 86400s: how long a backup MX keeps mail "
                                                "the primary does not take, got %s" % to_json(lifetime))
    hosts = values.get("mail_fleet_hosts", None)
    if hosts is not None and not (_is_list(hosts) and all(_is_string(host) and host for host in hosts)):
        yield "mail_fleet_hosts", "must be a list of inventory host names (the hosts that serve these domains together), got %s" % to_json(hosts)


def _rotation_rules(values):
    """mail_dkim_rotate (asked for one run) waits for DNS, so DNS must be asked; mail_dkim_retire_days."""
    rotate = values.get("mail_dkim_rotate", DEFAULTS["mail_dkim_rotate"])
    if not isinstance(rotate, bool) and str(rotate).lower() not in BOOLEAN_STRINGS:
        yield "mail_dkim_rotate", "must be true (for one run: rotate the DKIM keys) or false, got %s" % to_json(rotate)
    elif (rotate is True or str(rotate).lower() in ("true", "yes")) and values.get("mail_dns_check") == "skip":
        yield "mail_dkim_rotate", ("the switch to the next key waits until DNS shows its record, which mail_dns_check: skip "
                                   "never asks; set mail_dns_check to warn or enforce for the rotation")
    days = values.get("mail_dkim_retire_days", DEFAULTS["mail_dkim_retire_days"])
    if not (_whole(days, 1) and days <= 3650):
        yield "mail_dkim_retire_days", ("must be a whole number of days from 1 to 3650 (how long the old selector stays "
                                        "published after a rotation), got %s" % to_json(days))


def _report_rules(values, users_list):
    """The daily report (mail_report*), the DMARC reports' mailbox and the step it recommends."""
    flag = values.get("mail_report", DEFAULTS["mail_report"])
    if not (isinstance(flag, bool) or (_is_string(flag) and flag.lower() in BOOLEAN_STRINGS)):
        yield "mail_report", "must be true or false, got %s" % to_json(flag)
    to = values.get("mail_report_to", _MISSING)
    if to is not _MISSING and not _names.is_email_address(to):
        yield "mail_report_to", "must be the address the daily report goes to, such as postmaster@example.org, got %s" % to_json(to)
    when = values.get("mail_report_time", DEFAULTS["mail_report_time"])
    if not (_is_string(when) and when.strip() and "\n" not in when and "\r" not in when):
        yield "mail_report_time", 'must be a systemd OnCalendar expression such as "*-*-* 06:30:00", got %s' % to_json(when)
    resolvers = values.get("mail_report_resolvers", _MISSING)
    if resolvers is not _MISSING and not (_is_list(resolvers) and all(_names.is_resolver(r) for r in resolvers)):
        yield "mail_report_resolvers", ("must be a list of resolvers, address or address:port, such as [9.9.9.9], got %s"
                                        % to_json(resolvers))
    zones = values.get("mail_report_blocklists", _MISSING)
    if zones is not _MISSING and not (_is_list(zones) and all(_is_string(z) and _names.is_domain_name(z) for z in zones)):
        yield "mail_report_blocklists", "must be a list of blocklist zones such as [zen.spamhaus.org], got %s" % to_json(zones)
    days = values.get("mail_dmarc_aligned_days", DEFAULTS["mail_dmarc_aligned_days"])
    if isinstance(days, bool) or not (DIGITS_RE.match(str(days)) and 1 <= int(str(days)) <= 366):
        yield "mail_dmarc_aligned_days", "must be a whole number of days from 1 to 366, such as 14, got %s" % to_json(days)
    spf_all = values.get("mail_spf_all", DEFAULTS["mail_spf_all"])
    if spf_all not in ("~all", "-all"):
        yield "mail_spf_all", "must be ~all (softfail) or -all (fail), got %s" % to_json(spf_all)
    mailbox = values.get("mail_dmarc_reports_mailbox", _MISSING)
    if mailbox is not _MISSING and mailbox != "":
        addresses = {str(user.get("address", "")).lower() for user in users_list or [] if _is_mapping(user)}
        if not (_is_string(mailbox) and _names.is_email_address(mailbox) and mailbox.lower() in addresses):
            yield "mail_dmarc_reports_mailbox", ("must be the address of a mailbox in mail_users (the DMARC aggregate "
                                                 "reports are read from its INBOX), got %s" % to_json(mailbox))


def _reputation_rules(values):
    limit = values.get("mail_send_limit", DEFAULTS["mail_send_limit"])
    if not _whole(limit, 0):
        yield "mail_send_limit", "must be a whole number of messages per user and hour (0: no limit), got %s" % to_json(limit)
    failures = values.get("mail_ban_after_failures", DEFAULTS["mail_ban_after_failures"])
    if not _whole(failures, 0):
        yield "mail_ban_after_failures", "must be a whole number of failed logins (0: no bans), got %s" % to_json(failures)
    ban_time = values.get("mail_ban_time", DEFAULTS["mail_ban_time"])
    if not _whole(ban_time, 1):
        yield "mail_ban_time", "must be a whole number of seconds, 1 or more, got %s" % to_json(ban_time)
    mode = values.get("mail_outbound_ipv6", DEFAULTS["mail_outbound_ipv6"])
    if _outbound.mode_of(mode) is None:
        yield "mail_outbound_ipv6", "must be auto (IPv6 once its PTR forward-confirms), true or false, got %s" % to_json(mode)
    networks = values.get("mail_ban_ignore_networks", DEFAULTS["mail_ban_ignore_networks"])
    invalid = [network for network in networks if not is_network(network)] if _is_list(networks) else None
    if invalid is None or invalid:
        yield "mail_ban_ignore_networks", (
            "must be a list of addresses or networks never banned, such as 192.0.2.0/24 or 2001:db8::/32; invalid: %s"
            % to_json(networks if invalid is None else invalid))


def is_network(value):
    """An address or a network (address/prefix), IPv4 or IPv6, as fail2ban and the ban list take it."""
    if not _is_string(value) or not re.match(r"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?\Z", value):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


ZONE_FIELDS = ("name", "addresses", "insecure")
ZONE_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\Z")


def _zone_address(value):
    """An address as Unbound takes it: the address, with "@port" after it when not 53."""
    if not _is_string(value):
        return False
    address, _sep, port = value.partition("@")
    return _names.is_ip_address(address) and (not port or (port.isdigit() and 0 < int(port) < 65536))


def resolver_zone_errors(zones):
    """What is wrong with a list of forward or stub zones of the local resolver (shared by the
    contract and the unbound role)."""
    if not _is_list(zones):
        return ["must be a list of {name, addresses, insecure}, got %s" % to_json(zones)]
    errors = []
    for position, zone in enumerate(zones, start=1):
        if not (_is_mapping(zone) and _is_string(zone.get("name"))):
            errors.append("entry %d must be a mapping with a zone name such as example.org or \".\", got %s" % (position, to_json(zone)))
            continue
        name = zone["name"]
        unknown = sorted(set(zone) - set(ZONE_FIELDS))
        if unknown:
            errors.append("entry %d (%s) has unknown keys %s (name, addresses, insecure are known)" % (position, name, to_json(unknown)))
        if name != "." and not all(ZONE_LABEL_RE.match(label) for label in name[:-1 if name.endswith(".") else None].split(".")):
            errors.append("entry %d: name must be a zone such as example.org or \".\" (all), got %s" % (position, to_json(name)))
        addresses = zone.get("addresses")
        if not (_is_list(addresses) and addresses and all(_zone_address(address) for address in addresses)):
            errors.append("entry %d (%s): addresses must be a non-empty list of IP addresses, each with @port when not 53 "
                          "(such as 192.0.2.53 or 192.0.2.53@5353), got %s" % (position, name, to_json(addresses)))
        insecure = zone.get("insecure", False)
        if not isinstance(insecure, bool):
            errors.append("entry %d (%s): insecure must be true or false, got %s" % (position, name, to_json(insecure)))
    return errors
