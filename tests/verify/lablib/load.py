"""Numbered messages sent to a mail server at a bounded rate, as a remote MTA would, while
something else (a converge) runs.

Standard library only (Python 3.9+): it runs in the lab's peer as `python3 -c <this file> <json>`
with {"server", "recipient", "run", "minimum", "rate", "stop_file", "deadline"}: it sends message
1, 2, ... each with Message-ID <RUN.N@peer.test>, one SMTP session each, on port 25 (no TLS:
the cost under test is the server's, not the handshake's), and stops once it has sent at least
`minimum` and `stop_file` exists. A 4xx reply or a broken connection is retried after a second,
as an MTA's queue would; a 5xx reply is final. It prints one JSON object: accepted (Message-IDs),
refused ([Message-ID, code, reply]: 5xx), retries ([Message-ID, reply]), the window [start, end]
(epoch seconds) and the rate.

`LoadSender` starts it from the controller in the background and collects its result; the
pacing and the verdict on a reply are pure helpers, unit-tested.
"""

import json
import os
import re
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

RETRY_LIMIT = 60


def due_time(started, number, rate):
    """When message `number` (from 1) is due at `rate` a second."""
    return started + (number - 1) / float(rate)


def should_continue(sent, minimum, stopped, now, deadline):
    """Send another? Until the deadline, as long as fewer than `minimum` are sent or no stop was asked."""
    return now < deadline and (sent < minimum or not stopped)


def verdict(code):
    """What a sender does with an SMTP reply code to a message: "accepted", "retry" or "refused"."""
    if code // 100 == 2:
        return "accepted"
    if code // 100 == 4:
        return "retry"
    return "refused"


# Journal entries that say a daemon reloaded: (daemon, SYSLOG_IDENTIFIER, regex on MESSAGE).
RELOAD_SIGNS = (
    ("postfix", "postfix/master", r"reload"),
    ("postfix", "systemd", r"^Reloaded postfix"),
    ("dovecot", "dovecot", r"SIGHUP received"),
    ("dovecot", "systemd", r"^Reloaded dovecot"),
    ("opendkim", "systemd", r"^Reloaded [a-z-]*opendkim"),
)


def reload_times(entries):
    """{daemon: [epoch seconds, ...]} of the reloads in journal entries (dicts of journalctl -o
    json: SYSLOG_IDENTIFIER, MESSAGE, __REALTIME_TIMESTAMP in microseconds)."""
    times = {daemon: [] for daemon, _identifier, _pattern in RELOAD_SIGNS}
    for entry in entries:
        for daemon, identifier, pattern in RELOAD_SIGNS:
            if entry.get("SYSLOG_IDENTIFIER") == identifier and re.search(pattern, entry.get("MESSAGE", "")):
                times[daemon].append(int(entry["__REALTIME_TIMESTAMP"]) / 1e6)
    return {daemon: sorted(found) for daemon, found in times.items()}


def inside(times, window):
    """The times strictly inside the window [start, end]."""
    return [moment for moment in times if window[0] < moment < window[1]]


def message_id(run, number):
    return "<%s.%d@peer.test>" % (run, number)


def build(run, number, recipient):
    message = EmailMessage()
    message["From"] = "load@peer.test"
    message["To"] = recipient
    message["Subject"] = "load %s %d" % (run, number)
    message["Message-ID"] = message_id(run, number)
    message.set_content("message %d of run %s\n" % (number, run))
    return message


def deliver(server, recipient, message, timeout=30):
    """One attempt: (code, reply); a broken connection is (0, why), to be retried."""
    try:
        with smtplib.SMTP(server, 25, timeout=timeout) as session:
            session.ehlo("mx.peer.test")
            session.send_message(message, "load@peer.test", [recipient])
        return 250, "ok"
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        return code, reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error
        return exc.smtp_code, reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    except (smtplib.SMTPException, OSError) as exc:
        return 0, "%s: %s" % (type(exc).__name__, exc)


def send_load(arguments):
    server, recipient, run = arguments["server"], arguments["recipient"], arguments["run"]
    minimum, rate, stop_file = int(arguments["minimum"]), float(arguments["rate"]), arguments["stop_file"]
    accepted, refused, retries = [], [], []
    started = time.time()
    deadline = started + float(arguments.get("deadline", 900))
    number = 0
    while should_continue(number, minimum, os.path.exists(stop_file), time.time(), deadline):
        number += 1
        due = due_time(started, number, rate)
        if due > time.time():
            time.sleep(due - time.time())
        message = build(run, number, recipient)
        for _attempt in range(RETRY_LIMIT):
            code, reply = deliver(server, recipient, message)
            decision = verdict(code) if code else "retry"
            if decision == "accepted":
                accepted.append(message["Message-ID"])
                break
            if decision == "refused":
                refused.append([message["Message-ID"], code, reply])
                break
            retries.append([message["Message-ID"], ("%d %s" % (code, reply)) if code else reply])
            time.sleep(1)
        else:
            refused.append([message["Message-ID"], 0, "gave up after %d attempts" % RETRY_LIMIT])
    return {"accepted": accepted, "refused": refused, "retries": retries,
            "window": [round(started, 3), round(time.time(), 3)], "rate": rate}


class LoadSender:
    """send_load() running in the lab's peer, in the background:

        sender = LoadSender(peer, {...}).start()
        ... the converge ...
        result = sender.finish()    # asks it to stop (its stop file), waits, returns its JSON
    close() (always, in a finalizer) ends it and removes the stop file, whatever happened.
    """

    def __init__(self, peer, arguments, timeout=1000):
        self.peer = peer
        self.arguments = dict(arguments)
        self.arguments.setdefault("deadline", timeout - 60)
        self.timeout = timeout
        self.process = None

    def start(self):
        with open(__file__, encoding="utf-8") as stream:
            source = stream.read()
        self.peer.run("rm", "-f", self.arguments["stop_file"], timeout=15)
        argv = [self.peer.podman, "exec", self.peer.container, "timeout", "-k", "5", str(self.timeout),
                "python3", "-c", source, json.dumps(self.arguments)]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with
        return self

    def running(self):
        return self.process is not None and self.process.poll() is None

    def finish(self, timeout=300):
        """Create the stop file, wait for the sender to end, and return its result."""
        self.peer.check("touch", self.arguments["stop_file"], timeout=15)
        stdout, stderr = self.process.communicate(timeout=timeout)
        if self.process.returncode != 0:
            raise AssertionError("the load sender in the peer exited %s: %s" % (self.process.returncode, stderr.strip()[-2000:]))
        return json.loads(stdout)

    def close(self):
        if self.running():
            self.peer.run("touch", self.arguments["stop_file"], timeout=15)
            try:
                self.process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()
        self.peer.run("rm", "-f", self.arguments["stop_file"], timeout=15)


if __name__ == "__main__":
    print(json.dumps(send_load(json.loads(sys.argv[1]))))
