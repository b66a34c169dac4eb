# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MTA-STS (RFC 8461) policies and the files mail clients set themselves up from (Thunderbird
autoconfig, Outlook autodiscover). Pure functions. Private.

One policy serves every domain of a host: its MX names are the host's. Its id is a digest of its
text, so the `_mta-sts` TXT record changes exactly when the policy does.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

MODES = ("testing", "enforce", "none")
# RFC 8461 3.2: at most a year.
MAX_AGE_MAX = 31557600
POLICY_PATH = "/.well-known/mta-sts.txt"
AUTOCONFIG_PATH = "/mail/config-v1.1.xml"
AUTODISCOVER_PATH = "/autodiscover/autodiscover.xml"
# The host-name labels of the web endpoint, per served domain.
WEB_LABELS = {"mta_sts": ("mta-sts",), "autoconfig": ("autoconfig", "autodiscover")}


def policy(mode, mx, max_age):
    """The policy file's text (CRLF lines, RFC 8461 3.2)."""
    if mode not in MODES:
        raise ValueError("mode must be one of %s, not %r" % (", ".join(MODES), mode))
    lines = ["version: STSv1", "mode: %s" % mode]
    lines += ["mx: %s" % name.lower().rstrip(".") for name in mx]
    lines.append("max_age: %d" % int(max_age))
    return "\r\n".join(lines) + "\r\n"


def policy_id(text):
    """The id of the TXT record: 20 hex digits of the policy's SHA-256 (RFC 8461 3.1: 1-32 alphanumerics)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def txt_value(text):
    return "v=STSv1; id=%s" % policy_id(text)


def parse_txt(value):
    """The id of an `_mta-sts` TXT value, or None when it is not a valid STSv1 record."""
    parts = [part.strip() for part in value.split(";")]
    if parts[0].replace(" ", "") != "v=STSv1":
        return None
    tags = dict((part.split("=", 1) + [""])[:2] for part in parts[1:] if part)
    found = tags.get("id", "").strip()
    return found if found and len(found) <= 32 and found.isalnum() and found.isascii() else None


def parse_policy(text):
    """({'version', 'mode', 'mx': [...], 'max_age'}, [problems]) of a policy file's text."""
    fields = {"mx": []}
    problems = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if not line.strip():
            continue
        if ":" not in line:
            problems.append("line %d is not 'key: value': %r" % (number, line[:60]))
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        if key == "mx":
            fields["mx"].append(value.lower().rstrip("."))
        elif key in fields:
            problems.append("%s appears twice" % key)
        else:
            fields[key] = value
    if fields.get("version") != "STSv1":
        problems.append("version must be STSv1, not %r" % fields.get("version", ""))
    if fields.get("mode") not in MODES:
        problems.append("mode must be testing, enforce or none, not %r" % fields.get("mode", ""))
    age = fields.get("max_age", "")
    if not age.isdigit() or int(age) > MAX_AGE_MAX:
        problems.append("max_age must be a number of seconds up to %d, not %r" % (MAX_AGE_MAX, age))
    else:
        fields["max_age"] = int(age)
    if not fields["mx"] and fields.get("mode") != "none":
        problems.append("no mx line")
    return fields, problems


def mx_matches(pattern, host):
    """Whether a policy's mx pattern covers an MX host (RFC 8461 4.1: "*." matches one label)."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return "." in host and host.split(".", 1)[1] == pattern[2:]
    return pattern == host


def web_names(domains, mta_sts=True, autoconfig=True):
    """The web endpoint's host names for these domains, in order: mta-sts.<d>, autoconfig.<d>, autodiscover.<d>."""
    labels = (WEB_LABELS["mta_sts"] if mta_sts else ()) + (WEB_LABELS["autoconfig"] if autoconfig else ())
    return ["%s.%s" % (label, domain.lower().rstrip(".")) for domain in domains for label in labels]


_SERVER = {
    "imaps": ("incomingServer", "imap", 993, "SSL"),
    "imap": ("incomingServer", "imap", 143, "STARTTLS"),
    "pop3s": ("incomingServer", "pop3", 995, "SSL"),
    "pop3": ("incomingServer", "pop3", 110, "STARTTLS"),
    "submissions": ("outgoingServer", "smtp", 465, "SSL"),
    "submission": ("outgoingServer", "smtp", 587, "STARTTLS"),
}
# Preferred first: implicit TLS, IMAP before POP3 (as the SRV priorities).
_ORDER = ("imaps", "imap", "pop3s", "pop3", "submissions", "submission")


def _offered(services):
    services = services or {}
    defaults = {"submissions": True, "submission": True, "imaps": True, "imap": False, "pop3s": True, "pop3": False}
    return [name for name in _ORDER if dict(defaults, **services)[name]]


def autoconfig_xml(hostname, domains, services=None, display_name=None):
    """Thunderbird's autoconfig file (config-v1.1) for every served domain: one provider."""
    hostname = hostname.lower().rstrip(".")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<clientConfig version="1.1">',
             '  <emailProvider id="%s">' % escape(hostname)]
    lines += ["    <domain>%s</domain>" % escape(d.lower().rstrip(".")) for d in domains]
    lines += ["    <displayName>%s</displayName>" % escape(display_name or hostname),
              "    <displayShortName>%s</displayShortName>" % escape(display_name or hostname)]
    for name in _offered(services):
        element, kind, port, socket = _SERVER[name]
        lines += ['    <%s type="%s">' % (element, kind),
                  "      <hostname>%s</hostname>" % escape(hostname),
                  "      <port>%d</port>" % port,
                  "      <socketType>%s</socketType>" % socket,
                  "      <authentication>password-cleartext</authentication>",
                  "      <username>%EMAILADDRESS%</username>",
                  "    </%s>" % element]
    lines += ["  </emailProvider>", "</clientConfig>"]
    return "\n".join(lines) + "\n"


def autodiscover_xml(hostname, services=None):
    """Outlook's autodiscover answer (POX, 2006a schema): the same for every address, whose login
    is the address itself."""
    hostname = hostname.lower().rstrip(".")
    kinds = {"imap": "IMAP", "pop3": "POP3", "smtp": "SMTP"}
    protocols = []
    seen = set()
    for name in _offered(services):
        _element, kind, port, socket = _SERVER[name]
        if kind in seen:  # one protocol entry each: the preferred port
            continue
        seen.add(kind)
        protocols += ["      <Protocol>",
                      "        <Type>%s</Type>" % kinds[kind],
                      "        <Server>%s</Server>" % escape(hostname),
                      "        <Port>%d</Port>" % port,
                      "        <DomainRequired>off</DomainRequired>",
                      "        <SPA>off</SPA>",
                      "        <SSL>on</SSL>",
                      "        <Encryption>%s</Encryption>" % ("SSL" if socket == "SSL" else "TLS"),
                      "        <AuthRequired>on</AuthRequired>",
                      "      </Protocol>"]
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">',
             '  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">',
             "    <Account>",
             "      <AccountType>email</AccountType>",
             "      <Action>settings</Action>"] + protocols + ["    </Account>", "  </Response>", "</Autodiscover>"]
    return "\n".join(lines) + "\n"
