#!/usr/bin/python3
"""Writes Pillow's bilinear resize of formula-generated RGB images as a golden file for the Java
resize (inference/src/test/resources/pillow-resize-golden.json).

The Java side (AntialiasedResize) claims to be bit-exact with Pillow's Image.resize(BILINEAR):
the golden holds the sha256 of Pillow's output for several up- and down-scaling cases, plus the
first row, so a mismatch can be located. Inputs: pixel(x, y, c) = (7x + 13y + 50c + (x*y) % 17) % 256.

Usage: /usr/bin/python3 models/resize_golden.py > inference/src/test/resources/pillow-resize-golden.json
"""
import hashlib
import json
import sys

import PIL
from PIL import Image

CASES = [(120, 120, 224, 224), (360, 300, 224, 224), (97, 131, 224, 224), (224, 224, 224, 224),
         (575, 575, 224, 224), (64, 48, 224, 224), (300, 200, 100, 150)]


def make(w, h):
    data = bytearray(w * h * 3)
    for y in range(h):
        for x in range(w):
            for c in range(3):
                data[(y * w + x) * 3 + c] = (7 * x + 13 * y + 50 * c + (x * y) % 17) % 256
    return Image.frombytes("RGB", (w, h), bytes(data))


def main():
    out = {"pillow": PIL.__version__, "formula": "(7x + 13y + 50c + (x*y) % 17) % 256", "cases": []}
    for w, h, ow, oh in CASES:
        r = make(w, h).resize((ow, oh), Image.BILINEAR).tobytes()
        out["cases"].append({"in": [w, h], "out": [ow, oh], "sha256": hashlib.sha256(r).hexdigest(),
                             "firstRow": list(r[: ow * 3])})
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
