"""Architecture and checkpoint-loading tests (no ONNX involved)."""

import re

import pytest
import torch

from bloomstream_models.checkpoint import (CheckpointError, extract_backbone_state_dict, load_backbone_state_dict,
                                           read_checkpoint)
from bloomstream_models.vit import (ARCHS, NUM_TOKENS, Uint8Normalize, build_model, init_random_weights,
                                    normalize_uint8, param_count, swiglu_hidden_features)

# Parameter names of facebookresearch/dinov2's DinoVisionTransformer (block_chunks=0,
# no register tokens), which DinoBloom checkpoints use after stripping "backbone.".
UPSTREAM_TOP_LEVEL = {"cls_token", "pos_embed", "mask_token", "patch_embed.proj.weight", "patch_embed.proj.bias",
                      "norm.weight", "norm.bias"}
UPSTREAM_BLOCK_MLP = {"norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
                      "attn.proj.bias", "ls1.gamma", "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias",
                      "mlp.fc2.weight", "mlp.fc2.bias", "ls2.gamma"}
UPSTREAM_BLOCK_SWIGLU = (UPSTREAM_BLOCK_MLP - {"mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"}
                         ) | {"mlp.w12.weight", "mlp.w12.bias", "mlp.w3.weight", "mlp.w3.bias"}


def upstream_keys(arch):
    cfg = ARCHS[arch]
    block = UPSTREAM_BLOCK_SWIGLU if cfg.ffn == "swiglu" else UPSTREAM_BLOCK_MLP
    return UPSTREAM_TOP_LEVEL | {f"blocks.{i}.{k}" for i in range(cfg.depth) for k in block}


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_state_dict_keys_match_dinov2(arch):
    model = build_model(arch, device="meta")
    assert set(model.state_dict()) == upstream_keys(arch)


def test_dinov2_shapes_tiny_and_giant():
    sd = build_model("vit_tiny", device="meta").state_dict()
    assert sd["cls_token"].shape == (1, 1, 64)
    assert sd["pos_embed"].shape == (1, NUM_TOKENS, 64) == (1, 257, 64)
    assert sd["mask_token"].shape == (1, 64)
    assert sd["patch_embed.proj.weight"].shape == (64, 3, 14, 14)
    assert sd["blocks.0.attn.qkv.weight"].shape == (192, 64)
    assert sd["blocks.0.mlp.fc1.weight"].shape == (256, 64)
    assert sd["blocks.1.ls2.gamma"].shape == (64,)
    g = build_model("vit_g14", device="meta").state_dict()
    assert swiglu_hidden_features(1536, 4.0) == 4096
    assert g["blocks.39.mlp.w12.weight"].shape == (8192, 1536)
    assert g["blocks.39.mlp.w3.weight"].shape == (1536, 4096)


@pytest.mark.parametrize("arch,paper_millions", [("vit_s14", 22), ("vit_b14", 86), ("vit_l14", 304),
                                                 ("vit_g14", 1136)])
def test_param_counts_match_paper(arch, paper_millions):
    n = param_count(build_model(arch, device="meta"))
    assert abs(n / 1e6 - paper_millions) / paper_millions < 0.03, n


def test_layer_norm_eps_and_layerscale_default():
    model = build_model("vit_tiny")
    assert all(m.eps == 1e-6 for m in model.modules() if isinstance(m, torch.nn.LayerNorm))
    assert torch.all(model.blocks[0].ls1.gamma == 1e-5)


