"""Unit tests of the pure Postfix helpers."""

import pytest

from ansible_collections.postmaster.mail.plugins.module_utils._postfix import render_value, stale_indexes


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
