"""Unit tests of the pure Postfix helpers: rendering, reading main.cf back, staleness, the restart
decision and the merge of what other roles contribute."""

import pytest
from ansible.plugins.filter.core import comment

from ansible_collections.postmaster.mail.plugins.module_utils._postfix import (
    comment_block,
    merge_contributions,
    parse_main_cf,
    render_aliases,
    render_main_cf,
    render_master_cf,
    render_pattern_table,
    render_table,
    render_value,
    restart_needed,
    stale_indexes,
)


@pytest.mark.parametrize(
    ("value", "separator", "expected"),
    [
        (True, ", ", "yes"),
        (False, ", ", "no"),
        (None, ", ", ""),
        (1, ", ", "1"),
        ("may", ", ", "may"),
        (["127.0.0.0/8", "[::1]/128"], ", ", "127.0.0.0/8, [::1]/128"),
        (["permit_sasl_authenticated", "reject"], ",", "permit_sasl_authenticated,reject"),
        ([True, "x"], ", ", "yes, x"),
        ([], ", ", ""),
    ],
)
def test_render_value(value, separator, expected):
    assert render_value(value, separator) == expected


@pytest.mark.parametrize("value", ["a\nb", ["ok", "x\ry"], {"a": 1}])
def test_render_value_refuses_what_cannot_be_one_line(value):
    with pytest.raises(ValueError):
        render_value(value)


# --- rendering ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Ansible managed", "line one\nline two", "a\n\nb"])
def test_comment_block_is_what_the_comment_filter_wrote(text):
    assert comment_block(text) == comment(text) + "\n"


def test_comment_block_of_nothing_is_nothing():
    assert comment_block("") == ""


def test_main_cf_is_sorted_and_leaves_out_null_values():
    text = render_main_cf({"smtpd_banner": "$myhostname ESMTP", "biff": False, "relayhost": None,
                           "smtp_tls_CApath": "/etc/ssl/certs", "smtp_tls_ciphers": "high",
                           "mynetworks": ["127.0.0.0/8", "[::1]/128"], "smtpd_recipient_restrictions": ""},
                          header="Ansible managed")
    assert text.splitlines() == [
        "#",
        "# Ansible managed",
        "#",
        "# Rendered by the postmaster.mail.postfix role from postfix_main_cf and the settings other roles",
        "# export; edits here are replaced on the next run. `postconf -n` shows the effective values.",
        "biff = no",
        "mynetworks = 127.0.0.0/8, [::1]/128",
        "smtp_tls_CApath = /etc/ssl/certs",  # case-insensitive, as Jinja's dictsort
        "smtp_tls_ciphers = high",
        "smtpd_banner = $myhostname ESMTP",
        "smtpd_recipient_restrictions = ",
    ]


def test_main_cf_refuses_a_value_that_cannot_be_written():
    with pytest.raises(ValueError, match="main_cf: message_size_limit"):
        render_main_cf({"message_size_limit": {"megabytes": 50}})


def test_master_cf_keeps_the_column_layout_and_the_order_given():
    text = render_master_cf({
        "smtp/inet": {"private": "n", "chroot": "y", "command": "smtpd"},
        "submission/inet": {"private": "n", "chroot": "y", "command": "smtpd",
                            "options": {"syslog_name": "postfix/submission",
                                        "smtpd_client_restrictions": ["permit_sasl_authenticated", "reject"],
                                        "smtpd_sasl_auth_enable": True}},
        "submissions/inet": {"command": "smtpd", "enabled": False},
        "gone/unix": None,
        "postlog/unix-dgram": {"private": "n", "chroot": "n", "maxproc": "1", "command": "postlogd"},
        "pipe/unix": {"unpriv": False, "chroot": False, "command": "pipe", "args": ["flags=Rq", "argv=/bin/true ${nexthop}"]},
    })
    assert text.splitlines()[3:] == [
        "# service type  private unpriv  chroot  wakeup  maxproc command + args",
        "smtp      inet  n       -       y       -       -       smtpd",
        "submission inet  n       -       y       -       -       smtpd",
        "  -o syslog_name=postfix/submission",
        "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject",
        "  -o smtpd_sasl_auth_enable=yes",
        "postlog   unix-dgram n       -       n       -       1       postlogd",
        "pipe      unix  -       n       n       -       -       pipe",
        "  flags=Rq",
        "  argv=/bin/true ${nexthop}",
    ]


