"""The pure side of postmaster.mail.opendkim_config: the role's real data rendered by _opendkim's
functions gives, byte for byte, what the opendkim role's templates of 0.2.0 (kept here as they
were) rendered, so a converged host sees no change; the restart decision; the input checks."""

import pathlib

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import comment
from ansible.template import Templar, trust_as_template

from ansible_collections.postmaster.mail.plugins.module_utils import _opendkim

ROLE = pathlib.Path(__file__).parents[4] / "roles" / "opendkim"
HEADER = "Ansible managed"
CONFIG_DIR = "/etc/opendkim"
KEYS_DIR = "/etc/opendkim/keys"

OLD_INTERNAL_HOSTS = r"""{{ ansible_managed | comment }}
# Hosts whose mail is signed without SMTP authentication.
{% for host in opendkim_internal_hosts %}
{{ host }}
{% endfor %}
"""
OLD_KEY_TABLE = r"""{{ ansible_managed | comment }}
# The {{ instance.type }} keys. <selector>._domainkey.<domain> <domain>:<selector>:<private key>
{% for domain in opendkim_domains | map('lower') %}
""" r"""{{ __opendkim_selectors[instance.type] }}._domainkey.{{ domain }} {{ domain }}:{{ __opendkim_selectors[instance.type] }}:""" \
    r"""{{ __opendkim_keys_dir }}/{{ domain }}/{{ __opendkim_selectors[instance.type] }}.private
{% endfor %}
"""
OLD_SIGNING_TABLE = r"""{{ ansible_managed | comment }}
# Sender address pattern => KeyTable entry ({{ instance.type }} keys). Only served domains are signed.
{% for domain in opendkim_domains | map('lower') %}
*@{{ domain }} {{ __opendkim_selectors[instance.type] }}._domainkey.{{ domain }}
{% endfor %}
"""
OLD_UNIT = r"""{{ ansible_managed | comment }}
# OpenDKIM for the {{ instance.type }} keys, from Debian's opendkim.service. Reload sends SIGUSR1
# with the shell's kill: /bin/kill (procps) is not on every host.
[Unit]
Description=OpenDKIM Milter ({{ instance.type }} signatures)
Documentation=man:opendkim(8) man:opendkim.conf(5)
After=network-online.target nss-lookup.target
Wants=network-online.target

[Service]
Type=forking
PIDFile={{ instance.pidfile }}
ExecStart=/usr/sbin/opendkim -x {{ instance.config }}
ExecReload=/bin/sh -c 'kill -USR1 "$$MAINPID"'
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""
OLD_CONFIG = r"""{{ ansible_managed | comment }}
# Rendered by the postmaster.mail.opendkim role: the {{ instance.type }} instance ({{ instance.service }}).
# `opendkim -n -x <this file>` checks it.
Syslog                  yes
SyslogSuccess           yes
# s: sign mail from internal hosts and authenticated clients; v: verify the rest.
Mode                    {{ instance.mode }}
Canonicalization        relaxed/relaxed
# The headers signed (OpenDKIM's own list leaves out Message-ID), and those signed once more than
# they occur, so none can be added after signing.
SignHeaders             {{ 'From,Sender,Reply-To,Subject,Date,Message-ID,To,Cc,In-Reply-To,References,'
  ~ 'MIME-Version,Content-Type,Content-Transfer-Encoding,List-Id,List-Unsubscribe,List-Unsubscribe-Post' }}
OversignHeaders         From,To,Cc,Subject,Date,Reply-To,Message-ID
SignatureAlgorithm      {{ instance.algorithm }}
KeyTable                file:{{ __opendkim_config_dir }}/KeyTable{{ instance.tables_suffix }}
SigningTable            refile:{{ __opendkim_config_dir }}/SigningTable{{ instance.tables_suffix }}
InternalHosts           {{ __opendkim_config_dir }}/InternalHosts
ExternalIgnoreList      {{ __opendkim_config_dir }}/InternalHosts

# The socket lives in Postfix's chroot; OpenDKIM runs with Postfix's group and UMask 0117, so the
# socket is srw-rw---- opendkim:postfix: only Postfix (and OpenDKIM) can open it.
UserID                  {{ __opendkim_user }}:{{ __opendkim_group }}
UMask                   {{ __opendkim_umask }}
Socket                  local:{{ instance.socket }}
PidFile                 {{ instance.pidfile }}
TrustAnchorFile         /usr/share/dns/root.key
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
    templar = Templar(variables=variables)
    names = ["opendkim_domains", "opendkim_internal_hosts", "__opendkim_instances", "__opendkim_unused_instances",
             "__opendkim_selectors", "__opendkim_domains", "__opendkim_instances_all", "__opendkim_config_dir",
             "__opendkim_keys_dir", "__opendkim_user", "__opendkim_group", "__opendkim_umask"]
    return {name: templar.template(variables[name]) for name in names}


