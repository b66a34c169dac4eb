"""The role's real data rendered by postfix_config's functions gives, byte for byte, what the
templates of 0.1.0 (main.cf.j2, master.cf.j2, table.j2, aliases.j2, kept here as they were)
rendered: a host upgraded from 0.1.0 sees no change and no reload."""

import pathlib
import re

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import combine, comment, to_bool
from ansible.template import Templar, trust_as_template

from ansible_collections.postmaster.mail.plugins.module_utils._postfix import (
    merge_contributions,
    render_aliases,
    render_main_cf,
    render_master_cf,
    render_table,
    render_value,
)

ROLE = pathlib.Path(__file__).parents[4] / "roles" / "postfix"
HEADER = "Ansible managed"

OLD_MAIN_CF = r"""{{ ansible_managed | comment }}
# Rendered by the postmaster.mail.postfix role from postfix_main_cf and the settings other roles
# export; edits here are replaced on the next run. `postconf -n` shows the effective values.
{% for name, value in __postfix_main_cf | dictsort %}
{%   if value is not none %}
{{ name }} = {{ value | postmaster.mail.postfix_value(', ') }}
{%   endif %}
{% endfor %}
"""
OLD_MASTER_CF = r"""{{ ansible_managed | comment }}
# Rendered by the postmaster.mail.postfix role from postfix_master_cf; edits here are replaced on
# the next run. `postconf -M` shows the effective services.
#
# service type  private unpriv  chroot  wakeup  maxproc command + args
{% for key, svc in __postfix_master_cf.items() %}
{%   if svc is not none and svc.enabled | default(true) | bool %}
{{ '%-9s %-5s %-7s %-7s %-7s %-7s %-7s %s' | format(key.split('/')[0], key.split('/')[1],
   svc.private | default('-'), svc.unpriv | default('-'), svc.chroot | default('-'),
   svc.wakeup | default('-'), svc.maxproc | default('-'), svc.command) }}
{%     for option, value in (svc.options | default({})).items() %}
  -o {{ option }}={{ value | postmaster.mail.postfix_value(',') }}
{%     endfor %}
{%     for arg in svc.args | default([]) %}
  {{ arg }}
{%     endfor %}
{%   endif %}
{% endfor %}
"""
OLD_TABLE = r"""{{ ansible_managed | comment }}
# Rendered by the postmaster.mail.postfix role; the index beside it is rebuilt by postmap.
{% for key, value in item.value | dictsort %}
{{ key }} {{ value | postmaster.mail.postfix_value(', ') }}
{% endfor %}
"""
OLD_ALIASES = r"""{{ ansible_managed | comment }}
# Local aliases, rendered by the postmaster.mail.postfix role from postfix_local_aliases.
{% for name, targets in postfix_local_aliases | dictsort %}
{{ name }}: {{ targets | postmaster.mail.postfix_value(', ') }}
{% endfor %}
"""


