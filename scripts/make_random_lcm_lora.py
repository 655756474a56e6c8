"""A random LoRA shaped like latent-consistency/lcm-lora-sdv1-5 (UNet only, rank 64, every linear and
convolution layer, kohya naming, fp16), for timing a 4-step LCM generation against a 20-step one on a random
full-size checkpoint. Its weights are noise: the pictures mean nothing, only the times do.

Usage: python scripts/make_random_lcm_lora.py CHECKPOINT.safetensors OUT_DIR/lcm-random.safetensors
Then:  nurie generate --checkpoint CHECKPOINT --prompt "1girl <lora:lcm-random:1>" --lora-dir OUT_DIR \\
         --steps 4 --sampler lcm --cfg 1 --out OUT --no-history --device cpu
"""
import sys

import torch
from safetensors import safe_open
from safetensors.torch import save_file

UNET = "model.diffusion_model."
RANK = 64


def main(checkpoint, out):
    torch.manual_seed(0)
    tensors = {}
    with safe_open(checkpoint, "pt") as f:
        for key in f.keys():
            if not key.startswith(UNET) or not key.endswith(".weight"):
                continue
            shape = f.get_slice(key).get_shape()
            path = key[len(UNET):-len(".weight")]
            if len(shape) < 2 or "norm" in path:
                continue
            name = "lora_unet_" + path.replace(".", "_")
            rank = min(RANK, shape[0])
            down = [rank, shape[1]] + list(shape[2:])
            up = [shape[0], rank] + ([1, 1] if len(shape) == 4 else [])
            tensors[name + ".lora_down.weight"] = (torch.randn(down) * 0.01).half()
            tensors[name + ".lora_up.weight"] = (torch.randn(up) * 0.01).half()
            tensors[name + ".alpha"] = torch.tensor(float(rank)).half()
    save_file(tensors, out)
    print(len(tensors) // 3, "modules")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
