# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the modules that ask DNS."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
requirements:
  - dnspython >= 2.4 where the module runs (usually the controller, with C(delegate_to=localhost))
options:
  resolvers:
    description:
      - Resolvers to ask, each C(address) or C(address:port) (IPv6 with a port as C([address]:port)).
      - Empty means the resolvers of the system the module runs on.
      - What matters is what the world sees, so point this at a public or authoritative server
        rather than a resolver that knows private names.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait for one server to answer one query.
    type: float
    default: 3
  lifetime:
    description: Seconds to spend on one query in total, across servers and retries.
    type: float
    default: 5
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details: Read-only; it asks DNS in check mode too.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
notes:
  - Lookups that fail come back as a status (V(nxdomain), V(noanswer), V(timeout), V(servfail), V(error)) with a
    message, never as a module failure.
"""
