#!/usr/bin/env bash
# Run on the bench's mail host by tests/bench/bench.py (podman exec -i <host> bash -s -- ARGS < this):
# send MESSAGES messages of LENGTH bytes in SESSIONS parallel sessions with Postfix's smtp-source
# to 127.0.0.1:PORT, wait until the queue is empty, and print one JSON line with the timestamps
# (start, smtp-source done, queue empty), the files in the Maildir, how many carry a
# DKIM-Signature header (and an Ed25519 one), and how many messages were deferred on the way.
set -euo pipefail

port=$1 sessions=$2 messages=$3 length=$4 sender=$5 recipient=$6 maildir=$7 timeout=${8:-600}

start=$(date +%s.%N)
smtp-source -s "$sessions" -m "$messages" -l "$length" -f "$sender" -t "$recipient" "127.0.0.1:$port"
submitted=$(date +%s.%N)
# A message deferred on the way (e.g. Dovecot's per-user LMTP limit) would wait for the queue
# manager's next retry, minutes away: count it and ask for the retry at once.
deferred=()
deadline=$((${start%.*} + timeout))
while queue=$(postqueue -j) && [ -n "$queue" ]; do
  ids=$(sed -n '/"queue_name": *"deferred"/s/.*"queue_id": *"\([^"]*\)".*/\1/p' <<<"$queue")
  if [ -n "$ids" ]; then
    mapfile -t -O "${#deferred[@]}" deferred <<<"$ids"
    postqueue -f
  fi
  if [ "$(date +%s)" -gt "$deadline" ]; then
    echo "the queue is not empty after ${timeout} s" >&2
    exit 1
  fi
  sleep 0.1
done
drained=$(date +%s.%N)

delivered=$(find "$maildir/new" "$maildir/cur" -type f 2>/dev/null | wc -l)
count_with() { (grep -rl -m1 "$1" "$maildir/new" "$maildir/cur" 2>/dev/null || true) | wc -l; }
signed=$(count_with '^DKIM-Signature:')
ed25519=$(count_with '^DKIM-Signature: .*a=ed25519-sha256')
deferred_count=0
if [ "${#deferred[@]}" -gt 0 ]; then
  deferred_count=$(printf '%s\n' "${deferred[@]}" | sort -u | wc -l)
fi
printf '{"start": %s, "submitted": %s, "drained": %s, "delivered": %d, "signed": %d, "ed25519": %d, "deferred": %d}\n' \
  "$start" "$submitted" "$drained" "$delivered" "$signed" "$ed25519" "$deferred_count"
