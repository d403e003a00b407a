"""Reference crops and the reference preprocessing, for the Java golden-parity test.

The reference preprocessing is DinoBloom's: PIL opens the file, converts it to RGB, resizes it to
224x224 with PIL's BILINEAR filter (which is what torchvision.transforms.Resize does on a PIL image;
PIL's filter widens with the scale factor, i.e. it antialiases), scales to [0, 1] and normalises with
the ImageNet mean and std. The exporter writes a few crops in several sizes and formats with the
PyTorch embedding of each, so the Java decode -> resize -> normalise -> ONNX Runtime path can be
checked against PyTorch on real files, not only on tensors.

The crops are drawn here (a stained-cell-like blob on a pink background, with noise), deterministic
for a seed; what they show does not matter, only that they exercise decoding and resizing.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SIZE = 224

# name, width, height, format, extra PIL save options. PNG is lossless, so Java and PIL decode the
# same pixels; JPEG decoders may differ by a level or two after IDCT and chroma upsampling, which
# is exactly what the Java test measures. Both up- and down-scaling are covered.
CROPS = [
    ("crop-97x131.png", 97, 131, "PNG", {}),
    ("crop-360x300.jpg", 360, 300, "JPEG", {"quality": 90}),
    ("crop-224x224.png", 224, 224, "PNG", {}),
    ("crop-64x48.jpg", 64, 48, "JPEG", {"quality": 95}),
    ("crop-150x150-rgba.png", 150, 150, "PNG", {}),
    ("crop-575x575.jpg", 575, 575, "JPEG", {"quality": 85}),
]


def draw_crop(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (width, height), (236, 208, 205))
    d = ImageDraw.Draw(img)
    cx, cy = width * rng.uniform(0.4, 0.6), height * rng.uniform(0.4, 0.6)
    r = min(width, height) * rng.uniform(0.25, 0.35)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(200, 170, 215))
    rn = r * rng.uniform(0.4, 0.7)
    d.ellipse([cx - rn, cy - rn * 0.8, cx + rn * 0.9, cy + rn], fill=(95, 50, 130))
    img = img.filter(ImageFilter.GaussianBlur(radius=max(1.0, min(width, height) / 100)))
    noise = rng.normal(0, 6, size=(height, width, 3))
    arr = np.clip(np.asarray(img, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def reference_preprocess(path: Path) -> (torch.Tensor, bytes):
    """The reference: PIL RGB -> resize 224 BILINEAR -> /255 -> ImageNet normalise. Returns the
    normalised [3,224,224] tensor and the resized uint8 RGB bytes (HWC)."""
    with Image.open(path) as im:
        rgb = im.convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
    raw = rgb.tobytes()
    x = torch.from_numpy(np.asarray(rgb, dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean = torch.tensor(MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(STD, dtype=torch.float32)[:, None, None]
    return (x - mean) / std, raw


def write_reference_crops(module: torch.nn.Module, uint8_input: bool, out_dir: Path,
                          seed: int = 0) -> List[Dict[str, object]]:
    """Writes the crops into out_dir and returns, per crop, the file name, the sha256 of the
    reference-resized RGB bytes and the PyTorch embedding."""
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (name, w, h, fmt, opts) in enumerate(CROPS):
        img = draw_crop(w, h, seed * 1000 + i)
        if name.endswith("-rgba.png"):
            img = img.convert("RGBA")  # fully opaque: PIL and Java both drop alpha
        buf = io.BytesIO()
        img.save(buf, fmt, **opts)
        (out_dir / name).write_bytes(buf.getvalue())
        x, raw = reference_preprocess(out_dir / name)
        with torch.no_grad():
            if uint8_input:
                u8 = torch.from_numpy(np.frombuffer(raw, dtype=np.uint8).reshape(SIZE, SIZE, 3).copy())
                emb = module(u8.permute(2, 0, 1)[None])
            else:
                emb = module(x[None])
        entries.append({
            "file": name,
            "resizedSha256": hashlib.sha256(raw).hexdigest(),
            "embedding": [float(v) for v in emb[0].tolist()],
        })
    return entries
