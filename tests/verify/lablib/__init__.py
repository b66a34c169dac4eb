"""Helpers of the pytest verify steps (tests/verify), shared by every Molecule scenario.

    inventory  the scenario's inventory as Molecule wrote it, merged and rendered
    hosts      LabHost: a host's vars, and commands over testinfra's ssh backend
    peer       the lab's peer container (podman exec), swaks and curl there
    records    the lab DNS records through tests/lab/lab_dns.py
    mail       send (smtplib), find_message (Maildir), imap_fetch, pop3_fetch, dkim_tags
    postfix    parse_milters, postconf, flush_queue
    journal    journal_mark, journal_since, journal_wait
    poll       poll(), WaitTimeout: waiting without fixed sleeps
    playbook   run_playbook(): nested ansible-playbook runs judged from structured results
               (the verify_results callback in callback_plugins/), never from the recap's text
    remote     the stdlib-only client code that also runs on the mail hosts
    refusal    bad input refused before /etc changes (checksums before and after)
    tlsprobe   what each TLS port serves, read with cryptography
    acme       Pebble's order count (the whole lab's: scenarios run one after the other)
    receiver   the receiver's DKIM/SPF/DMARC verdicts, judged in the peer
    verdicts   secrets_shown, scan_findings (testssl.sh), without_auth (swaks transcripts)
    abuse      relay, AUTH-before-TLS, foreign-sender and wrong-password probes from the peer
    load       a background sender at a fixed rate, and the reloads in its window
    census     messages counted by Message-ID across every Maildir: nothing lost, nothing doubled
    secret     Secret: a string whose repr never shows it (pytest prints arguments on failure)

tests/verify/conftest.py turns them into fixtures; tests/unit/verify tests the pure parts.
"""

from .journal import journal_mark, journal_since, journal_wait
from .mail import SendResult, build_message, dkim_tags, find_message, imap_fetch, parse_headers, pop3_fetch, send
from .peer import port_open
from .poll import WaitTimeout, poll
from .postfix import Milter, flush_queue, parse_milters, postconf

__all__ = [
    "Milter", "SendResult", "WaitTimeout", "build_message", "dkim_tags", "find_message", "flush_queue",
    "imap_fetch", "journal_mark", "journal_since", "journal_wait", "parse_headers", "parse_milters", "poll",
    "pop3_fetch", "port_open", "postconf", "send",
]
