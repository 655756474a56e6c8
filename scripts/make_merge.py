"""Merge two SD1.x single-file checkpoints block by block with known ratios, to measure how well
`nurie inspect --base … --reference …` recovers them on full-size models.

    python scripts/make_merge.py BASE REFERENCE OUT [--input 0.3] [--middle 0.5] [--output 0.7]
        [--unet-other 0.5] [--text-encoder 0.4] [--vae 0.0] [--noise 0.0] [--seed 0]

OUT = BASE + ratio(block) * (REFERENCE - BASE) for every float tensor, where the block is the UNet's
input blocks, middle block, output blocks or the rest of the UNet, the text encoder or the VAE; with
--noise s, Gaussian noise of s times each tensor's (REFERENCE - BASE) spread is added (training on top).
Needs torch and safetensors (any recent version); keeps both inputs in memory (about 2x their size).
"""
import argparse

import torch
from safetensors.torch import load_file, save_file


def block_of(key):
    if key.startswith("model.diffusion_model."):
        rest = key[len("model.diffusion_model."):]
        if rest.startswith("input_blocks."):
            return "input"
        if rest.startswith("middle_block."):
            return "middle"
        if rest.startswith("output_blocks."):
            return "output"
        return "unet_other"
    if key.startswith("cond_stage_model."):
        return "text_encoder"
    if key.startswith("first_stage_model."):
        return "vae"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("reference")
    ap.add_argument("out")
    for name, default in [("input", 0.3), ("middle", 0.5), ("output", 0.7), ("unet-other", 0.5), ("text-encoder", 0.4), ("vae", 0.0)]:
        ap.add_argument(f"--{name}", type=float, default=default)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ratios = {"input": args.input, "middle": args.middle, "output": args.output, "unet_other": args.unet_other,
              "text_encoder": args.text_encoder, "vae": args.vae}
    torch.manual_seed(args.seed)
    base, reference = load_file(args.base), load_file(args.reference)
    merged = {}
    for key, tensor in base.items():
        block = block_of(key)
        if block is None or not tensor.is_floating_point() or key not in reference:
            merged[key] = tensor
            continue
        b, r = tensor.float(), reference[key].float()
        delta = r - b
        out = b + ratios[block] * delta
        if args.noise > 0:
            out = out + args.noise * delta.std() * torch.randn_like(b)
        merged[key] = out.to(tensor.dtype).contiguous()
    save_file(merged, args.out)
    print(f"{args.out}: {len(merged)} tensors, ratios {ratios}, noise {args.noise}")


if __name__ == "__main__":
    main()
