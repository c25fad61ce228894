#!/usr/bin/env python3
"""Reference values for cyborg-data's resizing, from Pillow and PyTorch.

Run from the repository root (needs Pillow, NumPy and PyTorch):

    python3 scripts/gen_resize_reference.py

Writes crates/data/tests/fixtures/resize_reference.json: a float plane drawn from a fixed
seed, resized with Pillow's antialiased bilinear filter on a float ("F") image,
`Image.fromarray(plane, "F").resize((w, h), Image.BILINEAR)`, and with PyTorch's
`F.adaptive_avg_pool2d` (the "area" filter), to sizes smaller and larger than the input.
"""

import json
from pathlib import Path

import numpy as np
import PIL
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "crates/data/tests/fixtures/resize_reference.json"

rng = np.random.default_rng(2023)
H, W = 13, 17
plane = rng.random((H, W), dtype=np.float32) * 4.0 - 1.0

cases = []
for h, w in [(7, 5), (4, 4), (13, 6), (20, 30), (1, 1)]:
    bilinear = np.asarray(Image.fromarray(plane, mode="F").resize((w, h), Image.BILINEAR))
    entry = {"size": [h, w], "bilinear": [float(v) for v in bilinear.flatten()]}
    if h <= H and w <= W:
        area = F.adaptive_avg_pool2d(torch.from_numpy(plane).double()[None, None], (h, w))[0, 0]
        entry["area"] = [float(v) for v in area.flatten()]
    cases.append(entry)

OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({
    "generator": "scripts/gen_resize_reference.py",
    "pillow": PIL.__version__,
    "torch": torch.__version__,
    "input_size": [H, W],
    "input": [float(v) for v in plane.flatten()],
    "cases": cases,
}, indent=1) + "\n")
print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")
