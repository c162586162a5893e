#!/usr/bin/env python3
"""Reference for bench/model-training.sh: seconds per LoRA training step (forward, backward, Adam)
of SmolLM2-135M (GGUF dequantised to float32) with PyTorch CPU + PEFT, r 8, alpha 16, dropout
0.05 on all seven projections, on one 256-token sample (all tokens but the first 64 are targets).
Argument 4 (optional): "fp32" (default) or "bf16": the forward (and so its backward) under
torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's own mixed precision; weights, LoRA
parameters and Adam stay float32.
Prints one line: "seconds_per_step=<s> tokens=<n> peak_rss_mb=<mb>"."""
import os, sys, time, resource
import torch

threads = int(os.environ.get("FEDHDS_BENCH_THREADS", "2"))
torch.set_num_threads(threads)
gguf, steps, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mode = sys.argv[4] if len(sys.argv) > 4 else "fp32"
assert mode in ("fp32", "bf16"), mode
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model

model = AutoModelForCausalLM.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf),
                                             dtype=torch.float32)
cfg = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, task_type="CAUSAL_LM",
                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
model = get_peft_model(model, cfg)
model.train()
opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
g = torch.Generator().manual_seed(0)
ids = torch.randint(0, model.config.vocab_size, (1, length), generator=g)
labels = ids.clone()
labels[0, :64] = -100
times = []
for i in range(steps + 1):
    t0 = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "bf16"):
        out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    opt.step()
    opt.zero_grad()
    if i > 0:  # the first step warms up
        times.append(time.perf_counter() - t0)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"seconds_per_step={sum(times) / len(times):.4f} tokens={length} peak_rss_mb={rss:.0f}")
