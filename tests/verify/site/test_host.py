"""The site scenario's hosts as site.yml left them: effective TLS and login settings, nothing of
Debian's defaults in Dovecot, the owner, group and mode of every secret and socket, and the
users' hashes (issue 14: the first part of the old verify.yml, in pytest).

Read over testinfra's ssh backend; nothing is changed. Run by extensions/molecule/site/verify.yml.
"""

import re

import pytest

from lablib import poll

HOSTS = ("site-debian13", "site-debian12")
# Not the hash of bob's password, only its salt and scheme: what must be kept as given.
BOB_HASH_PREFIX = "{SHA512-CRYPT}$6$bobsalt$"


def secrets(domain):
    """(path, owner, group, mode) of every secret and socket that must be closed to others."""
    return [
        ("/etc/dovecot/users", "root", "dovecot", "0640"),
        # No secret, but who has a mailbox and how big it may grow: Dovecot's auth reads it.
        ("/etc/dovecot/userdb", "root", "dovecot", "0640"),
        ("/etc/dovecot/private", "root", "root", "0700"),
        ("/etc/dovecot/private/password-salt-secret", "root", "root", "0600"),
        ("/etc/dovecot/private/password-fingerprints", "root", "root", "0600"),
        ("/etc/opendkim/keys", "opendkim", "opendkim", "0700"),
        ("/etc/opendkim/keys/%s" % domain, "opendkim", "opendkim", "0700"),
        ("/etc/opendkim/keys/%s/mail.private" % domain, "opendkim", "opendkim", "0600"),
        ("/etc/opendkim/keys/%s/mail-ed.private" % domain, "opendkim", "opendkim", "0600"),
        ("/etc/opendkim/keys/lists.%s/mail.private" % domain, "opendkim", "opendkim", "0600"),
        ("/etc/opendkim/keys/lists.%s/mail-ed.private" % domain, "opendkim", "opendkim", "0600"),
        # The key the services read, through the stable path into certbot's archive.
        ("/etc/postmaster-mail/tls/privkey.pem", "root", "root", "0600"),
        ("/etc/postmaster-mail/tls/selfsigned/privkey.pem", "root", "root", "0600"),
        ("/etc/letsencrypt/archive", "root", "root", "0700"),
        ("/etc/letsencrypt/accounts", "root", "root", "0700"),
        ("/var/spool/postfix/private/auth", "postfix", "postfix", "0660"),
        ("/var/spool/postfix/private/dovecot-lmtp", "postfix", "postfix", "0600"),
        ("/var/spool/postfix/private/dovecot-quota", "postfix", "postfix", "0600"),
        ("/var/spool/postfix/opendkim", "opendkim", "postfix", "0750"),
        ("/var/spool/postfix/opendkim/opendkim.sock", "opendkim", "postfix", "0660"),
        ("/var/spool/postfix/opendkim/opendkim-ed25519.sock", "opendkim", "postfix", "0660"),
        # rspamd's controller settings hold the password hash; its learning socket trusts anyone
        # who reaches it, so only the mail user's group may.
        ("/etc/rspamd/local.d/worker-controller.inc", "root", "_rspamd", "0640"),
        ("/run/rspamd-learn", "_rspamd", "vmail", "2750"),
        ("/run/rspamd-learn/controller.sock", "_rspamd", "vmail", "0660"),
        # postsrsd's key, which signs every SRS address (a forger who had it could bounce mail through here).
        ("/etc/postsrsd.secret", "root", "root", "0600"),
    ]


@pytest.fixture(scope="module", params=HOSTS)
def mail_host(request, hosts):
    return hosts[request.param]


@pytest.fixture(scope="module")
def dovecot_24(mail_host):
    return mail_host.check("dovecot --version").startswith("2.4")


def test_tls_12_and_up_no_cleartext_login_stable_certificate_paths_and_no_open_relay(mail_host, dovecot_24, report):
    cleartext = "auth_allow_cleartext" if dovecot_24 else "disable_plaintext_auth"
    dovecot = mail_host.check("doveconf -h ssl ssl_min_protocol auth_mechanisms %s", cleartext).splitlines()
    postfix = mail_host.check("postconf -h smtpd_tls_security_level smtpd_tls_protocols smtpd_tls_mandatory_protocols"
                              " smtpd_tls_chain_files smtpd_relay_restrictions lmtp_destination_concurrency_limit"
                              ).splitlines()
    settings = dict(zip(["ssl", "ssl_min_protocol", "auth_mechanisms", cleartext], dovecot))
    settings.update(zip(["smtpd_tls_security_level", "smtpd_tls_protocols", "smtpd_tls_mandatory_protocols",
                         "smtpd_tls_chain_files", "smtpd_relay_restrictions", "lmtp_destination_concurrency_limit"],
                        postfix))
    assert settings["ssl"] == "required", settings
    assert settings["ssl_min_protocol"] == "TLSv1.2", settings
    assert settings["auth_mechanisms"] == "plain login", settings
    # Cleartext logins refused: 2.4 says auth_allow_cleartext = no, 2.3 disable_plaintext_auth = yes.
    assert settings[cleartext] == ("no" if dovecot_24 else "yes"), settings
    assert settings["smtpd_tls_security_level"] == "may", settings
    assert settings["smtpd_tls_protocols"] == ">=TLSv1.2", settings
    assert settings["smtpd_tls_mandatory_protocols"] == ">=TLSv1.2", settings
    assert re.fullmatch(r"/etc/postmaster-mail/tls/privkey\.pem[ ,]+/etc/postmaster-mail/tls/fullchain\.pem",
                        settings["smtpd_tls_chain_files"]), settings
    assert "reject_unauth_destination" in settings["smtpd_relay_restrictions"], settings
    # Postfix opens no more LMTP sessions than Dovecot 2.4 takes for one user.
    assert settings["lmtp_destination_concurrency_limit"] == "10", settings
    report("%s settings: Dovecot %s, ssl=required, TLSv1.2+, %s=%s, Postfix TLS >=TLSv1.2, no open relay" % (
        mail_host.name, "2.4" if dovecot_24 else "2.3", cleartext, settings[cleartext]))


