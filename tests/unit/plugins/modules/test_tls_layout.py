"""The transaction of postmaster.mail.tls_layout, against a temporary directory (the tests run as
root, so root:root is what they get)."""

import json
import os
import stat

import pytest

from ansible_collections.postmaster.mail.plugins.modules import tls_layout

from .module_call import Failed, call, patch_exits

SCRIPT = "#!/bin/sh\nexit 0\n"
DROPIN = "[Service]\nEnvironment=REQUESTS_CA_BUNDLE=/x\n"
BUNDLE = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture(autouse=True)
def fake(monkeypatch):

    patch_exits(monkeypatch)


@pytest.fixture
def host(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "sbin").mkdir()
    return tmp_path


def args(host, **overrides):
    tls = host / "etc" / "tls"
    result = {
        "directories": [str(tls / "selfsigned"), str(host / "etc" / "hooks" / "deploy"), str(host / "etc" / "unit.d")],
        "tls_dir": str(tls),
        "target": str(tls / "selfsigned"),
        "reload_script": {"path": str(host / "sbin" / "reload"), "content": SCRIPT},
        "deploy_hook": str(host / "etc" / "hooks" / "deploy" / "hook"),
        "ca_bundle": {"path": str(tls / "bundle.pem"), "content": BUNDLE},
        "dropin": {"path": str(host / "etc" / "unit.d" / "x.conf"), "content": DROPIN},
    }
    result.update(overrides)
    return result


def run(module_args, check_mode=False, diff=False):
    return call(tls_layout.main, module_args, check_mode, diff)


def fail(module_args):
    return call(tls_layout.main, module_args, exception=Failed)


def snapshot(host):
    result = {}
    for path in sorted(host.rglob("*")):
        st = os.lstat(path)
        if path.is_symlink():
            result[str(path)] = ("link", os.readlink(path))
        elif path.is_file():
            result[str(path)] = (path.read_bytes(), stat.S_IMODE(st.st_mode))
        else:
            result[str(path)] = ("dir", stat.S_IMODE(st.st_mode))
    return result


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_host_is_laid_out_once(host):
    a = args(host)
    tls = a["tls_dir"]
    result = run(a)
    assert result["changed"] is True
    assert result["consumers_reload"] is True and result["systemd_reload"] is True
    assert os.readlink(tls + "/current") == a["target"]
    assert os.readlink(tls + "/fullchain.pem") == "current/fullchain.pem"
    assert os.readlink(tls + "/privkey.pem") == "current/privkey.pem"
    assert os.readlink(a["deploy_hook"]) == a["reload_script"]["path"]
    assert open(a["reload_script"]["path"]).read() == SCRIPT and mode(a["reload_script"]["path"]) == 0o755
    assert open(a["ca_bundle"]["path"]).read() == BUNDLE and mode(a["ca_bundle"]["path"]) == 0o644
    assert open(a["dropin"]["path"]).read() == DROPIN and mode(a["dropin"]["path"]) == 0o644
    for directory in a["directories"] + [tls, str(host / "etc" / "hooks")]:
        assert os.path.isdir(directory) and mode(directory) == 0o755, directory
    assert not [name for name in os.listdir(tls) if name.startswith(".tls_layout")]
    assert tls + "/current" in result["files"]
    assert "diff" not in result

    again = run(a)
    assert again == {"changed": False, "files": [], "consumers_reload": False, "systemd_reload": False, "units": {},
                     "certificates": {}, "read": [], "target": a["target"], "next_target": None}


def test_check_mode_changes_nothing_and_reports_everything(host):
    a = args(host)
    before = snapshot(host)
    result = run(a, check_mode=True, diff=True)
    assert snapshot(host) == before
    assert result["changed"] is True and result["consumers_reload"] is True and result["systemd_reload"] is True
    done = run(a)
    assert sorted(result["files"]) == sorted(done["files"])
    headers = [d.get("after_header") for d in result["diff"]]
    assert a["tls_dir"] + "/current" in headers and a["reload_script"]["path"] in headers
    link = [d for d in result["diff"] if d.get("after_header") == a["tls_dir"] + "/current"][0]
    assert link == {"before": "absent\n", "after": "link to %s\n" % a["target"],
                    "before_header": a["tls_dir"] + "/current", "after_header": a["tls_dir"] + "/current"}


