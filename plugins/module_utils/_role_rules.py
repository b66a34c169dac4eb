# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of each role's own variables that its argument spec cannot express, one definition
each, checked by the role's "preflight" entry point through the postmaster.mail.role_errors
filter before the host is touched. Every message names the variable and the form it expects.
(The public mail_* variables have theirs in _contract.py; mail users obey user_entry_errors there.)"""

from __future__ import annotations

import os
import re

from ansible_collections.postmaster.mail.plugins.module_utils import _backup, _dkim, _names, _outbound, _passwords
from ansible_collections.postmaster.mail.plugins.module_utils._contract import (
    ACME_DIRECTORY_RE, TLS_MODES, _is_list, dnsbl_site_errors, is_address_or_domain, is_network, is_queue_lifetime, to_json,
    user_entry_errors,
)

# A network as mynetworks takes it: IPv4 with an optional prefix, or [IPv6] with one.
NETWORK_RE = re.compile(
    r"^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}(/([0-9]|[12][0-9]|3[0-2]))?"
    r"|\[[0-9a-fA-F:.]+\](/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?)$")
INTERNAL_HOST_RE = re.compile(r"^[0-9A-Fa-f:.]+(/[0-9]+)?\Z|^[A-Za-z0-9.-]+\Z")
DIGITS_RE = re.compile(r"^[0-9]+\Z")


def _relay_host_name(value):
    return _names.is_domain_name(value) or _names.is_ip_address(value)


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
    errors = ["postfix_relayhost%s: %s" % (("." + key) if key else "", message) for key, message in
              _outbound.relayhost_errors(values.get("postfix_relayhost", {}), _relay_host_name)]
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
    errors += ["postfix_dnsbl_sites: " + message for message in dnsbl_site_errors(values.get("postfix_dnsbl_sites", []))]
    threshold = values.get("postfix_dnsbl_threshold", 3)
    if not 1 <= _int(threshold) <= 1000:
        errors.append("postfix_dnsbl_threshold: must be a whole number from 1 to 1000 (the weights that refuse a client), got %s"
                      % to_json(threshold))
    if values.get("postfix_srs_enabled"):
        errors += _srs_errors(values)
    errors += _relay_errors(values)
    return errors


def _relay_errors(values):
    """A backup MX's domains and recipients, how long it keeps mail, and the backup MX hosts a
    primary lets through."""
    errors = _domains_rule("postfix_relay_domains", values.get("postfix_relay_domains", []))
    invalid = _invalid(values.get("postfix_relay_recipients", []),
                       is_address_or_domain)
    if invalid:
        errors.append('postfix_relay_recipients: must be a list of addresses such as alice@example.org, or "@example.org" '
                      "for every address of a domain; invalid: %s" % to_json(invalid))
    lifetime = values.get("postfix_queue_lifetime", "5d")
    if not is_queue_lifetime(lifetime):
        errors.append("postfix_queue_lifetime: must be a time such as 5d, 12h or 3600s (at least 1), got %s" % to_json(lifetime))
    invalid = _invalid(values.get("postfix_trusted_relays", []), is_network)
    if invalid:
        errors.append("postfix_trusted_relays: must be a list of addresses or networks such as 192.0.2.7 or 2001:db8::7; "
                      "invalid: %s" % to_json(invalid))
    return errors


SRS_PORTS = ("postfix_srs_forward_port", "postfix_srs_reverse_port", "postfix_srs_reinject_port")


def _srs_errors(values):
    """SRS (postsrsd and the re-injecting smtpd): a domain to rewrite into, names to leave alone,
    three distinct loopback ports."""
    errors = []
    domain = values.get("postfix_srs_domain", values.get("postfix_myhostname"))
    if not (isinstance(domain, str) and _names.is_domain_name(domain)):
        errors.append("postfix_srs_domain: must be a domain name such as mail.example.org (this Postfix takes "
                      "mail for it), got %s" % to_json(domain))
    errors += _domains_rule("postfix_srs_exclude_domains", values.get("postfix_srs_exclude_domains", []))
    ports = {name: values.get(name) for name in SRS_PORTS if name in values}
    for name, port in sorted(ports.items()):
        if isinstance(port, bool) or not 1 <= _int(port) <= 65535 or str(port).strip() != str(_int(port)):
            errors.append("%s: must be a TCP port from 1 to 65535, got %s" % (name, to_json(port)))
    used = [_int(port) for port in ports.values()]
    if len(set(used)) != len(used):
        errors.append("%s: must be three different ports, got %s" % (
            " / ".join(SRS_PORTS), to_json([ports.get(name) for name in SRS_PORTS])))
    return errors


def password_scheme_errors(values, argon2_available=None):
    """dovecot_password_scheme, _memory and _iterations; Argon2id needs a library here, on the
    controller, when a user has a plain password to hash."""
    errors = []
    scheme = values.get("dovecot_password_scheme", _passwords.ARGON2ID)
    if scheme not in _passwords.SCHEMES:
        errors.append("dovecot_password_scheme: must be one of %s, got %s" % (", ".join(_passwords.SCHEMES), to_json(scheme)))
    memory = values.get("dovecot_password_memory", _passwords.ARGON2_MEMORY)
    if not (DIGITS_RE.match(str(memory)) and _passwords.MIN_ARGON2_MEMORY <= _int(memory) <= _passwords.MAX_ARGON2_MEMORY):
        errors.append("dovecot_password_memory: must be the Argon2id memory in KiB, %d (8 MiB) to %d (1 GiB), got %s"
                      % (_passwords.MIN_ARGON2_MEMORY, _passwords.MAX_ARGON2_MEMORY, to_json(memory)))
    iterations = values.get("dovecot_password_iterations", _passwords.ARGON2_ITERATIONS)
    if not (DIGITS_RE.match(str(iterations)) and _passwords.MIN_ARGON2_ITERATIONS <= _int(iterations) <= _passwords.MAX_ARGON2_ITERATIONS):
        errors.append("dovecot_password_iterations: must be the Argon2id passes, %d to %d, got %s"
                      % (_passwords.MIN_ARGON2_ITERATIONS, _passwords.MAX_ARGON2_ITERATIONS, to_json(iterations)))
    available = _passwords.argon2_available() if argon2_available is None else argon2_available
    plain = [user for user in _items(values.get("dovecot_users", [])) if isinstance(user, dict) and "password" in user]
    if scheme == _passwords.ARGON2ID and plain and not available:
        errors.append("dovecot_password_scheme: ARGON2ID: %s" % _passwords.MISSING_ARGON2)
    return errors


def dovecot_errors(values):
    errors = _domains_rule("dovecot_domains", values.get("dovecot_domains", []))
    rounds = values.get("dovecot_password_rounds")
    if not 5000 <= _int(rounds) <= 999999999:
        errors.append("dovecot_password_rounds: must be between 5000 and 999999999, got %s" % to_json(rounds))
    errors += password_scheme_errors(values)
    concurrency = values.get("dovecot_lmtp_concurrency")
    if not (DIGITS_RE.match(str(concurrency)) and _int(concurrency) >= 1):
        errors.append("dovecot_lmtp_concurrency: must be a whole number of deliveries at once, 1 or more (10 matches "
                      "Dovecot's limit per user), got %s" % to_json(concurrency))
    redirects = values.get("dovecot_sieve_max_redirects", 4)
    if isinstance(redirects, bool) or not (DIGITS_RE.match(str(redirects)) and _int(redirects) <= 100):
        errors.append("dovecot_sieve_max_redirects: must be a whole number of redirects from 0 (none) to 100, got %s"
                      % to_json(redirects))
    port = values.get("dovecot_submission_port", 10025)
    if isinstance(port, bool) or not (DIGITS_RE.match(str(port)) and 1 <= _int(port) <= 65535):
        errors.append("dovecot_submission_port: must be a TCP port from 1 to 65535 (Postfix's loopback listener for "
                      "Sieve's redirects and vacation replies), got %s" % to_json(port))
    interval = values.get("dovecot_import_progress_interval", 30)
    if isinstance(interval, bool) or not (DIGITS_RE.match(str(interval)) and 1 <= _int(interval) <= 86400):
        errors.append("dovecot_import_progress_interval: must be a whole number of seconds from 1 to 86400 (between "
                      "an import's progress lines), got %s" % to_json(interval))
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
    domains = [str(domain).lower() for domain in values.get("opendkim_domains", []) or []]
    aliases = values.get("opendkim_signing_aliases", {})
    if not isinstance(aliases, dict) or any(
            not _names.is_domain_name(str(alias)) or str(domain).lower() not in domains for alias, domain in aliases.items()):
        errors.append("opendkim_signing_aliases: must map sender domains to domains of opendkim_domains, got %s"
                      % to_json(aliases))
    size = values.get("opendkim_rsa_size")
    if _int(size) < _dkim.MIN_RSA_BITS:
        errors.append("opendkim_rsa_size: must be at least %d bits (receivers distrust shorter RSA keys), got %s"
                      % (_dkim.MIN_RSA_BITS, size))
    if _invalid(values.get("opendkim_internal_hosts", []), INTERNAL_HOST_RE.match):
        errors.append("opendkim_internal_hosts: must be a list of addresses, networks or host names")
    days = values.get("opendkim_retire_days", 7)
    if isinstance(days, bool) or not 1 <= _int(days) <= 3650:
        errors.append("opendkim_retire_days: must be a whole number of days from 1 to 3650 (how long an old selector "
                      "stays published), got %s" % to_json(days))
    if _invalid(values.get("opendkim_rotate_published", []), lambda name: _names.is_domain_name(name.replace("_", "x"))):
        errors.append("opendkim_rotate_published: must be a list of DNS names such as mail-20261206._domainkey.example.org")
    return errors


def _pem_certificates(path):
    """A file on the controller holding at least one PEM certificate."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return "-----BEGIN CERTIFICATE-----" in stream.read()
    except (OSError, TypeError):
        return False


