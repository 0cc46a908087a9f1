#!/usr/bin/env bash
# The container lane's machine setup, idempotent: a Docker engine, and the stand-in base images that no
# registry can give us here. Each step says what it did and how long it took; what exists is kept.
#
#   scripts/container_env.sh            install the tools if missing, start the engine, build missing images
#   scripts/container_env.sh --clean    remove the images this script built, the images built on them (e.g.
#                                       ner-tagger:latest from `make build`), and its wheel cache
#
# Images (the names are what the product Dockerfile and the SageMaker SDK look for):
#   ner-tagger-standin/debian:bookworm   debootstrap of bookworm from this machine's apt mirror, docker import
#   tensorflow/tensorflow:2.15.0         tests/containers/standins/tensorflow          (the Dockerfile's FROM)
#   763104351884.dkr.ecr.<region>.amazonaws.com/tensorflow-training:2.14-cpu-py310
#                                        tests/containers/standins/tensorflow-training (managed image)
# Environment: NER_TAGGER_TEST_REGION (us-west-2, must match tests/support/container_lane.py),
# NER_TAGGER_STANDIN_CACHE (/var/cache/ner-tagger-standins: wheels downloaded once on the host and served
# to the builds on loopback), DOCKERD_LOG (/var/log/dockerd.log).
#
# Exit status: 0 ready; 3 no engine could be started (the reason is printed; container tests then skip).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STANDINS="$ROOT/tests/containers/standins"
REGION="${NER_TAGGER_TEST_REGION:-us-west-2}"
BASE_IMAGE="ner-tagger-standin/debian:bookworm"
TF_IMAGE="tensorflow/tensorflow:2.15.0"
MANAGED_IMAGE="763104351884.dkr.ecr.${REGION}.amazonaws.com/tensorflow-training:2.14-cpu-py310"
CACHE="${NER_TAGGER_STANDIN_CACHE:-/var/cache/ner-tagger-standins}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
STANDIN_LABEL="org.ner-tagger.standin"

# What each stand-in installs with pip (kept in step with the Dockerfiles; only feeds the host wheel cache).
TF_WHEELS=("tensorflow==2.15.0" "numpy<2")
MANAGED_WHEELS=("tensorflow-cpu==2.14.1" "numpy<2" "protobuf==3.20.3" "sagemaker-training>=4.7.4,<5"
                "sagemaker-tensorflow-training>=20.4.1,<21" seqeval scikit-learn pandas scipy h5py Pillow
                requests psutil "PyYAML>=6.0,<6.1")

T_ALL=$(date +%s.%N)
say() { printf '[container_env] %s\n' "$*"; }
loud() { printf '\n[container_env] !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n[container_env] !!! %s\n[container_env] !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' "$*" >&2; }
# timed LABEL LOG CMD...: runs CMD with its output in LOG (/dev/null, a file), reports its wall time.
timed() {
    local label=$1 log=$2; shift 2
    local t0 rc=0; t0=$(date +%s.%N)
    "$@" >"$log" 2>&1 || rc=$?
    say "$(printf '%-52s %7.1f s%s' "$label" "$(echo "$(date +%s.%N) - $t0" | bc)" "$( ((rc)) && echo "  FAILED ($rc)")")"
    return $rc
}
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

if [[ "${1:-}" == "--clean" ]]; then
    if docker info >/dev/null 2>&1; then
        # Everything that carries the stand-in label: the stand-ins, and images built FROM them (the product
        # image inherits the label), which would otherwise keep the stand-ins' layers on disk. A real image of
        # the same name, pulled from a registry, has no such label and stays.
        for image in $(docker images --filter "label=$STANDIN_LABEL" --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>'); do
            timed "removed $image" /dev/null docker image rm "$image" || true
        done
        dangling=$(docker images -q --filter dangling=true --filter "label=$STANDIN_LABEL")
        [[ -z "$dangling" ]] || timed "removed untagged stand-in layers" /dev/null docker image rm $dangling || true
        # The base is imported, so it has no label; its name is this project's own.
        if have_image "$BASE_IMAGE"; then timed "removed $BASE_IMAGE" /dev/null docker image rm "$BASE_IMAGE"; fi
    else
        say "no engine answers: no images to remove"
    fi
    rm -rf "$CACHE"
    say "removed the wheel cache $CACHE"
    exit 0
fi

mkdir -p "$CACHE"

# 1. Tools: Debian's engine, docker-compose 1.29 (what the SDK's local mode calls), debootstrap.
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
        loud "missing ${missing[*]} and cannot install them (needs root and apt-get): container tests will skip"
        exit 3
    fi
    timed "apt-get install ${missing[*]}" /dev/null bash -c \
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing[*]} >/dev/null"
else
    say "docker.io, docker-compose, debootstrap: already installed"
fi

# 2. Engine. No systemd here: dockerd as a background process. Bridges and iptables cannot be set up on these
# machines; containers use --network host or compose's own network. overlay2 is named explicitly so the
# engine fails instead of silently falling back to vfs, which copies every layer and once filled the disk.
if docker info >/dev/null 2>&1; then
    say "engine: already running"
else
    if [[ $EUID -ne 0 ]]; then
        loud "no Docker engine answers and starting one needs root: container tests will skip"
        exit 3
    fi
    t0=$(date +%s.%N)
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    setsid nohup dockerd --iptables=false --bridge=none --storage-driver=overlay2 >>"$DOCKERD_LOG" 2>&1 </dev/null &
    for _ in $(seq 1 120); do
        docker info >/dev/null 2>&1 && break
        sleep 0.5
    done
    if ! docker info >/dev/null 2>&1; then
        loud "dockerd did not start (last lines of $DOCKERD_LOG below): container tests will skip"
        tail -n 20 "$DOCKERD_LOG" >&2 || true
        exit 3
    fi
    say "$(printf '%-52s %7.1f s' "engine started (log: $DOCKERD_LOG)" "$(echo "$(date +%s.%N) - $t0" | bc)")"