@pytest.mark.parametrize("enabled", ["no", "false", 0])
def test_master_cf_reads_enabled_as_ansible_does(enabled):
    assert "smtpd" not in render_master_cf({"smtp/inet": {"command": "smtpd", "enabled": enabled}}).split("args\n")[1]


def test_master_cf_refuses_a_service_without_a_command():
    with pytest.raises(ValueError, match="master_cf: smtp/inet"):
        render_master_cf({"smtp/inet": {"private": "n"}})


def test_table_and_aliases_are_sorted():
    table = render_table({"info@example.org": ["alice@example.org", "bob@example.org"], "Abuse@example.org": "alice@example.org"})
    assert table.splitlines() == [
        "# Rendered by the postmaster.mail.postfix role; the index beside it is rebuilt by postmap.",
        "Abuse@example.org alice@example.org",
        "info@example.org alice@example.org, bob@example.org",
    ]
    aliases = render_aliases({"root": ["alice"], "postmaster": ["root"]}, header="x")
    assert aliases.splitlines()[3:] == [
        "# Local aliases, rendered by the postmaster.mail.postfix role from postfix_local_aliases.",
        "postmaster: root",
        "root: alice",
    ]


# --- reading main.cf back and the restart decision ---------------------------------------------

def test_parse_main_cf_follows_postfix_reading_rules():
    text = (
        "# inet_interfaces = nothing\n"
        "inet_interfaces = 127.0.0.1,\n"
        "    [::1]\n"
        "\n"
        "  # a comment inside a continued setting\n"
        "\t192.0.2.1\n"
        "myhostname=mail.example.org\n"
        "myhostname = mail.example.net\n"
        "not a setting\n"
        "  continues nothing\n"
    )
    assert parse_main_cf(text) == {"inet_interfaces": "127.0.0.1, [::1] 192.0.2.1", "myhostname": "mail.example.net"}


RESTART = ["inet_interfaces", "inet_protocols"]


def test_no_restart_without_an_old_main_cf():
    assert restart_needed(None, "inet_interfaces = loopback-only\n", RESTART) is False


def test_restart_when_a_startup_parameter_changes():
    assert restart_needed("inet_interfaces = all\n", "inet_interfaces = loopback-only\n", RESTART) is True
    assert restart_needed("inet_protocols = all\n", "inet_protocols = ipv4\n", RESTART) is True


def test_no_restart_for_other_parameters_or_the_same_value_spelled_otherwise():
    old = "inet_interfaces = 127.0.0.1, [::1]\nmyhostname = a.example.org\n"
    new = "inet_interfaces = 127.0.0.1,[::1]\ninet_protocols = all\nmyhostname = b.example.org\n"
    assert restart_needed(old, new, RESTART) is False


def test_restart_when_a_parameter_leaves_main_cf_for_another_default():
    assert restart_needed("inet_interfaces = loopback-only\n", "myhostname = x\n", RESTART) is True
    assert restart_needed("smtpd_x = 1\n", "myhostname = x\n", RESTART + ["smtpd_x"]) is True


# --- stale indexes -----------------------------------------------------------------------------

SOURCES = ["/etc/postfix/a", "/etc/postfix/b", "/etc/aliases"]


def files(**mtimes):
    names = {"a": "/etc/postfix/a", "a_idx": "/etc/postfix/a.lmdb", "b": "/etc/postfix/b",
             "b_idx": "/etc/postfix/b.lmdb", "al": "/etc/aliases", "al_idx": "/etc/aliases.lmdb"}
    return [{"path": names[key], "mtime": mtime} for key, mtime in mtimes.items()]


def test_nothing_stale_when_indexes_are_newer():
    found = files(a=1, a_idx=2, b=1, b_idx=1, al=5, al_idx=6)
    assert stale_indexes(SOURCES, found, "lmdb") == []


def test_missing_index_is_stale():
    found = files(a=1, a_idx=2, b=1, al=5, al_idx=6)
    assert stale_indexes(SOURCES, found, "lmdb") == ["/etc/postfix/b"]


def test_index_older_than_source_is_stale():
    # A rebuild that failed in an earlier run leaves the old index behind: it is retried.
    found = files(a=3, a_idx=2, b=1, b_idx=1, al=5, al_idx=6)
    assert stale_indexes(SOURCES, found, "lmdb") == ["/etc/postfix/a"]


