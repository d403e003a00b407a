"""Loading DinoBloom / DINOv2 backbone weights into the hand-written ViT.

Two published layouts are accepted:
  * ``DinoBloom-{S,B,L,G}.pth``: ``{"teacher": {"backbone.<key>": tensor,
    "dino_head.<...>": ..., "ibot_head.<...>": ...}}`` -- the DINO/iBOT
    projection heads are training-only and dropped, ``backbone.`` is stripped;
  * ``pytorch_model_{s,b,l,g}.bin``: a backbone-only ``state_dict`` (keys with
    or without the ``backbone.`` prefix).

Loading is strict: any missing or unexpected key, or any shape mismatch, raises
``CheckpointError`` naming every offending key. A silent partial load would
produce a model that runs and yields plausible-looking but wrong embeddings.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Dict, Mapping

import torch
from torch import nn

DROPPED_HEAD_PREFIXES = ("dino_head.", "ibot_head.")
BACKBONE_PREFIX = "backbone."
# DINOv2 training with block_chunks > 0 nests blocks as blocks.<chunk>.<index>.*
# (the index is global, chunks are padded with Identity), e.g. blocks.1.3.norm1.
_CHUNKED_BLOCK = re.compile(r"^blocks\.\d+\.(\d+)\.")


class CheckpointError(ValueError):
    """A checkpoint that does not match the architecture."""


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def extract_backbone_state_dict(obj: object) -> Dict[str, torch.Tensor]:
    """Turns a loaded ``.pth``/``.bin`` object into plain DinoVisionTransformer keys."""
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"checkpoint is a {type(obj).__name__}, expected a dict / state_dict")
    state = obj["teacher"] if "teacher" in obj else obj
    if not isinstance(state, Mapping):
        raise CheckpointError("checkpoint['teacher'] is not a state_dict")
    out: Dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.startswith(DROPPED_HEAD_PREFIXES):
            continue
        if key.startswith(BACKBONE_PREFIX):
            key = key[len(BACKBONE_PREFIX):]
        key = _CHUNKED_BLOCK.sub(r"blocks.\1.", key)
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"checkpoint entry {key!r} is a {type(value).__name__}, not a tensor")
        if key in out:
            raise CheckpointError(f"checkpoint has key {key!r} twice (with and without prefix?)")
        out[key] = value
    return out


def load_backbone_state_dict(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Strictly loads ``state`` into ``model``; raises CheckpointError listing every problem."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = sorted(
        f"{k}: checkpoint {list(state[k].shape)} vs model {list(expected[k].shape)}"
        for k in set(expected) & set(state)
        if tuple(state[k].shape) != tuple(expected[k].shape)
    )
    if missing or unexpected or mismatched:
        lines = ["checkpoint does not match the architecture:"]
        if missing:
            lines.append(f"  missing keys ({len(missing)}): {', '.join(missing)}")
        if unexpected:
            lines.append(f"  unexpected keys ({len(unexpected)}): {', '.join(unexpected)}")
        if mismatched:
            lines.append(f"  shape mismatches ({len(mismatched)}): {'; '.join(mismatched)}")
        if any(k == "pos_embed" for k in (m.split(":")[0] for m in mismatched)):
            lines.append("  (pos_embed must have 257 tokens, i.e. a 224x224 DinoBloom checkpoint, "
                         "not the 518x518 DINOv2 release)")
        raise CheckpointError("\n".join(lines))
    # Copies (and casts, e.g. fp16 -> fp32) into the model's own float32 parameters.
    model.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=True)


def read_checkpoint(path: Path, trust_pickle: bool = False) -> Dict[str, torch.Tensor]:
    """Reads a checkpoint file and returns the backbone state_dict.

    By default uses ``torch.load(weights_only=True)``, which refuses arbitrary
    pickled objects; ``trust_pickle=True`` allows them, for checkpoints that also
    carry e.g. optimizer or config objects (only for files you trust).
    """
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=not trust_pickle)
    except Exception as e:  # unpickling errors have many types
        if trust_pickle:
            raise
        raise CheckpointError(
            f"could not load {path} with weights_only=True ({e}); "
            "if you trust the file, retry with --trust-checkpoint") from e
    return extract_backbone_state_dict(obj)