def test_switching_current_is_one_rename_and_reloads_the_consumers(host):
    a = args(host)
    run(a)
    b = dict(a, target="/etc/letsencrypt/live/mail.example.org")
    result = run(b, check_mode=True, diff=True)
    assert os.readlink(a["tls_dir"] + "/current") == a["target"]
    assert result["diff"] == [{"before": "link to %s\n" % a["target"], "after": "link to /etc/letsencrypt/live/mail.example.org\n",
                               "before_header": a["tls_dir"] + "/current", "after_header": a["tls_dir"] + "/current"}]
    result = run(b)
    assert result["files"] == [a["tls_dir"] + "/current"]
    assert result["consumers_reload"] is True and result["systemd_reload"] is False
    assert os.readlink(a["tls_dir"] + "/current") == "/etc/letsencrypt/live/mail.example.org"


def test_drift_is_repaired(host):
    a = args(host)
    run(a)
    os.unlink(a["tls_dir"] + "/privkey.pem")
    os.chmod(a["reload_script"]["path"], 0o700)
    os.chmod(a["tls_dir"] + "/selfsigned", 0o700)
    os.chmod(a["ca_bundle"]["path"], 0o600)
    result = run(a, diff=True)
    assert sorted(result["files"]) == sorted([a["tls_dir"] + "/privkey.pem", a["reload_script"]["path"],
                                              a["tls_dir"] + "/selfsigned", a["ca_bundle"]["path"]])
    assert result["consumers_reload"] is True and result["systemd_reload"] is False
    assert mode(a["reload_script"]["path"]) == 0o755 and mode(a["tls_dir"] + "/selfsigned") == 0o755
    assert mode(a["ca_bundle"]["path"]) == 0o644
    assert os.readlink(a["tls_dir"] + "/privkey.pem") == "current/privkey.pem"
    assert run(a)["changed"] is False


def test_a_changed_script_is_rewritten_with_a_diff_and_no_reload(host):
    a = args(host)
    run(a)
    b = dict(a, reload_script=dict(a["reload_script"], content=SCRIPT + "# more\n"))
    result = run(b, diff=True)
    assert result["files"] == [a["reload_script"]["path"]]
    assert result["consumers_reload"] is False and result["systemd_reload"] is False
    assert result["diff"][0]["before"] == SCRIPT and result["diff"][0]["after"] == SCRIPT + "# more\n"


def test_unwanted_bundle_and_dropin_are_removed(host):
    a = args(host)
    run(a)
    b = dict(a, ca_bundle={"path": a["ca_bundle"]["path"]}, dropin={"path": a["dropin"]["path"]})
    result = run(b, check_mode=True)
    assert os.path.exists(a["dropin"]["path"]) and result["systemd_reload"] is True
    result = run(b)
    assert sorted(result["files"]) == sorted([a["ca_bundle"]["path"], a["dropin"]["path"]])
    assert result["systemd_reload"] is True and result["consumers_reload"] is False
    assert not os.path.lexists(a["ca_bundle"]["path"]) and not os.path.lexists(a["dropin"]["path"])
    assert run(b)["changed"] is False


def own_files(host, key_mode=0o600):
    cert, key = host / "own.crt", host / "own.key"
    cert.write_text("cert\n")
    key.write_text("key\n")
    os.chmod(key, key_mode)
    return str(cert), str(key)


def files_args(host, cert, key):
    tls = str(host / "etc" / "tls")
    return args(host, directories=[tls + "/selfsigned"], target=tls + "/files", deploy_hook=None,
                ca_bundle={"path": tls + "/bundle.pem"}, dropin={"path": str(host / "etc" / "unit.d" / "x.conf")},
                files_mode={"dir": tls + "/files", "cert_src": cert, "key_src": key,
                            "variables": "certbot_cert_src / certbot_key_src"})


def test_files_mode_links_your_files(host):
    cert, key = own_files(host)
    a = files_args(host, cert, key)
    result = run(a)
    files = a["files_mode"]["dir"]
    assert os.readlink(files + "/fullchain.pem") == cert and os.readlink(files + "/privkey.pem") == key
    assert mode(files) == 0o755 and result["consumers_reload"] is True
    assert open(a["tls_dir"] + "/privkey.pem").read() == "key\n"
    assert run(a)["changed"] is False

    other = str(host / "other.key")
    os.link(key, other)
    result = run(dict(a, files_mode=dict(a["files_mode"], key_src=other)))
    assert result["files"] == [files + "/privkey.pem"] and result["consumers_reload"] is True