fi
driver=$(docker info --format '{{.Driver}}')
if [[ "$driver" == "vfs" ]]; then
    loud "the engine uses the vfs storage driver, which fills the disk: refusing to build (restart it with overlay2)"
    exit 3
fi
say "engine: $(docker version --format 'server {{.Server.Version}}'), storage driver $driver"

# 3. Base: a bookworm root filesystem from the mirror this machine's apt uses (no registry to pull from).
if have_image "$BASE_IMAGE"; then
    say "$BASE_IMAGE: present"
else
    mirror=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' \
             | grep -v security | head -n1 || true)
    [[ -n "$mirror" ]] || mirror=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    rootfs=$(mktemp -d /var/tmp/ner-tagger-rootfs.XXXXXX)
    trap 'rm -rf "$rootfs"' EXIT
    timed "debootstrap bookworm ($mirror)" "$CACHE/debootstrap.log" \
        debootstrap --variant=minbase bookworm "$rootfs" "$mirror" \
        || { loud "debootstrap failed: see $CACHE/debootstrap.log"; exit 1; }
    # The machine's own sources (same mirror, plus updates and security) so the stand-ins' apt matches it.
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
        rm -f "$rootfs/etc/apt/sources.list"
        for f in /etc/apt/sources.list.d/*.sources; do
            # Only Debian's own archive: other vendors' lists need keys the root filesystem does not have.
            grep -q 'debian-archive-keyring' "$f" && cp "$f" "$rootfs/etc/apt/sources.list.d/"
        done
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    timed "docker import $BASE_IMAGE" /dev/null bash -c \
        "tar -C '$rootfs' -c . | docker import -c 'CMD [\"/bin/bash\"]' - '$BASE_IMAGE'"
    rm -rf "$rootfs"
    trap - EXIT
fi

# 4. The stand-ins. A build reaches PyPI only with this machine's CA bundle and pip settings: they are copied
# into a build context next to the stand-in's Dockerfile (never into the product's). Wheels are downloaded
# once on the host into $CACHE and served on loopback, so a rebuild after --clean does not fetch 1.5 GB again.
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    if [[ -n "${CONTEXT:-}" ]]; then rm -rf "$CONTEXT"; fi
}
trap cleanup EXIT
start_wheel_server() {
    [[ -n "$SERVER_PID" ]] && return 0
    FIND_LINKS=""
    if ! python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        say "host python3 is not 3.11: no wheel cache, the builds download from the index"
        return 0
    fi
    mkdir -p "$CACHE/wheels"
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    python3 -m http.server --bind 127.0.0.1 --directory "$CACHE/wheels" "$port" >/dev/null 2>&1 &
    SERVER_PID=$!
    FIND_LINKS="http://127.0.0.1:$port/"
}
fill_cache() {  # fill_cache LABEL REQUIREMENT...: best effort; a failure only means the build downloads
    local label=$1; shift
    start_wheel_server
    [[ -z "$FIND_LINKS" ]] && return 0
    if ! timed "pip download for $label" "$CACHE/download.log" python3 -m pip download -d "$CACHE/wheels" "$@"; then
        say "pip download failed (see $CACHE/download.log): the build downloads what is missing itself"
    fi
}
build_standin() {  # build_standin IMAGE FOLDER
    local image=$1 folder=$2
    CONTEXT=$(mktemp -d /var/tmp/ner-tagger-standin-ctx.XXXXXX)
    cp "$folder/Dockerfile" "$CONTEXT/"
    mkdir -p "$CONTEXT/host/xdg-pip"
    cp /etc/ssl/certs/ca-certificates.crt "$CONTEXT/host/"
    if [[ -f /etc/pip.conf ]]; then cp /etc/pip.conf "$CONTEXT/host/"; else printf '[global]\n' >"$CONTEXT/host/pip.conf"; fi
    if [[ -d /etc/xdg/pip ]]; then cp -r /etc/xdg/pip/. "$CONTEXT/host/xdg-pip/"; fi
    local log="$CACHE/build-$(basename "$folder").log"
    timed "docker build $image" "$log" docker build --network host --build-arg "BASE=$BASE_IMAGE" \
        --build-arg "PIP_FIND_LINKS=$FIND_LINKS" -t "$image" "$CONTEXT" \
        || { loud "building $image failed: see $log"; tail -n 30 "$log" >&2; exit 1; }
    rm -rf "$CONTEXT"
    CONTEXT=
}
if have_image "$TF_IMAGE"; then
    say "$TF_IMAGE: present"
else
    fill_cache "$TF_IMAGE" "${TF_WHEELS[@]}"
    build_standin "$TF_IMAGE" "$STANDINS/tensorflow"
fi

if have_image "$MANAGED_IMAGE"; then
    say "$MANAGED_IMAGE: present"
else
    fill_cache "managed training image" "${MANAGED_WHEELS[@]}"
    build_standin "$MANAGED_IMAGE" "$STANDINS/tensorflow-training"
fi

docker images --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E 'standin|tensorflow|ner-tagger' || true
say "$(printf '%-52s %7.1f s' "ready" "$(echo "$(date +%s.%N) - $T_ALL" | bc)")"
