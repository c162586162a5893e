#!/usr/bin/env python3
"""Goldens of the paper's other baselines (issue #18), made with PyTorch + transformers + PEFT on
CPU in float32, on the same tiny random LLaMA and GPT-2 as the LoRA goldens
(../training/make_goldens.py, whose `tiny`, `batch` and base weights this script reuses).

  python make_goldens.py prompt    FedPrompt: PEFT prompt tuning (4 virtual tokens, seeded
                                   embeddings), loss, the gradient of `prompt_embeddings` and the
                                   prompt after one Adam step, on the padded batch of two.
  python make_goldens.py ptuning   FedPTuning: PEFT P-tuning with the MLP prompt encoder
                                   (hidden 16), loss, the virtual tokens it makes, every encoder
                                   gradient and the encoder after one Adam step.
  python make_goldens.py full      Full-parameter FedAvg's local step: loss, the gradient of every
                                   weight (embeddings and norms included; GPT-2's tied output
                                   matrix once) and every weight after one Adam step.
  python make_goldens.py smollm2   SmolLM2 on one Dolly sample: prompt tuning (20 virtual tokens)
                                   and full-parameter gradient norms; needs the GGUF (env FEDHDS_MODEL).

Run with the reference venv (~/.cache/fedhds-reference/venv/bin/python). Virtual tokens sit
before the real ones (positions 0..n-1), their labels are ignored, and the attention mask is one
over them, as PEFT's PeftModelForCausalLM does.
"""
import json, math, os, sys
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "training"))
import make_goldens as lora_goldens  # noqa: E402  (tiny models, the padded batch, the SmolLM2 sample)

torch.set_num_threads(2)
VIRTUAL, ENCODER_HIDDEN, LR = 4, 16, 1e-2
NOTE = "PyTorch " + torch.__version__ + ", float32 CPU, Adam defaults (betas 0.9/0.999, eps 1e-8)"


def seeded(shape, seed, scale):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g) * 2 - 1) * scale


def write(name, tensors, meta):
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, os.path.join(HERE, name + ".safetensors"))
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)


def meta(arch, kind, loss, **extra):
    return {"architecture": arch, "kind": kind, "tokens": lora_goldens.TOKENS, "masks": lora_goldens.MASKS,
            "lr": LR, "loss": loss, "note": NOTE, **extra}


def adam_step(model, params):
    """Loss on the padded batch, then each parameter's gradient and its value after one Adam step."""
    ids, att, labels = lora_goldens.batch()
    out = model(input_ids=ids, attention_mask=att, labels=labels)
    out.loss.backward()
    grads = {"grad." + n: p.grad.detach().clone() for n, p in params.items()}
    torch.optim.Adam(list(params.values()), lr=LR).step()
    updated = {"updated." + n: p.detach().clone() for n, p in params.items()}
    return out.loss.item(), grads, updated


def prompt(arch):
    from peft import PromptTuningConfig, get_peft_model
    model = lora_goldens.tiny(arch)
    pm = get_peft_model(model, PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=VIRTUAL))
    emb = pm.prompt_encoder["default"].embedding.weight
    with torch.no_grad():
        emb.copy_(seeded(emb.shape, 11, 0.5))
    initial = emb.detach().clone()
    loss, grads, updated = adam_step(pm, {"prompt_embeddings": emb})
    write(f"tiny-{arch}-prompt", {"prompt_embeddings": initial, **grads, **updated},
          meta(arch, "prompt-tuning", loss, virtualTokens=VIRTUAL))
    print(arch, "prompt tuning loss", loss, "grad norm", grads["grad.prompt_embeddings"].norm().item())