def old_render(source, **variables):
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["comment"] = comment
    return env.from_string(source).render(ansible_managed=HEADER, **variables)


SAMPLES = {
    "defaults": {},
    "rsa": {"opendkim_domains": ["example.org"]},
    "a site": {"opendkim_domains": ["Example.ORG", "example.net"], "opendkim_ed25519": True, "opendkim_selector": "s2026",
               "opendkim_internal_hosts": ["127.0.0.1", "::1", "10.0.0.0/8", "relay.example.org"]},
}


@pytest.mark.parametrize("sample", SAMPLES, ids=list(SAMPLES))
def test_the_files_are_what_the_old_templates_rendered(sample):
    data = role_data(**trust(SAMPLES[sample]))
    domains = data["__opendkim_domains"]
    assert domains == [domain.lower() for domain in data["opendkim_domains"]]
    old = {name: value for name, value in data.items() if name.startswith(("opendkim_", "__opendkim_"))}
    settings = (data["__opendkim_config_dir"], data["__opendkim_user"], data["__opendkim_group"], data["__opendkim_umask"])
    assert settings == (CONFIG_DIR, "opendkim", "postfix", "0117")
    assert _opendkim.render_internal_hosts(data["opendkim_internal_hosts"], HEADER) == old_render(OLD_INTERNAL_HOSTS, **old)
    for instance in data["__opendkim_instances"]:
        selector = data["__opendkim_selectors"][instance["type"]]
        assert _opendkim.render_key_table(instance, domains, selector, data["__opendkim_keys_dir"], HEADER) == old_render(
            OLD_KEY_TABLE, instance=instance, **old)
        assert _opendkim.render_signing_table(instance, domains, selector, HEADER) == old_render(
            OLD_SIGNING_TABLE, instance=instance, **old)
        assert _opendkim.render_unit(instance, HEADER) == old_render(OLD_UNIT, instance=instance, **old)
        assert _opendkim.render_config(instance, *settings, header=HEADER) == old_render(
            OLD_CONFIG, instance=instance, **old)
    expected_types = ["rsa", "ed25519"] if SAMPLES[sample].get("opendkim_ed25519") else ["rsa"]
    assert [instance["type"] for instance in data["__opendkim_instances"]] == expected_types
    assert [instance["type"] for instance in data["__opendkim_unused_instances"]] == (
        [] if len(expected_types) == 2 else ["ed25519"])


def test_the_sample_says_something():
    data = role_data(**trust(SAMPLES["a site"]))
    rsa, ed25519 = data["__opendkim_instances"]
    assert _opendkim.render_key_table(ed25519, data["__opendkim_domains"], "s2026-ed", KEYS_DIR).splitlines()[1:] == [
        "s2026-ed._domainkey.example.org example.org:s2026-ed:/etc/opendkim/keys/example.org/s2026-ed.private",
        "s2026-ed._domainkey.example.net example.net:s2026-ed:/etc/opendkim/keys/example.net/s2026-ed.private",
    ]
    assert _opendkim.render_signing_table(rsa, ["example.org"], "s2026").endswith("\n*@example.org s2026._domainkey.example.org\n")
    config = _opendkim.render_config(ed25519, CONFIG_DIR, "opendkim", "postfix", "0117")
    assert not config.startswith("#\n")  # no header: no comment block
    assert "KeyTable                file:/etc/opendkim/KeyTable-ed25519\n" in config
    assert "Socket                  local:/var/spool/postfix/opendkim/opendkim-ed25519.sock\n" in config
    assert "SignatureAlgorithm      ed25519-sha256\nKeyTable" in config
    assert "Mode                    s\n" in config


def instance(**overrides):
    base = {"type": "rsa", "service": "opendkim", "config": "/etc/opendkim.conf", "tables_suffix": "",
            "socket": "/var/spool/postfix/opendkim/opendkim.sock", "pidfile": "/run/opendkim/opendkim.pid",
            "algorithm": "rsa-sha256", "mode": "sv"}
    base.update(overrides)
    return base


def config(**overrides):
    settings = {"user": "opendkim", "group": "postfix", "umask": "0117"}
    settings.update({key: overrides.pop(key) for key in list(overrides) if key in settings})
    return _opendkim.render_config(instance(**overrides), CONFIG_DIR, header=HEADER, **settings)


