#!/usr/bin/env bash
# Builds the lab's container images, each only when its recipe changed.
#
#   images.sh [debian13|debian12|mailhost13|mailhost12|tools ...]   (default: all)
#
# debianNN     bare Debian with systemd, made with debootstrap: what a fresh server looks like.
#              The site and dovecot scenarios run here, so the roles' install path is tested.
# mailhostNN   debianNN with the mail packages preinstalled: role scenarios converge faster.
# tools        Debian 12 with the lab services and clients: Knot, Unbound, Pebble, the peer's
#              Postfix, swaks, curl, openssl, testssl.sh, dkimpy, pyspf.
#
# Each image carries the hash of its recipe in the label postmaster.recipe; a build runs only when
# the label differs. The Debian mirror is read from this machine's apt sources at build time and
# never written into the repository.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/lib.sh
. "$here/lib.sh"

declare -A suite=([13]=trixie [12]=bookworm)

# Packages of the bare image: a minimal Debian (debootstrap's minbase), plus what Ansible needs to
# reach it. Ansible
# reaches the scenarios' hosts over SSH with pipelining, as it reaches a real server: a podman exec
# and a podman cp per task cost about three times as much (measured in the note of issue #8).
base_packages=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,ca-certificates,openssh-server
# What the roles install, preinstalled for the role scenarios (the roles still run their install
# tasks, which then change nothing).
mailhost_packages="postfix postfix-lmdb dovecot-imapd dovecot-pop3d dovecot-lmtpd opendkim
  certbot python3-cryptography ssl-cert"
tools_packages="knot knot-dnsutils unbound pebble postfix postfix-lmdb swaks curl openssl
  testssl.sh libnet-ssleay-perl libauthen-sasl-perl python3-dkim python3-nacl python3-spf sasl2-bin libsasl2-modules
  python3-dnspython python3-milter bind9-dnsutils
  ca-certificates iproute2 procps python3"

recipe_hash() {  # recipe_hash <text...>: what an image is made from, hashed
  printf '%s\n' "$@" | sha256sum | cut -c1-16
}

image_is_current() {  # image_is_current <image> <hash>
  local have
  have=$(podman image inspect --format '{{ index .Labels "postmaster.recipe" }}' "$1" 2>/dev/null) || return 1
  [ "$have" = "$2" ]
}

debian_mirror() {  # the machine's Debian mirror (URIs ending in /debian), from its apt sources
  local url
  url=$(grep -rhoE '^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+/debian/?([[:space:]]|$)' \
          /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
        grep -oE '[a-z]+://[^[:space:]]+/debian/?' | head -n1) || true
  [ -n "$url" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}"
  echo "${url%/}"
}

build_debian() {  # build_debian <13|12>
  local ver=$1 name="$LAB_IMAGE_PREFIX/debian:$1" hash mirror dir
  # The recipe: debootstrap's arguments and the lab adjustments made to its result.
  hash=$(recipe_hash "debootstrap --variant=minbase --include=$base_packages ${suite[$ver]}" \
           "$(declare -f configure_rootfs)")
  if image_is_current "$name" "$hash"; then log "$name is current"; return; fi
  local started=$SECONDS
  mirror=$(debian_mirror)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/postmaster-rootfs.XXXXXX")
  log "debootstrap ${suite[$ver]} for $name"
  debootstrap --variant=minbase --include="$base_packages" "${suite[$ver]}" "$dir" "$mirror" \
    > "$LAB_STATE/debootstrap-$ver.log" 2>&1 || { tail -n 30 "$LAB_STATE/debootstrap-$ver.log"; die "debootstrap failed"; }
  configure_rootfs "$dir" "$ver" "$mirror"
  tar -C "$dir" --numeric-owner -c . |
    podman import --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
      --change "LABEL postmaster.recipe=$hash" - "$name" >/dev/null 2>&1
  rm -rf "$dir"
  log "built $name in $((SECONDS - started)) s"
}

