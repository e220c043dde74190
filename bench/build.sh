#!/usr/bin/env bash
# Build speed: layerlab against buildah and docker BuildKit on the same
# Dockerfiles, the same context and the same busybox base, in one run.
# A benchmark: prints medians and ratios, asserts nothing.
#
#   bench/build.sh [RUNS]        default 5; run as root (buildah and dockerd need it here)
#   BENCH_DIR=/dev/shm bench/build.sh   every tool's storage and the context on another
#                                filesystem (default /tmp); see bench/README.md
#
# Dockerfiles (written under the work dir):
#   realistic  ENV/WORKDIR/LABEL/EXPOSE/USER/CMD, 4 RUN steps writing files,
#              a COPY of a ~4 MB context (40 files)
#   10-runs    10 × `RUN echo N > /rN` (one small layer each)
#   from-only  FROM + LABEL: the fixed cost of a build, to isolate per-RUN cost
# For each tool and Dockerfile: the median of RUNS no-cache builds, then one
# warm-up and the median of RUNS fully cached rebuilds. Tools alternate within
# each round, so load drift on a shared machine hits them alike.
#
# The tools:
#   no-tool   the floor: the Dockerfile's WORKDIR, COPY and RUN work on bare
#             overlays with no tool at all (bench/no-tool-build.sh); no-cache only
#   layerlab  bin/layerlab.js build run as a program, as the installed `layerlab`
#             runs (after `npm run build`), its own store
#   buildah   Debian's, --storage-driver overlay, --isolation chroot, --layers,
#             its own --root/--runroot under the work dir
#   docker    a dockerd started here with its own data/exec roots and socket,
#             --iptables=false --bridge=none; DOCKER_BUILDKIT=1 with Debian's
#             docker CLI (buildx is not needed); RUN uses --network host
#             because there is no bridge
# A tool that is missing or cannot start is reported and left out.
# The base is made once by layerlab (scripts/make-example-base.sh), saved as a
# docker-archive and loaded into buildah and docker, so all three build FROM
# the same layer.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-5}"
work="$(mktemp -d "${BENCH_DIR:-/tmp}/layerlab-bench-build-XXXXXX")"
dockerd_pid=""

