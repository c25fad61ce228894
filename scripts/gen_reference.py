#!/usr/bin/env python3
"""Reference values for the cyborg crates' tests, computed with PyTorch in float64.

Run from the repository root (any PyTorch >= 2.0, CPU is enough):

    python3 scripts/gen_reference.py

It writes two small JSON fixtures:

- crates/cam/tests/fixtures/cam_reference.json
- crates/saliency-loss/tests/fixtures/loss_reference.json

Inputs are drawn from a fixed seed and rounded to float32, so the Rust tests load exactly the
same numbers; the expected values and gradients are computed in float64. The formulas below are
the definitions the Rust crates implement, written in plain, vectorised PyTorch.
"""

import json
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
EPS = 1e-8
BCE_CLAMP = 2.0 ** -20  # exact in float32, as in the Rust crate
KL_SMOOTHING = 1e-4


def tensor_json(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten()]}


def rand(*shape, scale=1.0, positive=False):
    t = torch.rand(*shape) if positive else torch.randn(*shape) * scale
    return t.to(torch.float32).to(torch.float64)


# --- CAM ---------------------------------------------------------------------------------

def class_activation_maps(features, weights, classes):
    # cam[b] = sum_c W[classes[b], c] * F[b, c]
    return torch.einsum("bchw,bc->bhw", features, weights[classes])


def all_class_activation_maps(features, weights):
    return torch.einsum("bchw,kc->bkhw", features, weights)


def normalize_min_max(maps, eps):
    flat = maps.flatten(1)
    lo = flat.min(dim=1, keepdim=True).values
    hi = flat.max(dim=1, keepdim=True).values
    return ((flat - lo) / (hi - lo + eps)).view_as(maps)


# --- distances (per image) ---------------------------------------------------------------

def distance(kind, p, s, eps):
    p = p.flatten(1)
    s = s.flatten(1)
    if kind == "Mse":
        return ((p - s) ** 2).mean(1)
    if kind == "L1":
        return (p - s).abs().mean(1)
    if kind == "Bce":
        q = p.clamp(BCE_CLAMP, 1 - BCE_CLAMP)
        return (-(s * q.log() + (1 - s) * (1 - q).log())).mean(1)
    if kind == "Kl":
        def as_distribution(m):
            m = m.relu()
            return m / (m.sum(1, keepdim=True) + eps)

        P, Q = as_distribution(s), as_distribution(p)
        return (P * ((P + KL_SMOOTHING).log() - (Q + KL_SMOOTHING).log())).sum(1)
    raise ValueError(kind)


def annotated_mean(values, annotated):
    if annotated is None:
        return values.mean()
    w = annotated.to(values.dtype)
    return (values * w).sum() / w.sum().clamp_min(1.0)


def resize_to_grid(maps, grid):
    if tuple(maps.shape[1:]) == tuple(grid):
        return maps
    return F.adaptive_avg_pool2d(maps[:, None], grid)[:, 0]


def cyborg(inputs, alpha, cam_class, dist, annotated=None):
    logits, features, weights, labels, saliency = inputs
    ce = F.cross_entropy(logits, labels)
    classes = labels if cam_class == "Label" else logits.argmax(1)
    cam = normalize_min_max(class_activation_maps(features, weights, classes), EPS)
    human = normalize_min_max(resize_to_grid(saliency, features.shape[2:]), EPS)
    sal = annotated_mean(distance(dist, cam, human, EPS), annotated)
    return alpha * ce + (1 - alpha) * sal, ce, sal


def masked(inputs, lam, region, annotated=None):
    logits, features, weights, labels, annotation = inputs
    ce = F.cross_entropy(logits, labels)
    r = resize_to_grid(annotation, features.shape[2:])
    outside = 1 - r if region == "Allowed" else r
    cams = all_class_activation_maps(features, weights)
    per_image = ((cams * outside[:, None]) ** 2).mean(dim=(1, 2, 3))
    pen = annotated_mean(per_image, annotated)
    return ce + lam * pen, ce, pen


def positive_cam_loss(term):
    """CE + lam * the mean over annotated images of term(relu(CAM_label), map at the grid),
    one image at a time as the authors' losses.py computes it."""
    def loss(inputs, lam, annotated=None):
        logits, features, weights, labels, annotation = inputs
        ce = F.cross_entropy(logits, labels)
        maps = resize_to_grid(annotation, features.shape[2:])
        cams = class_activation_maps(features, weights, labels)
        terms = torch.stack([term(cam.clamp(min=0), m) for cam, m in zip(cams, maps)])
        per = annotated_mean(terms, annotated)
        return ce + lam * per, ce, per
    return loss


def energy_term(pos, m, eps=1e-7):
    """Rao et al.'s Energy loss (a soft map weighs each cell instead of their box's 0/1)."""
    num = (pos * m).sum()
    den = pos.sum()
    return 1 - num if den < eps else 1 - num / den


def mask_l1_term(pos, m):
    """Rao et al.'s "L1": their attributor's binarize (divide by the max unless it is 0),
    then L1Loss(reduction="mean") against the map."""
    peak = pos.abs().amax()
    a = pos if peak == 0 else pos / peak
    return F.l1_loss(a, m, reduction="mean")


energy = positive_cam_loss(energy_term)
mask_l1 = positive_cam_loss(mask_l1_term)