def test_startup_lines_are_socket_umask_and_user():
    assert _opendkim.startup_lines(config()) == [
        "Socket local:/var/spool/postfix/opendkim/opendkim.sock", "UMask 0117", "UserID opendkim:postfix"]
    assert _opendkim.startup_lines("# Socket local:/x\n  UMask 0002\n") == []


@pytest.mark.parametrize("live, new, restart", [
    (None, config(), True),  # a new instance is started fresh
    (config(), config(), False),
    (config(), config(mode="s", algorithm="ed25519-sha256", tables_suffix="-x"), False),  # a reload reads these
    (config(), config(socket="/var/spool/postfix/opendkim/other.sock"), True),
    (config(), config(umask="0007"), True),
    (config(), config(group="opendkim"), True),
    (config(), config(user="root"), True),
    ("Syslog yes\n", config(), True),  # a live file without the lines: Debian's packaged opendkim.conf
    (config().replace("UMask                   0117", "UMask\t0117"), config(), False),  # spacing is not a change
])
def test_restart_needed(live, new, restart):
    assert _opendkim.restart_needed(live, new) is restart


def test_keys_are_one_per_domain_and_instance():
    instances = [instance(), instance(type="ed25519", service="opendkim-ed25519")]
    assert _opendkim.keys(["example.org", "example.net"], instances, {"rsa": "mail", "ed25519": "mail-ed"}, KEYS_DIR) == [
        {"domain": "example.org", "type": "rsa", "selector": "mail", "path": "/etc/opendkim/keys/example.org/mail.private"},
        {"domain": "example.org", "type": "ed25519", "selector": "mail-ed", "path": "/etc/opendkim/keys/example.org/mail-ed.private"},
        {"domain": "example.net", "type": "rsa", "selector": "mail", "path": "/etc/opendkim/keys/example.net/mail.private"},
        {"domain": "example.net", "type": "ed25519", "selector": "mail-ed", "path": "/etc/opendkim/keys/example.net/mail-ed.private"},
    ]


def test_records_map_names_to_strings():
    assert _opendkim.records([{"dns_name": "mail._domainkey.example.org", "txt_strings": ["v=DKIM1; k=rsa; p=AA"], "fingerprint": "x"}]) == {
        "mail._domainkey.example.org": ["v=DKIM1; k=rsa; p=AA"]}
    assert _opendkim.records([]) == {}


GOOD = dict(domains=["example.org"], instances=[instance()], selectors={"rsa": "mail"}, rsa_size=2048,
            internal_hosts=["127.0.0.1", "::1"], umask="0117")


def test_check_request_accepts_the_role_defaults():
    assert _opendkim.check_request(**GOOD) == []


@pytest.mark.parametrize("override, problem", [
    ({"domains": ["exa mple.org"]}, "domain 'exa mple.org' is not a domain name such as example.org"),
    ({"selectors": {"rsa": "bad selector"}}, "selector 'bad selector' must be DNS labels"),
    ({"selectors": {}}, "selectors has no selector for the rsa instance"),
    ({"rsa_size": 1024}, "size 1024 is below 2048 bits"),
    ({"instances": [instance(type="dsa")]}, "instance opendkim: type 'dsa' is not one of rsa, ed25519"),
    ({"instances": [instance(), instance(service="again")]}, "two instances sign with rsa keys"),
    ({"instances": [instance(socket="/a b.sock")]}, "instance opendkim: socket must be one word each"),
    ({"instances": [instance(pidfile=None)]}, "instance 'opendkim' lacks pidfile"),
    ({"internal_hosts": ["10.0.0.1", "two words"]}, "internal_hosts must be addresses, networks or host names"),
    ({"umask": "u=rw"}, "umask 'u=rw' is not an octal mode such as 0117"),
])
def test_check_request_refuses(override, problem):
    problems = _opendkim.check_request(**dict(GOOD, **override))
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_a_signing_alias_is_signed_with_its_served_domain_key():
    instance = {"type": "rsa"}
    table = _opendkim.render_signing_table(instance, ["example.org"], "mail", aliases={"mail.example.org": "example.org"})
    assert table.endswith("*@example.org mail._domainkey.example.org\n*@mail.example.org mail._domainkey.example.org\n")


def test_a_signing_alias_to_a_domain_not_served_is_refused():
    problems = _opendkim.check_request(["example.org"], [], {}, 2048, [], "0117", {"mail.example.net": "example.net"})
    assert problems == ["signing alias mail.example.net: must be a domain name signed with the key of a served "
                        "domain, got 'example.net'"]