def test_changed_source_is_stale_even_with_a_newer_index():
    found = files(a=1, a_idx=2, b=1, b_idx=1, al=5, al_idx=6)
    assert stale_indexes(SOURCES, found, "lmdb", ["/etc/aliases"]) == ["/etc/aliases"]


def test_index_name_follows_the_map_type():
    found = files(a=1, b=1, al=1) + [{"path": "/etc/postfix/a.cdb", "mtime": 2}]
    assert stale_indexes(SOURCES, found, "cdb") == ["/etc/postfix/b", "/etc/aliases"]


# --- merging contributions ---------------------------------------------------------------------

BASE = {"myhostname": "mail.example.org", "milter_default_action": "accept", "virtual_transport": "virtual"}
MASTER = {"smtp/inet": {"private": "n", "chroot": "y", "command": "smtpd"},
          "submission/inet": {"command": "smtpd", "options": {"syslog_name": "postfix/submission"}}}
TABLES = {"virtual_alias": {"info@example.org": ["alice@example.org"]}}


def merge(contributions=None, **kwargs):
    kwargs.setdefault("base_master_cf", MASTER)
    kwargs.setdefault("base_tables", TABLES)
    return merge_contributions(BASE, contributions=contributions, **kwargs)


def test_two_milters_of_two_contributions_keep_their_own_default_action():
    result = merge({
        "opendkim": {"order": 20, "milters": [{"socket": "unix:opendkim/opendkim.sock"}]},
        "rspamd": {"milters": [{"socket": "inet:127.0.0.1:11332", "default_action": "tempfail"}]},
    })
    assert result["errors"] == []
    expected = ["{ unix:opendkim/opendkim.sock, default_action=accept }",
                "{ inet:127.0.0.1:11332, default_action=tempfail }"]
    assert result["main_cf"]["smtpd_milters"] == expected
    assert result["main_cf"]["non_smtpd_milters"] == expected
    assert render_main_cf(result["main_cf"]).count(
        "{ unix:opendkim/opendkim.sock, default_action=accept }, { inet:127.0.0.1:11332, default_action=tempfail }") == 3


def test_milters_sort_by_their_order_then_contributor_then_position_and_plain_ones_come_last():
    result = merge({
        "zeta": {"milters": [{"socket": "unix:z1"}, {"socket": "unix:z0", "order": 10}]},
        "alpha": {"milters": [{"socket": "unix:a1"}, {"socket": "unix:a2", "order": 60}]},
        "beta": {"milters": [{"socket": "unix:b1", "order": 50}]},
    }, milters=["inet:127.0.0.1:8891"])
    assert result["errors"] == []
    assert [m.split(",")[0] for m in result["main_cf"]["smtpd_milters"]] == [
        "{ unix:z0", "{ unix:a1", "{ unix:b1", "{ unix:z1", "{ unix:a2", "inet:127.0.0.1:8891"]


def test_a_milter_without_an_order_takes_its_contributions():
    result = merge({
        "lab": {"order": 90, "milters": [{"socket": "inet:10.47.25.25:8899", "default_action": "tempfail"}]},
        "opendkim": {"order": 20, "milters": [{"socket": "unix:opendkim/opendkim.sock"},
                                              {"socket": "unix:opendkim/opendkim-ed25519.sock"}]},
        "rspamd": {"order": 90, "milters": [{"socket": "inet:127.0.0.1:11332", "order": 10}]},
    })
    assert [m.split(",")[0] for m in result["main_cf"]["smtpd_milters"]] == [
        "{ inet:127.0.0.1:11332", "{ unix:opendkim/opendkim.sock", "{ unix:opendkim/opendkim-ed25519.sock",
        "{ inet:10.47.25.25:8899"]


def test_contributions_merge_in_order_then_name_over_the_base():
    result = merge({
        "dovecot": {"order": 10, "main_cf": {"virtual_transport": "lmtp:unix:private/dovecot-lmtp"}},
        "b": {"main_cf": {"smtpd_sasl_path": "private/auth"}},
        "a": {"master_cf": {"dovecot/unix": {"command": "pipe", "args": ["x"]}}},
    })
    assert result["errors"] == []
    assert result["main_cf"]["virtual_transport"] == "lmtp:unix:private/dovecot-lmtp"
    assert result["main_cf"]["smtpd_sasl_path"] == "private/auth"
    assert list(result["master_cf"]) == ["smtp/inet", "submission/inet", "dovecot/unix"]
    assert result["main_cf"]["smtpd_milters"] == []


