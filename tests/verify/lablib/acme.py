"""The lab's ACME server (Pebble, container postmaster-lab-acme): how many orders it has taken.

Pebble logs one `POST /order-plz` line per new order. Counting them before and after a step proves
that the step asked for no certificate, as long as no other scenario orders one meanwhile (the
count covers the whole lab; make test runs the scenarios one after the other).
"""

import subprocess

CONTAINER = "postmaster-lab-acme"


def count_orders(log_text):
    """The number of new orders in Pebble's log text (pure; unit-tested)."""
    return sum(1 for line in log_text.splitlines() if "POST /order-plz" in line)


def pebble_log(container=CONTAINER, podman="podman", timeout=30):
    """Pebble's log so far (podman logs; Pebble writes to stderr)."""
    result = subprocess.run([podman, "logs", container], capture_output=True, text=True, timeout=timeout, check=True)
    return result.stdout + result.stderr


def order_count(container=CONTAINER):
    return count_orders(pebble_log(container))