def ptuning(arch):
    from peft import PromptEncoderConfig, get_peft_model
    model = lora_goldens.tiny(arch)
    cfg = PromptEncoderConfig(task_type="CAUSAL_LM", num_virtual_tokens=VIRTUAL,
                              encoder_reparameterization_type="MLP", encoder_hidden_size=ENCODER_HIDDEN)
    pm = get_peft_model(model, cfg)
    enc = pm.prompt_encoder["default"]
    params = dict(enc.named_parameters())
    with torch.no_grad():
        for i, (name, p) in enumerate(sorted(params.items())):
            p.copy_(seeded(p.shape, 20 + i, 0.5 if "embedding" in name else 0.3))
    initial = {n: p.detach().clone() for n, p in params.items()}
    with torch.no_grad():
        virtual = enc(torch.arange(VIRTUAL).unsqueeze(0))[0].clone()
    loss, grads, updated = adam_step(pm, params)
    write(f"tiny-{arch}-ptuning", {**initial, **grads, **updated, "virtual_tokens": virtual},
          meta(arch, "p-tuning", loss, virtualTokens=VIRTUAL, encoder="MLP", encoderHidden=ENCODER_HIDDEN))
    print(arch, "p-tuning loss", loss, "params", sorted(params))


def full(arch):
    model = lora_goldens.tiny(arch)
    model.train(False)
    params = dict(model.named_parameters())  # tied GPT-2 output matrix appears once (wte)
    initial = {n: p.detach().clone() for n, p in params.items()}
    loss, grads, updated = adam_step(model, params)
    # The initial weights are ../training/tiny-{arch}-base.safetensors (checked equal here).
    from safetensors.torch import load_file
    base = load_file(os.path.join(HERE, "..", "training", f"tiny-{arch}-base.safetensors"))
    assert all(torch.equal(base[n], p) for n, p in initial.items() if n in base), "base weights differ"
    write(f"tiny-{arch}-full", {**grads, **updated},
          meta(arch, "full-parameter", loss, parameters=sum(p.numel() for p in params.values())))
    print(arch, "full-parameter loss", loss, "parameters", sum(p.numel() for p in params.values()))


def smollm2():
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from peft import PromptTuningConfig, get_peft_model
    gguf = os.environ.get("FEDHDS_MODEL", os.path.expanduser("~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    d, f = os.path.dirname(gguf), os.path.basename(gguf)
    with open(os.path.join(HERE, "..", "training", "smollm2-dolly-step.json")) as fh:
        sample = json.load(fh)  # the LoRA golden's Dolly sample: token ids and response mask
    ids = torch.tensor([sample["tokens"]])
    labels = torch.tensor([[t if m else -100 for t, m in zip(sample["tokens"], sample["mask"])]])

    def load():
        return AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32,
                                                    attn_implementation="eager").eval()

    # Prompt tuning: 20 virtual tokens; row v, column j = 0.02 * sin(0.37 * (v * hidden + j) + 0.5).
    n = 20
    pm = get_peft_model(load(), PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=n))
    emb = pm.prompt_encoder["default"].embedding.weight
    with torch.no_grad():
        i = torch.arange(emb.numel(), dtype=torch.float64)
        emb.copy_((0.02 * torch.sin(0.37 * i + 0.5)).float().view_as(emb))
    out = pm(input_ids=ids, labels=labels)
    out.loss.backward()
    prompt = {"virtualTokens": n, "loss": out.loss.item(), "gradNorm": emb.grad.norm().item(),
              "gradRowNorms": [r.norm().item() for r in emb.grad],
              "init": "row v, column j: 0.02 * sin(0.37 * (v * hidden + j) + 0.5)"}
    print("smollm2 prompt tuning loss", prompt["loss"], "grad norm", prompt["gradNorm"])
    del pm

    model = load()
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    norms = {n: p.grad.norm().item() for n, p in model.named_parameters()}
    total = math.sqrt(sum(v * v for v in norms.values()))
    fullp = {"loss": out.loss.item(), "gradNorm": total, "gradNorms": norms,
             "parameters": sum(p.numel() for p in model.parameters())}
    print("smollm2 full-parameter loss", fullp["loss"], "grad norm", total, "parameters", fullp["parameters"])
    with open(os.path.join(HERE, "smollm2-dolly-baselines.json"), "w") as fh:
        json.dump({"tokens": sample["tokens"], "mask": sample["mask"], "promptTuning": prompt,
                   "fullParameter": fullp,
                   "note": "transformers loads the Q4_1 GGUF dequantised to float32; " + NOTE}, fh, indent=1)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    for arch in ("llama", "gpt2"):
        if what in ("prompt", "all"):
            prompt(arch)
        if what in ("ptuning", "all"):
            ptuning(arch)
        if what in ("full", "all"):
            full(arch)
    if what in ("smollm2", "all"):
        smollm2()