def test_nothing_of_debians_conf_d_pam_or_snakeoil_leaks_into_dovecot(mail_host):
    effective = mail_host.check("doveconf -n")
    leaks = sorted({match.group(0) for match in re.finditer(r"\bpam\b|conf\.d|dovecot\.pem|snakeoil", effective)})
    assert not leaks, "%s: doveconf -n mentions %s" % (mail_host.name, leaks)


def test_systemd_runs_the_units_the_roles_wrote_and_each_reload_keeps_the_daemon(mail_host, report):
    """systemd does not notice a new file in /etc/systemd/system that overrides a packaged unit it
    already loaded: unless the run made it read its units again, OpenDKIM would run Debian's unit,
    whose reload needs /bin/kill (not on a minimal host)."""
    units = ["opendkim.service", "opendkim-ed25519.service"]
    shown = mail_host.check("systemctl show --property=Id,FragmentPath,NeedDaemonReload,MainPID " + " ".join(["%s"] * len(units)),
                            *units)
    blocks = [dict(line.split("=", 1) for line in block.splitlines()) for block in shown.strip().split("\n\n")]
    assert [(b["Id"], b["FragmentPath"], b["NeedDaemonReload"]) for b in blocks] == [
        (unit, "/etc/systemd/system/" + unit, "no") for unit in units]
    # A reload signals the running daemon (the roles' ExecReload), on a host without procps.
    mail_host.check("systemctl reload " + " ".join(["%s"] * len(units)), *units)
    after = mail_host.check("systemctl show --property=MainPID,ActiveState " + " ".join(["%s"] * len(units)), *units)
    pids = [dict(line.split("=", 1) for line in block.splitlines()) for block in after.strip().split("\n\n")]
    assert [(p["MainPID"], p["ActiveState"]) for p in pids] == [(b["MainPID"], "active") for b in blocks]
    report("%s units: %s loaded from /etc/systemd/system, reloaded in place" % (mail_host.name, ", ".join(units)))


def test_every_secret_and_socket_has_its_owner_group_and_mode(mail_host, report):
    # rspamd makes its learning socket once it has compiled its rules (up to a minute at its first start).
    poll(lambda: mail_host.run("test -S /run/rspamd-learn/controller.sock").rc == 0, timeout=180, interval=2,
         what="rspamd's learning socket on %s" % mail_host.name)
    table = secrets(mail_host.vars["site_domain"])
    paths = [path for path, _owner, _group, _mode in table]
    output = mail_host.check("for p in " + " ".join(["%s"] * len(paths)) + '; do stat -L -c "%%U:%%G:%%a:%%n" "$p" 2>/dev/null'
                             ' || echo "missing:missing:missing:$p"; done', *paths)
    found = []
    for line in output.splitlines():
        owner, group, mode, path = line.split(":", 3)
        found.append(":".join([owner, group, mode if mode == "missing" else "%04o" % int(mode, 8), path]))
    wanted = [":".join([owner, group, mode, path]) for path, owner, group, mode in table]
    assert found == wanted
    report("%s secrets: %d paths with their owner:group:mode" % (mail_host.name, len(found)))


def test_the_plain_password_was_hashed_and_the_given_hash_kept(mail_host):
    domain = mail_host.vars["site_domain"]
    # Judged on the host: the file's content (hashes) never comes back to the test's output.
    checks = {
        "alice hashed with Argon2id, 64 MiB, 3 passes": (
            "grep -q %s /etc/dovecot/users", r"^alice@%s:{ARGON2ID}\$argon2id\$v=19\$m=65536,t=3,p=1\$" % re.escape(domain)),
        "every hash made from a plain password is Argon2id": (
            "! grep -v -e '^#' -e ':{ARGON2ID}.argon2id.v=19.m=' -e %s /etc/dovecot/users", "^bob@lists.%s:" % re.escape(domain)),
        "bob's given hash kept": ("grep -qF %s /etc/dovecot/users", "bob@lists.%s:%s" % (domain, BOB_HASH_PREFIX)),
        "no plain password": ("! grep -qF %s /etc/dovecot/users", "alice-Secret-1"),
        "alice's fingerprint kept beside her hash": (
            "grep -qE %s /etc/dovecot/private/password-fingerprints", "^alice@%s:[0-9a-f]{64}$" % re.escape(domain)),
        "no fingerprint for bob's given hash": ("! grep -qF %s /etc/dovecot/private/password-fingerprints", "bob@"),
    }
    failed = [name for name, (command, pattern) in checks.items() if mail_host.run(command, pattern).rc != 0]
    assert not failed, "%s: /etc/dovecot/users: %s" % (mail_host.name, failed)
