"""Loading DinoBloom / DINOv2 backbone weights into the hand-written ViT.

Every published layout is accepted, recognised by content rather than file name:
  * ``zenodo-pth``: Zenodo's ``DinoBloom-{S,B,L,G}.pth``, ``{"teacher":
    {"backbone.<key>": tensor, "dino_head.<...>": ..., "ibot_head.<...>": ...}}`` -- the
    DINO/iBOT projection heads are training-only and dropped, ``backbone.`` is stripped;
  * ``state-dict``: Hugging Face ``MarrLab/DinoBloom``'s ``pytorch_model_{s,b,l,g}.bin``, a
    backbone-only DINOv2 ``state_dict`` (keys with or without the ``backbone.`` prefix);
  * ``timm-safetensors``: timm's ``1aurent/vit_{small,base,large,giant}_patch14_224.dinobloom``
    ``model.safetensors``. Safetensors is an 8-byte little-endian header length, a JSON header
    (name -> dtype, shape, byte offsets) and the raw tensors; it is read here without the
    ``safetensors`` package (Debian has none). timm's names are DINOv2's except for SwiGLU
    (``mlp.fc1``/``mlp.fc2`` for DINOv2's ``mlp.w12``/``mlp.w3``), and timm drops the unused
    ``mask_token``, which is set to zero.

Loading is strict: any missing or unexpected key, or any shape mismatch, raises
``CheckpointError`` naming every offending key. A silent partial load would
produce a model that runs and yields plausible-looking but wrong embeddings.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Dict, Mapping

import torch
from torch import nn

DROPPED_HEAD_PREFIXES = ("dino_head.", "ibot_head.")
BACKBONE_PREFIX = "backbone."
# DINOv2 training with block_chunks > 0 nests blocks as blocks.<chunk>.<index>.*
# (the index is global, chunks are padded with Identity), e.g. blocks.1.3.norm1.
_CHUNKED_BLOCK = re.compile(r"^blocks\.\d+\.(\d+)\.")


FORMAT_ZENODO = "zenodo-pth"
FORMAT_STATE_DICT = "state-dict"
FORMAT_TIMM = "timm-safetensors"
FORMAT_NAMES = {
    FORMAT_ZENODO: "Zenodo DinoBloom .pth (teacher dict)",
    FORMAT_STATE_DICT: "backbone state_dict (Hugging Face pytorch_model_*.bin)",
    FORMAT_TIMM: "timm model.safetensors",
}

# safetensors dtype -> torch dtype
_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


class CheckpointError(ValueError):
    """A checkpoint that does not match the architecture."""


class BackboneState(dict):
    """A backbone state_dict in DINOv2's key names, with the layout it was read from."""

    def __init__(self, items=(), fmt: str = FORMAT_STATE_DICT):
        super().__init__(items)
        self.format = fmt


def is_safetensors(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) < 9:
        return False
    n = struct.unpack("<Q", head[:8])[0]
    return head[8:9] == b"{" and 2 <= n <= Path(path).stat().st_size - 8


def read_safetensors(path: Path) -> Dict[str, torch.Tensor]:
    """The tensors of a safetensors file (copies, so the file can go)."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise CheckpointError(f"{path}: too short for safetensors")
    n = struct.unpack("<Q", data[:8])[0]
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: unreadable safetensors header ({e})") from e
    base = 8 + n
    out: Dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise CheckpointError(f"{path}: tensor {name!r} has unsupported dtype {info.get('dtype')!r}")
        begin, end = info["data_offsets"]
        shape = [int(d) for d in info["shape"]]
        raw = bytearray(data[base + begin:base + end])
        count = 1
        for d in shape:
            count *= d
        if count == 0:
            out[name] = torch.zeros(shape, dtype=dtype)
            continue
        t = torch.frombuffer(raw, dtype=dtype)
        if t.numel() != count:
            raise CheckpointError(f"{path}: tensor {name!r} has {t.numel()} values for shape {shape}")
        out[name] = t.reshape(shape).clone()
    return out


_SAFETENSORS_NAMES = {v: k for k, v in _SAFETENSORS_DTYPES.items()}


def write_safetensors(path: Path, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] = None) -> None:
    """Writes tensors in the safetensors layout (for tests and conversions)."""
    header: Dict[str, object] = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _SAFETENSORS_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = dict(metadata)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)  # the reference writer pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def extract_backbone_state_dict(obj: object, fmt: str = None) -> BackboneState:
    """Turns a loaded ``.pth``/``.bin`` object (or safetensors' tensors, with ``fmt``) into plain
    DinoVisionTransformer keys."""
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"checkpoint is a {type(obj).__name__}, expected a dict / state_dict")
    if fmt is None:
        fmt = FORMAT_ZENODO if "teacher" in obj else FORMAT_STATE_DICT
    state = obj["teacher"] if "teacher" in obj else obj
    if not isinstance(state, Mapping):
        raise CheckpointError("checkpoint['teacher'] is not a state_dict")
    out = BackboneState(fmt=fmt)
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


def _from_timm(model: nn.Module, state: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """timm's ViT names -> DINOv2's: SwiGLU's fc1/fc2 are w12/w3 where the model is SwiGLU, and the
    inference-unused mask_token (absent from timm) is zero."""
    expected = model.state_dict()
    swiglu = any(".mlp.w12." in k for k in expected)
    out: Dict[str, torch.Tensor] = {}
    for k, v in state.items():
        if swiglu:
            k = k.replace(".mlp.fc1.", ".mlp.w12.").replace(".mlp.fc2.", ".mlp.w3.")
        out[k] = v
    if "mask_token" in expected and "mask_token" not in out:
        out["mask_token"] = torch.zeros_like(expected["mask_token"])
    return out


def load_backbone_state_dict(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Strictly loads ``state`` into ``model``; raises CheckpointError naming the recognised format
    and listing every problem."""
    fmt = getattr(state, "format", FORMAT_STATE_DICT)
    if fmt == FORMAT_TIMM:
        state = _from_timm(model, state)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = sorted(
        f"{k}: checkpoint {list(state[k].shape)} vs model {list(expected[k].shape)}"
        for k in set(expected) & set(state)
        if tuple(state[k].shape) != tuple(expected[k].shape)
    )
    if missing or unexpected or mismatched:
        lines = [f"checkpoint (recognised as {FORMAT_NAMES.get(fmt, fmt)}) does not match the architecture:"]
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


def read_checkpoint(path: Path, trust_pickle: bool = False) -> BackboneState:
    """Reads a checkpoint file in any published layout and returns the backbone state_dict
    (its ``format`` says which layout was recognised).

    Safetensors files are parsed directly. Others use ``torch.load(weights_only=True)``, which
    refuses arbitrary pickled objects; ``trust_pickle=True`` allows them, for checkpoints that
    also carry e.g. optimizer or config objects (only for files you trust).
    """
    if is_safetensors(path):
        return extract_backbone_state_dict(read_safetensors(path), fmt=FORMAT_TIMM)
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=not trust_pickle)
    except Exception as e:  # unpickling errors have many types
        if trust_pickle:
            raise
        raise CheckpointError(
            f"could not load {path} with weights_only=True ({e}); "
            "if you trust the file, retry with --trust-checkpoint") from e
    return extract_backbone_state_dict(obj)
