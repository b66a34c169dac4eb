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


def test_the_lists_age_is_the_newest_package_index_never_the_directory():
    entries = [("lock", 5000.0), ("deb.debian.org_debian_dists_trixie_InRelease", 4000.0),
               ("deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages.lz4", 3000.0),
               ("security.debian.org_debian-security_dists_trixie-security_main_binary-amd64_Packages", 3500.0),
               ("partial", 6000.0)]
    assert _dpkg.lists_updated_at(entries) == 3500.0
    # An image that deleted its lists: only the lock and Release files are left, nothing to install from.
    assert _dpkg.lists_updated_at([("lock", 5000.0), ("x_dists_y_InRelease", 5000.0)]) is None
    assert _dpkg.lists_updated_at([]) is None
    assert _dpkg.lists_updated_at([("x_main_i18n_Translation-en", 1.0), ("x_Packages.diff_Index", 1.0)]) is None


def test_what_apt_get_update_could_not_fetch_is_said():
    out = ("Hit:1 http://deb.debian.org/debian trixie InRelease\n"
           "W: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease  Temporary failure resolving 'deb.debian.org'\n"
           "W: Some index files failed to download. They have been ignored, or old ones used instead.\n")
    assert _dpkg.fetch_problems(out) == (
        "W: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease  Temporary failure resolving "
        "'deb.debian.org' / W: Some index files failed to download. They have been ignored, or old ones used instead.")
    assert _dpkg.fetch_problems("Hit:1 http://deb.debian.org/debian trixie InRelease\nReading package lists...\n") == ""


def test_one_transaction_without_recommends_keeping_edited_configuration_files():
    argv = _dpkg.install_argv("/usr/bin/apt-get", ["postfix", "dovecot-core"])
    assert argv[:4] == ["/usr/bin/apt-get", "install", "--yes", "--no-install-recommends"]
    assert "Dpkg::Options::=--force-confold" in argv and argv[-2:] == ["postfix", "dovecot-core"]
