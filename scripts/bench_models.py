"""PyTorch side of the model benchmarks in docs/benchmarks.md (see benches/models.rs and
examples/model_memory.rs for the Rust side): full-size ResNet-18 and DenseNet-121 (1000
classes) at 224x224, batch 16, on the CPU.

- forward: model.eval(), torch.no_grad(), inference;
- forward_backward: model.train() (batch statistics), cross-entropy, loss.backward(), no
  optimiser step.

Each workload runs in a fresh process: one warm-up and N timed iterations (median reported),
and the rise of the process's peak RSS over its RSS before the model is built (VmHWM reset
through /proc/self/clear_refs, as the Rust example does).

Run:  python3 scripts/bench_models.py [--threads 2] [--iterations 5] [--json out.json]
Needs torch and torchvision (pip install torch torchvision).
"""

import argparse
import json
import subprocess
import sys
import time

WORKLOADS = [(m, mode) for m in ("resnet18", "densenet121") for mode in ("forward", "forward_backward")]


def memory():
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def run_one(model_name, mode, batch, iterations, threads):
    import torch
    import torchvision

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    before, _ = memory()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    model = getattr(torchvision.models, model_name)()
    images = torch.randn(batch, 3, 224, 224)
    labels = torch.arange(batch) * 37 % 1000
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        if mode == "forward":
            with torch.no_grad():
                model(images)
        else:
            model.zero_grad(set_to_none=True)
            loss_fn(model(images), labels).backward()

    model.eval() if mode == "forward" else model.train()
    step()  # warm-up
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    _, peak = memory()
    return {
        "model": model_name,
        "mode": mode,
        "batch": batch,
        "threads": threads,
        "median_ms": times[len(times) // 2],
        "peak_mib": (peak - before) / 2**20,
        "torch": torch.__version__,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--json")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one, args.batch, args.iterations, args.threads)))
        return
    results = []
    print(f"{'model':<12} {'mode':<17} {'batch':>5} {'median ms':>10} {'peak MiB':>9}")
    for model_name, mode in WORKLOADS:
        out = subprocess.run(
            [sys.executable, __file__, "--one", model_name, mode, "--threads", str(args.threads),
             "--iterations", str(args.iterations), "--batch", str(args.batch)],
            check=True, capture_output=True, text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        results.append(r)
        print(f"{r['model']:<12} {r['mode']:<17} {r['batch']:>5} {r['median_ms']:>10.0f} {r['peak_mib']:>9.0f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