configure_rootfs() {  # configure_rootfs <dir> <ver> <mirror>: the lab-only adjustments of an image
  local dir=$1 ver=$2 mirror=$3 s=${suite[$2]}
  rm -f "$dir/etc/apt/sources.list"
  cat > "$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $s $s-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror}-security
Suites: $s-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # systemd sets a fresh machine-id at each boot when the file is empty.
  : > "$dir/etc/machine-id"
  rm -f "$dir/var/lib/dbus/machine-id"
  # No consoles or devices to manage in a container, and no apt runs at random times that would
  # hold the dpkg lock during a converge.
  local unit
  for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
              systemd-udevd-kernel.socket systemd-udevd-control.socket apt-daily.timer \
              apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
    ln -sf /dev/null "$dir/etc/systemd/system/$unit"
  done
  # Any stall of a unit becomes a quick failure instead of a 90 s wait (LAB.md).
  mkdir -p "$dir/etc/systemd/system.conf.d"
  printf '[Manager]\nDefaultTimeoutStartSec=30s\nDefaultTimeoutStopSec=10s\n' \
    > "$dir/etc/systemd/system.conf.d/lab.conf"
  printf 'Acquire::Languages "none";\n' > "$dir/etc/apt/apt.conf.d/99lab-no-translations"
  # A minimal server has no procps (kill, ps, pgrep, pidof ...): the roles must not rely on it.
  # openssh-server depends on the package, so its programs are hidden (dpkg-divert) rather than
  # the package removed, which would leave apt with a broken dependency.
  local program
  for program in $(chroot "$dir" dpkg -L procps | grep -E '/s?bin/[^/]+$'); do
    [ -e "$dir$program" ] || continue
    chroot "$dir" dpkg-divert --quiet --local --rename --divert "$program.lab-hidden" --add "$program"
  done
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  # Emptied lists must not look fresh: apt's cache_valid_time reads this directory's mtime, and an
  # image built less than an hour ago would otherwise skip the update and find no packages.
  touch -d @0 "$dir/var/lib/apt/lists"
}

build_on() {  # build_on <base image> <name> <packages...>: base plus packages, by podman build
  local base=$1 name=$2 hash ctx containerfile started=$SECONDS
  shift 2
  containerfile="FROM $base
RUN ${LAB_RESTORE_PROCPS:+dpkg-divert --list '*.lab-hidden' | cut -d' ' -f4 | xargs -rn1 dpkg-divert --local --rename --remove && }echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections \\
 && apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $* \\
 && apt-get clean && rm -rf /var/lib/apt/lists/*"
  # The recipe: the base image itself and the Containerfile.
  hash=$(recipe_hash "$(podman image inspect --format '{{ .Id }}' "$base")" "$containerfile")
  if image_is_current "$name" "$hash"; then log "$name is current"; return; fi
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/postmaster-build.XXXXXX")
  printf '%s\nLABEL postmaster.recipe=%s\n' "$containerfile" "$hash" > "$ctx/Containerfile"
  log "building $name"
  podman build --quiet --network=host -t "$name" "$ctx" > "$LAB_STATE/build-${name##*/}.log" 2>&1 ||
    { tail -n 30 "$LAB_STATE/build-${name##*/}.log"; die "podman build of $name failed"; }
  rm -rf "$ctx"
  log "built $name in $((SECONDS - started)) s"
}

build() {
  case $1 in
    debian13|debian12) build_debian "${1#debian}" ;;
    mailhost13|mailhost12)
      build_debian "${1#mailhost}"
      # shellcheck disable=SC2086
      build_on "$LAB_IMAGE_PREFIX/debian:${1#mailhost}" "$LAB_IMAGE_PREFIX/mailhost:${1#mailhost}" $mailhost_packages ;;
    tools)
      build_debian 12
      # shellcheck disable=SC2086
      # The lab's own services and clients may use procps: it is shown again there.
      LAB_RESTORE_PROCPS=1 build_on "$LAB_IMAGE_PREFIX/debian:12" "$LAB_IMAGE_PREFIX/tools:latest" $tools_packages ;;
    *) die "unknown image $1 (debian13 debian12 mailhost13 mailhost12 tools)" ;;
  esac
}

mkdir -p "$LAB_STATE"
[ $# -gt 0 ] || set -- debian13 debian12 tools mailhost13 mailhost12
for image in "$@"; do build "$image"; done
# Replaced images are left untagged: drop ours.
podman image prune -f --filter label=postmaster.recipe >/dev/null 2>&1 || true  # an image still in use stays