def with_grads(fn, logits, features, weights, labels, maps, **kw):
    leaves = [t.clone().requires_grad_(True) for t in (logits, features, weights)]
    total, ce, sal = fn((leaves[0], leaves[1], leaves[2], labels, maps), **kw)
    total.backward()
    return {
        "total": float(total.detach()),
        "cross_entropy": float(ce.detach()),
        "saliency": float(sal.detach()),
        "grad_logits": tensor_json(leaves[0].grad),
        "grad_features": tensor_json(leaves[1].grad),
        "grad_class_weights": tensor_json(leaves[2].grad),
    }


def loss_fixture():
    torch.manual_seed(2023)
    B, C, K, h, w, H = 3, 4, 3, 3, 3, 7
    logits = rand(B, K)
    features = rand(B, C, h, w, positive=True)  # post-ReLU maps
    weights = rand(K, C)
    labels = torch.tensor([0, 2, 1])
    saliency = rand(B, H, H, positive=True)
    region = (rand(B, H, H, positive=True) > 0.5).to(torch.float64)
    predicted = logits.argmax(1)
    assert (predicted != labels).any(), "want a case where label and prediction differ"
    args = (logits, features, weights, labels)
    partial = torch.tensor([True, False, True])
    cases = []
    for name, kw in [
        ("paper", dict(alpha=0.5, cam_class="Label", dist="Mse")),
        ("alpha_quarter", dict(alpha=0.25, cam_class="Label", dist="Mse")),
        ("predicted_class", dict(alpha=0.5, cam_class="Predicted", dist="Mse")),
        ("l1", dict(alpha=0.5, cam_class="Label", dist="L1")),
        ("bce", dict(alpha=0.5, cam_class="Label", dist="Bce")),
        ("kl", dict(alpha=0.5, cam_class="Label", dist="Kl")),
        ("partial_annotation", dict(alpha=0.5, cam_class="Label", dist="Mse", annotated=partial)),
    ]:
        expected = with_grads(cyborg, *args, saliency, **kw)
        config = {k: v for k, v in kw.items() if k != "annotated"}
        annotated = kw.get("annotated")
        cases.append({
            "name": name,
            "kind": "cyborg",
            "config": config,
            "annotated": None if annotated is None else [bool(a) for a in annotated],
            "expected": expected,
        })
    for name, kw in [
        ("masked_allowed", dict(lam=0.7, region="Allowed")),
        ("masked_forbidden", dict(lam=0.7, region="Forbidden")),
        ("masked_partial", dict(lam=0.7, region="Allowed", annotated=partial)),
    ]:
        expected = with_grads(masked, *args, region, **kw)
        annotated = kw.get("annotated")
        cases.append({
            "name": name,
            "kind": "masked",
            "config": {"lambda": kw["lam"], "region": kw["region"]},
            "annotated": None if annotated is None else [bool(a) for a in annotated],
            "expected": expected,
        })
    for kind, fn in [("energy", energy), ("mask_l1", mask_l1)]:
        for name, annotated in [(kind, None), (f"{kind}_partial", partial)]:
            expected = with_grads(fn, *args, region, lam=0.7, annotated=annotated)
            cases.append({
                "name": name,
                "kind": kind,
                "config": {"lambda": 0.7},
                "annotated": None if annotated is None else [bool(a) for a in annotated],
                "expected": expected,
            })
    return {
        "generator": "scripts/gen_reference.py",
        "torch": torch.__version__,
        "inputs": {
            "logits": tensor_json(logits),
            "features": tensor_json(features),
            "class_weights": tensor_json(weights),
            "labels": [int(v) for v in labels],
            "saliency": tensor_json(saliency),
            "region": tensor_json(region),
        },
        "cases": cases,
    }


def cam_fixture():
    torch.manual_seed(7)
    B, C, K, h, w = 2, 5, 4, 3, 4
    features = rand(B, C, h, w)
    weights = rand(K, C)
    classes = torch.tensor([3, 1])
    f = features.clone().requires_grad_(True)
    wt = weights.clone().requires_grad_(True)
    cam = class_activation_maps(f, wt, classes)
    norm = normalize_min_max(cam, EPS)
    # A scalar of both maps, to check gradients through CAM and normalisation together.
    probe = torch.linspace(-1.0, 1.0, h * w, dtype=torch.float64).view(1, h, w)
    objective = (norm * probe).sum() + 0.1 * (cam ** 2).sum()
    objective.backward()
    maps = rand(B, h, w)
    return {
        "generator": "scripts/gen_reference.py",
        "torch": torch.__version__,
        "features": tensor_json(features),
        "class_weights": tensor_json(weights),
        "classes": [int(c) for c in classes],
        "cam": tensor_json(cam),
        "all_cams": tensor_json(all_class_activation_maps(features, weights)),
        "normalized": tensor_json(norm),
        "probe": tensor_json(probe),
        "objective": float(objective.detach()),
        "grad_features": tensor_json(f.grad),
        "grad_class_weights": tensor_json(wt.grad),
        "maps": tensor_json(maps),
        "upsampled_7x9": tensor_json(
            F.interpolate(maps[:, None], size=(7, 9), mode="bilinear", align_corners=False)[:, 0]
        ),
        "upsampled_7x9_align_corners": tensor_json(
            F.interpolate(maps[:, None], size=(7, 9), mode="bilinear", align_corners=True)[:, 0]
        ),
    }


def write(path, payload):
    path = ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    write("crates/cam/tests/fixtures/cam_reference.json", cam_fixture())
    write("crates/saliency-loss/tests/fixtures/loss_reference.json", loss_fixture())
