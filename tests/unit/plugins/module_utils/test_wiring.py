"""Unit tests of site.yml's wiring from mail_users/mail_aliases to Postfix's tables."""

from ansible_collections.postmaster.mail.plugins.module_utils._wiring import postfix_maps

USERS = [{"address": "Alice@Example.org", "password": "x"}, {"address": "bob@example.org", "password_hash": "y"}]


def test_mailboxes_and_role_accounts_go_to_the_first_user():
    maps = postfix_maps(USERS, [], ["example.org", "example.net"])
    assert maps["virtual_mailbox_maps"] == {"alice@example.org": "OK", "bob@example.org": "OK"}
    assert maps["virtual_alias_maps"] == {
        "postmaster@example.org": ["alice@example.org"],
        "abuse@example.org": ["alice@example.org"],
        "root@example.org": ["alice@example.org"],
        "postmaster@example.net": ["alice@example.org"],
        "abuse@example.net": ["alice@example.org"],
    }


def test_a_mapped_role_account_is_left_as_the_user_set_it():
    maps = postfix_maps(USERS, [{"address": "Postmaster@example.org", "to": ["bob@example.org"]}], ["example.org"])
    assert maps["virtual_alias_maps"]["postmaster@example.org"] == ["bob@example.org"]
    assert maps["virtual_alias_maps"]["abuse@example.org"] == ["alice@example.org"]


def test_catch_all_never_swallows_a_mailbox():
    maps = postfix_maps(USERS, [{"address": "@example.org", "to": ["bob@example.org"]}], ["example.org"])
    assert maps["virtual_alias_maps"]["@example.org"] == ["bob@example.org"]
    assert maps["virtual_alias_maps"]["alice@example.org"] == ["alice@example.org"]
    assert maps["virtual_alias_maps"]["bob@example.org"] == ["bob@example.org"]


def test_sender_logins_cover_owned_aliases_only():
    aliases = [
        {"address": "info@example.org", "to": ["alice@example.org", "bob@example.org"]},
        {"address": "fwd@example.org", "to": ["someone@elsewhere.test"]},
        {"address": "@example.org", "to": ["alice@example.org"]},
    ]
    logins = postfix_maps(USERS, aliases, ["example.org"])["sender_login_maps"]
    assert logins["alice@example.org"] == ["alice@example.org"]
    assert logins["info@example.org"] == ["alice@example.org", "bob@example.org"]
    assert logins["postmaster@example.org"] == ["alice@example.org"]
    assert "fwd@example.org" not in logins
    assert "@example.org" not in logins


def test_no_users_no_role_aliases():
    maps = postfix_maps([], [], ["example.org"])
    assert maps == {"virtual_mailbox_maps": {}, "virtual_alias_maps": {}, "sender_login_maps": {},
                    "forwarding_recipients": []}


def test_aliases_with_a_target_outside_are_the_forwarding_recipients():
    aliases = [
        {"address": "info@example.org", "to": ["alice@example.org", "bob@example.org"]},
        {"address": "Fwd@Example.org", "to": ["alice@example.org", "Someone@Elsewhere.test"]},
        {"address": "@example.net", "to": ["friend@example.com"]},
        # A served domain is here, whatever the case; a subdomain of one is not.
        {"address": "team@example.org", "to": ["bob@EXAMPLE.NET"]},
        {"address": "sub@example.org", "to": ["x@lists.example.org"]},
    ]
    maps = postfix_maps(USERS, aliases, ["example.org", "Example.net"])
    assert maps["forwarding_recipients"] == ["@example.net", "fwd@example.org", "sub@example.org"]


def test_an_address_without_domain_is_refused():
    import pytest

    with pytest.raises(ValueError, match="'alice' is not an address"):
        postfix_maps([{"address": "alice"}], [], ["example.org"])
