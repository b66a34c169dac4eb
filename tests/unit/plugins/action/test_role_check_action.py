"""postmaster.mail.role_check: each role's argument spec (read from its meta/argument_specs.yml)
and then its rules, one message per broken rule, the spec's alone when it fails."""

import pytest

from ansible_collections.postmaster.mail.plugins.action import role_check

from ansible_collections.postmaster.mail.tests.unit.plugins.module_utils.test_role_rules import VALID


@pytest.mark.parametrize("role", ["certbot", "dovecot", "opendkim", "postfix"])
def test_each_role_spec_is_its_main_entry_points_and_names_only_its_own_variables(role):
    options = role_check.role_options(role)
    assert options and all(name.startswith(role + "_") for name in options)


@pytest.mark.parametrize("role", sorted(VALID))
def test_valid_values_pass_both_checks(role):
    assert role_check.role_messages(role, VALID[role]) == []


def test_the_spec_answers_first_and_alone():
    values = dict(VALID["postfix"], postfix_tls_log_level=7, postfix_myhostname="not a host")
    assert role_check.role_messages("postfix", values) == [
        "value of postfix_tls_log_level must be one of: 0, 1, 2, got: 7"]
    # Once the types hold, the rules speak.
    assert role_check.role_messages("postfix", dict(values, postfix_tls_log_level=1)) == [
        'postfix_myhostname: must be a fully qualified host name such as mail.example.org, got "not a host"']


def test_a_preflight_after_ansible_checked_the_spec_runs_the_rules_only():
    values = dict(VALID["opendkim"], opendkim_rsa_size=512, opendkim_ed25519="sometimes")
    assert role_check.role_messages("opendkim", values, argument_spec=False) == [
        "opendkim_rsa_size: must be at least 2048 bits (receivers distrust shorter RSA keys), got 512"]
    (message,) = role_check.role_messages("opendkim", values)  # the valid booleans follow, in set order
    assert message.startswith("argument 'opendkim_ed25519' is of type str and we were unable to convert to bool: "
                              "The value 'sometimes' is not a valid boolean.")
