#!/usr/bin/env bash
# Makes the example's base image without Docker Hub: a busybox rootfs from this
# machine's busybox-static, imported into the layerlab store as
# layerlab/busybox:latest (what examples/Dockerfile starts FROM).
#   scripts/make-example-base.sh [--root DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
busybox="${BUSYBOX:-/bin/busybox}"
if ! "$busybox" --list-full >/dev/null 2>&1; then
  echo "make-example-base: $busybox is not a busybox with --list-full; install busybox-static (apt-get install busybox-static)" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,home/user,tmp,proc,sys,dev,var}
chmod 1777 "$rootfs/tmp"
chmod 700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
chmod 755 "$rootfs/bin/busybox"
"$busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$rootfs/$(dirname "$applet")"
  ln -sf /bin/busybox "$rootfs/$applet"
done
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
user:x:1000:
GROUP
chown 1000:1000 "$rootfs/home/user" 2>/dev/null || true
tar --numeric-owner --mtime='2024-01-01 00:00:00Z' --sort=name \
  -C "$rootfs" -cf "$work/rootfs.tar" .
node "$here/bin/layerlab.js" "$@" import "$work/rootfs.tar" layerlab/busybox:latest
