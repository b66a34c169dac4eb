# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every DNS-asking module does first: its common options and a ready lookup. Private."""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.postmaster.mail.plugins.module_utils import _dns

RESOLVER_OPTIONS = dict(
    resolvers=dict(type="list", elements="str", default=[]),
    timeout=dict(type="float", default=3.0),
    lifetime=dict(type="float", default=5.0),
)


def lookup_for(module):
    """A _dns.Lookup over the module's resolvers, or fail_json with a message naming the option."""
    if not _dns.HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib("dnspython (pip install dnspython, or Debian's python3-dnspython)"),
                         exception=str(_dns.DNSPYTHON_IMPORT_ERROR))
    params = module.params
    if params["timeout"] <= 0 or params["lifetime"] <= 0:
        module.fail_json(msg="timeout and lifetime must be positive numbers of seconds")
    try:
        resolver = _dns.make_resolver(params["resolvers"], params["timeout"], params["lifetime"])
    except ValueError as exc:
        module.fail_json(msg="resolvers: %s" % exc)
    return _dns.Lookup(resolver)


def resolvers_label(module):
    return ", ".join(module.params["resolvers"]) or "the system's resolvers"
