"""dkimpy's verdicts on a message file, as it is and tampered with. Prints JSON.

    python3 dkim_verify.py <message file>
Each DKIM-Signature is verified on its own (idx), asking the system resolver (the lab DNS).
"""
import json
import re
import sys

import dkim

with open(sys.argv[1], "rb") as stream:
    message = stream.read()


def verdicts(data):
    signatures = len(re.findall(rb"(?mi)^DKIM-Signature:", data))
    out = []
    for idx in range(signatures):
        verifier = dkim.DKIM(data)
        try:
            ok, reason = bool(verifier.verify(idx=idx)), ""
        except dkim.ValidationError as exc:  # e.g. "body hash mismatch": a failed verification
            ok, reason = False, str(exc)
        fields = verifier.signature_fields or {}
        out.append({"a": fields.get(b"a", b"").decode(), "s": fields.get(b"s", b"").decode(),
                    "ok": ok, "reason": reason})
    return out


head, separator, body = message.partition(b"\n\n")
tampered_body = head + separator + (b"X" + body[1:] if body else b"X")
tampered_subject = re.sub(rb"(?mi)^Subject:.*$", b"Subject: changed on the way", message, count=1)
print(json.dumps({
    "as_sent": verdicts(message),
    "body_changed": verdicts(tampered_body),
    "subject_changed": verdicts(tampered_subject),
}))
