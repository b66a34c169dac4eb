"""What a receiving server concludes about a delivered message: DKIM (dkimpy, every signature),
SPF (pyspf check2 with the sending server's address, envelope sender and HELO) and DMARC
alignment with the policy read from the published record. Prints JSON.

    python3 authentication.py <message file> <client address> <HELO name>
"""
import email
import email.utils
import json
import sys

import dkim
import dns.resolver
import spf

path, client, helo = sys.argv[1:4]
raw = open(path, "rb").read()
message = email.message_from_bytes(raw)
from_domain = email.utils.parseaddr(message["From"])[1].rsplit("@", 1)[1].lower()
mail_from = email.utils.parseaddr(message["Return-Path"])[1]
mail_from_domain = mail_from.rsplit("@", 1)[1].lower()


def organisational(domain):
    # The lab's zones are directly under .test: the last two labels are the organisation.
    return ".".join(domain.split(".")[-2:])


def tags(header):
    pairs = (part.split("=", 1) for part in header.replace("\r\n", "").split(";") if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs}


signatures = []
verifier = dkim.DKIM(raw)
for index, header in enumerate(message.get_all("DKIM-Signature") or []):
    sig = tags(header)
    signatures.append({"d": sig.get("d", "").lower(), "s": sig.get("s"), "a": sig.get("a"),
                       "pass": bool(verifier.verify(idx=index))})
spf_result, spf_explanation = spf.check2(i=client, s=mail_from, h=helo)
policy = None
for record in dns.resolver.resolve("_dmarc." + from_domain, "TXT"):
    text = b"".join(record.strings).decode()
    if text.startswith("v=DMARC1"):
        policy = tags(text).get("p")
dkim_aligned = any(s["pass"] and organisational(s["d"]) == organisational(from_domain) for s in signatures)
spf_aligned = spf_result == "pass" and organisational(mail_from_domain) == organisational(from_domain)
print(json.dumps({
    "from_domain": from_domain, "mail_from": mail_from, "dkim": signatures,
    "spf": spf_result, "spf_explanation": spf_explanation, "dmarc_policy": policy,
    "dkim_aligned": dkim_aligned, "spf_aligned": spf_aligned,
    "dmarc": "pass" if (dkim_aligned or spf_aligned) else "fail",
}))
