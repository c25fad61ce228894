#!/usr/bin/env python3
"""Reference values for cyborg-data's `Fit::ShortSideCrop`, from torchvision.

Run from the repository root (needs Pillow, NumPy, PyTorch and torchvision):

    python3 scripts/gen_fit_reference.py

Writes beside crates/data/tests/fit_reference.rs, in crates/data/tests/fixtures/:
- fit_image.png (RGB, 37 rows × 50 columns) and fit_map.png (gray, same size), noise drawn
  from a fixed seed, and their transposes fit_image_portrait.png / fit_map_portrait.png;
- fit_reference.json: for each case, the image as torchvision's ImageNet evaluation
  transform gives it on a float tensor,
      T.Compose([T.ToTensor(), T.Resize(S, antialias=True), T.CenterCrop((h, w)),
                 T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
  and the map brought along: the same Resize and CenterCrop on the gray map, then Pillow's
  antialiased bilinear resize of the float plane to the CAM grid and min-max normalisation
  with eps 1e-8 (what `load_saliency` does after the crop).
"""

import json
from pathlib import Path

import numpy as np
import PIL
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "crates/data/tests/fixtures"
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

rng = np.random.default_rng(11)
image = (rng.random((37, 50, 3)) * 255).astype(np.uint8)
yy, xx = np.mgrid[0:37, 0:50]
gray = ((np.sin(xx / 6.0) + np.cos(yy / 5.0) + 2.0) * 60.0).astype(np.uint8)
Image.fromarray(image).save(DIR / "fit_image.png")
Image.fromarray(gray).save(DIR / "fit_map.png")
Image.fromarray(np.ascontiguousarray(image.transpose(1, 0, 2))).save(DIR / "fit_image_portrait.png")
Image.fromarray(np.ascontiguousarray(gray.T)).save(DIR / "fit_map_portrait.png")


def case(name, short, crop, grid):
    h, w = crop
    img = T.ToTensor()(Image.open(DIR / f"{name}.png").convert("RGB"))
    geometry = T.Compose([T.Resize(short, antialias=True), T.CenterCrop((h, w))])
    x = T.Normalize(MEAN, STD)(geometry(img))
    suffix = name[len("fit_image"):]
    m = T.ToTensor()(Image.open(DIR / f"fit_map{suffix}.png").convert("L"))
    m = geometry(m)[0].numpy().astype(np.float32)
    m = np.asarray(Image.fromarray(m, mode="F").resize((grid[1], grid[0]), Image.BILINEAR))
    m = (m - m.min()) / (float(m.max() - m.min()) + 1e-8)
    return {
        "image": f"{name}.png",
        "map": f"fit_map{suffix}.png",
        "short_side": short,
        "crop": [h, w],
        "grid": list(grid),
        "expected_image": [float(v) for v in x.flatten()],
        "expected_map": [float(v) for v in m.flatten()],
    }


cases = [
    case("fit_image", 24, (20, 20), (5, 5)),
    case("fit_image", 37, (33, 30), (4, 6)),  # short side unchanged: crop only
    case("fit_image_portrait", 26, (21, 24), (3, 3)),
]
(DIR / "fit_reference.json").write_text(json.dumps({
    "generator": "scripts/gen_fit_reference.py",
    "torch": torch.__version__,
    "torchvision": torchvision.__version__,
    "pillow": PIL.__version__,
    "cases": cases,
}, indent=0))
print(f"wrote {len(cases)} cases")
