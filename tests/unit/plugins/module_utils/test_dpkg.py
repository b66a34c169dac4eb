"""dpkg's status file read without dpkg: what is installed, what apt still has to do."""

from ansible_collections.postmaster.mail.plugins.module_utils import _dpkg

STATUS = """\
Package: postfix
Status: install ok installed
Priority: optional
Version: 3.10.5-1~deb13u1
Description: High-performance mail transport agent
 Postfix is Wietse Venema's mail transport agent
 .
 Version: 9.9 (a continuation line, not a field)

Package: dovecot-core
Status: install ok unpacked
Version: 1:2.4.1+dfsg1-6

Package: opendkim
Status: deinstall ok config-files
Version: 2.11.0~beta2-9

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.41-12

Package: libc6
Status: install ok half-installed
Architecture: i386
Version: 2.41-12
"""


def test_installed_packages_and_their_versions_are_read():
    packages = _dpkg.parse_status(STATUS)
    assert packages["postfix"] == {"status": "install ok installed", "version": "3.10.5-1~deb13u1"}
    assert _dpkg.is_installed(packages["postfix"])


def test_unpacked_and_config_files_only_count_as_missing():
    missing = _dpkg.missing_packages(_dpkg.parse_status(STATUS), ["postfix", "dovecot-core", "opendkim", "certbot"])
    assert missing == ["dovecot-core", "opendkim", "certbot"]


def test_a_multiarch_package_is_installed_if_one_architecture_is():
    packages = _dpkg.parse_status(STATUS)
    assert _dpkg.is_installed(packages["libc6"])
    assert _dpkg.missing_packages(packages, ["libc6:amd64", "libc6"]) == []


def test_an_empty_or_missing_status_file_means_everything_is_missing():
    assert _dpkg.missing_packages(_dpkg.parse_status(""), ["postfix", "postfix"]) == ["postfix"]


def test_debconf_answers_are_one_line_each_for_their_package():
    answers = [{"question": "postfix/main_mailer_type", "vtype": "select", "value": "No configuration"},
               {"question": "postfix/mailname", "vtype": "string", "value": "mail.example.org"}]
    assert _dpkg.debconf_selections("postfix", answers) == (
        "postfix postfix/main_mailer_type select No configuration\n"
        "postfix postfix/mailname string mail.example.org\n")


def test_a_multi_line_debconf_answer_is_refused():
    try:
        _dpkg.debconf_selections("postfix", [{"question": "postfix/mailname", "vtype": "string", "value": "a\nb"}])
    except ValueError as exc:
        assert "postfix/mailname" in str(exc)
    else:
        raise AssertionError("accepted")


def test_the_package_lists_are_fetched_again_when_old_or_never_fetched():
    assert _dpkg.cache_is_fresh(1000.0, 1000.0 + 3599, 3600)
    assert not _dpkg.cache_is_fresh(1000.0, 1000.0 + 3600, 3600)
    assert not _dpkg.cache_is_fresh(None, 1000.0, 3600)
    assert not _dpkg.cache_is_fresh(1000.0, 1000.0, 0)


def test_one_transaction_without_recommends_keeping_edited_configuration_files():
    argv = _dpkg.install_argv("/usr/bin/apt-get", ["postfix", "dovecot-core"])
    assert argv[:4] == ["/usr/bin/apt-get", "install", "--yes", "--no-install-recommends"]
    assert "Dpkg::Options::=--force-confold" in argv and argv[-2:] == ["postfix", "dovecot-core"]