def test_random_init_is_deterministic_and_seed_dependent():
    a, b, c = build_model("vit_tiny"), build_model("vit_tiny"), build_model("vit_tiny")
    init_random_weights(a, 0)
    init_random_weights(b, 0)
    init_random_weights(c, 1)
    for (name, pa), pb, pc in zip(a.state_dict().items(), b.state_dict().values(), c.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert not torch.equal(a.pos_embed, c.pos_embed)


def test_forward_shape_and_rejects_other_sizes():
    model = build_model("vit_tiny")
    init_random_weights(model, 0)
    with torch.no_grad():
        assert model(torch.zeros(3, 3, 224, 224)).shape == (3, 64)
        with pytest.raises(ValueError, match="224"):
            model(torch.zeros(1, 3, 112, 112))


# --- checkpoint loading -------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_state():
    model = build_model("vit_tiny")
    init_random_weights(model, 7)
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_loaded(model, state):
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_load_dinobloom_pth(tmp_path, tiny_state):
    teacher = {f"backbone.{k}": v for k, v in tiny_state.items()}
    teacher["dino_head.mlp.0.weight"] = torch.zeros(4, 64)
    teacher["ibot_head.last_layer.weight_g"] = torch.zeros(1, 4)
    path = tmp_path / "DinoBloom-T.pth"
    torch.save({"teacher": teacher}, path)

    model = build_model("vit_tiny")
    load_backbone_state_dict(model, read_checkpoint(path))
    assert_loaded(model, tiny_state)


def test_load_backbone_only_bin(tmp_path, tiny_state):
    path = tmp_path / "pytorch_model_t.bin"
    torch.save(dict(tiny_state), path)
    model = build_model("vit_tiny")
    load_backbone_state_dict(model, read_checkpoint(path))
    assert_loaded(model, tiny_state)


def test_chunked_block_keys_are_flattened(tiny_state):
    # dinov2 training with block_chunks=2 stores blocks.<chunk>.<global index>.*
    chunked = {re.sub(r"^blocks\.(\d+)\.", lambda m: f"blocks.{int(m.group(1))}.{m.group(1)}.", k): v
               for k, v in tiny_state.items()}
    assert "blocks.1.1.norm1.weight" in chunked
    assert set(extract_backbone_state_dict({"teacher": chunked})) == set(tiny_state)


def test_missing_key_is_named(tiny_state):
    state = dict(tiny_state)
    del state["blocks.1.attn.qkv.bias"]
    with pytest.raises(CheckpointError, match=r"missing keys \(1\): blocks\.1\.attn\.qkv\.bias"):
        load_backbone_state_dict(build_model("vit_tiny"), state)


def test_unexpected_key_is_named(tiny_state):
    state = dict(tiny_state)
    state["register_tokens"] = torch.zeros(1, 4, 64)
    with pytest.raises(CheckpointError, match=r"unexpected keys \(1\): register_tokens"):
        load_backbone_state_dict(build_model("vit_tiny"), state)


def test_missing_and_unexpected_are_reported_together(tiny_state):
    state = dict(tiny_state)
    state["blocks.0.mlp.w12.weight"] = state.pop("blocks.0.mlp.fc1.weight")
    with pytest.raises(CheckpointError) as e:
        load_backbone_state_dict(build_model("vit_tiny"), state)
    assert "missing keys (1): blocks.0.mlp.fc1.weight" in str(e.value)
    assert "unexpected keys (1): blocks.0.mlp.w12.weight" in str(e.value)


def test_wrong_pos_embed_shape_is_explained(tiny_state):
    state = dict(tiny_state)
    state["pos_embed"] = torch.zeros(1, 1370, 64)  # DINOv2's 518x518 release
    with pytest.raises(CheckpointError, match=r"pos_embed: checkpoint \[1, 1370, 64\] vs model \[1, 257, 64\]"):
        load_backbone_state_dict(build_model("vit_tiny"), state)


def test_checkpoint_for_wrong_arch_fails(tmp_path, tiny_state):
    path = tmp_path / "tiny.bin"
    torch.save(dict(tiny_state), path)
    with pytest.raises(CheckpointError, match="shape mismatches"):
        load_backbone_state_dict(build_model("vit_s14"), read_checkpoint(path))


# --- uint8 wrapper ------------------------------------------------------------------------

def test_uint8_wrapper_matches_python_normalisation():
    model = build_model("vit_tiny")
    init_random_weights(model, 0)
    model.eval()
    gen = torch.Generator().manual_seed(3)
    x = torch.randint(0, 256, (2, 3, 224, 224), dtype=torch.uint8, generator=gen)
    with torch.no_grad():
        wrapped = Uint8Normalize(model)(x)
        reference = model(normalize_uint8(x))
        # Independent spelling of the DinoBloom preprocessing, in float64.
        mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64).view(1, 3, 1, 1)
        independent = model(((x.double() / 255.0 - mean) / std).float())
    assert (wrapped - reference).abs().max() <= 1e-5
    assert (wrapped - independent).abs().max() <= 1e-5
    assert Uint8Normalize(model).state_dict().keys() == {f"model.{k}" for k in model.state_dict()}
