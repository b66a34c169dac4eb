# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenDKIM's configuration as text: pure functions for postmaster.mail.opendkim_config. Private to
this collection: no stable API.

The files are those the opendkim role's templates of 0.2.0 rendered, byte for byte for the same
data (tests/unit/plugins/module_utils/test_opendkim.py keeps the templates and compares), so a
host converged before sees no change and no reload.
"""

from __future__ import annotations

import re

from ansible_collections.postmaster.mail.plugins.module_utils import _dkim
from ansible_collections.postmaster.mail.plugins.module_utils._postfix import comment_block

# What every instance dict carries (the role's __opendkim_instances_all).
INSTANCE_KEYS = ("type", "service", "config", "tables_suffix", "socket", "pidfile", "algorithm", "mode")
# The lines OpenDKIM reads only when it starts: a reload (SIGUSR1) keeps the old socket, its mode
# and the user the process runs as.
RESTART_LINES_RE = re.compile(r"(?m)^(Socket|UMask|UserID)\s+(\S+)")
# A value written into a configuration line: one token, no line break.
VALUE_RE = re.compile(r"^\S+\Z")


def key_path(keys_dir, domain, selector):
    return "%s/%s/%s.private" % (keys_dir, domain, selector)


def check_request(domains, instances, selectors, rsa_size, internal_hosts, umask, aliases=None):
    """A list of problems with the module's input (empty when it is fine)."""
    problems = []
    seen = set()
    for instance in instances:
        missing = [key for key in INSTANCE_KEYS if instance.get(key) is None]
        if missing:
            problems.append("instance %r lacks %s" % (instance.get("service"), ", ".join(missing)))
            continue
        if instance["type"] not in _dkim.KEY_TYPES:
            problems.append("instance %s: type %r is not one of %s"
                            % (instance["service"], instance["type"], ", ".join(_dkim.KEY_TYPES)))
        elif instance["type"] in seen:
            problems.append("two instances sign with %s keys" % instance["type"])
        seen.add(instance["type"])
        bad = [key for key in INSTANCE_KEYS if key != "tables_suffix" and not VALUE_RE.match(str(instance[key]))]
        if bad or "\n" in str(instance["tables_suffix"]) or " " in str(instance["tables_suffix"]):
            problems.append("instance %s: %s must be one word each" % (instance["service"], ", ".join(bad or ["tables_suffix"])))
        if instance["type"] in _dkim.KEY_TYPES and not selectors.get(instance["type"]):
            problems.append("selectors has no selector for the %s instance" % instance["type"])
    for domain in domains:
        for key_type in sorted(key_type for key_type in seen & set(_dkim.KEY_TYPES) if selectors.get(key_type)):
            for problem in _dkim.check_request(domain, selectors.get(key_type), key_type, rsa_size):
                if problem not in problems:
                    problems.append(problem)
    for alias, domain in sorted((aliases or {}).items()):
        if domain not in domains or not _dkim.DOMAIN_RE.match(str(alias)):
            problems.append("signing alias %s: must be a domain name signed with the key of a served domain, got %r"
                            % (alias, domain))
    bad_hosts = [host for host in internal_hosts if not VALUE_RE.match(str(host))]
    if bad_hosts:
        problems.append("internal_hosts must be addresses, networks or host names, one word each: %r" % (bad_hosts,))
    if not re.match(r"^[0-7]{3,4}\Z", str(umask)):
        problems.append("umask %r is not an octal mode such as 0117" % (umask,))
    return problems


def selector_of(selector, domain):
    """A selector given for every domain (a string) or per domain ({domain: selector})."""
    return selector[domain] if isinstance(selector, dict) else selector


def keys(domains, instances, selectors, keys_dir, domain_selectors=None):
    """The keys the instances sign with: one per (domain, instance type), in that order.
    domain_selectors: {domain: {type: selector}} (a rotation's), over selectors."""
    wanted = []
    for domain in domains:
        for instance in instances:
            selector = ((domain_selectors or {}).get(domain) or {}).get(instance["type"]) or selectors[instance["type"]]
            wanted.append({"domain": domain, "type": instance["type"], "selector": selector,
                           "path": key_path(keys_dir, domain, selector)})
    return wanted


def render_internal_hosts(hosts, header=""):
    lines = [comment_block(header), "# Hosts whose mail is signed without SMTP authentication.\n"]
    lines.extend("%s\n" % host for host in hosts)
    return "".join(lines)


