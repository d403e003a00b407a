"""Every published DinoBloom checkpoint layout loads and exports to the same ONNX model.

One random vit_tiny is written as Zenodo's DinoBloom-*.pth (teacher dict with heads), as Hugging
Face's pytorch_model_*.bin (a plain DINOv2 state_dict) and as timm's model.safetensors (timm key
names, no mask_token); each goes through export.py's loader and ONNX export, and the exported
graphs must give identical outputs. The SwiGLU renaming (timm fc1/fc2 -> DINOv2 w12/w3) is checked
on a SwiGLU ViT of fixture size."""

import json
import struct
import subprocess
import sys

import onnx
import pytest
import torch

import onnx_ref
from bloomstream_models import checkpoint as ckpt
from bloomstream_models.onnx_export import export_onnx, golden_inputs, run_export
from bloomstream_models.vit import DinoVisionTransformer, ViTConfig, build_model, init_random_weights
from test_export import EXPORT_PY


def timm_names(state, swiglu=False):
    """DINOv2 keys as timm's vit_*_patch14_224.dinobloom stores them."""
    out = {}
    for k, v in state.items():
        if k == "mask_token":
            continue
        if swiglu:
            k = k.replace(".mlp.w12.", ".mlp.fc1.").replace(".mlp.w3.", ".mlp.fc2.")
        out[k] = v
    return out


def write_layouts(model, tmp_path, swiglu=False):
    state = model.state_dict()
    teacher = {f"backbone.{k}": v for k, v in state.items()}
    teacher["dino_head.mlp.0.weight"] = torch.zeros(4, 8)
    teacher["ibot_head.mlp.0.weight"] = torch.zeros(4, 8)
    paths = {
        ckpt.FORMAT_ZENODO: tmp_path / "DinoBloom-T.pth",
        ckpt.FORMAT_STATE_DICT: tmp_path / "pytorch_model_t.bin",
        ckpt.FORMAT_TIMM: tmp_path / "model.safetensors",
    }
    torch.save({"teacher": teacher}, paths[ckpt.FORMAT_ZENODO])
    torch.save(dict(state), paths[ckpt.FORMAT_STATE_DICT])
    ckpt.write_safetensors(paths[ckpt.FORMAT_TIMM], timm_names(state, swiglu), metadata={"format": "pt"})
    return paths


def test_safetensors_round_trip_and_header(tmp_path):
    tensors = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.ones(4, dtype=torch.float16),
               "c": torch.tensor([1.5, -2.0], dtype=torch.bfloat16)}
    path = tmp_path / "t.safetensors"
    ckpt.write_safetensors(path, tensors)
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    assert header["a"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert ckpt.is_safetensors(path)
    back = ckpt.read_safetensors(path)
    assert set(back) == set(tensors)
    for k in tensors:
        assert back[k].dtype == tensors[k].dtype and torch.equal(back[k], tensors[k])


def test_all_three_layouts_export_to_identical_onnx(tmp_path):
    model = build_model("vit_tiny")
    init_random_weights(model, 11)
    paths = write_layouts(model, tmp_path)
    x = golden_inputs(False)
    outputs = {}
    for fmt, path in paths.items():
        state = ckpt.read_checkpoint(path)
        assert state.format == fmt
        res = run_export(arch="vit_tiny", out=tmp_path / fmt / "m.onnx", checkpoint=path)
        (outputs[fmt],) = onnx_ref.run(onnx.load(str(res.onnx_path)), {"pixels": x})
    with torch.no_grad():
        want = model.eval()(x)
    ref = outputs[ckpt.FORMAT_ZENODO]
    assert (ref - want).abs().max() <= 1e-4
    for fmt, out in outputs.items():
        assert torch.equal(out, ref), fmt


def test_swiglu_timm_names_map_to_dinov2(tmp_path):
    cfg = ViTConfig(embed_dim=64, depth=2, num_heads=2, ffn="swiglu")
    model = DinoVisionTransformer(cfg)
    init_random_weights(model, 3, layerscale=1.0)
    paths = write_layouts(model, tmp_path, swiglu=True)
    x = golden_inputs(False)[:2]
    outs = []
    for fmt, path in paths.items():
        m = DinoVisionTransformer(cfg)
        ckpt.load_backbone_state_dict(m, ckpt.read_checkpoint(path))
        for k, v in model.state_dict().items():
            assert torch.equal(m.state_dict()[k], v), (fmt, k)
        out = tmp_path / f"{fmt}.onnx"
        export_onnx(m.eval(), out, uint8_input=False, external_data=False, embedding_dim=64)
        outs.append(onnx_ref.run(onnx.load(str(out)), {"pixels": x})[0])
    assert all(torch.equal(o, outs[0]) for o in outs)


def test_errors_name_the_format_and_the_keys(tmp_path):
    model = build_model("vit_tiny")
    init_random_weights(model, 1)
    state = timm_names(model.state_dict())
    state["head.weight"] = torch.zeros(5, 64)
    del state["norm.bias"]
    path = tmp_path / "model.safetensors"
    ckpt.write_safetensors(path, state)
    with pytest.raises(ckpt.CheckpointError) as e:
        ckpt.load_backbone_state_dict(build_model("vit_tiny"), ckpt.read_checkpoint(path))
    msg = str(e.value)
    assert "timm model.safetensors" in msg
    assert "missing keys (1): norm.bias" in msg
    assert "unexpected keys (1): head.weight" in msg
    # The CLI reports it with exit code 2, as for the other layouts.
    r = subprocess.run([sys.executable, str(EXPORT_PY), "--checkpoint", str(path), "--arch", "vit_tiny",
                        "--out", str(tmp_path / "x.onnx")], capture_output=True, text=True)
    assert r.returncode == 2 and "timm model.safetensors" in r.stderr

    bad = dict(model.state_dict())
    bad["pos_embed"] = torch.zeros(1, 1370, 64)
    torch.save(bad, tmp_path / "pytorch_model_t.bin")
    with pytest.raises(ckpt.CheckpointError) as e:
        ckpt.load_backbone_state_dict(build_model("vit_tiny"), ckpt.read_checkpoint(tmp_path / "pytorch_model_t.bin"))
    assert "Hugging Face pytorch_model_*.bin" in str(e.value) and "pos_embed" in str(e.value)
