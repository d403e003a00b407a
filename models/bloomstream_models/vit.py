"""DINOv2 Vision Transformer, written out by hand.

This is a dependency-free re-implementation of the parts of
``facebookresearch/dinov2``'s ``DinoVisionTransformer`` that DinoBloom uses at
inference time. Parameter names match the upstream module tree exactly, so a
DinoBloom backbone ``state_dict`` loads with ``strict=True``:

    cls_token                      [1, 1, D]
    pos_embed                      [1, 257, D]   (16x16 patches + CLS at 224x224)
    mask_token                     [1, D]        (iBOT masking; unused at inference)
    patch_embed.proj.{weight,bias} Conv2d(3, D, kernel=stride=14)
    blocks.{i}.norm1.{weight,bias}
    blocks.{i}.attn.qkv.{weight,bias}
    blocks.{i}.attn.proj.{weight,bias}
    blocks.{i}.ls1.gamma
    blocks.{i}.norm2.{weight,bias}
    blocks.{i}.mlp.fc1.* / fc2.*   (GELU MLP, S/B/L)
    blocks.{i}.mlp.w12.* / w3.*    (fused SwiGLU, G)
    blocks.{i}.ls2.gamma
    norm.{weight,bias}

Deliberate differences from upstream, all inference-neutral:
  * the input size is fixed at 224x224, so there is no position-embedding
    interpolation (upstream's bicubic resize would put a Resize op into the
    ONNX graph); a different input size is rejected;
  * attention is written as explicit matmul + softmax rather than
    ``scaled_dot_product_attention``/xFormers, so it exports to plain ONNX
    opset-17 ops that every ONNX Runtime execution provider supports;
  * no drop-path, dropout, masking, register tokens or block chunking.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn

IMAGE_SIZE = 224
PATCH_SIZE = 14
NUM_PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2  # 256
NUM_TOKENS = NUM_PATCHES + 1  # + CLS = 257
LAYER_NORM_EPS = 1e-6

# ImageNet statistics used by DinoBloom's preprocessing (RGB order).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ViTConfig:
    embed_dim: int
    depth: int
    num_heads: int
    mlp_ratio: float = 4.0
    ffn: str = "mlp"  # "mlp" (GELU) or "swiglu" (SwiGLUFFNFused, ViT-g)

    def to_dict(self) -> Dict[str, object]:
        return asdict(self)


# Architectures known to the toolchain. vit_tiny exists only for test fixtures.
ARCHS: Dict[str, ViTConfig] = {
    "vit_tiny": ViTConfig(embed_dim=64, depth=2, num_heads=2),
    "vit_s14": ViTConfig(embed_dim=384, depth=12, num_heads=6),
    "vit_b14": ViTConfig(embed_dim=768, depth=12, num_heads=12),
    "vit_l14": ViTConfig(embed_dim=1024, depth=24, num_heads=16),
    "vit_g14": ViTConfig(embed_dim=1536, depth=40, num_heads=24, ffn="swiglu"),
}


def swiglu_hidden_features(dim: int, mlp_ratio: float) -> int:
    """Hidden width of dinov2's SwiGLUFFNFused: 2/3 of mlp_ratio*D, rounded up to a multiple of 8.

    For ViT-g (D=1536, ratio 4): int(6144 * 2 / 3) = 4096.
    """
    hidden = int(dim * mlp_ratio)
    return (int(hidden * 2 / 3) + 7) // 8 * 8


class PatchEmbed(nn.Module):
    """[B, 3, 224, 224] -> [B, 256, D] with a stride-14 convolution."""

    def __init__(self, dim: int, device=None):
        super().__init__()
        self.dim = dim
        self.proj = nn.Conv2d(3, dim, kernel_size=PATCH_SIZE, stride=PATCH_SIZE, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)  # [B, D, 16, 16]
        # = x.flatten(2), with constant non-batch dims (see Attention.forward).
        return x.reshape(x.shape[0], self.dim, NUM_PATCHES).transpose(1, 2)  # [B, 256, D], row-major patches


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int, device=None):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"embed dim {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True, device=device)
        self.proj = nn.Linear(dim, dim, bias=True, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Reshape targets: the batch is read from x.shape (traced, so it stays dynamic
        # and keeps the name "batch"), everything else is a constant. With token and
        # channel counts read from x.shape (as upstream does), or with a -1 batch, the
        # exporter's shape inference loses track and declares the ONNX output
        # [batch, ?] instead of [batch, D].
        b, n, c = x.shape[0], NUM_TOKENS, self.num_heads * self.head_dim
        # qkv's output features are laid out [3, heads, head_dim], as upstream.
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]  # each [B, heads, N, head_dim]
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)  # [B, heads, N, N]
        out = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)


class Mlp(nn.Module):
    """Linear - GELU (exact, erf) - Linear."""

    def __init__(self, dim: int, hidden: int, device=None):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden, bias=True, device=device)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim, bias=True, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class SwiGLUFFNFused(nn.Module):
    """dinov2's fused SwiGLU FFN: w12 yields both gate and value halves."""

    def __init__(self, dim: int, mlp_ratio: float, device=None):
        super().__init__()
        hidden = swiglu_hidden_features(dim, mlp_ratio)
        self.w12 = nn.Linear(dim, 2 * hidden, bias=True, device=device)
        self.w3 = nn.Linear(hidden, dim, bias=True, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(x1) * x2)


