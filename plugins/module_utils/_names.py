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
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(%s\.)+[A-Za-z]{2,63}$" % LABEL)
# RFC 5321 local part, dot-atom form (quoted local parts are legal and never used in practice).
LOCAL_PART_RE = re.compile(r"^(?=.{1,64}$)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


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
