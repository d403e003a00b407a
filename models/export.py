#!/usr/bin/python3
"""Export a DinoBloom / DINOv2 ViT embedder to ONNX for bloomstream.

Run with Debian's interpreter (torch 1.13, onnx 1.12):  /usr/bin/python3 models/export.py --help
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Make the bloomstream_models package importable however the script is invoked.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bloomstream_models.checkpoint import CheckpointError  # noqa: E402
from bloomstream_models.onnx_export import (DEFAULT_INIT_STD, DEFAULT_RANDOM_LAYERSCALE,  # noqa: E402
                                            EXTERNAL_DATA_THRESHOLD_BYTES, run_export)
from bloomstream_models.vit import ARCHS  # noqa: E402

EPILOG = """\
outputs (for --out DIR/STEM.onnx):
  DIR/STEM.onnx          ONNX opset 17; input 'pixels' [batch,3,224,224] float32 (uint8 with
                         --uint8-input), output 'embedding' [batch,D] = CLS token after the final
                         LayerNorm; only the batch axis is dynamic
  DIR/STEM.onnx.data     all weights, only when external data is used (ViT-g)
  DIR/STEM.json          manifest (format bloomstream-embedder/1) read by the Java pipeline
  DIR/STEM.golden.json   torch embeddings of 4 formula-defined inputs for the Java ONNX parity test
  DIR/STEM.crops/        reference crops (PNG, JPEG; several sizes) written by the exporter
  DIR/STEM.crops.json    their PyTorch embeddings after the reference preprocessing (PIL RGB,
                         resize 224 BILINEAR, /255, ImageNet mean/std), for the Java parity test

examples:
  # the test fixture shipped in the repository (byte-identical on every run)
  /usr/bin/python3 models/export.py --random-weights --arch vit_tiny --seed 0 --out models/fixtures/vit-tiny.onnx
  # a published DinoBloom checkpoint
  /usr/bin/python3 models/export.py --checkpoint DinoBloom-S.pth --arch vit_s14 --out models/build/dinobloom-s.onnx
  # same weights, raw uint8 input with /255 and ImageNet normalisation inside the graph
  /usr/bin/python3 models/export.py --checkpoint pytorch_model_s.bin --arch vit_s14 --uint8-input \\
      --out models/build/dinobloom-s-u8.onnx

architectures (embed dim / depth / heads / FFN):
""" + "\n".join(f"  {name:9s} {c.embed_dim} / {c.depth} / {c.num_heads} / {c.ffn}" for name, c in ARCHS.items()) + """
  DinoBloom-S/B/L/G correspond to vit_s14/vit_b14/vit_l14/vit_g14; vit_tiny is for test fixtures only.
"""


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="export.py",
        description="Build a DINOv2 ViT (DinoBloom architecture, fixed 224x224 input, patch 14), load "
                    "weights from a checkpoint or seeded random weights, export it to ONNX and write "
                    "the manifest and golden file that the Java pipeline uses.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--arch", required=True, choices=sorted(ARCHS),
                   help="ViT architecture; must match the checkpoint (see the table below)")
    weights = p.add_mutually_exclusive_group(required=True)
    weights.add_argument("--random-weights", action="store_true",
                         help="use deterministic random weights (torch.manual_seed(--seed); trunc-normal "
                              "std --init-std for cls/pos embeddings and all conv/linear weights and biases, "
                              "LayerNorm 1/0, LayerScale --layerscale); for fixtures and benchmarks")
    weights.add_argument("--checkpoint", type=Path, metavar="PATH",
                         help="DinoBloom checkpoint: a .pth with key 'teacher' and prefix 'backbone.' "
                              "(dino_head./ibot_head. keys are dropped) or a backbone-only .bin state_dict; "
                              "loading is strict and names every missing/unexpected/mis-shaped key")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed for --random-weights (default: %(default)s); part of the modelId; "
                        "ignored with --checkpoint")
    p.add_argument("--init-std", type=float, default=DEFAULT_INIT_STD,
                   help="std of the truncated-normal init for --random-weights (default: %(default)s); "
                        "a non-default value is appended to the modelId")
    p.add_argument("--layerscale", type=float, default=DEFAULT_RANDOM_LAYERSCALE,
                   help="LayerScale gamma for --random-weights (default: %(default)s; real DINOv2 init is "
                        "1e-5, which would hide the blocks in a random model); a non-default value is "
                        "appended to the modelId")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="load the checkpoint with full unpickling instead of torch.load(weights_only=True); "
                        "needed only for files that carry non-tensor objects, and only for files you trust")
    p.add_argument("--uint8-input", action="store_true",
                   help="make the graph take uint8 RGB [batch,3,224,224] and do /255 and ImageNet "
                        "mean/std normalisation itself (4x less host-to-device copy on GPU); the manifest "
                        "then says dtype uint8 and normalizationInGraph true")
    p.add_argument("--external-data", choices=("auto", "always", "never"), default="auto",
                   help="store weights in a side file STEM.onnx.data: 'auto' (default) does so when the "
                        f"float32 weights exceed {EXTERNAL_DATA_THRESHOLD_BYTES} bytes (2 GiB less a 64 MiB "
                        "margin, protobuf's limit), i.e. for vit_g14")
    p.add_argument("--out", required=True, type=Path, metavar="PATH.onnx",
                   help="output model path; the manifest, golden and data files are written next to it")
    args = p.parse_args(argv)
    if args.checkpoint is not None and not args.checkpoint.is_file():
        p.error(f"--checkpoint {args.checkpoint}: no such file")
    if args.out.suffix != ".onnx":
        p.error("--out must end in .onnx")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        result = run_export(arch=args.arch, out=args.out, random_weights=args.random_weights, seed=args.seed,
                            checkpoint=args.checkpoint, trust_checkpoint=args.trust_checkpoint,
                            uint8_input=args.uint8_input, init_std=args.init_std, layerscale=args.layerscale,
                            external_data=args.external_data)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    m = result.manifest
    print(f"modelId   {m['modelId']}")
    print(f"onnx      {result.onnx_path} ({m['onnx']['bytes']} bytes, sha256 {m['onnx']['sha256']}, "
          f"externalData {m['onnx']['externalData']})")
    print(f"manifest  {result.manifest_path}")
    print(f"golden    {result.golden_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
