/**
 * Turning an encoded crop into the model's input: safe decoding with header-first limits, and the
 * Pillow-exact antialiased bilinear resize that DinoBloom's reference preprocessing uses.
 */
package org.bloomstream.inference.image;
