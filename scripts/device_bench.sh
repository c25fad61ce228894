#!/usr/bin/env bash
# The GPU columns of docs/benchmarks.md (wgpu, CUDA, PyTorch on CUDA), measured on a machine
# with an NVIDIA GPU and no network, from a `cyborg` binary built elsewhere.
#
# Where the binary comes from (on a machine with network, from the repository root):
#
#     cargo build --release -p cyborg-cli --features wgpu          # add cuda where it builds
#     mkdir -p .device && strip -o .device/cyborg target/release/cyborg && xz -T0 .device/cyborg
#
# (stripped, the binary is ~90 MB, over what a device call carries; xz makes it ~14 MB).
# Burn 0.22's CUDA backend downloads an LLVM bundle from GitHub while it builds, so a binary
# with `cuda` needs a build machine that reaches GitHub; without it the cuda phase below
# measures PyTorch alone.
#
# wgpu also needs the Vulkan loader on the GPU machine; where it lacks one, put the loader's
# Debian packages in .gl/ (`apt-get download libvulkan1`), and this script unpacks them.
#
# Run on the GPU machine, from the repository root, one phase per call so each stays short:
#
#     bash scripts/device_bench.sh cuda     # PyTorch on CUDA, then Burn's CUDA backend
#     bash scripts/device_bench.sh wgpu     # Burn's wgpu backend (Vulkan)
#     bash scripts/device_bench.sh epoch    # whole epochs: PyTorch on CUDA, then wgpu
#
# Results go to $OUT (default target/device-bench): machine.txt, pytorch-cuda.json,
# bench-<phase>.json and bench-<phase>.md (the tables of `cyborg bench`). Each JSON file is
# rewritten after every workload, so a phase cut short still returns what it measured.
# Extra arguments go to `cyborg bench` (e.g. `--only step/`).
set -uo pipefail

phase=${1:?"usage: device_bench.sh cuda|wgpu|epoch [cyborg bench arguments]"}
shift
out=${OUT:-target/device-bench}
bin=${CYBORG_BIN:-.device/cyborg}
threads=${THREADS:-$(nproc)}
mkdir -p "$out"

if [ ! -x "$bin" ] && [ -e "$bin.xz" ]; then
  python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$bin.xz" "$out/cyborg" && chmod +x "$out/cyborg"
  bin=$out/cyborg
fi

if [ ! -x "$bin" ]; then
  echo "device_bench.sh: no cyborg binary at $bin (see the top of this script)" >&2
  exit 2
fi

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  echo "cpus: $(nproc)"
  python3 -c 'import torch; print("torch", torch.__version__)' 2>&1
  "$bin" --version
} >"$out/machine.txt"
cat "$out/machine.txt"

case "$phase" in
  cuda)
    PYTHONUNBUFFERED=1 python3 scripts/bench_backends.py --device cuda --threads "$threads" \
      --json "$out/pytorch-cuda.json"
    # A binary built without `cuda` says so here and stops; PyTorch's figures are kept.
    "$bin" bench --backends cuda --threads "$threads" --pytorch "$out/pytorch-cuda.json" \
      --json "$out/bench-cuda.json" "$@" | tee "$out/bench-cuda.md"
    ;;
  wgpu)
    if ! ldconfig -p | grep -q libvulkan.so.1; then
      for deb in .gl/*.deb; do
        [ -e "$deb" ] && dpkg -x "$deb" /
      done
      ldconfig
    fi
    icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -e "$icd" ] && export VK_DRIVER_FILES=$icd
    XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
    export XDG_RUNTIME_DIR
    "$bin" bench --backends wgpu --threads "$threads" --json "$out/bench-wgpu.json" "$@" \
      | tee "$out/bench-wgpu.md"
    ;;
  epoch)
    # Whole training epochs on one folder of generated PNGs with human maps (written by the
    # first cyborg bench-epoch call), ResNet-18 then DenseNet-121, 4 loader workers each side.
    data="$out/epoch-data"
    icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -e "$icd" ] && export VK_DRIVER_FILES=$icd
    XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
    export XDG_RUNTIME_DIR
    for model in resnet18 densenet121; do
      "$bin" bench-epoch --backend wgpu --model "$model" --data "$data" --workers 4 \
        --json "$out/epoch.json" "$@"
      python3 scripts/bench_epoch.py --device cuda --model "$model" --data "$data" \
        --threads "$threads" --workers 4 --json "$out/epoch.json"
    done
    ;;
  *)
    echo "device_bench.sh: unknown phase $phase (cuda, wgpu or epoch)" >&2
    exit 2
    ;;
esac
