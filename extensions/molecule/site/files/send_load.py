"""Send numbered messages to a mail server at a bounded rate, as a remote MTA would.

    python3 send_load.py <server> <recipient> <run id> <minimum count> <rate per second> <stop file>
Sends message 1, 2, ... each with Message-ID <RUN.N@peer.test>, one SMTP session each, on port
25 (no TLS: the cost under test is the server's, not the handshake's). It stops once it has sent at least <minimum count> and <stop file>
exists (the test creates it when the converge it overlaps has finished). A message refused with a
4xx reply or a broken connection is retried after a second, as an MTA's queue would; a 5xx reply
is final. Prints one JSON object: accepted (Message-IDs), refused (5xx), the start and end of the
window (epoch seconds), and the number of retries with their replies.
"""
import json
import os
import smtplib
import sys
import time
from email.message import EmailMessage

server, recipient, run_id, minimum, rate, stop_file = sys.argv[1:7]
minimum, interval = int(minimum), 1.0 / float(rate)
accepted, refused, retries = [], [], []
started = time.time()
deadline = started + 900
number = 0
while time.time() < deadline and (number < minimum or not os.path.exists(stop_file)):
    number += 1
    due = started + (number - 1) * interval
    if due > time.time():
        time.sleep(due - time.time())
    message = EmailMessage()
    message["From"] = "load@peer.test"
    message["To"] = recipient
    message["Subject"] = "load %s %d" % (run_id, number)
    message["Message-ID"] = "<%s.%d@peer.test>" % (run_id, number)
    message.set_content("message %d of run %s\n" % (number, run_id))
    for attempt in range(60):
        try:
            with smtplib.SMTP(server, 25, timeout=30) as session:
                session.ehlo("mx.peer.test")
                session.send_message(message, "load@peer.test", [recipient])
            accepted.append(message["Message-ID"])
            break
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
            code, reply = (exc.smtp_code, exc.smtp_error) if isinstance(exc, smtplib.SMTPResponseException) \
                else next(iter(exc.recipients.values()))
            if code // 100 == 5:
                refused.append([message["Message-ID"], code, str(reply)])
                break
            retries.append([message["Message-ID"], "%d %s" % (code, reply)])
        except (smtplib.SMTPException, OSError) as exc:
            retries.append([message["Message-ID"], str(exc)])
        time.sleep(1)
    else:
        refused.append([message["Message-ID"], 0, "gave up after 60 attempts"])

print(json.dumps({"accepted": accepted, "refused": refused, "retries": retries,
                  "window": [round(started, 3), round(time.time(), 3)],
                  "rate": float(sys.argv[5])}))
