#!/usr/bin/env bash
# Build a lab image and print its tag. No registry is reachable, so:
#   base   - Debian 12 with systemd, made with debootstrap and `docker import`;
#   others - base plus the Debian packages listed in <name>.packages, committed.
# The tag is a hash of the recipe (this script, the package lists, the parent's
# tag), so an unchanged recipe is never rebuilt.
set -euo pipefail

name=${1:?usage: build.sh base|jre|postgres}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

[[ -f "$here/$name.packages" ]] || { echo "build.sh: no recipe $here/$name.packages" >&2; exit 2; }
packages=$(grep -v '^#' "$here/$name.packages" | xargs | tr ' ' ',')

parent=""
[[ "$name" == base ]] || parent=$("$0" base)

recipe_hash=$(cat "$0" "$here/$name.packages" <(echo "$parent $mirror") | sha256sum | cut -c1-12)
tag="dsm-lab-$name:$recipe_hash"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

echo "build.sh: building $tag" >&2
if [[ "$name" == base ]]; then
  command -v debootstrap >/dev/null || {
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  }
  rootfs=$(mktemp -d /var/tmp/dsm-lab-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >&2
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOF
  # A container has no consoles and no kernel modules to load; these units only fail there.
  for unit in getty.target console-getty.service systemd-modules-load.service \
              sys-kernel-config.mount systemd-remount-fs.service; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  # Every container must get its own machine id and SSH host keys at first boot.
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs"/etc/ssh/ssh_host_*
  mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$rootfs/etc/systemd/system/ssh.service.d/host-keys.conf"
  printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' \
    >"$rootfs/etc/ssh/sshd_config.d/lab.conf"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  # apt's cache_valid_time reads an empty index as fresh by the directory's mtime: make it ancient, so
  # the first converge on an image built within the hour still fetches the index.
  touch -d @0 "$rootfs"/var/lib/apt/lists
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV container=docker' \
    --change 'CMD ["/lib/systemd/systemd"]' - "$tag" >&2
else
  builder="dsm-lab-build-$name-$$"
  trap 'docker rm -f "$builder" >/dev/null 2>&1 || true' EXIT
  # policy-rc.d keeps package scripts from starting services in the build container.
  docker run --name "$builder" "$parent" /bin/sh -ec "
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(echo "$packages" | tr ',' ' ')
    rm -f /usr/sbin/policy-rc.d
    apt-get clean; rm -rf /var/lib/apt/lists/*; touch -d @0 /var/lib/apt/lists" >&2
  docker commit --change 'CMD ["/lib/systemd/systemd"]' "$builder" "$tag" >&2
fi
echo "$tag"
