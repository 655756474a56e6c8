#!/usr/bin/env python3
"""How consistent one area's color stays over a chapter's pages, with and without a reference unit.

Writes five drawings (a square at a different place on each page), colors them with `nurie pages` (seeds
per page, so every page starts from different noise), once plainly and once per reference mode with the
first plain page as the reference (an earlier colored page, as an artist would use it), and prints the
spread of the square's mean color over the pages: the RMS distance of the five means from their centroid,
in 0-255 units (lower is more consistent).

  scripts/chapter-color-spread.py --nurie target/debug/nurie --checkpoint MODEL --controlnet LINEART_CN \
      [--size 64] [--steps 8] [--seeds 100 200 300] [--work /tmp/chapter-spread]

Needs Pillow. On the parity kit's random-weight model the figures say nothing about real models.
"""
import argparse
import math
import os
import shutil
import subprocess

from PIL import Image

PAGES = 5


def square(page, size):
    """The square of `page`: left, top and side, in pixels of a `size` picture."""
    unit = size / 64
    return round((8 + 4 * page) * unit), round((12 + 2 * page) * unit), round(30 * unit)


def write_chapter(folder, size):
    os.makedirs(folder, exist_ok=True)
    line = max(2, size // 32)
    for page in range(PAGES):
        left, top, side = square(page, size)
        picture = Image.new("L", (size, size), 255)
        for y in range(size):
            for x in range(size):
                inside_x, inside_y = left <= x < left + side, top <= y < top + side
                on_x = left <= x < left + line or left + side - line <= x < left + side
                on_y = top <= y < top + line or top + side - line <= y < top + side
                if (on_x and inside_y) or (on_y and inside_x):
                    picture.putpixel((x, y), 0)
        picture.save(os.path.join(folder, f"page{page + 1}.png"))


def area_mean(path, page, size):
    left, top, side = square(page, size)
    margin = side // 6
    picture = Image.open(path).convert("RGB").crop((left + margin, top + margin, left + side - margin, top + side - margin))
    data = picture.tobytes()
    count = len(data) // 3
    return [sum(data[c::3]) / count for c in range(3)]


def spread(folder, size):
    means = [area_mean(os.path.join(folder, f"page{p + 1}.png"), p, size) for p in range(PAGES)]
    centroid = [sum(m[c] for m in means) / PAGES for c in range(3)]
    return math.sqrt(sum(sum((m[c] - centroid[c]) ** 2 for c in range(3)) for m in means) / PAGES)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nurie", default="target/debug/nurie")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--controlnet", required=True)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[100, 200, 300])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--work", default="/tmp/chapter-spread")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    chapter = os.path.join(args.work, "chapter")
    write_chapter(chapter, args.size)
    env = dict(os.environ, NURIE_HOME=os.path.join(args.work, "home"))
    print(f"{'seed':>6} {'plain':>7} {'only':>7} {'adain':>7} {'both':>7}")
    for seed in args.seeds:
        common = [args.nurie, "pages", chapter, "--checkpoint", args.checkpoint, "--controlnet", args.controlnet,
                  "--prompt", "flat colors", "--steps", str(args.steps), "--width", str(args.size), "--height",
                  str(args.size), "--device", args.device, "--seed", str(seed), "--seeds", "per-page", "--no-history"]
        plain = os.path.join(args.work, f"plain-{seed}")
        subprocess.run(common + ["--out", plain], env=env, check=True, capture_output=True)
        row = [spread(plain, args.size)]
        for mode in ["only", "adain", "adain+attn"]:
            out = os.path.join(args.work, f"{mode}-{seed}")
            reference = ["--reference", os.path.join(plain, "page1.png"), "--reference-mode", mode]
            subprocess.run(common + reference + ["--out", out], env=env, check=True, capture_output=True)
            row.append(spread(out, args.size))
        print(f"{seed:>6} " + " ".join(f"{value:7.1f}" for value in row))


if __name__ == "__main__":
    main()