def trust(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: trust(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trust(item) for item in value]
    return value


def role_data(**overrides):
    """The role's defaults and vars with ``overrides`` (as inventory variables would be), templated."""
    variables = {}
    for part in ("defaults", "vars"):
        with (ROLE / part / "main.yml").open() as stream:
            variables.update(trust(yaml.safe_load(stream)))
    variables.update(overrides)
    variables["ansible_facts"] = {"fqdn": "mail.example.org"}
    templar = Templar(variables=variables)
    names = ["__postfix_main_cf_base", "__postfix_master_cf_base", "__postfix_tables", "postfix_local_aliases",
             "postfix_milters", "postfix_main_cf_imports", "postfix_main_cf", "postfix_master_cf"]
    return {name: templar.template(variables[name]) for name in names}


def old_render(source, **variables):
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update({"comment": comment, "bool": to_bool, "postmaster.mail.postfix_value": render_value})
    return env.from_string(source).render(ansible_managed=HEADER, **variables)


SAMPLES = {
    "defaults": {},
    "a site": {
        "postfix_milters": ["unix:opendkim/opendkim.sock", "unix:opendkim/opendkim-ed25519.sock"],
        "postfix_main_cf_imports": [{"virtual_transport": "lmtp:unix:private/dovecot-lmtp",
                                     "lmtp_destination_concurrency_limit": 10},
                                    {"milter_default_action": "tempfail"}],
        "postfix_main_cf": {"message_size_limit": 52428800, "biff": None, "smtpd_tls_security_level": "encrypt"},
        "postfix_master_cf": {"submissions/inet": {"enabled": False}, "relay/unix": None,
                              "smtp/inet": {"options": {"smtpd_upstream_proxy_protocol": "haproxy"}},
                              "dovecot/unix": {"unpriv": "n", "chroot": "n", "command": "pipe",
                                               "args": ["flags=DRhu", "argv=/usr/lib/dovecot/deliver -d ${recipient}"]}},
        "postfix_virtual_mailbox_maps": {"alice@example.org": "example.org/alice/", "Bob@example.org": "OK"},
        "postfix_virtual_alias_maps": {"info@example.org": ["alice@example.org", "Bob@example.org"]},
        "postfix_sender_login_maps": {},
        "postfix_local_aliases": {"postmaster": ["root"], "root": ["alice@example.org"]},
        "postfix_inet_protocols": "ipv4",
        "postfix_submission_enabled": False,
    },
}


@pytest.mark.parametrize("sample", SAMPLES, ids=list(SAMPLES))
def test_the_files_are_what_the_old_templates_rendered(sample):
    data = role_data(**trust(SAMPLES[sample]))
    merged = merge_contributions(
        data["__postfix_main_cf_base"], base_master_cf=data["__postfix_master_cf_base"],
        base_tables=data["__postfix_tables"], contributions={}, imports=data["postfix_main_cf_imports"],
        user_main_cf=data["postfix_main_cf"], user_master_cf=data["postfix_master_cf"], milters=data["postfix_milters"])
    assert merged["errors"] == []

    # 0.1.0's merge: the milters in the base, then combine(list_merge='replace'). Now the
    # outbound milters (all of them here: plain milters are for every flow) are also a parameter
    # of their own, which the submission services refer to.
    old_base = dict(data["__postfix_main_cf_base"], smtpd_milters=data["postfix_milters"],
                    non_smtpd_milters=data["postfix_milters"], postmaster_outbound_milters=data["postfix_milters"])
    old_main_cf = combine([old_base] + data["postfix_main_cf_imports"] + [data["postfix_main_cf"]], list_merge="replace")
    old_master_cf = combine(data["__postfix_master_cf_base"], data["postfix_master_cf"], recursive=True)

    assert render_main_cf(merged["main_cf"], HEADER) == old_render(OLD_MAIN_CF, __postfix_main_cf=old_main_cf)
    # 0.1.0 had no option with spaces, which now take master.cf's braces: -o { name = value }.
    old_master = re.sub(r"(?m)^  -o ([a-z_]+)=([^\n]* [^\n]*)$", r"  -o { \1 = \2 }",
                        old_render(OLD_MASTER_CF, __postfix_master_cf=old_master_cf))
    assert render_master_cf(merged["master_cf"], HEADER) == old_master
    assert merged["tables"].keys() == data["__postfix_tables"].keys()
    for name, entries in merged["tables"].items():
        if name.endswith(".regexp"):  # pattern tables came later (no 0.1.0 template): their text
            continue
        assert render_table(entries, HEADER) == old_render(OLD_TABLE, item={"key": name, "value": entries})
    assert render_aliases(data["postfix_local_aliases"], HEADER) == old_render(
        OLD_ALIASES, postfix_local_aliases=data["postfix_local_aliases"])


def test_the_sample_says_something():
    data = role_data(**trust(SAMPLES["a site"]))
    text = render_master_cf(merge_contributions({}, base_master_cf=data["__postfix_master_cf_base"],
                                                user_master_cf=data["postfix_master_cf"])["master_cf"])
    assert "submission inet" not in text and "submissions inet" not in text and "relay " not in text
    assert "  -o smtpd_upstream_proxy_protocol=haproxy\n" in text
