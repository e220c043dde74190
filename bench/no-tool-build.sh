#!/usr/bin/env bash
# The floor under any build tool: a Dockerfile's own work with no tool at all.
# Each WORKDIR, COPY and RUN gets a fresh overlay (volatile, as layerlab's)
# over the layers before it, mounted, used and unmounted as root: RUN is
# `chroot MERGED /bin/sh -c 'cd WORKDIR; COMMAND'`, COPY is `cp -a`, WORKDIR
# is `mkdir -p`. No namespaces, no change list, no layer tar, no image.
# Other instructions cost nothing here. Called by bench/build.sh.
#
#   bench/no-tool-build.sh DOCKERFILE CONTEXT BASE_ROOTFS_DIR SCRATCH_DIR
#
# Knows the forms the bench's Dockerfiles use: one-line instructions,
# `COPY SRC DEST` with a relative SRC dir.
set -euo pipefail
dockerfile=$1 context=$2 lower=$3 scratch=$4
mkdir -p "$scratch"
cleanup() {
  set +e
  grep -o " $scratch/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$scratch"
}
trap cleanup EXIT

workdir=/
step=0
layer() { # a fresh overlay over the layers so far; runs "$@" with $merged set, then unmounts
  step=$((step + 1))
  local dir="$scratch/$step"
  mkdir -p "$dir/upper" "$dir/work" "$dir/merged"
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work,volatile" "$dir/merged"
  merged="$dir/merged" "$@"
  umount "$dir/merged"
  lower="$dir/upper:$lower"
}
do_workdir() { mkdir -p "$merged$workdir"; }
do_copy() { mkdir -p "$merged$copy_dest" && cp -a "$context/$copy_src/." "$merged$copy_dest"; }
do_run() { chroot "$merged" /bin/sh -c "cd '$workdir' && $run_command"; }

while IFS= read -r line; do
  case $line in
    WORKDIR\ *)
      workdir=${line#WORKDIR }
      layer do_workdir
      ;;
    COPY\ *)
      read -r copy_src copy_dest <<<"${line#COPY }"
      case $copy_dest in /*) ;; *) copy_dest="${workdir%/}/$copy_dest" ;; esac
      layer do_copy
      ;;
    RUN\ *)
      run_command=${line#RUN }
      layer do_run
      ;;
  esac
done <"$dockerfile"
