# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that merges the layers of Postfix's configuration: the role's, other roles', the user's."""

from __future__ import annotations

DOCUMENTATION = r"""
name: postfix_merge
short_description: Merge Postfix settings from the role, other roles' contributions and the user
version_added: 0.2.0
description:
  - C(main.cf) is merged from the input, then each contribution's C(main_cf) in (C(order), name)
    order, then C(smtpd_milters) and C(non_smtpd_milters), then O(imports), then O(user_main_cf).
  - The milters of every contribution are sorted by (milter C(order) - the contribution's unless
    the milter has its own -, contributor name, position), each in Postfix's per-milter form
    C({ unix:opendkim/opendkim.sock, default_action=accept }) (Postfix 3.0 and later), followed by
    the plain O(milters).
  - Each milter has a C(flow). C(inbound) is mail arriving on port 25 from outside mynetworks,
    C(outbound) the rest (587/465, mynetworks on port 25, sendmail on the host), C(all) (the
    default, and every plain milter) both.
  - C(smtpd_milters) is set to the milters of C(all) and C(inbound). C(non_smtpd_milters) and the
    custom parameter C(postmaster_outbound_milters) get those of C(all) and C(outbound); the
    submission services refer to the latter.
  - When the two lists differ and O(client_networks) is given, the table C(milter_clients.cidr)
    gives those networks the outbound milters on port 25 (C(smtpd_milter_maps)).
  - C(master.cf) is merged from O(master_cf), the contributions' services, then O(user_master_cf),
    field by field (as C(ansible.builtin.combine(recursive=true))); a null removes a service.
  - The lookup tables are O(tables) and the contributions' own.
  - Two contributions that set the same C(main.cf) key, C(master.cf) service or table
    differently are reported as an error naming both, never merged silently; a C(main.cf) key
    that O(user_main_cf) sets is decided there.
  - The result's C(errors) also holds every rule the merged configuration breaks (the shape of
    the contributions, parameter names, values that cannot be written on one line, invalid
    C(master.cf) entries, table keys), with the messages of the postfix role's preflight.
positional: master_cf, tables, contributions, imports, user_main_cf, user_master_cf, milters, client_networks
options:
  _input:
    description: The base C(main.cf) settings, name => value.
    type: dict
    required: true
  master_cf:
    description: The base C(master.cf) services, keyed C(name/type).
    type: dict
    default: {}
  tables:
    description: The base lookup tables, file name => entries.
    type: dict
    default: {}
  contributions:
    description:
      - What other roles contribute, keyed by the contributing role's name. Each value is a dict
        with any of C(order) (int, default 50), C(main_cf) (dict), C(milters) (list of
        C({socket, default_action, order, flow}), C(default_action) one of C(accept), C(tempfail),
        C(reject), C(quarantine), default C(accept); C(order) default the contribution's; C(flow)
        one of C(all), C(inbound) (port 25 from outside), C(outbound) (submission, mynetworks and
        local mail), C(smtpd) (all SMTP clients, not local mail), default C(all)),
        C(master_cf) (dict of services) and C(tables) (file name => entries).
    type: dict
    default: {}
  imports:
    description: main.cf dicts merged in order after the contributions (the 0.1.0 way, kept for compatibility).
    type: list
    elements: dict
    default: []
  user_main_cf:
    description: The user's main.cf settings, merged last; they override anything.
    type: dict
    default: {}
  user_master_cf:
    description: The user's master.cf services, merged last.
    type: dict
    default: {}
  milters:
    description: Plain milter addresses, after the contributed ones; they use C(milter_default_action).
    type: list
    elements: str
    default: []
  client_networks:
    description: The networks whose mail on port 25 is outbound (C(mynetworks)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Merge two roles' milters and a setting
  ansible.builtin.debug:
    msg: >-
      {{ {'myhostname': 'mail.example.org'} | postmaster.mail.postfix_merge(
           contributions={
             'opendkim': {'order': 20, 'milters': [{'socket': 'unix:opendkim/opendkim.sock'}]},
             'rspamd': {'milters': [{'socket': 'inet:127.0.0.1:11332', 'default_action': 'tempfail'}]},
             'dovecot': {'order': 10, 'main_cf': {'virtual_transport': 'lmtp:unix:private/dovecot-lmtp'}}},
           user_main_cf={'message_size_limit': 52428800}) }}
  # smtpd_milters: ["{ unix:opendkim/opendkim.sock, default_action=accept }",
  #                 "{ inet:127.0.0.1:11332, default_action=tempfail }"]
"""

RETURN = r"""
_value:
  description: The merged configuration and what is wrong with it.
  type: dict
  contains:
    main_cf:
      description: main.cf settings, name => value (null values are to be left out).
      type: dict
    master_cf:
      description: master.cf services, keyed C(name/type) (null ones are to be left out).
      type: dict
    tables:
      description: Lookup tables, file name => entries.
      type: dict
    errors:
      description: One message per problem; empty when the configuration can be written.
      type: list
      elements: str
"""

from ansible_collections.postmaster.mail.plugins.module_utils._postfix import merge_contributions


def postfix_merge(main_cf, master_cf=None, tables=None, contributions=None, imports=None,
                  user_main_cf=None, user_master_cf=None, milters=None, client_networks=None):
    return merge_contributions(main_cf, base_master_cf=master_cf, base_tables=tables,
                               contributions=contributions, imports=imports, user_main_cf=user_main_cf,
                               user_master_cf=user_master_cf, milters=milters, client_networks=client_networks)


class FilterModule:
    def filters(self):
        return {"postfix_merge": postfix_merge}
