"""PyTorch side of the backend benchmark (the Rust side is crates/bench, run by `cyborg bench`):
the same workloads, names, batch sizes and seeded-input recipes, timed and measured the same way,
so the Burn backends can be compared with PyTorch on the same machine.

Run:
    python3 scripts/bench_backends.py                         # every workload, CPU, 2 threads
    python3 scripts/bench_backends.py --device cuda           # on the GPU (backend pytorch-cuda)
    python3 scripts/bench_backends.py --only loss/c512 --iters 10 --json out.json
    python3 scripts/bench_backends.py --list                  # the workload names
    python3 scripts/bench_backends.py --self-check            # correctness checks, no timing
Needs torch and torchvision (tested with torch 2.9, torchvision 0.24).

Workloads (2 classes everywhere; labels 0, 1, 0, 1, ...):

- loss/c{C}/g{G}/{ce|cyborg|cyborg-official}, C in {512, 1024, 2048}, G in {7, 14}: the loss
  alone, forward and backward, batch 64, from leaf features [64, C, G, G] (uniform [0, 1)) and
  a leaf linear head (weight [2, C] ~ N(0, 0.05^2), bias [2] zeros); logits = global average
  pool + linear. Human maps S [64, G, G]: uniform, min-max normalised per image, at the grid.
    ce              cross-entropy;
    cyborg          0.5 CE + 0.5 MSE(minmax(CAM_y), S), vectorised over the batch: the CAM of
                    the true label y, CAM = sum_k W[y, k] A[k], minmax per image with eps 1e-8
                    in the denominator (what the Rust crate computes);
    cyborg-official the same loss computed the way the official CYBORG training code does it
                    (see docs/notes/official-cyborg-code.md): a Python loop over the images,
                    one [C] x [C, h*w] matmul each, min-max without epsilon, the CAM of the
                    *predicted* class (argmax of the logits), torch.stack, nn.MSELoss.
- step/{model}/{ce|cyborg|cyborg-official}: one training step: model.train(), forward, loss,
  backward, SGD (lr 0.005, momentum 0.9, weight decay 1e-6) step, zero_grad. Models:
    small-cnn    the PyTorch twin of crates/models/src/small_cnn.rs, 1x28x28, batch 64;
    resnet18     torchvision resnet18(num_classes=2), 3x224x224, batch 16;
    densenet121  torchvision densenet121(num_classes=2), 3x224x224, batch 8.
  Images ~ N(0, 1); human maps at the 7x7 CAM grid.
    cyborg          the CAM features are what global average pooling reads (post-ReLU: conv5
                    of the small CNN, layer4 of ResNet, relu(features(x)) of DenseNet), taken
                    from the same forward pass (trunk, then pool + linear here);
    cyborg-official mirrors the official code: the per-image loop above, on the features the
                    official code reads. DenseNet: a *second* forward `model.features(x)`
                    after `model(x)` (pre-ReLU norm5 output, train mode, so batch-norm running
                    statistics are updated twice). ResNet: a forward hook on the last conv of
                    the last block (the official hooks resnet50's layer4[-1].conv3; resnet18's
                    BasicBlock analogue is layer4[-1].conv2: pre-BN, pre-residual, pre-ReLU).
                    Small CNN (no official counterpart): a forward hook on conv5's output.
- inference/{model}: model.eval(), torch.no_grad(), forward (logits copied to the host).

Timing: the first iteration on its own (first_ms), then --iters iterations (default 20 for the
loss and small-cnn workloads, 5 otherwise) and their median (median_ms); on CUDA the device is
synchronised around each iteration. Memory: each workload runs in a fresh subprocess (this
script with --one NAME); peak_mib is the rise of the process's peak RSS (VmHWM, reset by
writing 5 to /proc/self/clear_refs) over its RSS before the model and inputs are built; on
CUDA also device_mib = torch.cuda.memory_reserved after the iterations (what the caching
allocator holds, as Burn's pool figure on the Rust side). Output: one JSON object per line,
{"workload", "backend", "threads", "first_ms", "median_ms", "peak_mib", ...}; --json FILE
writes the list too.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

LOSS_BATCH = 64
LOSS_CHANNELS = (512, 1024, 2048)
LOSS_GRIDS = (7, 14)
CLASSES = 2
ALPHA = 0.5
EPS = 1e-8
LOSSES = ("ce", "cyborg", "cyborg-official")
# name: (batch, [c, h, w], CAM grid)
MODELS = {
    "small-cnn": (64, (1, 28, 28), 7),
    "resnet18": (16, (3, 224, 224), 7),
    "densenet121": (8, (3, 224, 224), 7),
}


def all_workloads():
    """Every workload name, in the Rust crate's table order (official variant after cyborg)."""
    names = []
    for g in LOSS_GRIDS:
        for c in LOSS_CHANNELS:
            names += [f"loss/c{c}/g{g}/{loss}" for loss in LOSSES]
    for model in MODELS:
        names += [f"step/{model}/{loss}" for loss in LOSSES]
        names.append(f"inference/{model}")
    return names


