#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a Debian 12 machine: Debian packages (the only
# global change), then everything else inside the project (.venv, .cache). Idempotent and quick
# when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

# podman + runc (crun fails on this host's cgroup layout), the image builder, the DNS tools
# the tests use from the host, Python's venv, and the browser the webmail test drives (Debian's
# Chromium and chromedriver; certutil for its trust store).
packages=(podman runc netavark aardvark-dns conmon catatonit uidmap iptables debootstrap
  debian-archive-keyring knot knot-dnsutils bind9-dnsutils pebble swaks testssl.sh openssl curl
  shellcheck openssh-client python3 python3-venv git make
  chromium chromium-driver libnss3-tools)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