cleanup() {
  set +e # every step runs, even when an earlier one finds nothing to do
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
  fi
  if [ -d "$work/buildah" ]; then
    buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver overlay rm --all >/dev/null 2>&1 || true
    # buildah leaves overlay mounts of its storage in this namespace.
    grep -o " $work/[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# ---- the base image and the Dockerfiles ------------------------------------
export LAYERLAB_ROOT="$work/layerlab-root"
[ -f "$repo/dist/cli/main.js" ] || { echo "build first: npm run build" >&2; exit 2; }
layerlab() { "$repo/bin/layerlab.js" "$@"; }
"$repo/scripts/make-example-base.sh" >/dev/null
layerlab save layerlab/busybox:latest -o "$work/base.tar" --format docker >/dev/null

ctx="$work/context"
mkdir -p "$ctx/src"
for i in $(seq -w 1 40); do head -c $((100 * 1024)) /dev/urandom > "$ctx/src/file$i.bin"; done
printf 'echo hello from the bench image\n' > "$ctx/src/run.sh"

cat > "$ctx/realistic.Dockerfile" <<'EOF'
FROM layerlab/busybox:latest
LABEL org.opencontainers.image.title="layerlab bench"
ENV APP_HOME=/app LANG=C.UTF-8
WORKDIR /app
RUN mkdir -p data && for i in $(seq 1 200); do echo "line $i of the data set" > data/f$i.txt; done
COPY src/ ./src/
RUN sha256sum src/*.bin > sums.txt && wc -l sums.txt > count.txt
RUN echo 'app:x:1001:1001:app:/app:/bin/sh' >> /etc/passwd && echo 'app:x:1001:' >> /etc/group && chown -R app:app /app/data
RUN sed -i 's/line/row/' data/f1.txt data/f2.txt && rm data/f3.txt && ln -s data/f4.txt latest
EXPOSE 8080
USER app
CMD ["sh", "/app/src/run.sh"]
EOF
{
  echo 'FROM layerlab/busybox:latest'
  for i in $(seq 1 10); do echo "RUN echo $i > /r$i"; done
} > "$ctx/10-runs.Dockerfile"
printf 'FROM layerlab/busybox:latest\nLABEL bench=from-only\n' > "$ctx/from-only.Dockerfile"
dockerfiles=(realistic 10-runs from-only)

# ---- the tools -------------------------------------------------------------
tools=(layerlab)
build_layerlab() { # DOCKERFILE no-cache|cached
  local flags=(); [ "$2" = no-cache ] && flags=(--no-cache)
  layerlab build --progress plain "${flags[@]}" -f "$ctx/$1.Dockerfile" -t "bench/$1:latest" "$ctx" >"$work/last.log" 2>&1
}
# The floor, over the same base layer, unpacked from the docker-archive.
base_rootfs="$work/no-tool-base"
mkdir -p "$work/base-archive" "$base_rootfs"
tar -xf "$work/base.tar" -C "$work/base-archive"
tar -xf "$work/base-archive/$(node -p "require('$work/base-archive/manifest.json')[0].Layers[0]")" -C "$base_rootfs"
tools+=(no-tool)
build_no-tool() {
  [ "$2" = cached ] && return 0 # there is nothing to cache; reported as -
  "$repo/bench/no-tool-build.sh" "$ctx/$1.Dockerfile" "$ctx" "$base_rootfs" "$work/no-tool" >"$work/last.log" 2>&1
}

buildah_args=(--root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver overlay)
if command -v buildah >/dev/null && [ "$(id -u)" = 0 ]; then
  mkdir -p "$work/buildah"
  if buildah "${buildah_args[@]}" pull -q "docker-archive:$work/base.tar" >"$work/buildah-id" 2>"$work/buildah-pull.log" \
    && buildah "${buildah_args[@]}" tag "$(cat "$work/buildah-id")" layerlab/busybox:latest 2>>"$work/buildah-pull.log"; then
    tools+=(buildah)
  else
    echo "buildah: could not load the base image: $(tail -n 3 "$work/buildah-pull.log")" >&2
  fi
else
  echo "buildah: not installed or not root (apt-get install -y buildah); left out" >&2
fi
build_buildah() {
  local flags=(); [ "$2" = no-cache ] && flags=(--no-cache)
  buildah "${buildah_args[@]}" build --isolation chroot --layers --pull=never "${flags[@]}" \
    -f "$ctx/$1.Dockerfile" -t "bench/$1:latest" "$ctx" >"$work/last.log" 2>&1
}

docker_cli=/usr/bin/docker # Debian's CLI: DOCKER_BUILDKIT=1 works without the buildx plugin
docker_host="unix://$work/docker/d.sock"
if [ -x /usr/sbin/dockerd ] && [ -x "$docker_cli" ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$work/docker"
  dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" --pidfile "$work/docker/pid" \
    -H "$docker_host" --iptables=false --ip6tables=false --bridge=none >"$work/docker/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 150); do DOCKER_HOST="$docker_host" "$docker_cli" version >/dev/null 2>&1 && break; sleep 0.2; done
  if DOCKER_HOST="$docker_host" "$docker_cli" load -q -i "$work/base.tar" >/dev/null 2>"$work/docker-load.log" \
    && DOCKER_HOST="$docker_host" DOCKER_BUILDKIT=1 "$docker_cli" build -q --network host -f "$ctx/from-only.Dockerfile" "$ctx" >/dev/null 2>"$work/docker-probe.log"; then
    tools+=(docker)
  else
    echo "docker: dockerd or BuildKit unavailable: $(tail -n 3 "$work/docker-load.log" "$work/docker-probe.log" "$work/docker/dockerd.log" 2>/dev/null | tail -n 3)" >&2
  fi
else
  echo "docker: dockerd or Debian's docker CLI missing, or not root (apt-get install -y docker.io); left out" >&2
fi
build_docker() {
  local flags=(); [ "$2" = no-cache ] && flags=(--no-cache)
  DOCKER_HOST="$docker_host" DOCKER_BUILDKIT=1 "$docker_cli" build --progress plain --network host "${flags[@]}" \
    -f "$ctx/$1.Dockerfile" -t "bench/$1:latest" "$ctx" >"$work/last.log" 2>&1
}

timed() { # TOOL DOCKERFILE MODE -> prints ms, or fails with the tool's log
  local t0 t1
  # Untimed: what the previous tool left to write back goes to disk first, so
  # no tool pays for the one before it (they run in a fixed order each round).
  sync
  t0=$(now_ms)
  if ! "build_$1" "$2" "$3"; then
    echo "$1 failed on $2 ($3):" >&2; tail -n 20 "$work/last.log" >&2; return 1
  fi
  t1=$(now_ms)
  echo $((t1 - t0))
}

# ---- measure ---------------------------------------------------------------
echo "bench/build.sh: ${runs} runs each; tools: ${tools[*]}; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); storage on $(stat -f -c %T "$work") ($work)"
node_start() { # median ms of `node -e 0`, the floor under every layerlab command
  for _ in $(seq 9); do local t0; t0=$(now_ms); "$@" node -e 0; echo $(( $(now_ms) - t0 )); done | median
}
# bin/layerlab.js starts Node without NODE_EXTRA_CA_CERTS (see src/image/trusted-fetch.ts), so the second figure is its floor.
echo "node -e 0 (Node's own start-up): $(node_start env) ms$([ -n "${NODE_EXTRA_CA_CERTS:-}" ] && echo "; without NODE_EXTRA_CA_CERTS, as layerlab starts it: $(node_start env -u NODE_EXTRA_CA_CERTS) ms")"
declare -A result
for df in "${dockerfiles[@]}"; do
  for mode in no-cache cached; do
    for tool in "${tools[@]}"; do : > "$work/times.$tool.$df.$mode"; done
    # A cached rebuild needs one build first; a no-cache build does not use it.
    if [ "$mode" = cached ]; then for tool in "${tools[@]}"; do timed "$tool" "$df" cached >/dev/null; done; fi
    for _ in $(seq "$runs"); do
      for tool in "${tools[@]}"; do timed "$tool" "$df" "$mode" >> "$work/times.$tool.$df.$mode"; done
    done
    for tool in "${tools[@]}"; do result[$tool.$df.$mode]=$(median < "$work/times.$tool.$df.$mode"); done
    [ "$mode" = cached ] && result[no-tool.$df.$mode]=-
  done
done

# ---- report ----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
echo
printf '%-11s %-9s' Dockerfile mode
others=("${tools[@]:1}")
width() { local w=$(( ${#1} + 3 )); [ "$w" -lt 10 ] && w=10; echo "$w"; }
for tool in "${tools[@]}"; do printf ' %*s' "$(width "$tool")" "$tool ms"; done
for tool in "${others[@]}"; do printf ' %14s' "layerlab/$tool"; done
echo
for df in "${dockerfiles[@]}"; do
  for mode in no-cache cached; do
    printf '%-11s %-9s' "$df" "$mode"
    for tool in "${tools[@]}"; do printf ' %*s' "$(width "$tool")" "${result[$tool.$df.$mode]}"; done
    for tool in "${others[@]}"; do printf ' %14s' "$(ratio "${result[layerlab.$df.$mode]}" "${result[$tool.$df.$mode]}")"; done
    echo
  done
done
echo
echo "Per-RUN cost, no-cache: (10-runs - from-only) / 10"
for tool in "${tools[@]}"; do
  printf '  %-21s %6s ms\n' "$tool" "$(awk -v a="${result[$tool.10-runs.no-cache]}" -v b="${result[$tool.from-only.no-cache]}" 'BEGIN { printf "%.0f", (a - b) / 10 }')"
done
echo "(Wall-clock times of the whole CLI command, medians of $runs; ratios < 1 mean layerlab is faster.)"
