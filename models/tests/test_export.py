"""ONNX export, manifest and golden-file tests."""

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
import torch
from onnx import numpy_helper

import onnx_ref
from bloomstream_models.onnx_export import GOLDEN_FORMULA_FLOAT32, export_onnx, golden_inputs, run_export
from bloomstream_models.vit import DinoVisionTransformer, ViTConfig, build_model, init_random_weights, normalize_uint8

MODELS_DIR = Path(__file__).resolve().parents[1]
EXPORT_PY = MODELS_DIR / "export.py"
FIXTURE = MODELS_DIR / "fixtures" / "vit-tiny.onnx"
# Exactly the command documented in README.md that produced the committed fixture.
FIXTURE_ARGS = ["--random-weights", "--arch", "vit_tiny", "--seed", "0"]


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def export_cli(out, *extra):
    subprocess.run([sys.executable, str(EXPORT_PY), *FIXTURE_ARGS, *extra, "--out", str(out)], check=True,
                   capture_output=True, text=True)
    return out


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The fixture command run now, through the CLI, into a temporary folder."""
    return export_cli(tmp_path_factory.mktemp("fresh") / "vit-tiny.onnx")


@pytest.fixture(scope="module")
def fresh_uint8(tmp_path_factory):
    return export_cli(tmp_path_factory.mktemp("u8") / "vit-tiny-u8.onnx", "--uint8-input")


# --- (c) ONNX contract ----------------------------------------------------------------------

@pytest.mark.parametrize("which", ["fresh", "committed"])
def test_onnx_contract(which, fresh):
    path = fresh if which == "fresh" else FIXTURE
    # Not check_model(path, full_check=True): onnx 1.12 would rewrite the file with inferred shapes.
    onnx.checker.check_model(str(path))
    m = onnx.load(str(path))
    onnx.checker.check_model(m, full_check=True)
    assert [(o.domain, o.version) for o in m.opset_import] == [("", 17)]
    assert [i.name for i in m.graph.input] == ["pixels"]
    assert m.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert dims(m.graph.input[0]) == ["batch", 3, 224, 224]
    assert [o.name for o in m.graph.output] == ["embedding"]
    assert dims(m.graph.output[0]) == ["batch", 64]
    # Strict shape inference agrees with the declared shapes.
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    assert {p.key: p.value for p in m.metadata_props}["bloomstream.modelId"] == "vit_tiny-random-seed0"
    assert path.stat().st_size < 2 * 1024 * 1024


def test_no_interpolation_or_attention_kernels_in_graph():
    ops = {n.op_type for n in onnx.load(str(FIXTURE)).graph.node}
    assert not ops & {"Resize", "Upsample", "Attention", "MultiHeadAttention"}
    assert {"LayerNormalization", "Softmax", "MatMul", "Conv", "Erf"} <= ops


def test_uint8_onnx_contract(fresh_uint8):
    m = onnx.load(str(fresh_uint8))
    onnx.checker.check_model(m, full_check=True)
    assert m.graph.input[0].name == "pixels"
    assert m.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.UINT8
    assert dims(m.graph.input[0]) == ["batch", 3, 224, 224]
    assert dims(m.graph.output[0]) == ["batch", 64]


# --- (d) the committed fixture is what the exporter produces now --------------------------

def initializers(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}


def test_committed_fixture_matches_exporter(fresh):
    committed, now = initializers(FIXTURE), initializers(fresh)
    assert committed.keys() == now.keys()
    for name in committed:
        assert (committed[name] == now[name]).all(), name
    assert json.loads(FIXTURE.with_suffix(".golden.json").read_text()) == \
        json.loads(fresh.with_suffix(".golden.json").read_text())
    # Byte identity holds for one torch/onnx version (the exporter is deterministic);
    # a different torch writes a different producer_version and possibly node names.
    if onnx.load(str(FIXTURE)).producer_version == onnx.load(str(fresh)).producer_version:
        assert sha256(FIXTURE) == sha256(fresh), "re-run models/export.py to refresh the fixture"
        assert FIXTURE.with_suffix(".json").read_text() == fresh.with_suffix(".json").read_text()


def test_export_is_byte_deterministic(fresh, tmp_path):
    again = export_cli(tmp_path / "vit-tiny.onnx")
    for suffix in (".onnx", ".json", ".golden.json"):
        assert sha256(again.with_suffix(suffix)) == sha256(fresh.with_suffix(suffix)), suffix


# --- golden file and ONNX-graph parity ----------------------------------------------------

def test_golden_inputs_follow_the_formula():
    x = golden_inputs(False)
    assert x.dtype == torch.float32 and x.shape == (4, 3, 224, 224)
    for k, c, h, w in [(0, 0, 0, 0), (1, 2, 17, 200), (3, 1, 223, 223), (2, 0, 100, 5)]:
        want = torch.tensor(math.sin(0.01 * (h * 224 + w) + 0.7 * c + 1.3 * k) * 2.0, dtype=torch.float32)
        assert x[k, c, h, w] == want
    u = golden_inputs(True)
    assert u.dtype == torch.uint8
    for k, c, h, w in [(0, 0, 0, 0), (1, 2, 17, 200), (3, 1, 223, 223)]:
        assert u[k, c, h, w] == (h * 7 + w * 3 + c * 50 + k * 31) % 256


def test_golden_file_matches_torch():
    golden = json.loads(FIXTURE.with_suffix(".golden.json").read_text())
    assert set(golden) == {"modelId", "inputFormula", "embeddings"}
    assert golden["modelId"] == "vit_tiny-random-seed0"
    assert golden["inputFormula"] == GOLDEN_FORMULA_FLOAT32
    model = build_model("vit_tiny")
    init_random_weights(model, 0, layerscale=1.0)
    with torch.no_grad():
        want = model.eval()(golden_inputs(False))
    got = torch.tensor(golden["embeddings"])
    assert got.shape == (4, 64)
    assert torch.equal(got, want)  # bit-exact: float32 -> JSON -> float32 round trip
    # The four samples must differ far more than the Java parity tolerance (1e-4).
    assert (got[0] - got[1]).abs().max() > 1e-2


@pytest.mark.parametrize("batch", [1, 4])
def test_onnx_graph_reproduces_golden(batch):
    """Executes the exported graph (not the torch module) with the reference runner."""
    golden = torch.tensor(json.loads(FIXTURE.with_suffix(".golden.json").read_text())["embeddings"])
    (out,) = onnx_ref.run(onnx.load(str(FIXTURE)), {"pixels": golden_inputs(False)[:batch]})
    assert out.shape == (batch, 64)
    assert (out - golden[:batch]).abs().max() <= 1e-4


def test_uint8_onnx_graph_matches_float_model(fresh_uint8):
    golden = json.loads(fresh_uint8.with_suffix(".golden.json").read_text())
    assert golden["inputFormula"].startswith("uint8")
    x = golden_inputs(True)
    (out,) = onnx_ref.run(onnx.load(str(fresh_uint8)), {"pixels": x})
    model = build_model("vit_tiny")
    init_random_weights(model, 0, layerscale=1.0)
    with torch.no_grad():
        want = model.eval()(normalize_uint8(x))
    assert (out - want).abs().max() <= 1e-4
    assert (torch.tensor(golden["embeddings"]) - want).abs().max() <= 1e-5


def test_swiglu_vit_exports_and_runs(tmp_path):
    """ViT-g's fused SwiGLU FFN at fixture size (a real vit_g14 export takes ~30 min here)."""
    model = DinoVisionTransformer(ViTConfig(embed_dim=64, depth=2, num_heads=2, ffn="swiglu"))
    init_random_weights(model, 0, layerscale=1.0)
    model.eval()
    # hidden = int(4 * 64 * 2 / 3) = 170, rounded up to a multiple of 8 = 176
    assert model.state_dict()["blocks.0.mlp.w12.weight"].shape == (2 * 176, 64)
    out = tmp_path / "swiglu.onnx"
    export_onnx(model, out, uint8_input=False, external_data=False, embedding_dim=64)
    x = golden_inputs(False)[:2]
    (got,) = onnx_ref.run(onnx.load(str(out)), {"pixels": x})
    with torch.no_grad():
        want = model(x)
        # The FFN itself, spelled out: w3(silu(first half of w12 x) * second half).
        mlp, h = model.blocks[0].mlp, torch.randn(3, 64)
        a, b = (h @ mlp.w12.weight.T + mlp.w12.bias).split(176, dim=-1)
        ffn = (a * torch.sigmoid(a) * b) @ mlp.w3.weight.T + mlp.w3.bias
        assert (mlp(h) - ffn).abs().max() <= 1e-6
    assert (got - want).abs().max() <= 1e-4


