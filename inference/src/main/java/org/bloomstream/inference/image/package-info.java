/**
 * Turning an encoded crop into the model's input: safe decoding with header-first limits, to the
 * pixels that the reference's Pillow {@code convert("RGB")} gives ({@link
 * org.bloomstream.inference.image.CropImageDecoder}, with the colour rules in {@code PillowRgb} and
 * the {@link org.bloomstream.inference.image.AlphaPolicy}), and the Pillow-exact antialiased
 * bilinear resize that DinoBloom's reference preprocessing uses. docs/image-formats.md lists the
 * formats and variants that are checked against Pillow.
 */
package org.bloomstream.inference.image;