def test_conflicting_main_cf_keys_are_reported_naming_both_contributors_and_the_key():
    result = merge({
        "rspamd": {"main_cf": {"smtpd_sasl_path": "x", "same": 1}},
        "dovecot": {"order": 10, "main_cf": {"smtpd_sasl_path": "private/auth", "same": 1}},
    })
    assert len(result["errors"]) == 1
    assert result["errors"][0].startswith("postfix_contributions: dovecot and rspamd both set main.cf smtpd_sasl_path")
    assert '"private/auth" and "x"' in result["errors"][0]


def test_the_users_main_cf_decides_a_conflict_and_overrides_anything():
    result = merge({
        "rspamd": {"main_cf": {"smtpd_sasl_path": "x", "virtual_transport": "lmtp:a"}},
        "dovecot": {"main_cf": {"smtpd_sasl_path": "private/auth"}},
    }, imports=[{"virtual_transport": "lmtp:b"}],
        user_main_cf={"smtpd_sasl_path": "private/mine", "virtual_transport": "lmtp:c", "smtpd_milters": ["unix:m"]})
    assert result["errors"] == []
    assert result["main_cf"]["smtpd_sasl_path"] == "private/mine"
    assert result["main_cf"]["virtual_transport"] == "lmtp:c"
    assert result["main_cf"]["smtpd_milters"] == ["unix:m"]


def test_imports_still_work_after_the_contributions():
    result = merge({"dovecot": {"main_cf": {"virtual_transport": "lmtp:a"}}},
                   imports=[{"virtual_transport": "lmtp:b", "smtpd_milters": ["unix:old"]},
                            {"milter_default_action": "tempfail"}])
    assert result["errors"] == []
    assert result["main_cf"]["virtual_transport"] == "lmtp:b"
    assert result["main_cf"]["smtpd_milters"] == ["unix:old"]
    assert result["main_cf"]["non_smtpd_milters"] == []
    assert result["main_cf"]["milter_default_action"] == "tempfail"


def test_a_contribution_cannot_set_the_milter_lists_directly():
    result = merge({"opendkim": {"main_cf": {"smtpd_milters": ["unix:x"]}}})
    assert result["errors"] == [
        "postfix_contributions.opendkim: main_cf sets smtpd_milters; list the milters under milters "
        "instead, so that every contribution's milters are kept"]


def test_conflicting_services_tables_and_milters_are_reported():
    result = merge({
        "a": {"master_cf": {"x/unix": {"command": "pipe"}}, "tables": {"t": {"k": "v"}},
              "milters": [{"socket": "unix:m"}]},
        "b": {"master_cf": {"x/unix": {"command": "smtp"}}, "tables": {"t": {"k": "w"}, "virtual_alias": {}},
              "milters": [{"socket": "unix:m"}]},
    })
    assert [error.split(",")[0].split(";")[0] for error in result["errors"]] == [
        "postfix_contributions: a and b both define the master.cf service x/unix",
        "postfix_contributions: a and b both contribute the table t",
        "postfix_contributions.b: the table virtual_alias is the postfix role's own (postfix_virtual_alias_maps)",
        "postfix_contributions: a and b both contribute the milter unix:m",
    ]


def test_the_same_setting_from_two_contributions_is_no_conflict():
    result = merge({"a": {"main_cf": {"x": 1}, "master_cf": {"x/unix": {"command": "pipe"}}},
                    "b": {"main_cf": {"x": 1}, "master_cf": {"x/unix": {"command": "pipe"}}}})
    assert result["errors"] == []


def test_services_merge_field_by_field_and_a_null_removes_one():
    result = merge(
        {"a": {"master_cf": {"submission/inet": {"options": {"smtpd_milters": "unix:a"}}}}},
        user_master_cf={"submission/inet": {"options": {"syslog_name": "sub"}}, "smtp/inet": None},
    )
    assert result["errors"] == []
    assert result["master_cf"]["smtp/inet"] is None
    assert result["master_cf"]["submission/inet"] == {
        "command": "smtpd", "options": {"syslog_name": "sub", "smtpd_milters": "unix:a"}}
    assert MASTER["submission/inet"]["options"] == {"syslog_name": "postfix/submission"}  # not modified


def test_contributed_tables_join_the_role_tables():
    result = merge({"rspamd": {"tables": {"rspamd_senders": {"a@example.org": "OK"}}}})
    assert result["errors"] == []
    assert result["tables"] == dict(TABLES, rspamd_senders={"a@example.org": "OK"})


