#!/usr/bin/python3
"""PyTorch reference embeddings for a list of crop files, for the Java end-to-end parity test.

Each file goes through DinoBloom's reference preprocessing (bloomstream_models.reference:
Pillow ``Image.open(f).convert("RGB")``, BILINEAR resize to 224, /255, ImageNet normalisation) and
the PyTorch ViT of this package, built exactly as ``export.py --random-weights`` builds the
fixture (same arch, seed and init), so the result is what the exported ONNX model must give.

  /usr/bin/python3 models/embed_reference.py --arch vit_tiny --seed 0 --list FILES.txt --out REF.npy

writes a float32 [N, D] array in the list's order.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bloomstream_models.onnx_export import DEFAULT_INIT_STD, DEFAULT_RANDOM_LAYERSCALE  # noqa: E402
from bloomstream_models.reference import reference_preprocess  # noqa: E402
from bloomstream_models.vit import build_model, init_random_weights  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="vit_tiny")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list", type=Path, required=True, help="one crop path a line")
    p.add_argument("--out", type=Path, required=True, help="output .npy")
    p.add_argument("--batch", type=int, default=32)
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    model = build_model(args.arch)
    # The exporter's defaults, not vit.py's: these are the weights export.py --random-weights wrote.
    init_random_weights(model, args.seed, std=DEFAULT_INIT_STD, layerscale=DEFAULT_RANDOM_LAYERSCALE)
    model.eval()
    files = [line for line in args.list.read_text().splitlines() if line]
    out = []
    with torch.no_grad():
        for i in range(0, len(files), args.batch):
            x = torch.stack([reference_preprocess(Path(f))[0] for f in files[i:i + args.batch]])
            out.append(model(x).numpy().astype(np.float32))
    np.save(args.out, np.concatenate(out) if out else np.zeros((0, 0), np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