def certbot_errors(values, file_exists=os.path.isfile):
    errors = []
    mode = values.get("certbot_mode")
    if mode not in TLS_MODES:
        errors.append("certbot_mode: must be acme, selfsigned or files, got %s" % to_json(mode))
    domains = values.get("certbot_domains")
    invalid = [name for name in domains if not (isinstance(name, str) and _names.is_domain_name(name))] \
        if _is_list(domains) else domains
    if not _is_list(domains) or not domains or invalid:
        errors.append("certbot_domains: must be a non-empty list of host names such as mail.example.org (no wildcards: "
                      "HTTP-01 cannot prove them); invalid: %s" % to_json(invalid))
    size = values.get("certbot_names_per_certificate", 100)
    if isinstance(size, bool) or not (DIGITS_RE.match(str(size)) and 1 <= _int(size) <= 100):
        errors.append("certbot_names_per_certificate: must be a whole number from 1 to 100 (Let's Encrypt's limit), got %s"
                      % to_json(size))
    email = values.get("certbot_email")
    if mode == "acme" and not (isinstance(email, str) and _names.is_email_address(email)):
        errors.append("certbot_email: must be an e-mail address such as postmaster@example.org, got %s" % to_json(email))
    directory = values.get("certbot_directory")
    if mode == "acme" and not (isinstance(directory, str) and ACME_DIRECTORY_RE.match(directory)):
        errors.append("certbot_directory: must be the https:// URL of an ACME directory such as "
                      "https://acme-v02.api.letsencrypt.org/directory, got %s" % to_json(directory))
    bundle = values.get("certbot_ca_bundle", "")
    if bundle and not (isinstance(bundle, str) and file_exists(bundle) and _pem_certificates(bundle)):
        errors.append("certbot_ca_bundle: must be a PEM file of CA certificates on the controller, or empty; not a PEM "
                      "file on the controller: %s" % to_json(bundle))
    cert_src, key_src = values.get("certbot_cert_src"), values.get("certbot_key_src")
    if mode == "files" and not (_absolute(cert_src) and _absolute(key_src)):
        errors.append("certbot_cert_src / certbot_key_src: files mode needs both, as absolute paths on the host of the "
                      "certificate chain and its private key; got %s and %s" % (to_json(cert_src), to_json(key_src)))
    if values.get("certbot_next_key") is True and values.get("certbot_reuse_key", True) is not True:
        errors.append("certbot_next_key: a prepared next key needs certbot_reuse_key true (renewals keep the key whose "
                      "TLSA record is published)")
    invalid = [name for name in values.get("certbot_next_key_tlsa_names", [])
               if not (isinstance(name, str) and re.match(r"^_[0-9]{1,5}\._(tcp|udp)\.", name)
                       and _names.is_domain_name(name.split(".", 2)[2]))] \
        if _is_list(values.get("certbot_next_key_tlsa_names", [])) else [values.get("certbot_next_key_tlsa_names")]
    if invalid:
        errors.append("certbot_next_key_tlsa_names: must be a list of TLSA names such as _25._tcp.mail.example.org; "
                      "invalid: %s" % to_json(invalid))
    webroot = values.get("certbot_webroot", "")
    if webroot and not _absolute(webroot):
        errors.append("certbot_webroot: must be empty (standalone) or an absolute path, got %s" % to_json(webroot))
    days = values.get("certbot_renew_before_days")
    if not 1 <= _int(days) <= 365:
        errors.append("certbot_renew_before_days: must be between 1 and 365, got %s" % to_json(days))
    invalid = _invalid(values.get("certbot_expected_addresses", []), _names.is_ip_address)
    if invalid:
        errors.append("certbot_expected_addresses: must be a list of IPv4 or IPv6 addresses; invalid: %s" % to_json(invalid))
    invalid = _invalid(values.get("certbot_dns_resolvers", []), _names.is_resolver)
    if invalid:
        errors.append('certbot_dns_resolvers: must be a list of "address" or "address:port" ("[v6]:port"); invalid: %s'
                      % to_json(invalid))
    return errors