def default_iters(name):
    """As the Rust side (Workload::default_iterations)."""
    if name.startswith("loss/") or "/small-cnn" in name:
        return 20
    return 5


# ----------------------------------------------------------------------------------------------
# Memory (Linux)


def memory():
    """(VmRSS, VmHWM) of this process in bytes."""
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def reset_peak_memory():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


SIMD_FLAGS = ("avx512f", "avx512bw", "avx2", "fma", "f16c")


def machine_description():
    """'MODEL NAME (simd flags); kernels LEVEL': the CPU of /proc/cpuinfo with the SIMD
    extensions of crates/bench/src/machine.rs, and the level PyTorch's CPU kernels run at."""
    model, flags = "unknown CPU", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and model == "unknown CPU":
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = value.split()
    except OSError:
        pass
    text = f"{model} ({' '.join(flag for flag in SIMD_FLAGS if flag in flags)})"
    try:
        import torch

        text += f"; kernels {torch.backends.cpu.get_cpu_capability().lower()}"
    except (ImportError, AttributeError):
        pass
    return text


# ----------------------------------------------------------------------------------------------
# Models and losses (torch is imported lazily so --list works without it)


def small_cnn(num_classes, channels=1, width=16):
    """Twin of the Rust SmallCnn: five (3x3 conv, no bias, padding 1) + BN + ReLU layers,
    2x2 max pool after the second and the fourth, global average pool, linear head."""
    import torch
    from torch import nn

    def layer(i, o):
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU())

    class SmallCnn(nn.Module):
        def __init__(self):
            super().__init__()
            w = width
            self.conv1 = layer(channels, w)
            self.conv2 = layer(w, w)
            self.conv3 = layer(w, 2 * w)
            self.conv4 = layer(2 * w, 2 * w)
            self.conv5 = layer(2 * w, 4 * w)
            self.fc = nn.Linear(4 * w, num_classes)

        def forward_features(self, x):
            x = nn.functional.max_pool2d(self.conv2(self.conv1(x)), 2, 2)
            x = nn.functional.max_pool2d(self.conv4(self.conv3(x)), 2, 2)
            return self.conv5(x)

        def head(self, features):
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(features, 1), 1))

        def forward(self, x):
            return self.head(self.forward_features(x))

    return SmallCnn()


def build_model(name):
    import torchvision

    if name == "small-cnn":
        return small_cnn(CLASSES)
    return getattr(torchvision.models, name)(num_classes=CLASSES)


def features_and_logits(model, name, x):
    """One forward: the post-ReLU maps global average pooling reads, and the logits."""
    import torch
    import torch.nn.functional as F

    if name == "small-cnn":
        feats = model.forward_features(x)
        return feats, model.head(feats)
    if name == "resnet18":
        m = model
        y = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        feats = m.layer4(m.layer3(m.layer2(m.layer1(y))))
        return feats, m.fc(torch.flatten(m.avgpool(feats), 1))
    if name == "densenet121":
        feats = F.relu(model.features(x), inplace=True)
        return feats, model.classifier(torch.flatten(F.adaptive_avg_pool2d(feats, 1), 1))
    raise ValueError(name)


