# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that builds Postfix's lookup tables from the collection's public variables."""

from __future__ import annotations

DOCUMENTATION = r"""
name: mail_postfix_maps
short_description: Postfix's mailbox, alias and sender-login tables from mail_users and mail_aliases
version_added: 0.1.0
description:
  - Every user is a mailbox. C(postmaster@) and C(abuse@) of every served domain go to the first
    user unless already mapped. In a domain with a catch-all (C(@domain)), each mailbox maps to
    itself so the catch-all never swallows it. A user may send as themselves and as every alias
    (not a catch-all) whose targets include them. Addresses are lower-cased.
  - The aliases and catch-alls with a target outside the served domains are listed apart, as
    C(forwarding_recipients) (mail to them leaves the server again).
positional: aliases, domains
options:
  _input:
    description: The users (C(mail_users)); only C(address) is read.
    type: list
    elements: dict
    required: true
  aliases:
    description: The aliases (C(mail_aliases)), each C({address, to}).
    type: list
    elements: dict
    required: true
  domains:
    description: The served domains (C(mail_domains)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Show the tables
  ansible.builtin.debug:
    msg: "{{ mail_users | postmaster.mail.mail_postfix_maps(mail_aliases, mail_domains) }}"
"""

RETURN = r"""
_value:
  description:
    - C(virtual_mailbox_maps), C(virtual_alias_maps) and C(sender_login_maps), as dicts.
    - C(forwarding_recipients), a sorted list of the aliases (C(@domain) for a catch-all) that forward outside.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.postmaster.mail.plugins.module_utils._wiring import postfix_maps


def mail_postfix_maps(users, aliases, domains):
    try:
        return postfix_maps(users, aliases, domains)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("mail_users / mail_aliases: %s" % (exc,)) from exc


class FilterModule:
    def filters(self):
        return {"mail_postfix_maps": mail_postfix_maps}
