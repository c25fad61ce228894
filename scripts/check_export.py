"""Checks a `cyborg export` file in PyTorch: torchvision (timm for Xception) loads it with
`load_state_dict(strict=True)` and gives the probabilities that `cyborg predict` printed.

    cyborg export  --run runs/cyborg --to model.safetensors
    cyborg predict --run runs/cyborg images/ --out predictions.csv
    python3 scripts/check_export.py --run runs/cyborg --weights model.safetensors \
        --predictions predictions.csv

The run folder's model.json gives the architecture, classes, channels, input size and
normalisation. Images are decoded as cyborg decodes them (gray or RGB, [0, 1], ImageNet mean
and std when the run used them); use images already at the model's input size for an exact
comparison, as resampling differs slightly between PIL and cyborg. Exits with status 1 when a
probability differs by more than --tolerance.

Needs torch, torchvision, safetensors, pillow (and timm for Xception).
"""

import argparse
import csv
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from PIL import Image
from safetensors.torch import load_file

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def first_conv(model, architecture):
    """The module path of the input convolution of each reference model."""
    return {
        "resnet18": "conv1",
        "resnet34": "conv1",
        "resnet50": "conv1",
        "densenet121": "features.conv0",
        "inception-v3": "Conv2d_1a_3x3.conv",
        "xception": "conv1",
    }[architecture]


def build(description):
    architecture = description["architecture"]
    n = description["num_classes"]
    layout = description.get("torchvision_weights", False)
    if architecture in ("resnet18", "resnet34", "resnet50", "densenet121"):
        model = getattr(torchvision.models, architecture)(num_classes=n)
    elif architecture == "inception-v3":
        model = torchvision.models.inception_v3(
            num_classes=n, aux_logits=layout, transform_input=layout, init_weights=False
        )
    elif architecture == "xception":
        import timm

        model = timm.create_model("legacy_xception", num_classes=n)
    else:
        sys.exit(f"{architecture} has no PyTorch reference implementation")
    channels = description["channels"]
    if channels != 3:
        path = first_conv(model, architecture).split(".")
        parent = model
        for name in path[:-1]:
            parent = getattr(parent, name)
        old = getattr(parent, path[-1])
        setattr(
            parent,
            path[-1],
            nn.Conv2d(channels, old.out_channels, old.kernel_size, old.stride, old.padding,
                      bias=old.bias is not None),
        )
    return model


def load_image(path, description):
    size = description["image_size"]
    mode = "L" if description["channels"] == 1 else "RGB"
    image = Image.open(path).convert(mode)
    short = description.get("resize_short")
    if short:
        # --resize-short: torchvision's evaluation transform on the float image.
        import torchvision.transforms as T

        tensor = T.ToTensor()(image)
        tensor = T.CenterCrop(size)(T.Resize(short, antialias=True)(tensor))
        pixels = tensor.numpy()
    else:
        if image.size != (size, size):
            image = image.resize((size, size), Image.BILINEAR)
        pixels = np.asarray(image, dtype=np.float32) / 255.0
        if pixels.ndim == 2:
            pixels = pixels[None]
        else:
            pixels = pixels.transpose(2, 0, 1)
    if description["normalization"] == "imagenet":
        mean = np.array(IMAGENET_MEAN[: pixels.shape[0]], dtype=np.float32)[:, None, None]
        std = np.array(IMAGENET_STD[: pixels.shape[0]], dtype=np.float32)[:, None, None]
        pixels = (pixels - mean) / std
    return torch.from_numpy(np.ascontiguousarray(pixels))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--predictions", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    with open(os.path.join(args.run, "model.json")) as f:
        description = json.load(f)
    model = build(description)
    model.load_state_dict(load_file(args.weights), strict=True)
    model.eval()

    with open(args.predictions) as f:
        rows = list(csv.DictReader(f))
    classes = description["classes"]
    images = torch.stack([load_image(row["image"], description) for row in rows])
    with torch.no_grad():
        probabilities = torch.softmax(model(images), dim=1).numpy()
    expected = np.array([[float(row[c]) for c in classes] for row in rows])
    worst = float(np.abs(probabilities - expected).max())
    agree = sum(
        classes[int(p.argmax())] == row["predicted"] for p, row in zip(probabilities, rows)
    )
    print(
        f"{description['architecture']}: strict load ok; {len(rows)} images, "
        f"{agree} predicted classes agree, largest probability difference {worst:.2e}"
    )
    if worst > args.tolerance:
        sys.exit(f"differences above the tolerance {args.tolerance}")


if __name__ == "__main__":
    main()