def min_max(maps, eps):
    """Per-image (m - min) / (max - min + eps) over the last two dimensions."""
    flat = maps.flatten(1)
    lo = flat.min(dim=1, keepdim=True).values
    hi = flat.max(dim=1, keepdim=True).values
    return ((flat - lo) / (hi - lo + eps)).view_as(maps)


def cyborg_loss(logits, features, weight, labels, saliency, cam_class=None):
    """Vectorised CYBORG loss: alpha CE + (1 - alpha) MSE(minmax(CAM), S), CAM of the label
    (or of `cam_class` when given)."""
    import torch
    import torch.nn.functional as F

    classes = labels if cam_class is None else cam_class
    cam = torch.einsum("bc,bchw->bhw", weight[classes], features)
    mse = F.mse_loss(min_max(cam, EPS), saliency)
    return ALPHA * F.cross_entropy(logits, labels) + (1 - ALPHA) * mse


def official_cyborg_loss(outputs, features, params, cls, hmap, cam_class=None):
    """The loss as training_code/train_cam.py of the official CYBORG code computes it (see
    docs/notes/official-cyborg-code.md): per-image loop, CAM of the predicted class, min-max
    without epsilon, nn.MSELoss, alpha blend. `cam_class` overrides the predicted class (for
    the equivalence check only)."""
    import torch
    from torch import nn

    pred = torch.max(outputs, dim=1)[1] if cam_class is None else cam_class
    class_loss = nn.CrossEntropyLoss()(outputs, cls)
    bz, nc, h, w = features.shape
    before_dot = features.reshape((bz, nc, h * w))
    cams = []
    for ids, bd in enumerate(before_dot):
        weight = params[pred[ids]]
        cam = torch.matmul(weight, bd)
        cam_img = cam.reshape(h, w)
        cam_img = cam_img - torch.min(cam_img)
        cam_img = cam_img / torch.max(cam_img)
        cams.append(cam_img)
    cams = torch.stack(cams)
    hmap_loss = nn.MSELoss()(cams, hmap)
    return ALPHA * class_loss + (1 - ALPHA) * hmap_loss


def classifier_weight(model, name):
    return model.classifier.weight if name == "densenet121" else model.fc.weight


def official_hook(model, name, store):
    """What the official code registers: a forward hook storing the CAM features (ResNet and
    the small CNN); DenseNet needs none (it runs model.features(x) again)."""

    def hook(_module, _inputs, output):
        store["features"] = output

    if name == "resnet18":
        model.layer4[-1].conv2.register_forward_hook(hook)
    elif name == "small-cnn":
        model.conv5.register_forward_hook(hook)


def human_maps(shape, generator, device):
    import torch

    s = torch.rand(shape, generator=generator)
    return min_max(s, 0.0).to(device)


# ----------------------------------------------------------------------------------------------
# Workloads


def prepare(name, device):
    """Builds the model and seeded inputs; returns the function running one iteration, which
    returns the loss value (or None)."""
    import torch
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    parts = name.split("/")

    if parts[0] == "loss":
        c, g, loss = int(parts[1][1:]), int(parts[2][1:]), parts[3]
        feats = torch.rand(LOSS_BATCH, c, g, g, generator=gen).to(device).requires_grad_()
        weight = (torch.randn(CLASSES, c, generator=gen) * 0.05).to(device).requires_grad_()
        bias = torch.zeros(CLASSES, device=device, requires_grad=True)
        labels = (torch.arange(LOSS_BATCH) % 2).to(device)
        saliency = human_maps((LOSS_BATCH, g, g), gen, device)

        def run():
            for t in (feats, weight, bias):
                t.grad = None
            logits = feats.mean(dim=(2, 3)) @ weight.t() + bias
            if loss == "ce":
                total = F.cross_entropy(logits, labels)
            elif loss == "cyborg":
                total = cyborg_loss(logits, feats, weight, labels, saliency)
            else:
                total = official_cyborg_loss(logits, feats, weight, labels, saliency)
            total.backward()
            return total.item()

        return run

    model_name = parts[1]
    batch, (c, h, w), grid = MODELS[model_name]
    model = build_model(model_name).to(device)
    images = torch.randn(batch, c, h, w, generator=gen).to(device)

    if parts[0] == "inference":
        model.eval()

        def run():
            with torch.no_grad():
                model(images).cpu()
            return None

        return run

    loss = parts[2]
    labels = (torch.arange(batch) % 2).to(device)
    saliency = human_maps((batch, grid, grid), gen, device)
    opt = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9, weight_decay=1e-6)
    store = {}
    if loss == "cyborg-official":
        official_hook(model, model_name, store)

    def run():
        model.train()
        if loss == "ce":
            total = F.cross_entropy(model(images), labels)
        elif loss == "cyborg":
            feats, logits = features_and_logits(model, model_name, images)
            total = cyborg_loss(logits, feats, classifier_weight(model, model_name), labels, saliency)
        else:
            outputs = model(images)
            if model_name == "densenet121":
                features = model.features(images)  # the official second forward
                params = list(model.classifier.parameters())[0]
            else:
                features = store["features"]
                params = list(model.fc.parameters())[0]
            total = official_cyborg_loss(outputs, features, params, labels, saliency)
        total.backward()
        opt.step()
        opt.zero_grad()
        return total.item()

    return run


