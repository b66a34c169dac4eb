"""dkimpy's verdicts on a message file, as it is and tampered with; run in the lab's peer, which
has dkimpy and resolves through the lab DNS. Prints JSON.

    python3 -c "$(cat dkim_verify.py)" <message file>
Each DKIM-Signature is verified on its own (idx).
"""

import json
import re
import sys


def verdicts(dkim, data):
    out = []
    for idx in range(len(re.findall(rb"(?mi)^DKIM-Signature:", data))):
        verifier = dkim.DKIM(data)
        try:
            ok, reason = bool(verifier.verify(idx=idx)), ""
        except dkim.ValidationError as exc:  # e.g. "body hash mismatch": a failed verification
            ok, reason = False, str(exc)
        fields = verifier.signature_fields or {}
        out.append({"a": fields.get(b"a", b"").decode(), "s": fields.get(b"s", b"").decode(), "ok": ok, "reason": reason})
    return out


def main(path):
    import dkim  # pylint: disable=import-outside-toplevel,import-error  # the peer's dkimpy

    with open(path, "rb") as stream:
        message = stream.read()
    head, separator, body = message.partition(b"\n\n")
    tampered_body = head + separator + (b"X" + body[1:] if body else b"X")
    tampered_subject = re.sub(rb"(?mi)^Subject:.*$", b"Subject: changed on the way", message, count=1)
    print(json.dumps({
        "as_sent": verdicts(dkim, message),
        "body_changed": verdicts(dkim, tampered_body),
        "subject_changed": verdicts(dkim, tampered_subject),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
