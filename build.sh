#!/usr/bin/env bash
# Build script of Microsoft.ML.VideoCaptioning.
#
#   ./build.sh            install missing system packages, build the native shim and the .NET solution,
#                         put the command-line program at artifacts/bin/vidcap
#   ./build.sh test       build, then run every test; ends with "N passed, N failed, N skipped"
#   ./build.sh demo       build, then run the synthetic-world demo (vidcap demo)
#   ./build.sh bench ARGS build, then run vidcap bench ARGS
#   ./build.sh clean      remove build outputs
#
# Choosing libtorch: Debian's libtorch-dev by default. TORCH_DIR=<libtorch root> or PYTHON=<python with torch>
# builds against another one (this is how CUDA builds are made: PYTHON=python3 ./build.sh).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
CONFIG=${CONFIG:-Release}
NATIVE_OUT="$ROOT/artifacts/native"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_packages() {
  local pkgs=(cmake g++ ffmpeg fonts-dejavu-core)
  # the report test renders the demo's HTML in headless Chromium
  if [[ "${WITH_CHROMIUM:-0}" == 1 ]]; then pkgs+=(chromium); fi
  if [[ -z "${TORCH_DIR:-}" && -z "${PYTHON:-}" ]]; then pkgs+=(libtorch-dev libopenblas0-pthread); fi
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    local cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
    if [[ $(id -u) == 0 ]]; then
      log "installing ${missing[*]}"
      bash -c "$cmd"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      log "installing ${missing[*]} (sudo)"
      sudo bash -c "$cmd"
    else
      echo "Missing system packages: ${missing[*]}. Install them with:" >&2
      echo "  sudo bash -c '$cmd'" >&2
      exit 1
    fi
  fi
  if ! command -v dotnet >/dev/null; then
    echo "The .NET 10 SDK is missing: install it from https://dotnet.microsoft.com/download (dotnet-sdk-10.0)." >&2
    exit 1
  fi
}

build_native() {
  local args=(-DCMAKE_BUILD_TYPE=Release)
  local dir="$ROOT/build/native-debian"
  if [[ -n "${PYTHON:-}" ]]; then
    TORCH_DIR=$("$PYTHON" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
    local abi cuda
    abi=$("$PYTHON" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
    cuda=$("$PYTHON" -c 'import torch; print(1 if torch.version.cuda else 0)')
    args+=(-DTORCH_DIR="$TORCH_DIR" -DTORCH_CXX11_ABI="$abi")
    [[ $cuda == 1 ]] && args+=(-DVIDCAP_CUDA=ON)
    dir="$ROOT/build/native-python"
  elif [[ -n "${TORCH_DIR:-}" ]]; then
    args+=(-DTORCH_DIR="$TORCH_DIR" -DTORCH_CXX11_ABI="${TORCH_CXX11_ABI:-1}")
    [[ -e "$TORCH_DIR/lib/libtorch_cuda.so" ]] && args+=(-DVIDCAP_CUDA=ON)
    dir="$ROOT/build/native-torchdir"
  fi
  log "native shim (${TORCH_DIR:-Debian libtorch})"
  cmake -S src/native -B "$dir" "${args[@]}" >/dev/null
  cmake --build "$dir" -j "$(nproc)" >/dev/null
  mkdir -p "$NATIVE_OUT"
  cp "$dir/libvidcap_torch.so" "$NATIVE_OUT/"
}

build_dotnet() {
  log ".NET solution ($CONFIG)"
  dotnet build Microsoft.ML.VideoCaptioning.sln -c "$CONFIG" -v q -nologo -clp:ErrorsOnly
  if [[ -d src/vidcap ]]; then
    dotnet publish src/vidcap/vidcap.csproj -c "$CONFIG" -o artifacts/bin -v q -nologo -clp:ErrorsOnly --no-build 2>/dev/null ||
      dotnet publish src/vidcap/vidcap.csproj -c "$CONFIG" -o artifacts/bin -v q -nologo -clp:ErrorsOnly
  fi
}

build_all() {
  install_packages
  build_native
  build_dotnet
}

run_tests() {
  local results="$ROOT/artifacts/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  log "tests"
  set +e
  dotnet test Microsoft.ML.VideoCaptioning.sln -c "$CONFIG" --no-build -nologo \
    --logger "trx;LogFileName=tests.trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" \
    > "$results/console.log" 2>&1
  local rc=$?
  set -e
  grep -E "^\s+(Failed|Skipped) |Error Message|^\s+Assert|Total tests|Passed!|Failed!|error" "$results/console.log" | head -200 || true
  local passed=0 failed=0 skipped=0 f
  for f in $(find "$results" -name '*.trx'); do
    local counters
    counters=$(grep -o '<Counters [^>]*>' "$f" | head -1)
    get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
    passed=$((passed + $(get passed)))
    failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
    skipped=$((skipped + $(get total) - $(get executed)))
  done
  if [[ $rc != 0 && $failed == 0 ]]; then
    tail -50 "$results/console.log"
    failed=1
  fi
  echo "$passed passed, $failed failed, $skipped skipped"
  [[ $failed == 0 ]]
}

cmd=${1:-build}
[[ $# -gt 0 ]] && shift
case "$cmd" in
  build) build_all ;;
  test) WITH_CHROMIUM=1 build_all && run_tests "$@" ;;
  demo) build_all && artifacts/bin/vidcap demo "$@" ;;
  bench) build_all && artifacts/bin/vidcap bench "$@" ;;
  clean) rm -rf artifacts build; find src test examples -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} + ;;
  *) echo "usage: ./build.sh [build|test|demo|bench ARGS|clean]" >&2; exit 2 ;;
esac
