# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Asks the local Unbound (127.0.0.1) for the A records of each name given as an argument and
# prints {name: {"status": ..., "msg": ...}} as JSON. Run by the role before /etc/resolv.conf
# points at Unbound. Written for Debian's dnspython 2.3 (bookworm) and 2.7 (trixie): the
# collection's dns_name_info needs dnspython >= 2.4.
import json
import sys

import dns.exception
import dns.resolver

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = ["127.0.0.1"]
resolver.timeout = 3.0
resolver.lifetime = 5.0
resolver.cache = None
answers = {}
for name in sys.argv[1:]:
    try:
        resolver.resolve(name, "A", search=False)
        status, msg = "ok", ""
    except dns.resolver.NXDOMAIN:
        status, msg = "nxdomain", ""
    except dns.resolver.NoAnswer:
        status, msg = "noanswer", ""
    except dns.resolver.NoNameservers as exc:  # SERVFAIL or REFUSED
        status, msg = "servfail", str(exc)
    except dns.exception.Timeout as exc:
        status, msg = "timeout", str(exc)
    except Exception as exc:  # pylint: disable=broad-except  # reported, not raised
        status, msg = "error", str(exc)
    answers[name.lower().rstrip(".")] = {"status": status, "msg": msg}
print(json.dumps(answers))