def run_one(name, device_name, threads, iters):
    import torch
    import torchvision  # noqa: F401  (imported before the baseline RSS, as Rust's code is)

    torch.set_num_threads(threads)
    device = torch.device(device_name)
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.init()
        torch.zeros(1, device=device)  # the context exists before the baseline RSS
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
    before, _ = memory()
    reset_peak_memory()

    run = prepare(name, device)

    def timed():
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        value = run()
        if cuda:
            torch.cuda.synchronize()
        return (time.perf_counter() - start) * 1e3, value

    first_ms, value = timed()
    times = []
    for _ in range(iters):
        ms, value = timed()
        times.append(ms)
    _, peak = memory()
    result = {
        "workload": name,
        "backend": "pytorch-cuda" if cuda else "pytorch-cpu",
        "threads": threads,
        "first_ms": round(first_ms, 3),
        "median_ms": round(statistics.median(times), 3) if times else None,
        "peak_mib": round((peak - before) / 2**20, 1),
        "batch": LOSS_BATCH if name.startswith("loss/") else MODELS[name.split("/")[1]][0],
        "iterations": iters,
        "loss": value,
        "torch": torch.__version__,
        "machine": machine_description(),
    }
    if cuda:
        result["device_mib"] = round(torch.cuda.memory_reserved(device) / 2**20, 1)
    return result


# ----------------------------------------------------------------------------------------------
# Self-check


