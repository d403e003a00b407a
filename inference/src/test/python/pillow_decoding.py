#!/usr/bin/python3
"""Pillow as the decoding oracle for the Java differential test (PillowDifferentialTest).

DinoBloom's preprocessing reads a crop with ``Image.open(path).convert("RGB")`` and resizes it with
``Resize((224, 224))`` (PIL BILINEAR on a PIL image). Whatever Pillow reads must reach the model as
the same pixels, so this script is the reference the Java decoder is checked against.

Two commands:

``corpus OUT``
    Writes the crafted corpus of format variants into OUT (TIFF, JPEG, PNG, BMP, GIF, and truly
    damaged files). Pillow writes what it can; the variants Pillow cannot write (tiled, big-endian,
    16-bit RGB and short StripByteCounts TIFFs, interlaced and 16-bit PNGs, top-down and RLE8 BMPs)
    are written by the small writers below, byte by byte, from the TIFF 6.0, PNG and BMP specs. The
    Java test adds the few JPEG variants only the JDK's writer makes (restart markers, YCCK).
    Nothing binary is committed: the corpus is regenerated on every run, deterministically.

``reference LIST``
    For each path in the file LIST (one a line), in order, writes to stdout either
    ``OK\\n`` followed by the 224*224*3 RGB bytes of Pillow's decode + convert("RGB") + resize, or
    ``NO <reason>\\n`` when Pillow refuses the file. Streaming keeps hundreds of references out of
    memory and off the disk.

``verdicts LIST``
    The same without the pixels: one ``OK`` or ``NO <reason>`` line per file (the gate's test).

Run with Debian's /usr/bin/python3 and python3-pil (Pillow 9.4, the version DinoBloom's code runs
on in this project's CI).
"""

import io
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, TiffImagePlugin

SIZE = 224


# ----------------------------------------------------------------------------- content


