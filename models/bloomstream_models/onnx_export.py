"""ONNX export of the embedder plus its manifest and golden file.

Produces, for an output path ``<dir>/<stem>.onnx``:
  * ``<stem>.onnx``          opset 17, input ``pixels`` [batch,3,224,224], output ``embedding`` [batch,D];
  * ``<stem>.onnx.data``     only with external data (weights > ~2 GiB, i.e. ViT-g);
  * ``<stem>.json``          the manifest the Java side reads (format ``bloomstream-embedder/1``);
  * ``<stem>.golden.json``   torch outputs for 4 formula-defined inputs, for the Java parity test.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import onnx
import torch
from torch import nn

from . import checkpoint as ckpt
from . import reference
from .vit import (IMAGE_SIZE, IMAGENET_MEAN, IMAGENET_STD, PATCH_SIZE, Uint8Normalize, build_model,
                  init_random_weights, param_bytes)

MANIFEST_FORMAT = "bloomstream-embedder/1"
EXPORTER = "bloomstream models/export.py"
OPSET = 17
INPUT_NAME = "pixels"
OUTPUT_NAME = "embedding"
BATCH_DIM = "batch"

# protobuf cannot serialise a message of 2 GiB or more. Weights above this (2 GiB
# less a 64 MiB margin for the graph itself) go to a side file.
EXTERNAL_DATA_THRESHOLD_BYTES = 2**31 - 2**26

DEFAULT_INIT_STD = 0.02
DEFAULT_RANDOM_LAYERSCALE = 1.0

GOLDEN_SAMPLES = 4
GOLDEN_FORMULA_FLOAT32 = (
    "float32 NCHW [4,3,224,224]: x[k,c,h,w] = (float) (sin(0.01*(h*224+w) + 0.7*c + 1.3*k) * 2.0), "
    "evaluated in float64 left to right (Java: (float) (Math.sin(0.01 * (h * 224 + w) + 0.7 * c + 1.3 * k) * 2.0)) "
    "and rounded to float32; k = 0..3, c = 0..2, h, w = 0..223; fed to the model as is (already 'normalised')"
)
GOLDEN_FORMULA_UINT8 = (
    "uint8 NCHW [4,3,224,224]: x[k,c,h,w] = (h*7 + w*3 + c*50 + k*31) % 256; "
    "k = 0..3, c = 0..2, h, w = 0..223; fed to the model as raw uint8 (normalisation is in the graph)"
)


def golden_inputs(uint8_input: bool) -> torch.Tensor:
    """The 4 deterministic golden inputs, regenerable exactly from the formula text."""
    k, c, h, w = np.meshgrid(np.arange(GOLDEN_SAMPLES), np.arange(3), np.arange(IMAGE_SIZE), np.arange(IMAGE_SIZE),
                             indexing="ij")
    if uint8_input:
        return torch.from_numpy(((h * 7 + w * 3 + c * 50 + k * 31) % 256).astype(np.uint8))
    # float64 throughout, same association order as the Java expression, one final rounding.
    v = np.sin(0.01 * (h * 224 + w).astype(np.float64) + 0.7 * c + 1.3 * k) * 2.0
    return torch.from_numpy(v.astype(np.float32))


def golden_formula(uint8_input: bool) -> str:
    return GOLDEN_FORMULA_UINT8 if uint8_input else GOLDEN_FORMULA_FLOAT32


@dataclass
class ExportResult:
    onnx_path: Path
    manifest_path: Path
    golden_path: Path
    manifest: Dict[str, object]


def export_onnx(module: nn.Module, out_path: Path, uint8_input: bool, external_data: bool, embedding_dim: int,
                metadata: Optional[Dict[str, str]] = None) -> None:
    """Exports ``module`` to ``out_path`` and checks it with onnx.checker.

    torch writes the graph into a temporary folder first (for >2 GiB models it
    spills one file per tensor there); the proto is then loaded, stamped with
    metadata and re-saved in its final form, either self-contained or with all
    weights in a single ``<name>.data`` file next to it.
    """
    module.eval()
    # Batch 2, not 1: a size-1 dimension invites the tracer to specialise on it.
    dummy = torch.zeros(2, 3, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8 if uint8_input else torch.float32)
    with tempfile.TemporaryDirectory(prefix="bloomstream-export-") as tmp:
        tmp_path = Path(tmp) / "model.onnx"
        with torch.no_grad():
            torch.onnx.export(
                module, (dummy,), str(tmp_path),
                export_params=True,
                opset_version=OPSET,
                do_constant_folding=True,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: BATCH_DIM}, OUTPUT_NAME: {0: BATCH_DIM}},
            )
        proto = onnx.load(str(tmp_path))  # also pulls in any per-tensor external files

    for key, value in sorted((metadata or {}).items()):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value

    out_path.parent.mkdir(parents=True, exist_ok=True)
    data_name = out_path.name + ".data"
    data_path = out_path.parent / data_name
    # onnx appends to an existing data file, so a stale one must go first; and a
    # self-contained model must not leave an outdated side file behind.
    if data_path.exists():
        data_path.unlink()
    if external_data:
        onnx.save_model(proto, str(out_path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_name, size_threshold=1024)
    else:
        onnx.save_model(proto, str(out_path))
    # The path form of the checker also works for models with external data. Never
    # pass full_check=True with a path: onnx 1.12 then writes the shape-inferred
    # model back over the file. Strict shape inference runs on the in-memory graph
    # instead (initializer dims are known without loading external data).
    onnx.checker.check_model(str(out_path))
    saved = onnx.load(str(out_path), load_external_data=False)
    onnx.shape_inference.infer_shapes(saved, check_type=True, strict_mode=True)
    check_io_contract(saved, uint8_input, embedding_dim)


def check_io_contract(proto: onnx.ModelProto, uint8_input: bool, embedding_dim: Optional[int] = None) -> None:
    """Asserts the model contract: one input pixels [batch,3,224,224], one output embedding [batch,D], opset 17."""

    def dims(value_info) -> List[object]:
        return [d.dim_param if d.HasField("dim_param") else d.dim_value
                for d in value_info.type.tensor_type.shape.dim]

    problems = []
    opsets = {o.domain: o.version for o in proto.opset_import}
    if opsets.get("", opsets.get("ai.onnx")) != OPSET:
        problems.append(f"opset {opsets} != {OPSET}")
    if [i.name for i in proto.graph.input] != [INPUT_NAME]:
        problems.append(f"inputs {[i.name for i in proto.graph.input]} != [{INPUT_NAME!r}]")
    else:
        inp = proto.graph.input[0]
        want_type = onnx.TensorProto.UINT8 if uint8_input else onnx.TensorProto.FLOAT
        if inp.type.tensor_type.elem_type != want_type:
            problems.append(f"input elem_type {inp.type.tensor_type.elem_type} != {want_type}")
        if dims(inp) != [BATCH_DIM, 3, IMAGE_SIZE, IMAGE_SIZE]:
            problems.append(f"input dims {dims(inp)}")
    if [o.name for o in proto.graph.output] != [OUTPUT_NAME]:
        problems.append(f"outputs {[o.name for o in proto.graph.output]} != [{OUTPUT_NAME!r}]")
    else:
        out = proto.graph.output[0]
        d = dims(out)
        # The embedding width must be a concrete number, not a symbolic dim.
        if (len(d) != 2 or d[0] != BATCH_DIM or not isinstance(d[1], int) or d[1] <= 0
                or (embedding_dim is not None and d[1] != embedding_dim)):
            problems.append(f"output dims {d}")
    if problems:
        raise ValueError("exported ONNX violates the model contract: " + "; ".join(problems))


def model_id(arch: str, seed: Optional[int], checkpoint_sha256: Optional[str],
             init_std: float = DEFAULT_INIT_STD, layerscale: float = DEFAULT_RANDOM_LAYERSCALE) -> str:
    if checkpoint_sha256 is not None:
        return f"{arch}-{checkpoint_sha256[:12]}"
    mid = f"{arch}-random-seed{seed}"
    # Non-default init settings give different weights under the same seed: keep ids unique.
    if init_std != DEFAULT_INIT_STD or layerscale != DEFAULT_RANDOM_LAYERSCALE:
        mid += f"-std{init_std:g}-ls{layerscale:g}"
    return mid


def build_manifest(*, mid: str, arch: str, cfg, uint8_input: bool, source: Dict[str, object],
                   onnx_sha256: str, external_data: bool, onnx_bytes: int) -> Dict[str, object]:
    """The manifest, key for key as the Java side (Jackson) expects it."""
    return {
        "format": MANIFEST_FORMAT,
        "modelId": mid,
        "arch": arch,
        "embeddingDim": cfg.embed_dim,
        "depth": cfg.depth,
        "heads": cfg.num_heads,
        "patchSize": PATCH_SIZE,
        "imageSize": IMAGE_SIZE,
        "input": {
            "name": INPUT_NAME,
            "dtype": "uint8" if uint8_input else "float32",
            "layout": "NCHW",
            "normalizationInGraph": uint8_input,
        },
        "output": {"name": OUTPUT_NAME},
        # What the host must do before the graph. With normalizationInGraph the
        # host only converts to RGB and resizes; scale/mean/std then describe
        # what the graph does itself.
        "preprocessing": {
            "colorSpace": "RGB",
            "resize": "bilinear-antialias",
            "scale": 255.0,
            "mean": list(IMAGENET_MEAN),
            "std": list(IMAGENET_STD),
        },
        "source": source,
        "onnx": {"opset": OPSET, "sha256": onnx_sha256, "externalData": external_data, "bytes": onnx_bytes},
        "exporter": EXPORTER,
    }


def _write_json(path: Path, obj: object) -> None:
    # Stable text: fixed key order, fixed indentation, trailing newline.
    path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")


def run_export(*, arch: str, out: Path, random_weights: bool = False, seed: int = 0,
               checkpoint: Optional[Path] = None, trust_checkpoint: bool = False, uint8_input: bool = False,
               init_std: float = DEFAULT_INIT_STD, layerscale: float = DEFAULT_RANDOM_LAYERSCALE,
               external_data: str = "auto", external_data_threshold: int = EXTERNAL_DATA_THRESHOLD_BYTES
               ) -> ExportResult:
    """Builds the model, exports ONNX, writes manifest and golden file. See export.py --help."""
    if random_weights == (checkpoint is not None):
        raise ValueError("give exactly one of random_weights=True or checkpoint=PATH")
    if out.suffix != ".onnx":
        raise ValueError(f"output path must end in .onnx: {out}")
    if external_data not in ("auto", "always", "never"):
        raise ValueError(f"external_data must be auto, always or never, not {external_data!r}")

    model = build_model(arch)
    if random_weights:
        init_random_weights(model, seed, std=init_std, layerscale=layerscale)
        ckpt_sha = None
        source = {"kind": "random", "seed": seed, "path": None, "sha256": None}
    else:
        ckpt_sha = ckpt.sha256_file(checkpoint)
        ckpt.load_backbone_state_dict(model, ckpt.read_checkpoint(checkpoint, trust_pickle=trust_checkpoint))
        # The file name only: the manifest should not depend on where the file sat on the export machine.
        source = {"kind": "checkpoint", "seed": None, "path": checkpoint.name, "sha256": ckpt_sha}
    model.eval()
    mid = model_id(arch, seed if random_weights else None, ckpt_sha, init_std, layerscale)

    module: nn.Module = Uint8Normalize(model) if uint8_input else model
    module.eval()
    use_external = {"always": True, "never": False}.get(external_data, param_bytes(model) > external_data_threshold)

    export_onnx(module, out, uint8_input, use_external, model.embed_dim,
                metadata={"bloomstream.modelId": mid, "bloomstream.arch": arch,
                          "bloomstream.format": MANIFEST_FORMAT})

    manifest = build_manifest(mid=mid, arch=arch, cfg=model.cfg, uint8_input=uint8_input, source=source,
                              onnx_sha256=ckpt.sha256_file(out), external_data=use_external,
                              onnx_bytes=out.stat().st_size)
    manifest_path = out.with_suffix(".json")
    _write_json(manifest_path, manifest)

    with torch.no_grad():
        emb = module(golden_inputs(uint8_input))
    golden = {
        "modelId": mid,
        "inputFormula": golden_formula(uint8_input),
        # float32 values widened to float64 are printed exactly (shortest repr), so no precision is lost.
        "embeddings": [[float(v) for v in row] for row in emb.tolist()],
    }
    golden_path = out.with_suffix(".golden.json")
    _write_json(golden_path, golden)

    # Real files through the reference preprocessing: the Java decode/resize/normalise/embed path
    # must reproduce these embeddings (the formula inputs above check the graph alone).
    crops_dir = out.with_suffix(".crops")
    crops = {
        "modelId": mid,
        "preprocessing": "PIL Image.open -> convert('RGB') -> resize((224, 224), BILINEAR) -> /255 -> "
                         "(x - mean) / std, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)",
        "crops": reference.write_reference_crops(module, uint8_input, crops_dir),
    }
    _write_json(out.with_suffix(".crops.json"), crops)
    return ExportResult(out, manifest_path, golden_path, manifest)
