# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for names and addresses, over module_utils/_names.py (documented in the .yml files beside)."""

from __future__ import annotations

from ansible_collections.postmaster.mail.plugins.module_utils import _names


class TestModule:
    def tests(self):
        return {
            "domain_name": _names.is_domain_name,
            "email_address": _names.is_email_address,
            "ip_address": _names.is_ip_address,
            "resolver_address": _names.is_resolver,
        }
