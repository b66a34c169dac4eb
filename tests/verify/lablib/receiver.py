"""What a receiving server concludes about a delivered message: DKIM (dkimpy, every signature),
SPF (pyspf's check2 with the sending server's address, envelope sender and HELO) and DMARC
alignment, with the policy read from the published record.

Runs in the lab's peer, which has dkimpy, pyspf and dnspython and resolves through the lab DNS
(was extensions/molecule/site/files/authentication.py); prints JSON:

    peer.run("python3", "-c", SOURCE, <message file in the peer>, <client address>, <HELO name>)

`verdict()` and the parsing helpers are pure and unit-tested on the controller
(tests/unit/verify/test_receiver.py); only evaluate() needs the peer's libraries.
"""

import email
import email.utils
import json
import sys
from pathlib import Path


def source():
    """This module's text, to run in the peer with `python3 -c`."""
    return Path(__file__).read_text(encoding="utf-8")


def organisational(domain):
    """The organisational domain; the lab's zones are directly under .test: the last two labels."""
    return ".".join(domain.lower().rstrip(".").split(".")[-2:])


def tags(value):
    """The tag=value pairs of a DKIM-Signature or a DMARC record, folding removed from the keys."""
    pairs = (part.split("=", 1) for part in value.replace("\r\n", "").split(";") if "=" in part)
    return {key.strip(): val.strip() for key, val in pairs}


def domain_of(address):
    """The domain of a header or envelope address ("Alice <a@b.test>" -> "b.test"), "" if none."""
    return email.utils.parseaddr(address or "")[1].rpartition("@")[2].lower()


def dmarc_policy(records):
    """p= of the first DMARC record among TXT strings, None if there is none."""
    for text in records:
        if text.startswith("v=DMARC1"):
            return tags(text).get("p")
    return None


def verdict(from_domain, mail_from, signatures, spf_result, spf_explanation, policy):
    """The receiver's conclusion (pure): DKIM and SPF alignment (relaxed) and DMARC's result.

    signatures  [{"d", "s", "a", "pass"}], one per DKIM-Signature
    """
    mail_from_domain = domain_of(mail_from)
    dkim_aligned = any(sig["pass"] and organisational(sig["d"]) == organisational(from_domain) for sig in signatures)
    spf_aligned = (spf_result == "pass" and bool(mail_from_domain)
                   and organisational(mail_from_domain) == organisational(from_domain))
    return {
        "from_domain": from_domain, "mail_from": mail_from, "dkim": signatures,
        "spf": spf_result, "spf_explanation": spf_explanation, "dmarc_policy": policy,
        "dkim_aligned": dkim_aligned, "spf_aligned": spf_aligned,
        "dmarc": "pass" if (dkim_aligned or spf_aligned) else "fail",
    }


def evaluate(raw, client, helo):
    """Evaluate a message (bytes) as received from `client` saying HELO `helo`; in the peer."""
    # pylint: disable=import-outside-toplevel,import-error  # the peer's libraries
    import dkim
    import dns.resolver
    import spf

    message = email.message_from_bytes(raw)
    from_domain = domain_of(message["From"])
    mail_from = email.utils.parseaddr(message["Return-Path"] or "")[1]
    signatures = []
    for index, header in enumerate(message.get_all("DKIM-Signature") or []):
        sig = tags(header)
        try:
            passed = bool(dkim.DKIM(raw).verify(idx=index))
        except dkim.ValidationError:
            passed = False
        signatures.append({"d": sig.get("d", "").lower(), "s": sig.get("s"), "a": sig.get("a"), "pass": passed})
    spf_result, spf_explanation = spf.check2(i=client, s=mail_from, h=helo)
    try:
        texts = [b"".join(record.strings).decode() for record in dns.resolver.resolve("_dmarc." + from_domain, "TXT")]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        texts = []
    return verdict(from_domain, mail_from, signatures, spf_result, spf_explanation, dmarc_policy(texts))


def main(argv):
    path, client, helo = argv[1:4]
    with open(path, "rb") as stream:
        raw = stream.read()
    print(json.dumps(evaluate(raw, client, helo)))


if __name__ == "__main__":
    main(sys.argv)
