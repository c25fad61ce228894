"""PyTorch side of the whole-epoch benchmark (the Rust side is `cyborg bench-epoch`): training
epochs on the same folder of PNG images and human maps, as a PyTorch user would write them at
their best, timed pass by pass.

    cyborg bench-epoch --model resnet18 --data /tmp/epoch-data     # writes the folder once
    python3 scripts/bench_epoch.py --model resnet18 --data /tmp/epoch-data --threads 2 --workers 2

What one epoch does (the same as `cyborg train`'s training pass with the paper's recipe):

- a `torch.utils.data.DataLoader` (shuffled, batch 20, `--workers` worker processes, kept
  between epochs) over the folder's train.csv: each image decoded by Pillow, resized to the
  model's input with Pillow's antialiased bilinear filter (as the Rust side), scaled to [0, 1]
  and standardised with ImageNet's mean and standard deviation;
- the human maps gray, resized to the 7x7 CAM grid the same way and min-max normalised (eps
  1e-8), decoded once before the first epoch and kept (the Rust side keeps them after its first
  epoch: the steady state is the same);
- torchvision's resnet18 / densenet121 (2 classes, fresh weights) or the small CNN of
  bench_backends.py, in training mode; the CYBORG loss vectorised over the batch (CAM of the
  label, alpha 0.5; bench_backends.cyborg_loss), one forward pass; SGD lr 0.005, momentum 0.9,
  weight decay 1e-6.

The first epoch is reported apart (workers starting, caches cold); images/s is the training
images over the median of the later epochs. peak_mib is the rise of the main process's peak RSS
over its RSS before the model is built; worker_peak_mib is the largest peak RSS of one worker
process (they share the parent's pages copy-on-write, so adding them would count those twice).
Writes (or extends) a JSON list with the same fields as `cyborg bench-epoch --json`.
"""

import argparse
import csv
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_backends as bb  # noqa: E402  (the models, the loss and the memory readers)

BATCH = 20
GRID = 7
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def read_manifest(path):
    """(image path, map path, label) rows of a manifest, paths relative to its folder."""
    base = os.path.dirname(os.path.abspath(path))
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    resolve = lambda p: p if os.path.isabs(p) else os.path.join(base, p)  # noqa: E731
    classes = sorted({row["label"] for row in rows})
    return [(resolve(r["image"]), resolve(r["saliency"]), classes.index(r["label"])) for r in rows]


class EpochDataset:
    """The folder's images, decoded on demand, with their maps decoded once."""

    def __init__(self, rows, channels, side):
        import numpy as np
        import torch
        from PIL import Image

        self.rows, self.channels, self.side = rows, channels, side
        maps = []
        for _, map_path, _ in rows:
            small = Image.open(map_path).convert("L").resize((GRID, GRID), Image.BILINEAR)
            maps.append(np.asarray(small, dtype=np.float32) / 255.0)
        self.maps = bb.min_max(torch.from_numpy(np.stack(maps)), bb.EPS)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        import torchvision.transforms.functional as TF
        from PIL import Image

        image_path, _, label = self.rows[i]
        image = Image.open(image_path).convert("RGB" if self.channels == 3 else "L")
        image = image.resize((self.side, self.side), Image.BILINEAR)
        x = TF.to_tensor(image)
        if self.channels == 3:
            x = TF.normalize(x, MEAN, STD)
        return x, self.maps[i], label


def worker_peaks(loader_iterator):
    """The peak RSS (VmHWM) of each live worker process, in bytes."""
    peaks = []
    for worker in getattr(loader_iterator, "_workers", []):
        try:
            with open(f"/proc/{worker.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) * 1024)
        except OSError:
            pass
    return peaks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="resnet18", choices=["small-cnn", "resnet18", "densenet121"])
    parser.add_argument("--data", required=True, help="the folder cyborg bench-epoch wrote")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (backend pytorch-cuda)")
    parser.add_argument("--json", help="add the measurement to this JSON list")
    args = parser.parse_args()

    import torch
    import torchvision  # noqa: F401  (imported before the baseline RSS, as Rust's code is)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    rows = read_manifest(os.path.join(args.data, "train.csv"))
    channels, side = (1, 28) if args.model == "small-cnn" else (3, 224)
    dataset = EpochDataset(rows, channels, side)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=BATCH,
        shuffle=True,
        num_workers=args.workers,
        persistent_workers=args.workers > 0,
        pin_memory=cuda,
    )
    before, _ = bb.memory()
    bb.reset_peak_memory()
    model = bb.build_model(args.model).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9, weight_decay=1e-6)
    weight = bb.classifier_weight(model, args.model)
    epoch_s = []
    iterator = None
    for _ in range(args.epochs):
        start = time.perf_counter()
        iterator = iter(loader)
        for x, maps, labels in iterator:
            x, maps, labels = (t.to(device, non_blocking=True) for t in (x, maps, labels))
            features, logits = bb.features_and_logits(model, args.model, x)
            loss = bb.cyborg_loss(logits, features, weight, labels, maps)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if cuda:
            torch.cuda.synchronize(device)
        epoch_s.append(time.perf_counter() - start)
    _, peak = bb.memory()
    workers = worker_peaks(iterator) if iterator is not None else []
    steady = epoch_s[1:] or epoch_s
    mib = lambda b: b / (1024 * 1024)  # noqa: E731
    measurement = {
        "workload": f"epoch/{args.model}/cyborg",
        "backend": "pytorch-cuda" if cuda else "pytorch-cpu",
        "threads": args.threads,
        "workers": args.workers,
        "batch": BATCH,
        "images": len(dataset),
        "epoch_s": epoch_s,
        "images_per_second": len(dataset) / statistics.median(steady),
        "peak_mib": mib(max(peak - before, 0)),
        "machine": f"{bb.machine_description()}; torch {torch.__version__}",
    }
    if workers:
        measurement["worker_peak_mib"] = mib(max(workers))
    print(json.dumps(measurement))
    if args.json:
        existing = []
        if os.path.exists(args.json):
            with open(args.json) as f:
                existing = json.load(f)
        existing.append(measurement)
        with open(args.json, "w") as f:
            json.dump(existing, f, indent=2)


if __name__ == "__main__":
    main()