def self_check():
    import torch

    torch.set_num_threads(2)
    ok = True

    def check(what, cond, detail=""):
        nonlocal ok
        ok &= bool(cond)
        print(f"{'ok  ' if cond else 'FAIL'} {what} {detail}")

    # The small CNN twin: parameter count and CAM grid.
    net = small_cnn(10)
    n = sum(p.numel() for p in net.parameters() if p.requires_grad)
    check("small-cnn params at 10 classes == 35,674", n == 35674, f"({n:,})")
    check(
        "small-cnn CAM grid 7x7 at 28x28",
        net.forward_features(torch.zeros(2, 1, 28, 28)).shape == (2, 64, 7, 7),
    )

    # The loss on one batch of loss/c512/g7: vectorised vs the official per-image loop.
    gen = torch.Generator().manual_seed(0)
    feats = torch.rand(LOSS_BATCH, 512, 7, 7, generator=gen)
    weight = torch.randn(CLASSES, 512, generator=gen) * 0.05
    labels = torch.arange(LOSS_BATCH) % 2
    saliency = human_maps((LOSS_BATCH, 7, 7), gen, "cpu")

    def value_and_grads(fn, cam_class):
        f = feats.clone().requires_grad_()
        wt = weight.clone().requires_grad_()
        logits = f.mean(dim=(2, 3)) @ wt.t()
        total = fn(logits, f, wt, labels, saliency, cam_class=cam_class)
        total.backward()
        return total.item(), f.grad, wt.grad, logits.argmax(1)

    ref, fg, wg, pred = value_and_grads(cyborg_loss, None)
    off, ofg, owg, _ = value_and_grads(official_cyborg_loss, labels)
    print(f"     loss/c512/g7 batch: cyborg {ref:.7f}, cyborg-official with the label's CAM {off:.7f}")
    check("same loss (label CAM)", abs(ref - off) < 1e-5, f"|diff| {abs(ref - off):.2e}")
    gdiff = max((fg - ofg).abs().max().item(), (wg - owg).abs().max().item())
    check("same gradients (label CAM)", gdiff < 1e-6, f"max |diff| {gdiff:.2e}")
    ref_p, *_ = value_and_grads(cyborg_loss, pred)
    off_p, *_ = value_and_grads(official_cyborg_loss, None)
    print(
        f"     with the predicted class's CAM (as the official code): vectorised {ref_p:.7f}, "
        f"official {off_p:.7f}; {int((pred != labels).sum())} of {LOSS_BATCH} predictions "
        f"differ from the label"
    )
    check("same loss (predicted-class CAM)", abs(ref_p - off_p) < 1e-5, f"|diff| {abs(ref_p - off_p):.2e}")

    # The single-forward trunks give the models' own logits; the small CNN's hook sees the
    # same features, so cyborg and cyborg-official agree on a step's loss with the label CAM.
    small = dict(MODELS, resnet18=(2, (3, 64, 64), 2), densenet121=(2, (3, 64, 64), 2))
    for name, (batch, (c, h, w), grid) in small.items():
        torch.manual_seed(0)
        model = build_model(name).eval()
        x = torch.randn(batch, c, h, w, generator=gen)
        with torch.no_grad():
            feats_m, logits_m = features_and_logits(model, name, x)
            diff = (logits_m - model(x)).abs().max().item()
        check(f"{name}: trunk + head == model(x)", diff < 1e-5, f"(max |diff| {diff:.1e}, features {tuple(feats_m.shape)})")
    torch.manual_seed(0)
    model = build_model("small-cnn").train()
    store = {}
    official_hook(model, "small-cnn", store)
    x = torch.randn(64, 1, 28, 28, generator=gen)
    s = human_maps((64, 7, 7), gen, "cpu")
    y = torch.arange(64) % 2
    with torch.no_grad():
        f, logits = features_and_logits(model, "small-cnn", x)
        a = cyborg_loss(logits, f, model.fc.weight, y, s).item()
        b = official_cyborg_loss(model(x), store["features"], model.fc.weight, y, s, cam_class=y).item()
    print(f"     step/small-cnn batch: cyborg {a:.7f}, cyborg-official with the label's CAM {b:.7f}")
    check("small-cnn step: same loss (label CAM)", abs(a - b) < 1e-5, f"|diff| {abs(a - b):.2e}")
    return ok


# ----------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--iters", type=int, help="timed iterations after the first (default 20 "
                        "for the loss and small-cnn workloads, 5 otherwise)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument(
        "--only",
        action="append",
        help="run only the workloads whose name contains this (repeatable; any match counts)",
    )
    parser.add_argument("--json", help="also write the results to this file, as a list")
    parser.add_argument("--list", action="store_true", help="print the workload names")
    parser.add_argument("--self-check", action="store_true", help="correctness checks, no timing")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.iters is not None and args.iters < 1:
        parser.error("--iters must be at least 1")

    if args.self_check:
        sys.exit(0 if self_check() else 1)
    if args.one:
        iters = args.iters if args.iters is not None else default_iters(args.one)
        print(json.dumps(run_one(args.one, args.device, args.threads, iters)))
        return
    names = [n for n in all_workloads() if args.only is None or any(o in n for o in args.only)]
    if args.list:
        print("\n".join(names))
        return
    if not names:
        sys.exit(f"no workload matches {args.only!r}; see --list")
    results, failed = [], []
    for name in names:
        cmd = [sys.executable, __file__, "--one", name, "--device", args.device,
               "--threads", str(args.threads)]
        if args.iters is not None:
            cmd += ["--iters", str(args.iters)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            failed.append(name)
            print(f"{name}: failed (exit {proc.returncode})\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if failed:
        sys.exit(f"{len(failed)} workload(s) failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