def cell(width, height, seed, mode="RGB"):
    """A deterministic cell-like picture: pink background, a purple blob, a dark nucleus, noise
    and a few sharp edges (so chroma subsampling and resampling have something to work on)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = width * rng.uniform(0.4, 0.6), height * rng.uniform(0.4, 0.6)
    r = min(width, height) * 0.33
    d = np.hypot(x - cx, y - cy)
    img = np.empty((height, width, 3))
    img[:] = (236, 208, 205)
    img[d < r] = (200, 170, 215)
    img[d < r * 0.55] = (95, 50, 130)
    img += rng.normal(0, 8, size=img.shape)
    img[:, : max(1, width // 16)] = (20, 240, 60)  # a saturated green bar: chroma edges
    rgb = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    return rgb if mode == "RGB" else rgb.convert(mode)


def rgba_with_holes(width, height, seed):
    """RGBA whose alpha has fully transparent rows and a soft ramp: the colour under alpha 0 is
    not white, so dropping alpha and compositing on white give different pixels."""
    im = cell(width, height, seed).convert("RGBA")
    a = np.full((height, width), 255, np.uint8)
    a[: height // 6] = 0
    a[height // 2 :, : width // 3] = np.linspace(0, 255, width // 3, dtype=np.uint8)[None, :]
    im.putalpha(Image.fromarray(a, "L"))
    return im


def arr16(width, height, seed, bands):
    """16-bit samples that use the whole range (so the low byte matters, and some values are
    above 255 and some below: Pillow's 16-to-8-bit rules differ by mode)."""
    base = np.asarray(cell(width, height, seed)).astype(np.uint32)
    if bands == 1:
        base = base[..., :1]
    low = np.random.default_rng(seed + 1).integers(0, 256, size=base.shape)
    v = (base * 257 + low - 128).clip(0, 65535).astype(np.uint16)
    v[: height // 8] = np.random.default_rng(seed + 2).integers(0, 300, size=v[: height // 8].shape)
    return v if bands > 1 else v[..., 0]


def save(im, path, fmt, **opts):
    buf = io.BytesIO()
    im.save(buf, fmt, **opts)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


# ----------------------------------------------------------------------------- TIFF writer


def tiff(pages, big_endian=False):
    """A baseline TIFF. Each page: dict(data=uint8/uint16 array HxW or HxWxS, compression=1|8|32773,
    tile=None|(tw, th), rows_per_strip=int, extra=ExtraSamples value or None,
    short_counts=fraction to declare of each strip's real byte count, or None)."""
    bo = ">" if big_endian else "<"
    out = bytearray(b"MM\x00\x2a" if big_endian else b"II\x2a\x00")
    out += struct.pack(bo + "I", 0)  # first IFD offset, patched below
    ifd_pointer = 4
    for page in pages:
        data = page["data"]
        if data.ndim == 2:
            data = data[..., None]
        h, w, s = data.shape
        bits = data.dtype.itemsize * 8
        samples = data.astype(data.dtype.newbyteorder(bo))
        comp = page.get("compression", 1)
        tile = page.get("tile")
        chunks = []
        if tile:
            tw, th = tile
            for ty in range(0, h, th):
                for tx in range(0, w, tw):
                    block = np.zeros((th, tw, s), samples.dtype)
                    part = samples[ty : ty + th, tx : tx + tw]
                    block[: part.shape[0], : part.shape[1]] = part
                    chunks.append(block.tobytes())
        else:
            rps = page.get("rows_per_strip", h)
            for y0 in range(0, h, rps):
                chunks.append(samples[y0 : y0 + rps].tobytes())
        if comp == 8:
            chunks = [zlib.compress(c) for c in chunks]
        elif comp == 32773:
            chunks = [packbits(c) for c in chunks]
        offsets = []
        for c in chunks:
            if len(out) % 2:
                out += b"\x00"
            offsets.append(len(out))
            out += c
        counts = [len(c) for c in chunks]
        if page.get("short_counts"):
            counts = [max(1, int(n * page["short_counts"])) for n in counts]
        photometric = 1 if s in (1, 2) else 2
        entries = [
            (256, 4, [w]),
            (257, 4, [h]),
            (258, 3, [bits] * s),
            (259, 3, [comp]),
            (262, 3, [photometric]),
            (277, 3, [s]),
            (284, 3, [1]),
        ]
        if tile:
            entries += [(322, 3, [tile[0]]), (323, 3, [tile[1]]), (324, 4, offsets), (325, 4, counts)]
        else:
            entries += [
                (273, 4, offsets),
                (278, 4, [page.get("rows_per_strip", h)]),
                (279, 4, counts),
            ]
        if page.get("extra") is not None:
            entries.append((338, 3, [page["extra"]]))
        entries.sort()
        if len(out) % 2:
            out += b"\x00"
        struct.pack_into(bo + "I", out, ifd_pointer, len(out))
        ifd_start = len(out)
        out += struct.pack(bo + "H", len(entries))
        out += b"\x00" * (12 * len(entries) + 4)
        for i, (tag, typ, values) in enumerate(entries):
            fmt = "H" if typ == 3 else "I"
            payload = struct.pack(bo + fmt * len(values), *values)
            pos = ifd_start + 2 + 12 * i
            struct.pack_into(bo + "HHI", out, pos, tag, typ, len(values))
            if len(payload) <= 4:
                out[pos + 8 : pos + 8 + len(payload)] = payload
            else:
                if len(out) % 2:
                    out += b"\x00"
                struct.pack_into(bo + "I", out, pos + 8, len(out))
                out += payload
        ifd_pointer = ifd_start + 2 + 12 * len(entries)
    return bytes(out)


def packbits(data):
    """PackBits (TIFF compression 32773), literal runs only: valid and simple."""
    out = bytearray()
    for i in range(0, len(data), 128):
        chunk = data[i : i + 128]
        out.append(len(chunk) - 1)
        out += chunk
    return bytes(out)


# ----------------------------------------------------------------------------- PNG writer


def png(data, color_type, bit_depth, interlace=False, palette=None, trns=None):
    """A PNG from an array (HxW or HxWxS, uint8 or uint16), filter 0 on every row."""
    if data.ndim == 2:
        data = data[..., None]
    h, w, _ = data.shape
    be = data.astype(data.dtype.newbyteorder(">"))

    def rows(a):
        return b"".join(b"\x00" + a[y].tobytes() for y in range(a.shape[0]))

    if interlace:  # Adam7: seven reduced images, each with its own filtered rows
        raw = b""
        for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                               (1, 0, 2, 2), (0, 1, 1, 2)]:
            sub = be[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += rows(sub)
    else:
        raw = rows(be)

    def chunk(kind, payload):
        c = kind + payload
        return struct.pack(">I", len(payload)) + c + struct.pack(">I", zlib.crc32(c))

    out = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# ----------------------------------------------------------------------------- BMP writer


def bmp_header(w, h, bpp, compression, image_size, colors=0, header_size=40):
    info = struct.pack("<IiiHHIIiiII", header_size, w, h, 1, bpp, compression, image_size, 2835, 2835,
                       colors, 0)
    offset = 14 + header_size + 4 * colors
    return struct.pack("<2sIHHI", b"BM", offset + image_size, 0, 0, offset) + info


def bmp_top_down(im):
    """24-bit BI_RGB with a negative height: rows stored top to bottom."""
    a = np.asarray(im)[..., ::-1]
    h, w, _ = a.shape
    stride = (w * 3 + 3) & ~3
    body = b"".join(a[y].tobytes() + b"\x00" * (stride - 3 * w) for y in range(h))
    return bmp_header(w, -h, 24, 0, len(body)) + body


def bmp_rle8(im):
    """8-bit palette BMP with RLE8 compression (encoded runs of equal pixels, absolute runs for the
    rest), bottom-up."""
    p = im.convert("P", palette=Image.ADAPTIVE, colors=64)
    idx = np.asarray(p)
    h, w = idx.shape
    pal = p.getpalette()[: 64 * 3]
    body = bytearray()
    for y in range(h - 1, -1, -1):
        row = idx[y]
        x = 0
        while x < w:
            run = 1
            while x + run < w and run < 255 and row[x + run] == row[x]:
                run += 1
            if run >= 3 or w - x < 3:
                body += bytes([run, row[x]])
                x += run
            else:
                n = min(255, w - x)
                lit = []
                while len(lit) < n:
                    j = x + len(lit)
                    if j + 2 < w and row[j] == row[j + 1] == row[j + 2]:
                        break
                    lit.append(row[j])
                if len(lit) < 3:
                    for v in lit:
                        body += bytes([1, v])
                else:
                    body += bytes([0, len(lit)]) + bytes(lit) + (b"\x00" if len(lit) % 2 else b"")
                x += len(lit)
        body += b"\x00\x00"  # end of line
    body += b"\x00\x01"  # end of bitmap
    colors = b"".join(bytes([pal[3 * i + 2], pal[3 * i + 1], pal[3 * i], 0]) for i in range(64))
    return bmp_header(w, h, 8, 1, len(body), colors=64) + colors + bytes(body)


# ----------------------------------------------------------------------------- corpus


def corpus(out):
    out.mkdir(parents=True, exist_ok=True)
    files = {}

    def put(name, data):
        (out / name).write_bytes(data)
        files[name] = data

    def pil(name, im, fmt, **opts):
        files[name] = save(im, out / name, fmt, **opts)

    rgb = cell(97, 83, 1)
    big = cell(230, 190, 2)
    # --- TIFF
    pil("tiff-raw.tif", rgb, "TIFF")
    pil("tiff-lzw.tif", rgb, "TIFF", compression="tiff_lzw")
    pil("tiff-deflate.tif", rgb, "TIFF", compression="tiff_adobe_deflate")
    pil("tiff-packbits.tif", rgb, "TIFF", compression="packbits")
    pil("tiff-strips-raw.tif", big, "TIFF", strip_size=4096)
    pil("tiff-strips-lzw.tif", big, "TIFF", compression="tiff_lzw", strip_size=4096)
    pil("tiff-gray.tif", cell(60, 70, 3, "L"), "TIFF")
    pil("tiff-cmyk.tif", cell(60, 70, 3, "CMYK"), "TIFF")
    pil("tiff-rgba.tif", rgba_with_holes(120, 100, 4), "TIFF")
    pil("tiff-rgba-lzw.tif", rgba_with_holes(120, 100, 5), "TIFF", compression="tiff_lzw")
    pil("tiff-multipage.tif", cell(80, 64, 6), "TIFF", save_all=True,
        append_images=[cell(50, 50, 7), cell(90, 40, 8)])
    a = np.asarray(big)
    put("tiff-tiles-raw.tif", tiff([dict(data=a, tile=(64, 64))]))
    put("tiff-tiles-deflate.tif", tiff([dict(data=a, tile=(32, 48), compression=8)]))
    put("tiff-bigendian.tif", tiff([dict(data=a, rows_per_strip=16)], big_endian=True))
    put("tiff-bigendian-deflate.tif", tiff([dict(data=a, rows_per_strip=16, compression=8)],
                                          big_endian=True))
    put("tiff-packbits-strips.tif", tiff([dict(data=a, rows_per_strip=20, compression=32773)]))
    # StripByteCounts smaller than the pixel data that is really there (the strip is complete):
    # Pillow and libtiff read these; a data set of such files was dead-lettered before.
    put("tiff-short-stripbytecounts.tif", tiff([dict(data=np.asarray(rgb), short_counts=0.7)]))
    put("tiff-short-stripbytecounts-strips.tif",
        tiff([dict(data=a, rows_per_strip=32, short_counts=0.5)]))
    put("tiff-16bit-rgb.tif", tiff([dict(data=arr16(90, 70, 9, 3), rows_per_strip=10)]))
    put("tiff-16bit-rgb-bigendian.tif", tiff([dict(data=arr16(90, 70, 10, 3))], big_endian=True))
    put("tiff-16bit-gray.tif", tiff([dict(data=arr16(90, 70, 11, 1))]))
    pil("tiff-16bit-gray-pillow.tif", Image.fromarray(arr16(64, 48, 12, 1), "I;16"), "TIFF")
    holes = np.asarray(rgba_with_holes(100, 90, 13))
    put("tiff-rgba-unassociated-tiles.tif", tiff([dict(data=holes, tile=(32, 32), extra=2)]))
    put("tiff-rgba-bigendian.tif", tiff([dict(data=holes, rows_per_strip=7, extra=2)], big_endian=True))
    put("tiff-multipage-bigendian.tif",
        tiff([dict(data=np.asarray(cell(70, 60, 14))), dict(data=np.asarray(cell(40, 40, 15)))],
             big_endian=True))
    # --- JPEG
    for sub, tag in [(0, "444"), (1, "422"), (2, "420")]:
        pil(f"jpeg-{tag}.jpg", rgb, "JPEG", quality=90, subsampling=sub)
        pil(f"jpeg-{tag}-odd-359x361.jpg", cell(359, 361, 16 + sub), "JPEG", quality=85,
            subsampling=sub)
        pil(f"jpeg-{tag}-progressive.jpg", big, "JPEG", quality=90, subsampling=sub, progressive=True)
    pil("jpeg-odd-17x23.jpg", cell(17, 23, 20), "JPEG", quality=95, subsampling=2)
    pil("jpeg-odd-225x223-q60.jpg", cell(225, 223, 21), "JPEG", quality=60)
    pil("jpeg-optimized.jpg", big, "JPEG", quality=80, optimize=True)
    pil("jpeg-gray.jpg", cell(90, 77, 22, "L"), "JPEG", quality=90)
    pil("jpeg-gray-progressive.jpg", cell(90, 77, 23, "L"), "JPEG", quality=90, progressive=True)
    pil("jpeg-cmyk.jpg", cell(88, 72, 24, "CMYK"), "JPEG", quality=92)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display; Image.open ignores it, so do we
    pil("jpeg-exif-orientation-6.jpg", cell(120, 80, 25), "JPEG", quality=90, exif=exif.tobytes())
    icc = Path(out / "profile.icc")  # written by the Java test (a non-sRGB RGB profile) if present
    if icc.exists():
        pil("jpeg-icc-profile.jpg", cell(100, 90, 26), "JPEG", quality=90, icc_profile=icc.read_bytes())
        pil("png-icc-profile.png", cell(100, 90, 27), "PNG", icc_profile=icc.read_bytes())
        pil("tiff-icc-profile.tif", cell(100, 90, 28), "TIFF", icc_profile=icc.read_bytes())
    # --- PNG
    pil("png-rgb.png", rgb, "PNG")
    pil("png-rgba.png", rgba_with_holes(100, 90, 30), "PNG")
    pil("png-gray.png", cell(70, 60, 31, "L"), "PNG")
    pil("png-gray-alpha.png", rgba_with_holes(70, 60, 32).convert("LA"), "PNG")
    pil("png-palette.png", cell(90, 80, 33).convert("P", palette=Image.ADAPTIVE, colors=50), "PNG")
    pal = cell(90, 80, 34).convert("P", palette=Image.ADAPTIVE, colors=40)
    pil("png-palette-trns-index.png", pal, "PNG", transparency=3)
    pal_bytes = pal.getpalette()[: 40 * 3]
    put("png-palette-trns-table.png",
        png(np.asarray(pal), 3, 8, palette=pal_bytes, trns=[0, 40, 128] + [255] * 10))
    pil("png-16bit-gray-pillow.png", Image.fromarray(arr16(64, 48, 35, 1), "I;16"), "PNG")
    put("png-16bit-gray.png", png(arr16(80, 60, 36, 1), 0, 16))
    put("png-16bit-rgb.png", png(arr16(80, 60, 37, 3), 2, 16))
    rgba16 = np.concatenate([arr16(80, 60, 38, 3), (np.asarray(rgba_with_holes(80, 60, 39))[..., 3:]
                                                     .astype(np.uint16) * 257)], axis=2)
    put("png-16bit-rgba.png", png(rgba16, 6, 16))
    ga16 = np.stack([arr16(80, 60, 40, 1), np.full((60, 80), 30000, np.uint16)], axis=2)
    put("png-16bit-gray-alpha.png", png(ga16, 4, 16))
    put("png-interlaced-rgb.png", png(np.asarray(cell(77, 65, 41)), 2, 8, interlace=True))
    put("png-interlaced-rgba.png", png(np.asarray(rgba_with_holes(77, 65, 42)), 6, 8, interlace=True))
    put("png-interlaced-16bit-rgb.png", png(arr16(50, 45, 43, 3), 2, 16, interlace=True))
    put("png-gray-trns.png", png(np.asarray(cell(40, 40, 44, "L")), 0, 8, trns=[0, 200]))
    pil("png-bilevel.png", cell(64, 64, 45, "1"), "PNG")
    # --- BMP
    pil("bmp-24bit.bmp", rgb, "BMP")
    pil("bmp-32bit.bmp", rgba_with_holes(90, 70, 50), "BMP")
    put("bmp-24bit-top-down.bmp", bmp_top_down(cell(73, 51, 51)))
    put("bmp-rle8.bmp", bmp_rle8(cell(60, 44, 52)))
    pil("bmp-indexed-8bit.bmp", cell(66, 50, 53).convert("P", palette=Image.ADAPTIVE, colors=100), "BMP")
    pil("bmp-gray-8bit.bmp", cell(66, 50, 54, "L"), "BMP")
    pil("bmp-1bit.bmp", cell(64, 40, 55, "1"), "BMP")
    # --- GIF
    frames = [cell(80, 70, 60 + i).convert("P", palette=Image.ADAPTIVE) for i in range(3)]
    pil("gif-animated.gif", frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    pil("gif-transparent.gif", frames[1], "GIF", transparency=5)
    # --- truly damaged
    for name, data in list(files.items()):
        stem = name.rsplit(".", 1)
        if name in ("jpeg-444.jpg", "jpeg-420-progressive.jpg", "png-rgb.png", "png-interlaced-rgb.png",
                    "bmp-24bit.bmp", "tiff-raw.tif", "tiff-lzw.tif", "tiff-tiles-raw.tif",
                    "gif-animated.gif"):
            # cut in the middle of the pixel data
            put(f"damaged-truncated-{stem[0]}.{stem[1]}", data[: len(data) * 3 // 5])
    put("damaged-header-jpeg.jpg", b"\xff\xd8\xff\xc0\x00\x03" + files["jpeg-444.jpg"][300:])
    put("damaged-header-png-ihdr-crc.png", flip(files["png-rgb.png"], 29))
    put("damaged-header-tiff-ifd-offset.tif", files["tiff-raw.tif"][:4] + b"\xff\xff\xff\x7f"
        + files["tiff-raw.tif"][8:])
    put("damaged-header-bmp.bmp", files["bmp-24bit.bmp"][:14] + b"\x07\x00\x00\x00"
        + files["bmp-24bit.bmp"][18:])
    put("damaged-garbage.jpg", bytes(np.random.default_rng(99).integers(0, 256, 5000, dtype=np.uint8)))
    return sorted(files)


def flip(data, i):
    b = bytearray(data)
    b[i] ^= 0xFF
    return bytes(b)


# ----------------------------------------------------------------------------- reference


def reference(list_file, pixels=True):
    out = sys.stdout.buffer
    for line in Path(list_file).read_text().splitlines():
        if not line:
            continue
        try:
            with Image.open(line) as im:
                raw = im.convert("RGB").resize((SIZE, SIZE), Image.BILINEAR).tobytes()
        except Exception as e:  # noqa: BLE001 - any refusal is an outcome to compare
            msg = f"{type(e).__name__}: {e}".replace("\n", " ")
            out.write(b"NO " + msg.encode("utf-8", "replace") + b"\n")
        else:
            out.write(b"OK\n" + raw if pixels else b"OK\n")
        out.flush()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "corpus":
        TiffImagePlugin.WRITE_LIBTIFF = False
        for name in corpus(Path(sys.argv[2])):
            print(name)
    elif len(sys.argv) == 3 and sys.argv[1] == "reference":
        reference(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "verdicts":
        reference(sys.argv[2], pixels=False)
    else:
        sys.exit("usage: pillow_decoding.py corpus OUT | reference LIST | verdicts LIST")
