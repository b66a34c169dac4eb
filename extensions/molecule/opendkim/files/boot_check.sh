#!/usr/bin/env bash
# Restarts a container N times; after each boot waits for systemd and checks that each OpenDKIM
# service is active and its socket exists. Exits non-zero at the first failed start.
#   boot_check.sh <container> <count> <service>...   (socket: /var/spool/postfix/opendkim/<service>.sock)
set -euo pipefail
container=$1 count=$2
shift 2
for i in $(seq "$count"); do
  podman restart -t 10 "$container" >/dev/null
  # Wait until systemd has finished booting (right after the restart, it may not answer yet).
  state=""
  for _ in $(seq 60); do
    state=$(podman exec "$container" systemctl is-system-running --wait 2>/dev/null || true)
    case $state in running|degraded) break ;; esac
    sleep 0.5
  done
  for service in "$@"; do
    if ! podman exec "$container" systemctl is-active --quiet "$service" ||
       ! podman exec "$container" test -S "/var/spool/postfix/opendkim/$service.sock"; then
      echo "boot $i: $service failed to start (system: $state)"
      podman exec "$container" journalctl -b -u "$service" --no-pager | tail -n 20
      exit 1
    fi
  done
  echo "boot $i: system $state, $* active"
done
echo "$count boots, $count clean starts of $*"
