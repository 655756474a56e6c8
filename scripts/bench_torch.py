#!/usr/bin/env python3
"""The same measurement as `nurie bench`, with diffusers on PyTorch, for a side-by-side comparison.

Times text encoding (2 prompts × 77 tokens), one UNet step at batch 2 (classifier-free guidance) with
and without a ControlNet, and the VAE decode of one image, at the same size, dtype and thread count,
after warm-up runs; prints the median, the spread, effective TFLOP/s and peak memory.

    python scripts/bench_torch.py [--width 512 --height 512] [--device cpu|cuda] [--dtype f32|f16]
        [--threads N] [--repeats 3] [--warmup 1] [--controlnet] [--checkpoint FILE --config DIR]
        [--json] [--nurie NURIE.json]

Weights: by default SD1.5-shaped random weights (the time does not depend on their values, so no
download is needed). With --checkpoint, a single-file checkpoint is loaded through diffusers'
`from_single_file`, which needs a diffusers config folder (--config; `FILE.config` when present, as
the parity kit's `make_fullsize.py` writes it). --controlnet adds a line-art-sized ControlNet
(`ControlNetModel.from_unet`). --nurie reads `nurie bench --json` output and prints the ratios
Nurie / PyTorch (below 1.0: Nurie is faster).

Needs torch, diffusers and transformers (`pip install torch diffusers transformers safetensors`).
Attention goes through PyTorch's scaled_dot_product_attention (diffusers' default AttnProcessor2_0).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402

# SD1.5's architecture (runwayml/stable-diffusion-v1-5 configs).
UNET = dict(sample_size=64, in_channels=4, out_channels=4,
            down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
            up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
            block_out_channels=[320, 640, 1280, 1280], layers_per_block=2, cross_attention_dim=768,
            attention_head_dim=8, norm_num_groups=32, norm_eps=1e-5, flip_sin_to_cos=True, freq_shift=0)
VAE = dict(in_channels=3, out_channels=3, latent_channels=4, sample_size=512,
           down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
           block_out_channels=[128, 256, 512, 512], layers_per_block=2, norm_num_groups=32, act_fn="silu",
           scaling_factor=0.18215)
TEXT = dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
            max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, bos_token_id=49406,
            eos_token_id=49407, pad_token_id=49407, projection_dim=768)

# The same counts as `nurie bench` (src/cli/bench/flops.rs): TFLOP at 64×64 latents, split into the part
# linear in the pixel count and the self-attention part quadratic in it; (linear, quadratic, batch).
COSTS = {"unet": (1.61 - 0.2457, 0.2457, 2), "controlnet": (0.57 - 0.0987, 0.0987, 2), "vae": (2.5 - 0.0344, 0.0344, 1)}
TEXT_TFLOP_PER_PROMPT = 2 * 123e6 * 77 / 1e12


def tflop(name, latent_hw, batch):
    linear, quadratic, reference_batch = COSTS[name]
    p = latent_hw[0] * latent_hw[1] / 4096
    return (linear * p + quadratic * p * p) * batch / reference_batch


def build(args, dtype, device):
    from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel
    if args.checkpoint:
        from diffusers import StableDiffusionPipeline
        config = args.config or args.checkpoint + ".config"
        if not os.path.isdir(config):
            sys.exit(f"--checkpoint needs a diffusers config folder: {config} does not exist (pass --config DIR)")
        pipe = StableDiffusionPipeline.from_single_file(args.checkpoint, config=config, local_files_only=True,
                                                        torch_dtype=dtype, safety_checker=None,
                                                        feature_extractor=None, requires_safety_checker=False)
        unet, vae, text = pipe.unet, pipe.vae, pipe.text_encoder
    else:
        torch.manual_seed(0)
        unet, vae, text = UNet2DConditionModel(**UNET), AutoencoderKL(**VAE), CLIPTextModel(CLIPTextConfig(**TEXT))
    controlnet = ControlNetModel.from_unet(unet) if args.controlnet else None
    models = [m for m in (unet, vae, text, controlnet) if m is not None]
    for m in models:
        m.to(device=device, dtype=dtype).eval()
    return unet, vae, text, controlnet


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_part(name, run, args, device, work_tflop):
    for _ in range(args.warmup):
        run()
    sync(device)
    seconds = []
    for i in range(args.repeats):
        print(f"{name}: run {i + 1}/{args.repeats}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        run()
        sync(device)
        seconds.append(time.perf_counter() - started)
    middle = statistics.median_high(seconds)
    return {"name": name, "seconds": seconds, "median_seconds": middle, "spread": (max(seconds) - min(seconds)) / middle,
            "tflop": work_tflop, "tflop_per_second": work_tflop / middle}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--height", type=int, default=512)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--dtype", default="f32", choices=["f32", "f16"])
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (default: every core)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--controlnet", action="store_true", help="also time a step with a ControlNet")
    ap.add_argument("--checkpoint", help="single-file SD1.5 checkpoint (default: random weights)")
    ap.add_argument("--config", help="diffusers config folder for --checkpoint")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ap.add_argument("--nurie", help="`nurie bench --json` output to compare with")
    args = ap.parse_args()
    if args.width % 8 or args.height % 8:
        sys.exit("width and height must be multiples of 8")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dtype = torch.float16 if args.dtype == "f16" else torch.float32

    started = time.perf_counter()
    unet, vae, text, controlnet = build(args, dtype, device)
    load_seconds = time.perf_counter() - started
    latent = (args.height // 8, args.width // 8)
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(2, 4, *latent, generator=g).to(device, dtype)
    decode_latents = torch.randn(1, 4, *latent, generator=g).to(device, dtype) * 0.18215
    ids = torch.full((2, 77), 49407, dtype=torch.long)
    ids[:, 0] = 49406
    ids[:, 1:20] = torch.randint(0, 49406, (2, 19), generator=g)
    ids = ids.to(device)
    hint = (torch.rand(2, 3, args.height, args.width, generator=g) > 0.9).to(device, dtype)

    parts = []
    with torch.inference_mode():
        context = text(ids).last_hidden_state
        parts.append(time_part("text encoding", lambda: text(ids).last_hidden_state, args, device,
                               2 * TEXT_TFLOP_PER_PROMPT))
        parts.append(time_part("UNet step", lambda: unet(latents, 500, encoder_hidden_states=context).sample,
                               args, device, tflop("unet", latent, 2)))
        if controlnet is not None:
            def step_with_control():
                down, mid = controlnet(latents, 500, encoder_hidden_states=context, controlnet_cond=hint,
                                       return_dict=False)
                return unet(latents, 500, encoder_hidden_states=context, down_block_additional_residuals=down,
                            mid_block_additional_residual=mid).sample
            parts.append(time_part("UNet step + ControlNet", step_with_control, args, device,
                                   tflop("unet", latent, 2) + tflop("controlnet", latent, 2)))
        parts.append(time_part("VAE decode", lambda: vae.decode(decode_latents / 0.18215).sample, args, device,
                               tflop("vae", latent, 1)))

    report = {
        "device": torch.cuda.get_device_name() if device.type == "cuda" else
        f"CPU (PyTorch {torch.__version__}, {torch.backends.cpu.get_cpu_capability()})",
        "dtype": args.dtype, "threads": torch.get_num_threads(), "width": args.width, "height": args.height,
        "warmup": args.warmup, "repeats": args.repeats, "load_seconds": load_seconds, "parts": parts,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "gpu_peak_allocated_bytes": torch.cuda.max_memory_allocated() if device.type == "cuda" else None,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    if args.nurie:
        print_comparison(report, args.nurie)


def print_report(report):
    print(f"{report['device']} — {report['dtype']}, {report['width']}×{report['height']}, {report['threads']} threads")
    print(f"median of {report['repeats']} runs after {report['warmup']} warm-up:")
    for p in report["parts"]:
        runs = " ".join(f"{s:.3f}" for s in p["seconds"])
        print(f"  {p['name']:<24} {p['median_seconds']:>9.3f} s  spread {100 * p['spread']:>5.1f}%  "
              f"{p['tflop']:>6.3f} TFLOP  {p['tflop_per_second']:>7.3f} TFLOP/s  (runs: {runs})")
    print(f"peak resident memory: {report['peak_rss_bytes'] / 1e9:.2f} GB")
    if report["gpu_peak_allocated_bytes"] is not None:
        print(f"peak GPU memory allocated: {report['gpu_peak_allocated_bytes'] / 1e9:.2f} GB")


def print_comparison(report, nurie_path):
    with open(nurie_path) as f:
        nurie = json.load(f)
    print(f"\nNurie / PyTorch time (below 1.0: Nurie is faster); Nurie: {nurie['device']}, {nurie['dtype']}, "
          f"{nurie['threads']} threads")
    theirs = {p["name"]: p["median_seconds"] for p in report["parts"]}
    for p in nurie["parts"]:
        if p["name"] in theirs:
            print(f"  {p['name']:<24} {p['median_seconds']:>9.3f} s / {theirs[p['name']]:>9.3f} s = "
                  f"{p['median_seconds'] / theirs[p['name']]:.2f}")


if __name__ == "__main__":
    main()