@pytest.mark.parametrize(
    ("contributions", "message"),
    [
        ({"opendkim": "unix:x"}, 'postfix_contributions.opendkim: must be a dict with any of order, main_cf'),
        ({"opendkim": {"milter": []}}, 'postfix_contributions.opendkim: unknown fields ["milter"]'),
        ({"opendkim": {"order": "first"}}, 'postfix_contributions.opendkim: order must be an integer, got "first"'),
        ({"opendkim": {"main_cf": ["x"]}}, "postfix_contributions.opendkim: main_cf must be a dict"),
        ({"opendkim": {"tables": {"../x": {}}}}, 'postfix_contributions.opendkim: tables: "../x" is not a file name'),
        ({"opendkim": {"tables": {"master.cf": {}}}}, 'postfix_contributions.opendkim: tables: "master.cf" is a name Postfix'),
        ({"bad name": {}}, 'postfix_contributions: "bad name" is not a role name'),
        ({"opendkim": {"milters": "unix:x"}}, 'postfix_contributions.opendkim.milters: must be a list'),
        ({"opendkim": {"milters": [{"socket": "unix:x", "default_action": "drop"}]}},
         "postfix_contributions.opendkim.milters[0]: default_action must be one of accept, tempfail, reject, quarantine"),
        ({"opendkim": {"milters": [{"sock": "unix:x"}]}}, 'postfix_contributions.opendkim.milters[0]: unknown fields ["sock"]'),
        ({"opendkim": {"milters": [{"socket": "unix:a, unix:b"}]}}, "postfix_contributions.opendkim.milters[0]: socket must be"),
    ],
)
def test_the_shape_of_the_contributions_is_checked(contributions, message):
    errors = merge(contributions)["errors"]
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_the_preflight_messages_of_main_cf_master_cf_and_tables_are_kept():
    result = merge(
        user_main_cf={"smtpd-banner": "hello", "message_size_limit": {"megabytes": 50}},
        user_master_cf={"submission/inet": {"comand": "smtpd"}},
        base_tables={"virtual_alias": {"a b@example.test": ["alice@example.test"]}},
    )
    assert result["errors"] == [
        'postfix_main_cf: (or a setting another role exports) has names that are not Postfix parameters: '
        '["smtpd-banner"]; names are letters, digits and underscores, starting with a letter',
        'postfix_main_cf: (or a setting another role exports) has values that cannot be written on a main.cf '
        'line: ["message_size_limit"]; a value is text, a number, a boolean, a list of those, or null '
        '(removes the key), without line breaks, such as message_size_limit: 52428800',
        'postfix_master_cf: entry "submission/inet" is invalid. Keys are "name/type" with type inet, unix, '
        'unix-dgram, fifo or pass; values are null (to remove the service) or a dict with a command and only '
        'the fields private, unpriv, chroot, wakeup, maxproc, command, options, args, enabled (unknown here: '
        '["comand"]).',
        'postfix_virtual_alias_maps: keys must be addresses or domains without white space and not starting '
        'with #; invalid: ["a b@example.test"]',
    ]


def test_more_master_cf_and_table_rules():
    result = merge(
        user_master_cf={"smtp/bogus": {"command": "smtpd"}, "x/unix": {"command": "pipe", "options": ["a"]},
                        "y/unix": {"command": "pipe", "enabled": "perhaps"}},
        base_tables={"t": {"k": "a\nb"}},
    )
    assert [error.split(" is invalid")[0] for error in result["errors"]] == [
        'postfix_master_cf: entry "smtp/bogus"',
        'postfix_master_cf: entry "x/unix"',
        'postfix_master_cf: entry "y/unix"',
        "postfix_t_maps: values must be text, a number, a boolean or a list of those, without line breaks; "
        'invalid at: ["k"]',
    ]


def test_an_inet_service_may_listen_on_one_address():
    service = {"private": "n", "chroot": "y", "command": "smtpd", "options": {"smtpd_milters": "",
               "smtpd_client_restrictions": ["permit_mynetworks", "reject"]}}
    result = merge(user_master_cf={"127.0.0.1:10027/inet": service, "[::1]:10028/inet": service})
    assert result["errors"] == []
    text = render_master_cf(result["master_cf"])
    assert "\n127.0.0.1:10027 inet  n       -       y       -       -       smtpd\n" in text
    assert "  -o smtpd_client_restrictions=permit_mynetworks,reject\n" in text
    assert merge(user_master_cf={"127.0.0.1 10027/inet": service})["errors"]


