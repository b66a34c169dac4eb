#!/usr/bin/python
# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the action plugin plugins/action/role_check.py, which does the work; there is no module to run.

from __future__ import annotations

DOCUMENTATION = r"""
module: role_check
short_description: Check the variables of the collection's roles before the host changes
version_added: 0.3.0
description:
  - For each role of O(roles), templates the role's variables once (those its C(main) entry point's
    argument spec names), checks them against that argument spec (types, choices, as
    M(ansible.builtin.validate_argument_spec) would), then against the role's rules that an
    argument spec cannot express (host and domain names, networks, URLs, ranges, the mail users;
    C(plugins/module_utils/_role_rules.py), one definition of each, unit-tested).
  - Fails with every broken rule of every role in one message, each naming its variable. Messages
    about users name them by address, never by password or hash.
  - An action that runs in the controller's process; it runs no module and does not connect to
    the host. C(postmaster.mail.server) checks its four roles in one such task; each role's
    C(preflight) entry point checks its own.
author:
  - postmaster.mail developers (@postmaster-mail)
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: Everything is done by the action plugin, on the controller.
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: It never changes anything.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  roles:
    description: The roles whose variables to check.
    type: list
    elements: str
    choices: [certbot, dovecot, fail2ban, mta_sts, nginx, opendkim, postfix, rspamd, unbound]
    required: true
  argument_spec:
    description:
      - Check the roles' argument specs too. A role's C(preflight) entry point passes V(false),
        since Ansible checked its argument spec when the entry point started.
    type: bool
    default: true
  errors:
    description:
      - Messages found elsewhere to report with the others, e.g. those of the merged Postfix
        configuration (the C(errors) of P(postmaster.mail.postfix_merge#filter)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check the roles' variables
  postmaster.mail.role_check:
    roles: [postfix, opendkim]
    errors: "{{ __postfix_merged.errors }}"
"""

RETURN = r"""
errors:
  description: Every broken rule, one message each; empty when the variables are valid.
  returned: always
  type: list
  elements: str
  sample: ["opendkim_rsa_size: must be at least 2048 bits (receivers distrust shorter RSA keys), got 512"]
roles:
  description: The roles checked.
  returned: always
  type: list
  elements: str
  sample: [postfix, opendkim]
"""
