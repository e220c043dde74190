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
# As a user, tar would record the user's own uid as every file's owner and
# chown 1000 would fail: owners are set and read as root of a user namespace
# with the build's own map (unshare --map-auto when /etc/subuid gives a
# range), so the tar is the one root makes. Without a range /home/user stays 0.
as_root=()
if [ "$(id -u)" != 0 ]; then
  as_root=(unshare --user --map-root-user)
  if unshare --user --map-root-user --map-auto true 2>/dev/null; then as_root+=(--map-auto); fi
fi
"${as_root[@]}" chown 1000:1000 "$rootfs/home/user" 2>/dev/null || true
"${as_root[@]}" tar --numeric-owner --mtime='2024-01-01 00:00:00Z' --sort=name \
  -C "$rootfs" -cf "$work/rootfs.tar" .
node "$here/bin/layerlab.js" "$@" import "$work/rootfs.tar" layerlab/busybox:latest