def test_inbound_and_outbound_milters_go_where_their_mail_comes_in():
    result = merge({
        "rspamd": {"order": 10, "milters": [{"socket": "inet:127.0.0.1:11332", "flow": "inbound"}]},
        "opendkim": {"order": 20, "milters": [{"socket": "unix:opendkim/opendkim.sock", "flow": "outbound"}]},
        "lab": {"order": 90, "milters": [{"socket": "inet:10.0.0.9:8899", "default_action": "tempfail"}]},
    }, client_networks=["127.0.0.0/8", "[::1]/128", "192.0.2.7"])
    assert result["errors"] == []
    rspamd, opendkim = "{ inet:127.0.0.1:11332, default_action=accept }", "{ unix:opendkim/opendkim.sock, default_action=accept }"
    lab = "{ inet:10.0.0.9:8899, default_action=tempfail }"
    main_cf = result["main_cf"]
    # Port 25 from outside: the inbound ones; everything else: the outbound ones.
    assert main_cf["smtpd_milters"] == [rspamd, lab]
    assert main_cf["non_smtpd_milters"] == main_cf["postmaster_outbound_milters"] == [opendkim, lab]
    assert main_cf["smtpd_milter_maps"] == "cidr:/etc/postfix/milter_clients.cidr"
    row = " %s, %s\n" % (opendkim, lab)
    assert result["tables"]["milter_clients.cidr"] == "127.0.0.0/8" + row + "::1/128" + row + "192.0.2.7/32" + row
    assert "postmaster_outbound_milters = %s, %s\n" % (opendkim, lab) in render_main_cf(main_cf)


def test_milters_of_one_flow_need_no_client_table_and_a_bad_flow_is_named():
    same = merge({"opendkim": {"milters": [{"socket": "unix:opendkim/opendkim.sock"}]}}, client_networks=["127.0.0.0/8"])
    assert "smtpd_milter_maps" not in same["main_cf"] and "milter_clients.cidr" not in same["tables"]
    bad = merge({"x": {"milters": [{"socket": "inet:127.0.0.1:1", "flow": "sideways"}]}})
    assert bad["errors"] == ['postfix_contributions.x.milters[0]: flow must be one of all, inbound, outbound, smtpd, got "sideways"']


def test_an_smtpd_milter_sees_every_smtp_client_and_no_local_mail():
    result = merge({
        "rspamd": {"order": 10, "milters": [{"socket": "inet:127.0.0.1:11332", "flow": "smtpd"}]},
        "opendkim": {"order": 20, "milters": [{"socket": "unix:opendkim/opendkim.sock", "flow": "outbound"}]},
    }, client_networks=["127.0.0.0/8"])
    assert result["errors"] == []
    rspamd, opendkim = "{ inet:127.0.0.1:11332, default_action=accept }", "{ unix:opendkim/opendkim.sock, default_action=accept }"
    main_cf = result["main_cf"]
    assert main_cf["smtpd_milters"] == [rspamd]
    assert main_cf["postmaster_outbound_milters"] == [rspamd, opendkim]
    assert main_cf["non_smtpd_milters"] == [opendkim]
    assert result["tables"]["milter_clients.cidr"] == "127.0.0.0/8 %s, %s\n" % (rspamd, opendkim)


def test_a_pattern_table_is_its_text():
    good = merge(base_tables={"senders.regexp": "/^<>$/ DUNNO\n"})
    assert good["errors"] == []
    bad = merge(base_tables={"senders.regexp": {"a": "b"}})
    assert bad["errors"] == ["postfix_senders.regexp_maps: a .regexp, .cidr or .pcre table is given as its text"]
    assert render_pattern_table("/x/ y", "Ansible managed").endswith("(no index).\n/x/ y\n")


def test_a_master_cf_option_with_spaces_takes_braces():
    text = render_master_cf({"submission/inet": {"command": "smtpd", "options": {
        "smtpd_sender_restrictions": ["check_sender_access lmdb:/etc/postfix/x", "reject_sender_login_mismatch"],
        "syslog_name": "postfix/submission"}}})
    assert "  -o { smtpd_sender_restrictions = check_sender_access lmdb:/etc/postfix/x,reject_sender_login_mismatch }\n" in text
    assert "  -o syslog_name=postfix/submission\n" in text