def render_key_table(instance, domains, selector, keys_dir, header=""):
    lines = [comment_block(header),
             "# The %s keys. <selector>._domainkey.<domain> <domain>:<selector>:<private key>\n" % instance["type"]]
    for domain in domains:
        chosen = selector_of(selector, domain)
        lines.append("%s %s:%s:%s\n" % (_dkim.dns_name(chosen, domain), domain, chosen,
                                        key_path(keys_dir, domain, chosen)))
    return "".join(lines)


def render_signing_table(instance, domains, selector, header="", aliases=None):
    """Each served domain's senders signed with its key; each domain of ``aliases`` (sender domain
    => served domain, e.g. the host name => the primary domain) with that served domain's key."""
    lines = [comment_block(header),
             "# Sender address pattern => KeyTable entry (%s keys). Only served domains are signed.\n" % instance["type"]]
    lines.extend("*@%s %s\n" % (domain, _dkim.dns_name(selector_of(selector, domain), domain)) for domain in domains)
    for alias, domain in sorted((aliases or {}).items()):
        lines.append("*@%s %s\n" % (alias, _dkim.dns_name(selector_of(selector, domain), domain)))
    return "".join(lines)


UNIT = """\
# OpenDKIM for the {type} keys, from Debian's opendkim.service. Reload sends SIGUSR1
# with the shell's kill: /bin/kill (procps) is not on every host.
[Unit]
Description=OpenDKIM Milter ({type} signatures)
Documentation=man:opendkim(8) man:opendkim.conf(5)
After=network-online.target nss-lookup.target
Wants=network-online.target

[Service]
Type=forking
PIDFile={pidfile}
ExecStart=/usr/sbin/opendkim -x {config}
ExecReload=/bin/sh -c 'kill -USR1 "$$MAINPID"'
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def render_unit(instance, header=""):
    return comment_block(header) + UNIT.format(**instance)


CONFIG = """\
# Rendered by the postmaster.mail.opendkim role: the {type} instance ({service}).
# `opendkim -n -x <this file>` checks it.
Syslog                  yes
SyslogSuccess           yes
# s: sign mail from internal hosts and authenticated clients; v: verify the rest.
Mode                    {mode}
Canonicalization        relaxed/relaxed
# The headers signed (OpenDKIM's own list leaves out Message-ID), and those signed once more than
# they occur, so none can be added after signing.
SignHeaders             {sign_headers}
OversignHeaders         From,To,Cc,Subject,Date,Reply-To,Message-ID
SignatureAlgorithm      {algorithm}
KeyTable                file:{config_dir}/KeyTable{tables_suffix}
SigningTable            refile:{config_dir}/SigningTable{tables_suffix}
InternalHosts           {config_dir}/InternalHosts
ExternalIgnoreList      {config_dir}/InternalHosts

# The socket lives in Postfix's chroot; OpenDKIM runs with Postfix's group and UMask 0117, so the
# socket is srw-rw---- opendkim:postfix: only Postfix (and OpenDKIM) can open it.
UserID                  {user}:{group}
UMask                   {umask}
Socket                  local:{socket}
PidFile                 {pidfile}
TrustAnchorFile         /usr/share/dns/root.key
"""


# The headers signed: RFC 6376's list (5.4.1) and the list headers of RFC 2369/8058.
SIGN_HEADERS = ("From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc", "In-Reply-To", "References",
                "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "List-Id", "List-Unsubscribe",
                "List-Unsubscribe-Post")


def render_config(instance, config_dir, user, group, umask, header=""):
    return comment_block(header) + CONFIG.format(config_dir=config_dir, user=user, group=group, umask=umask,
                                                 sign_headers=",".join(SIGN_HEADERS), **instance)


def startup_lines(text):
    """The Socket, UMask and UserID lines of a configuration, sorted ("Socket local:/x", ...)."""
    return sorted("%s %s" % match for match in RESTART_LINES_RE.findall(text or ""))


def restart_needed(live_text, new_text):
    """Whether an instance must be restarted rather than reloaded: it has no live configuration
    yet (it is new), or a line OpenDKIM reads only at startup differs."""
    if live_text is None:
        return True
    return startup_lines(live_text) != startup_lines(new_text)


def records(results):
    """``{dns_name: txt_strings}`` from _dkim.record() results, as opendkim_dns_records holds."""
    return dict((record["dns_name"], record["txt_strings"]) for record in results)