LOCAL_NETWORK_RE = re.compile(r"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?\Z")


def _score(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0 < value <= 1000


def rspamd_errors(values):
    errors = []
    reject, junk = values.get("rspamd_reject_score"), values.get("rspamd_junk_score")
    for name, score in (("rspamd_reject_score", reject), ("rspamd_junk_score", junk)):
        if not _score(score):
            errors.append("%s: must be a number above 0 (rspamd's default: reject 15, junk 6), got %s" % (name, to_json(score)))
    if _score(reject) and _score(junk) and junk >= reject:
        errors.append("rspamd_junk_score: must be below rspamd_reject_score (%s), got %s" % (to_json(reject), to_json(junk)))
    invalid = _invalid(values.get("rspamd_local_networks", []), LOCAL_NETWORK_RE.match)
    if invalid:
        errors.append("rspamd_local_networks: must be a list of addresses or networks such as 192.0.2.0/24 or ::1; invalid: %s"
                      % to_json(invalid))
    invalid = _invalid(values.get("rspamd_nameservers", []), _names.is_resolver)
    if invalid:
        errors.append('rspamd_nameservers: must be a list of "address" or "address:port"; invalid: %s' % to_json(invalid))
    limit = values.get("rspamd_send_limit", 0)
    if isinstance(limit, bool) or not (DIGITS_RE.match(str(limit))):
        errors.append("rspamd_send_limit: must be a whole number of messages per user and hour (0: no limit), got %s" % to_json(limit))
    logins = values.get("rspamd_sender_logins", {})
    bad = (sorted(address for address, owners in logins.items()
                  if not (isinstance(address, str) and _names.is_email_address(address) and isinstance(owners, list)
                          and owners and all(isinstance(owner, str) and _names.is_email_address(owner) for owner in owners)))
           if isinstance(logins, dict) else [logins])
    if bad:
        errors.append("rspamd_sender_logins: must map addresses to lists of logins (addresses), such as "
                      '{"info@example.org": ["alice@example.org"]}; invalid: %s' % to_json(bad))
    invalid = _invalid(values.get("rspamd_forwarding_recipients", []),
                       is_address_or_domain)
    if invalid:
        errors.append('rspamd_forwarding_recipients: must be a list of addresses such as fwd@example.org, or "@example.org" '
                      "for a catch-all; invalid: %s" % to_json(invalid))
    invalid = _invalid(values.get("rspamd_relay_hostnames", []), _names.is_domain_name)
    if invalid:
        errors.append("rspamd_relay_hostnames: must be a list of host names such as mx2.example.org; invalid: %s"
                      % to_json(invalid))
    return errors


ZONE_NAME_RE = re.compile(r"^(\.|([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?)\Z")
LOOPBACK_OR_ALL_RE = re.compile(r"^127[.]|^::1(/128)?$|^::ffff:127[.]|/0$")


def _server_address(address):
    """"ip", "ip@port", or for DNS-over-TLS "ip@port#name", as Unbound takes a server."""
    if not isinstance(address, str):
        return False
    host_port = address.split("#", 1)[0]
    ip, _sep, port = host_port.partition("@")
    return _names.is_ip_address(ip) and (not port or (port.isdigit() and 1 <= int(port) <= 65535))


def unbound_errors(values):
    errors = []
    zones = [zone for name in ("unbound_forward_zones", "unbound_stub_zones") for zone in _items(values.get(name, []))]
    names = [zone.get("name") if isinstance(zone, dict) else zone for zone in zones]
    for name in ("unbound_insecure_domains", "unbound_local_zones_nodefault", "unbound_private_domains", "unbound_check_names"):
        names += _items(values.get(name, []))
    bad = [name for name in names if not (isinstance(name, str) and ZONE_NAME_RE.match(name))]
    if bad:
        errors.append("unbound_forward_zones, unbound_stub_zones, unbound_insecure_domains, unbound_local_zones_nodefault, "
                      "unbound_private_domains, unbound_check_names: not domain names: %s" % to_json(bad))
    empty = [zone.get("name") for zone in zones if isinstance(zone, dict) and not zone.get("addresses")]
    if empty:
        errors.append("unbound_forward_zones / unbound_stub_zones: zones without addresses: %s" % to_json(empty))
    bad = [address for zone in zones if isinstance(zone, dict) for address in _items(zone.get("addresses") or [])
           if not _server_address(address)]
    if bad:
        errors.append('unbound_forward_zones / unbound_stub_zones: addresses must be "ip", "ip@port" or "ip@port#tls-name"; '
                      "invalid: %s" % to_json(bad))
    bad = [network for network in _items(values.get("unbound_private_addresses", []))
           if not (isinstance(network, str) and LOCAL_NETWORK_RE.match(network) and _names.is_ip_address(network.split("/")[0])
                   and not LOOPBACK_OR_ALL_RE.search(network))]
    if bad:
        errors.append("unbound_private_addresses: must be addresses or networks (ip/prefix), neither loopback (DNS blocklists "
                      "answer 127.0.0.x) nor everything (/0); invalid: %s" % to_json(bad))
    if not _items(values.get("unbound_check_names", [])):
        errors.append("unbound_check_names: give at least one name")
    return errors


def fail2ban_errors(values):
    errors = []
    for name, low, what in (("fail2ban_maxretry", 1, "failed logins"), ("fail2ban_findtime", 1, "seconds"),
                            ("fail2ban_bantime", 1, "seconds")):
        value = values.get(name)
        if isinstance(value, bool) or not (DIGITS_RE.match(str(value)) and _int(value) >= low):
            errors.append("%s: must be a whole number of %s, %d or more, got %s" % (name, what, low, to_json(value)))
    invalid = _invalid(values.get("fail2ban_ignore_networks", []), is_network)
    if invalid:
        errors.append("fail2ban_ignore_networks: must be a list of addresses or networks such as 192.0.2.0/24 or 2001:db8::/32; "
                      "invalid: %s" % to_json(invalid))
    ports = _items(values.get("fail2ban_ports", []))
    invalid = [port for port in ports if isinstance(port, bool) or not 1 <= _int(port) <= 65535 or str(port).strip() != str(_int(port))]
    if invalid or not ports:
        errors.append("fail2ban_ports: must be a non-empty list of TCP ports from 1 to 65535; invalid: %s" % to_json(invalid))
    return errors


SITE_WORD_RE = re.compile(r"^[A-Za-z0-9_-]+\Z")
FILE_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*\Z")
URL_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*\Z")


def nginx_errors(values):
    errors = []
    sites = _items(values.get("nginx_sites", []))
    words = [site.get("name") for site in sites if isinstance(site, dict)]
    bad = [word for word in words if not (isinstance(word, str) and SITE_WORD_RE.match(word))]
    if bad:
        errors.append("nginx_sites: each name must be a word (letters, digits, - and _); invalid: %s" % to_json(bad))
    twice = sorted({word for word in words if words.count(word) > 1 and isinstance(word, str)})
    if twice:
        errors.append("nginx_sites: names given twice: %s" % to_json(twice))
    names = [name for site in sites if isinstance(site, dict) for name in _items(site.get("names") or [])]
    bad = [name for name in names if not (isinstance(name, str) and _names.is_domain_name(name))]
    if bad or any(isinstance(site, dict) and not site.get("names") for site in sites):
        errors.append("nginx_sites: names must be non-empty lists of host names; invalid: %s" % to_json(bad))
    twice = sorted({str(name).lower() for name in names if [str(n).lower() for n in names].count(str(name).lower()) > 1})
    if twice:
        errors.append("nginx_sites: host names served by two sites: %s" % to_json(twice))
    for site in sites:
        if not isinstance(site, dict):
            continue
        files = [f for f in _items(site.get("files") or []) if isinstance(f, dict)]
        bad = [f.get("path") for f in files if not (isinstance(f.get("path"), str) and URL_PATH_RE.match(f["path"]))]
        if bad:
            errors.append("nginx_sites[%s].files: path must be a URL path such as /mail/config-v1.1.xml; invalid: %s"
                          % (site.get("name"), to_json(bad)))
        bad = [f.get("file") for f in files if not (isinstance(f.get("file"), str) and FILE_NAME_RE.match(f["file"]))]
        if bad:
            errors.append("nginx_sites[%s].files: file must be a plain file name (letters, digits, ., - and _); invalid: %s"
                          % (site.get("name"), to_json(bad)))
        given = [f.get("file") for f in files]
        if len(set(map(str, given))) != len(given):
            errors.append("nginx_sites[%s].files: two files with the same name" % site.get("name"))
        php = site.get("php")
        if php is not None:
            if files:
                errors.append("nginx_sites[%s]: give files or php, not both" % site.get("name"))
            if not (isinstance(php, dict) and _absolute(php.get("root")) and isinstance(php.get("socket"), str)
                    and php["socket"].startswith("unix:/")):
                errors.append("nginx_sites[%s].php: needs root (an absolute path) and socket (unix:/path), got %s"
                              % (site.get("name"), to_json(php)))
    if sites:
        for name in ("nginx_cert_file", "nginx_key_file"):
            if not _absolute(values.get(name)):
                errors.append("%s: must be the absolute path of a PEM file on the host when nginx_sites serves HTTPS, got %s"
                              % (name, to_json(values.get(name))))
    if not _absolute(values.get("nginx_acme_webroot")):
        errors.append("nginx_acme_webroot: must be an absolute path, got %s" % to_json(values.get("nginx_acme_webroot")))
    return errors


def mta_sts_errors(values):
    errors = []
    port = values.get("mta_sts_port")
    if isinstance(port, bool) or not (DIGITS_RE.match(str(port)) and 1 <= _int(port) <= 65535):
        errors.append("mta_sts_port: must be a TCP port from 1 to 65535, got %s" % to_json(port))
    timeout = values.get("mta_sts_timeout")
    if isinstance(timeout, bool) or not (DIGITS_RE.match(str(timeout)) and 1 <= _int(timeout) <= 60):
        errors.append("mta_sts_timeout: must be a whole number of seconds from 1 to 60, got %s" % to_json(timeout))
    return errors


def backup_errors(values):
    """The backup role's rules (plugins/module_utils/_backup.py); the password is never part of a message."""
    settings = {key[len("backup_"):]: value for key, value in values.items() if key.startswith("backup_")}
    return ["backup_%s: %s" % (key, message) for key, message in _backup.setting_errors(settings)]


def report_errors(values):
    """The daily report's rules: addresses, the schedule's text, resolvers, zones, paths, days."""
    errors = []
    if not values.get("report_to"):
        return errors
    for key in ("report_to", "report_from"):
        value = values.get(key)
        if not (isinstance(value, str) and _names.is_email_address(value)):
            errors.append("%s: must be an e-mail address such as postmaster@example.org, got %s" % (key, to_json(value)))
    when = values.get("report_time")
    if not isinstance(when, str) or not when.strip() or "\n" in when or "\r" in when:
        errors.append("report_time: must be a systemd OnCalendar expression such as \"*-*-* 06:30:00\", got %s"
                      % to_json(when))
    for resolver in values.get("report_resolvers") or []:
        if not _names.is_resolver(resolver):
            errors.append("report_resolvers: %s is not an address or address:port" % to_json(resolver))
    for zone in values.get("report_blocklists") or []:
        if not (isinstance(zone, str) and _names.is_domain_name(zone)):
            errors.append("report_blocklists: %s is not a DNS zone name such as zen.spamhaus.org" % to_json(zone))
    for address in values.get("report_addresses") or []:
        if not _names.is_ip_address(address):
            errors.append("report_addresses: %s is not an IP address" % to_json(address))
    for key in ("report_maildirs", "report_backup_program", "report_dmarc_maildir", "report_ca_bundle"):
        value = values.get(key)
        if value and not _absolute(value):
            errors.append("%s: must be an absolute path on the host, got %s" % (key, to_json(value)))
    for path in values.get("report_certificates") or []:
        if not _absolute(path):
            errors.append("report_certificates: %s is not an absolute path on the host" % to_json(path))
    days = values.get("report_dmarc_days")
    if isinstance(days, bool) or not (DIGITS_RE.match(str(days)) and 1 <= _int(days) <= 366):
        errors.append("report_dmarc_days: must be a whole number of days from 1 to 366, got %s" % to_json(days))
    return errors


def webmail_errors(values):
    """The webmail's rules: ports, names, the upload size."""
    errors = []
    for key in ("webmail_imap_port", "webmail_smtp_port", "webmail_managesieve_port"):
        port = values.get(key)
        low = 0 if key == "webmail_managesieve_port" else 1
        if isinstance(port, bool) or not (DIGITS_RE.match(str(port)) and low <= _int(port) <= 65535):
            errors.append("%s: must be a TCP port from %d to 65535, got %s" % (key, low, to_json(port)))
    server = values.get("webmail_server")
    if not (isinstance(server, str) and _names.is_domain_name(server)):
        errors.append("webmail_server: must be the mail server's host name, got %s" % to_json(server))
    names = values.get("webmail_names")
    if not (_is_list(names) and names and all(isinstance(n, str) and _names.is_domain_name(n) for n in names)):
        errors.append("webmail_names: must be a list of host names such as [mail.example.org], got %s" % to_json(names))
    size = values.get("webmail_upload_max")
    if not (isinstance(size, str) and re.match(r"^[1-9][0-9]*[KMG]\Z", size)):
        errors.append("webmail_upload_max: must be a size such as 25M (K, M or G), got %s" % to_json(size))
    lifetime = values.get("webmail_session_lifetime")
    if isinstance(lifetime, bool) or not (DIGITS_RE.match(str(lifetime)) and 1 <= _int(lifetime) <= 1440):
        errors.append("webmail_session_lifetime: must be minutes from 1 to 1440, got %s" % to_json(lifetime))
    ca_file = values.get("webmail_ca_file")
    if ca_file and not _absolute(ca_file):
        errors.append("webmail_ca_file: must be an absolute path on the host, got %s" % to_json(ca_file))
    return errors


RULES = {"backup": backup_errors, "report": report_errors, "webmail": webmail_errors, "certbot": certbot_errors,
         "fail2ban": fail2ban_errors, "nginx": nginx_errors, "mta_sts": mta_sts_errors,
         "postfix": postfix_errors, "dovecot": dovecot_errors, "opendkim": opendkim_errors,
         "rspamd": rspamd_errors, "unbound": unbound_errors}


def role_errors(role, values):
    """The messages of the broken rules of ``role`` for its variables ``values`` (a mapping)."""
    return RULES[role](values)
