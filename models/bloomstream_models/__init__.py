"""bloomstream offline model toolchain: DINOv2/DinoBloom ViT, checkpoint loading, ONNX export."""

from .vit import ARCHS, DinoVisionTransformer, Uint8Normalize, ViTConfig, build_model, init_random_weights  # noqa: F401