# --- (f) manifest -------------------------------------------------------------------------

MANIFEST_KEYS = ["format", "modelId", "arch", "embeddingDim", "depth", "heads", "patchSize", "imageSize", "input",
                 "output", "preprocessing", "source", "onnx", "exporter"]


def test_manifest_shape_float():
    m = json.loads(FIXTURE.with_suffix(".json").read_text())
    assert list(m) == MANIFEST_KEYS
    assert m["format"] == "bloomstream-embedder/1"
    assert m["modelId"] == "vit_tiny-random-seed0"
    assert (m["arch"], m["embeddingDim"], m["depth"], m["heads"], m["patchSize"], m["imageSize"]) == \
        ("vit_tiny", 64, 2, 2, 14, 224)
    assert m["input"] == {"name": "pixels", "dtype": "float32", "layout": "NCHW", "normalizationInGraph": False}
    assert m["output"] == {"name": "embedding"}
    assert m["preprocessing"] == {"colorSpace": "RGB", "resize": "bilinear-antialias", "scale": 255.0,
                                  "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    assert m["source"] == {"kind": "random", "seed": 0, "path": None, "sha256": None}
    assert m["onnx"] == {"opset": 17, "sha256": sha256(FIXTURE), "externalData": False,
                         "bytes": FIXTURE.stat().st_size}
    assert m["exporter"] == "bloomstream models/export.py"


def test_manifest_uint8(fresh_uint8):
    m = json.loads(fresh_uint8.with_suffix(".json").read_text())
    assert list(m) == MANIFEST_KEYS
    assert m["input"] == {"name": "pixels", "dtype": "uint8", "layout": "NCHW", "normalizationInGraph": True}


def test_checkpoint_export_via_cli(tmp_path):
    model = build_model("vit_tiny")
    init_random_weights(model, 5)
    teacher = {f"backbone.{k}": v for k, v in model.state_dict().items()}
    teacher["dino_head.last_layer.weight"] = torch.zeros(2, 64)
    ckpt = tmp_path / "DinoBloom-T.pth"
    torch.save({"teacher": teacher}, ckpt)
    out = tmp_path / "out" / "dinobloom-t.onnx"
    subprocess.run([sys.executable, str(EXPORT_PY), "--checkpoint", str(ckpt), "--arch", "vit_tiny",
                    "--out", str(out)], check=True, capture_output=True)
    m = json.loads(out.with_suffix(".json").read_text())
    digest = sha256(ckpt)
    assert m["modelId"] == f"vit_tiny-{digest[:12]}"
    assert m["source"] == {"kind": "checkpoint", "seed": None, "path": "DinoBloom-T.pth", "sha256": digest}
    with torch.no_grad():
        want = model.eval()(golden_inputs(False))
    assert torch.equal(torch.tensor(json.loads(out.with_suffix(".golden.json").read_text())["embeddings"]), want)


def test_bad_checkpoint_fails_with_key_list(tmp_path):
    model = build_model("vit_tiny")
    state = dict(model.state_dict())
    del state["norm.bias"]
    ckpt = tmp_path / "broken.bin"
    torch.save(state, ckpt)
    r = subprocess.run([sys.executable, str(EXPORT_PY), "--checkpoint", str(ckpt), "--arch", "vit_tiny",
                        "--out", str(tmp_path / "x.onnx")], capture_output=True, text=True)
    assert r.returncode == 2
    assert "missing keys (1): norm.bias" in r.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_external_data_layout(tmp_path):
    out = tmp_path / "vit-tiny-ext.onnx"
    stale = tmp_path / "vit-tiny-ext.onnx.data"
    stale.write_bytes(b"stale" * 1000)  # must be replaced, not appended to
    result = run_export(arch="vit_tiny", out=out, random_weights=True, seed=0, external_data="always")
    assert result.manifest["onnx"]["externalData"] is True
    data = out.parent / (out.name + ".data")
    assert data.exists() and not data.read_bytes().startswith(b"stale")
    assert out.stat().st_size < 100_000 < data.stat().st_size
    onnx.checker.check_model(str(out))
    (emb,) = onnx_ref.run(onnx.load(str(out)), {"pixels": golden_inputs(False)})
    golden = torch.tensor(json.loads(FIXTURE.with_suffix(".golden.json").read_text())["embeddings"])
    assert (emb - golden).abs().max() <= 1e-4


def test_external_data_auto_threshold(tmp_path):
    big = run_export(arch="vit_tiny", out=tmp_path / "a.onnx", random_weights=True, external_data_threshold=1000)
    assert big.manifest["onnx"]["externalData"] is True
    small = run_export(arch="vit_tiny", out=tmp_path / "b.onnx", random_weights=True)
    assert small.manifest["onnx"]["externalData"] is False
    assert not (tmp_path / "b.onnx.data").exists()


def test_help_documents_every_option():
    r = subprocess.run([sys.executable, str(EXPORT_PY), "--help"], check=True, capture_output=True, text=True)
    for opt in ["--arch", "--random-weights", "--checkpoint", "--seed", "--init-std", "--layerscale",
                "--trust-checkpoint", "--uint8-input", "--external-data", "--out"]:
        assert opt in r.stdout
    for arch in ["vit_tiny", "vit_s14", "vit_b14", "vit_l14", "vit_g14"]:
        assert arch in r.stdout


# --- reference crops for the Java golden-parity test ----------------------------------------

def test_reference_crops_match_committed(fresh):
    """The committed crops and their embeddings are what the exporter writes now."""
    committed = json.loads(FIXTURE.with_suffix(".crops.json").read_text())
    now = json.loads(fresh.with_suffix(".crops.json").read_text())
    assert [c["file"] for c in now["crops"]] == [c["file"] for c in committed["crops"]]
    for a, b in zip(committed["crops"], now["crops"]):
        assert a["resizedSha256"] == b["resizedSha256"], a["file"]
        assert sha256(FIXTURE.with_suffix(".crops") / a["file"]) == sha256(fresh.with_suffix(".crops") / a["file"])
        assert max(abs(x - y) for x, y in zip(a["embedding"], b["embedding"])) < 1e-6


def test_reference_crops_cover_png_and_jpeg_up_and_down_scaling():
    committed = json.loads(FIXTURE.with_suffix(".crops.json").read_text())
    files = [c["file"] for c in committed["crops"]]
    assert any(f.endswith(".png") for f in files) and any(f.endswith(".jpg") for f in files)
    from PIL import Image
    sizes = [Image.open(FIXTURE.with_suffix(".crops") / f).size for f in files]
    assert any(w < 224 for w, _ in sizes) and any(w > 224 for w, _ in sizes)
    # The reference preprocessing reproduces the committed resize on every file.
    from bloomstream_models.reference import reference_preprocess
    import hashlib
    for c in committed["crops"]:
        _, raw = reference_preprocess(FIXTURE.with_suffix(".crops") / c["file"])
        assert hashlib.sha256(raw).hexdigest() == c["resizedSha256"]
