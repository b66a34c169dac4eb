"""Why the certbot role asks for a certificate (filter certbot_request_reasons): one definition for
the main lineage and the further ones past 100 names."""

import pytest

from ansible_collections.postmaster.mail.plugins.filter.certbot_request_reasons import certbot_request_reasons

DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory"
GOOD = {"subject_alt_name": ["DNS:mail.example.org", "DNS:mta-sts.example.org"], "valid_at": {"renew": True},
        "public_key_type": "ECC"}
RENEWAL = "[renewalparams]\nauthenticator = webroot\nserver = %s\n" % DIRECTORY


def reasons(info=None, **change):
    args = dict(names=["MTA-STS.example.org", "mail.example.org"], key_type="ecdsa", directory=DIRECTORY,
                authenticator="webroot", renewal_text=RENEWAL, renew_days=30)
    args.update(change)
    return certbot_request_reasons(GOOD if info is None else info, **args)


def test_a_certificate_that_does_is_kept():
    assert reasons() == []


def test_no_certificate_is_asked_for():
    assert reasons({}) == ["there is no certificate yet"]


@pytest.mark.parametrize("info, change, reason", [
    (dict(GOOD, subject_alt_name=["DNS:mail.example.org"]), {},
     "the names change from mail.example.org to mail.example.org, mta-sts.example.org"),
    (dict(GOOD, valid_at={"renew": False}), {}, "it expires within 30 days"),
    (dict(GOOD, public_key_type="RSA"), {}, "the key type changes from rsa to ecdsa"),
    (GOOD, {"renewal_text": RENEWAL.replace("webroot", "standalone")}, "renewals answer the challenge with webroot, not standalone"),
    (GOOD, {"renewal_text": ""}, "renewals answer the challenge with webroot, not unknown"),
    (GOOD, {"directory": "https://acme.lab.test:14000/dir"},
     "the ACME directory changes from %s to https://acme.lab.test:14000/dir" % DIRECTORY),
])
def test_each_reason(info, change, reason):
    assert reason in reasons(info, **change)


def test_the_renewal_settings_can_be_given_as_values():
    assert certbot_request_reasons(GOOD, ["mail.example.org", "mta-sts.example.org"], "ecdsa", DIRECTORY, "webroot",
                                   renewal_server=DIRECTORY, renewal_authenticator="webroot") == []