@pytest.mark.parametrize("problem", ["missing cert", "key for others", "key is a link"])
def test_files_mode_refuses_bad_sources_before_touching_anything(host, problem):
    cert, key = own_files(host, 0o604 if problem == "key for others" else 0o600)
    if problem == "missing cert":
        cert = str(host / "nowhere.crt")
    if problem == "key is a link":
        os.symlink(key, str(host / "link.key"))
        key = str(host / "link.key")
    before = snapshot(host)
    failed = fail(files_args(host, cert, key))
    assert failed["msg"].startswith("certbot_cert_src / certbot_key_src must be regular files on the host, the key owned by "
                                    "root and not accessible to others (e.g. root:root 0600); found %s: " % cert)
    assert snapshot(host) == before


def test_a_directory_where_a_link_goes_is_an_error(host):
    a = args(host)
    os.makedirs(a["tls_dir"] + "/current")
    os.mkdir(a["tls_dir"] + "/current/x")
    assert fail(a)["msg"] == "%s/current should be a link to %s, and is a directory" % (a["tls_dir"], a["target"])


def make_certificate(path, names, days, key_type="ecdsa"):
    """A self-signed certificate for ``names`` valid ``days`` from now (cryptography, as the role's
    community.crypto modules would make it), written as PEM to ``path``."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1()) if key_type == "ecdsa" else rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(key, hashes.SHA256()))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as stream:
        stream.write(cert.public_bytes(serialization.Encoding.PEM))


def test_the_certificates_are_read_in_the_same_run_as_x509_certificate_info_would(host):
    tls = host / "etc" / "tls"
    selfsigned, live = str(tls / "selfsigned" / "fullchain.pem"), str(host / "live" / "fullchain.pem")
    make_certificate(selfsigned, ["mail.example.org", "imap.example.org"], days=10)
    (host / "live").mkdir()
    (host / "live" / "fullchain.pem").write_text("not a certificate\n")
    a = args(host, certificates=[selfsigned, live, str(host / "missing.pem")], renew_before_days=30,
             preferred_target={"dir": str(host / "live"), "certificate": live})
    result = run(a)
    # The one that reads: its names, key type, and not valid any more in 30 days (it ends in 10).
    assert list(result["certificates"]) == [selfsigned]
    info = result["certificates"][selfsigned]
    assert info["subject_alt_name"] == ["DNS:mail.example.org", "DNS:imap.example.org"]
    assert (info["public_key_type"], info["valid_at"]) == ("ECC", {"renew": False})
    assert len(info["not_after"]) == 15 and info["not_after"].endswith("Z")
    assert result["read"] == a["certificates"]
    # The ACME lineage holds no certificate that reads: current stays on the self-signed pair.
    assert result["target"] == str(tls / "selfsigned") and os.readlink(str(tls / "current")) == str(tls / "selfsigned")
    assert run(dict(a, renew_before_days=5))["certificates"][selfsigned]["valid_at"] == {"renew": True}


def test_current_moves_to_the_preferred_directory_once_its_certificate_reads(host):
    tls = host / "etc" / "tls"
    live = str(host / "live" / "fullchain.pem")
    a = args(host, certificates=[live], preferred_target={"dir": str(host / "live"), "certificate": live})
    assert run(a)["target"] == str(tls / "selfsigned")
    make_certificate(live, ["mail.example.org"], days=90, key_type="rsa")
    moved = run(a)
    assert (moved["target"], moved["consumers_reload"]) == (str(host / "live"), True)
    assert moved["certificates"][live]["public_key_type"] == "RSA"
    assert os.readlink(str(tls / "current")) == str(host / "live")


def test_two_lineages_take_turns_and_the_next_link_leads_to_the_one_not_in_use(host):
    tls = host / "etc" / "tls"
    main, alt = str(host / "main" / "fullchain.pem"), str(host / "alt" / "fullchain.pem")
    a = args(host, certificates=[main, alt], preferred_target={"dir": str(host / "main"), "certificate": main},
             alternate_target={"dir": str(host / "alt"), "certificate": alt, "next_link": str(tls / "next")})
    make_certificate(main, ["mail.example.org"], days=90)
    first = run(a)
    assert (first["target"], first["next_target"]) == (str(host / "main"), None) and not os.path.lexists(tls / "next")
    make_certificate(alt, ["mail.example.org"], days=90)
    ready = run(a, diff=True)
    assert (ready["target"], ready["next_target"], ready["consumers_reload"]) == (str(host / "main"), str(host / "alt"), False)
    assert os.readlink(str(tls / "next")) == str(host / "alt") and str(tls / "next") in ready["files"]
    # A rollover points current at the other lineage: it stays there, and next leads to the first.
    os.remove(str(tls / "current"))
    os.symlink(str(host / "alt"), str(tls / "current"))
    turned = run(a)
    assert (turned["target"], turned["next_target"]) == (str(host / "alt"), str(host / "main"))
    assert os.readlink(str(tls / "next")) == str(host / "main")
    assert run(a)["changed"] is False
    # The one in use stops reading: current goes to the other, and there is no next any more.
    (host / "alt" / "fullchain.pem").write_text("gone\n")
    back = run(a)
    assert (back["target"], back["next_target"], back["consumers_reload"]) == (str(host / "main"), None, True)
    assert not os.path.lexists(tls / "next")


@pytest.mark.parametrize("current, readable, chosen", [
    (None, [], ("/target", None)),
    (None, ["/a/c"], ("/a", None)),
    (None, ["/b/c"], ("/b", None)),
    ("/target", ["/a/c", "/b/c"], ("/a", "/b")),
    ("/b", ["/a/c", "/b/c"], ("/b", "/a")),
    ("/b", ["/a/c"], ("/a", None)),
])
def test_choose_target(current, readable, chosen):
    from ansible_collections.postmaster.mail.plugins.module_utils import _tls_layout
    a, b = {"dir": "/a", "certificate": "/a/c"}, {"dir": "/b", "certificate": "/b/c"}
    assert _tls_layout.choose_target(current, "/target", a, b, readable) == chosen
    assert _tls_layout.choose_target(current, "/target", a, None, readable) == (
        ("/a", None) if "/a/c" in readable else ("/target", None))


def test_the_renewal_settings_of_each_lineage_are_returned(host):
    conf = host / "alt.conf"
    conf.write_text("version = 2.1.0\n[renewalparams]\nauthenticator = webroot\nserver = https://acme.example/dir\n"
                    "autorenew = False\n")
    found = run(args(host, renewal_confs=[str(conf), str(host / "none.conf")]))["renewals"]
    assert found == {str(conf): {"present": True, "server": "https://acme.example/dir", "authenticator": "webroot",
                                 "autorenew": False},
                     str(host / "none.conf"): {"present": False, "server": "", "authenticator": "", "autorenew": True}}
    conf.write_text(conf.read_text().replace("autorenew = False\n", ""))
    assert run(args(host, renewal_confs=[str(conf)]))["renewals"][str(conf)]["autorenew"] is True


def test_the_acme_directory_of_the_renewal_settings_is_returned(host):
    conf = host / "renewal.conf"
    conf.write_text("# renew_before_expiry = 30 days\nversion = 2.11.0\nserver = https://acme.example/dir\n")
    assert run(args(host, renewal_conf=str(conf)))["renewal_server"] == "https://acme.example/dir"
    assert run(args(host, renewal_conf=str(host / "none.conf")))["renewal_server"] == ""


def test_without_the_cryptography_library_only_a_certificate_to_read_is_an_error(host, monkeypatch):
    """Check mode on a new host: no certificate and no python3-cryptography yet, and no failure."""
    from ansible_collections.postmaster.mail.plugins.module_utils import _tls_layout
    monkeypatch.setattr(_tls_layout, "HAS_CRYPTOGRAPHY", False)
    cert = str(host / "etc" / "tls" / "selfsigned" / "fullchain.pem")
    assert run(args(host, certificates=[cert]), check_mode=True)["certificates"] == {}
    make_certificate(cert, ["mail.example.org"], days=90)
    failed = call(tls_layout.main, args(host, certificates=[cert]), check_mode=True, exception=Failed)
    assert "cryptography" in failed["msg"]


SELFSIGNED = {"common_name": "mail.example.org", "names": ["mail.example.org", "imap.example.org"], "key_type": "rsa"}


def selfsigned_args(host, **spec):
    return args(host, selfsigned=dict(SELFSIGNED, dir=str(host / "etc" / "tls" / "selfsigned"), **spec))


def test_the_self_signed_pair_is_made_once_key_first_and_never_shown(host):
    d = host / "etc" / "tls" / "selfsigned"
    result = run(selfsigned_args(host), diff=True)
    key, cert = str(d / "privkey.pem"), str(d / "fullchain.pem")
    assert (result["selfsigned"], result["consumers_reload"]) == ({"made": True, "due": "there is no readable certificate"}, True)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and stat.S_IMODE(os.stat(cert).st_mode) == 0o644
    assert (os.stat(key).st_uid, os.stat(key).st_gid) == (0, 0)
    key_text = open(key).read()
    assert "PRIVATE KEY" in key_text and key_text.split("\n")[1] not in json.dumps(result)
    info = result["certificates"][cert]
    assert (info["public_key_type"], info["valid_at"]) == ("RSA", {"renew": True}) and cert in result["read"]
    again = run(selfsigned_args(host))
    assert (again["changed"], again["selfsigned"], again["consumers_reload"]) == (False, {"made": False, "due": ""}, False)
    assert open(key).read() == key_text


def test_a_new_name_a_new_key_type_or_a_lost_key_makes_it_again(host):
    d = host / "etc" / "tls" / "selfsigned"
    run(selfsigned_args(host))
    first = (d / "privkey.pem").read_text()
    first_cert = (d / "fullchain.pem").read_text()
    more = run(selfsigned_args(host, names=SELFSIGNED["names"] + ["smtp.example.org"]), diff=True)
    assert more["selfsigned"]["made"] and more["selfsigned"]["due"].startswith("it is for imap.example.org, mail.example.org, not")
    # Another name: a new certificate over the same key (a TLSA "3 1 1" record of it stays true).
    assert (d / "privkey.pem").read_text() == first and (d / "fullchain.pem").read_text() != first_cert
    assert more["files"] == [str(d / "fullchain.pem")] and "the same key" in more["diff"][0]["after"]
    ecdsa = run(selfsigned_args(host, key_type="ecdsa", names=SELFSIGNED["names"] + ["smtp.example.org"]))
    assert ecdsa["selfsigned"]["due"] == "its key is RSA, not ECC"
    assert (d / "privkey.pem").read_text() != first
    assert ecdsa["certificates"][str(d / "fullchain.pem")]["public_key_type"] == "ECC"
    (d / "privkey.pem").unlink()
    assert run(selfsigned_args(host, key_type="ecdsa", names=SELFSIGNED["names"] + ["smtp.example.org"]))["selfsigned"]["due"] == (
        "its key is missing")


def test_an_expiring_pair_is_made_again_and_drifted_modes_are_put_back(host):
    d = host / "etc" / "tls" / "selfsigned"
    run(selfsigned_args(host, days=10))
    assert run(selfsigned_args(host))["selfsigned"]["due"].endswith("within the renewal window")
    os.chmod(str(d / "privkey.pem"), 0o644)
    fixed = run(selfsigned_args(host))
    assert (fixed["changed"], fixed["selfsigned"]["made"]) == (True, False)
    assert stat.S_IMODE(os.stat(str(d / "privkey.pem")).st_mode) == 0o600


def test_check_mode_says_the_pair_is_due_and_writes_nothing(host):
    result = run(selfsigned_args(host), check_mode=True, diff=True)
    assert (result["changed"], result["selfsigned"]["made"]) == (True, True)
    assert not (host / "etc" / "tls").exists()
    assert any("self-signed certificate for mail.example.org, imap.example.org" in d["after"] for d in result["diff"])


def test_a_self_signed_pair_without_the_cryptography_library_names_the_package(host, monkeypatch):
    from ansible_collections.postmaster.mail.plugins.module_utils import _tls_layout
    monkeypatch.setattr(_tls_layout, "HAS_CRYPTOGRAPHY", False)
    failed = call(tls_layout.main, selfsigned_args(host), exception=Failed)
    assert "python3-cryptography" in failed["msg"]
    assert not (host / "etc" / "tls" / "selfsigned" / "privkey.pem").exists()
