# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host name, a domain and a mail address look like. Private: no stable API.

One definition for the roles' preflights (through the test plugins), site.yml and the modules.
"""

from __future__ import annotations

import ipaddress
import re

LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# At least two labels and a letter-only top-level label: "localhost" or "mail" alone are not
# names the world can reach, and an all-numeric last label would be an address.
DOMAIN_RE = re.compile(r"^(?=.{1,253}\Z)(%s\.)+[A-Za-z]{2,63}\Z" % LABEL)
# RFC 5321 local part, dot-atom form (quoted local parts are legal and never used in practice).
LOCAL_PART_RE = re.compile(r"^(?=.{1,64}\Z)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


def is_domain_name(value):
    return isinstance(value, str) and bool(DOMAIN_RE.match(value))


def is_email_address(value):
    if not isinstance(value, str) or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    return bool(LOCAL_PART_RE.match(local)) and is_domain_name(domain)


def is_ip_address(value, version=None):
    try:
        address = ipaddress.ip_address(value if isinstance(value, str) else "")
    except ValueError:
        return False
    return version is None or address.version == int(version)


def parse_resolver(spec):
    """'192.0.2.1', '192.0.2.1:5353', '2001:db8::1', '[2001:db8::1]:5353' -> (address, port)."""
    text = str(spec).strip()
    port = 53
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError("%r is not address, address:port or [IPv6]:port" % (spec,))
        text, port_text = host, rest[1:]
        if port_text:
            port = _port(port_text, spec)
    elif text.count(":") == 1:
        text, port_text = text.split(":")
        port = _port(port_text, spec)
    try:
        address = str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError("%r is not an IP address (optionally with :port)" % (spec,))
    return address, port


def _port(text, spec):
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError("%r has no valid port after the colon" % (spec,))
    return int(text)


def is_resolver(value):
    if not isinstance(value, str):
        return False
    try:
        parse_resolver(value)
    except ValueError:
        return False
    return True