class LayerScale(nn.Module):
    def __init__(self, dim: int, init_value: float, device=None):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), float(init_value), device=device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class Block(nn.Module):
    """Pre-norm transformer block with LayerScale on both residual branches."""

    def __init__(self, cfg: ViTConfig, layerscale_init: float, device=None):
        super().__init__()
        dim = cfg.embed_dim
        self.norm1 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS, device=device)
        self.attn = Attention(dim, cfg.num_heads, device=device)
        self.ls1 = LayerScale(dim, layerscale_init, device=device)
        self.norm2 = nn.LayerNorm(dim, eps=LAYER_NORM_EPS, device=device)
        if cfg.ffn == "mlp":
            self.mlp = Mlp(dim, int(dim * cfg.mlp_ratio), device=device)
        elif cfg.ffn == "swiglu":
            self.mlp = SwiGLUFFNFused(dim, cfg.mlp_ratio, device=device)
        else:
            raise ValueError(f"unknown ffn type {cfg.ffn!r}")
        self.ls2 = LayerScale(dim, layerscale_init, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class DinoVisionTransformer(nn.Module):
    """DINOv2 ViT at a fixed 224x224 input; forward returns the normalised CLS token [B, D]."""

    def __init__(self, cfg: ViTConfig, layerscale_init: float = 1e-5, device=None):
        super().__init__()
        self.cfg = cfg
        dim = cfg.embed_dim
        self.embed_dim = dim
        self.patch_embed = PatchEmbed(dim, device=device)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim, device=device))
        self.pos_embed = nn.Parameter(torch.zeros(1, NUM_TOKENS, dim, device=device))
        self.mask_token = nn.Parameter(torch.zeros(1, dim, device=device))
        self.blocks = nn.ModuleList(Block(cfg, layerscale_init, device=device) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPS, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Shapes are static while tracing for export; checking them there only adds TracerWarnings.
        if not torch.jit.is_tracing() and tuple(x.shape[-2:]) != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"expected input [B, 3, {IMAGE_SIZE}, {IMAGE_SIZE}], got {list(x.shape)}")
        x = self.patch_embed(x)
        # Constant non-batch dims here too (upstream: expand(B, -1, -1)).
        cls = self.cls_token.expand(x.shape[0], 1, self.embed_dim)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)[:, 0]


class Uint8Normalize(nn.Module):
    """Wraps an embedder so the graph takes raw uint8 RGB and normalises in-graph.

    Computes ((x / 255) - mean) / std in float32, exactly the steps of the
    Python/Java preprocessing, so the result matches host-side normalisation to
    float rounding. Shipping uint8 cuts the host-to-device copy by 4x.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        # Non-persistent: constants of the graph, not part of any checkpoint.
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).reshape(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(torch.float32) / 255.0
        return self.model((x - self.mean) / self.std)


def normalize_uint8(x: torch.Tensor) -> torch.Tensor:
    """Host-side reference of the preprocessing that Uint8Normalize bakes into the graph."""
    mean = torch.tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).reshape(1, 3, 1, 1)
    return (x.to(torch.float32) / 255.0 - mean) / std


def build_model(arch: str, layerscale_init: float = 1e-5, device: Optional[torch.device] = None) -> DinoVisionTransformer:
    """Builds an architecture by name. Pass device="meta" to build without allocating weights."""
    try:
        cfg = ARCHS[arch]
    except KeyError:
        raise ValueError(f"unknown arch {arch!r}; known: {', '.join(ARCHS)}") from None
    return DinoVisionTransformer(cfg, layerscale_init=layerscale_init, device=device)


def init_random_weights(model: DinoVisionTransformer, seed: int, std: float = 0.02, layerscale: float = 0.5) -> None:
    """Deterministic random initialisation for fixtures.

    torch.manual_seed(seed), then parameters are filled in registration order
    (named_parameters()) so the draw sequence is fixed:
      * LayerNorm weight = 1, bias = 0;
      * LayerScale gamma = ``layerscale`` (upstream uses 1e-5, which would make
        the blocks nearly invisible in a randomly initialised fixture);
      * mask_token = 0 (unused at inference);
      * everything else (cls_token, pos_embed, conv/linear weights *and*
        biases) ~ trunc_normal(0, std) truncated at +-2 std. Biases are random
        rather than zero so that every exported initializer affects the output.
    """
    torch.manual_seed(seed)
    norm_params = set()
    for module_name, module in model.named_modules():
        if isinstance(module, nn.LayerNorm):
            norm_params.add(f"{module_name}.weight")
            norm_params.add(f"{module_name}.bias")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in norm_params:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith(".gamma"):
                p.fill_(layerscale)
            elif name == "mask_token":
                p.zero_()
            else:
                nn.init.trunc_normal_(p, mean=0.0, std=std, a=-2 * std, b=2 * std)


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def param_bytes(model: nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())
