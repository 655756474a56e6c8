#!/usr/bin/env python3
"""Check a layered PSD that Nurie wrote with psd-tools, a reader independent of Nurie's Rust tests.

    python3 -m venv /tmp/psd && /tmp/psd/bin/pip install psd-tools
    /tmp/psd/bin/python scripts/check-psd.py 00001-7.psd [--drawing LINEART.png --black-on-white]

Checks: the layers are, bottom to top, "Color", optional "Flats" and "Hints" (hidden), "Line art" (Multiply,
visible, black); the merged image equals the Color layer multiplied by the lines (black lines:
round(c * (255 - a) / 255)); with --drawing (already at the picture's size), the line layer's alpha equals
the drawing's darkness (255 - BT.601 luma, or luma with --white-on-black). Exits 1 with the first mismatch.
"""

import argparse
import sys

import numpy as np
from psd_tools import PSDImage
from psd_tools.constants import BlendMode


def fail(message):
    print(f"check-psd: {message}", file=sys.stderr)
    sys.exit(1)


def luma(rgb):
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    return ((299 * r + 587 * g + 114 * b + 500) // 1000).astype(np.uint8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("psd")
    parser.add_argument("--drawing")
    parser.add_argument("--white-on-black", action="store_true")
    args = parser.parse_args()

    psd = PSDImage.open(args.psd)
    layers = list(psd)
    names = [layer.name for layer in layers]
    if names[0] != "Color" or names[-1] != "Line art":
        fail(f"layers bottom to top are {names}")
    for layer in layers[1:-1]:
        if layer.name not in ("Flats", "Hints") or layer.visible:
            fail(f"middle layer {layer.name!r} (visible {layer.visible}) should be a hidden Flats or Hints")
    lines = layers[-1]
    if lines.blend_mode != BlendMode.MULTIPLY or not lines.visible or not layers[0].visible:
        fail(f"line layer: blend {lines.blend_mode}, visible {lines.visible}")

    color = layers[0].numpy("color")  # floats in [0, 1]
    line_rgba = np.dstack([lines.numpy("color"), lines.numpy("shape")])
    line_rgba = np.rint(line_rgba * 255).astype(np.uint32)
    color = np.rint(color * 255).astype(np.uint32)
    merged = np.rint(psd.numpy("color") * 255).astype(np.uint32)
    a = line_rgba[..., 3:4]
    # Only where the color is opaque: over a transparent background the merged image is the lines alone.
    opaque = layers[0].numpy("shape")[..., 0] == 1
    if np.all(line_rgba[..., :3][a[..., 0] > 0] == 0):
        expected = (color * (255 - a) * 2 + 255) // 510  # round half up (no ties occur)
        differs = np.any(merged[..., :3] != expected, axis=-1) & opaque
        if differs.any():
            fail(f"merged image differs from color x lines at (y, x) {tuple(np.argwhere(differs)[0])}")
    if args.drawing:
        from PIL import Image

        drawing = np.asarray(Image.open(args.drawing).convert("RGB"))
        darkness = luma(drawing) if args.white_on_black else 255 - luma(drawing)
        if not np.array_equal(a[..., 0], darkness):
            fail("line alpha differs from the drawing's darkness")
    print(f"{args.psd}: {len(layers)} layers {names}, {psd.width}x{psd.height}, merged = color x lines: ok")


if __name__ == "__main__":
    main()
