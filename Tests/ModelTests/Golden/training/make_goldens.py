#!/usr/bin/env python3
"""Goldens of the LoRA training engine (Tests/ModelTests/Training*Tests.swift), made with
PyTorch + transformers + PEFT on CPU in float32.

  python make_goldens.py step        tiny random LLaMA and GPT-2: base weights, the adapter
                                     (B non-zero), loss, every LoRA gradient and the adapter after
                                     one Adam step, for a padded batch of two examples.
  python make_goldens.py peft-logits loads the adapters that OUR code wrote (peft-ours-*/) with
                                     PEFT on the same tiny base models and stores the logits.
  python make_goldens.py smollm2     one step of SmolLM2 on one Dolly sample (loss, per-view
                                     gradient norms); needs the GGUF (env FEDHDS_MODEL).

Run with the reference venv (~/.cache/fedhds-reference/venv/bin/python).
"""
import json, math, os, sys
import torch
from safetensors.torch import save_file, load_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_num_threads(2)

LLAMA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
GPT2_TARGETS = ["c_attn", "c_proj", "c_fc"]  # c_proj matches attn.c_proj and mlp.c_proj
RANK, ALPHA, LR = 4, 8.0, 1e-2

# A padded batch of two: prompt tokens masked, the second sequence shorter.
TOKENS = [[1, 5, 9, 17, 33, 12, 40, 41, 7, 2], [1, 8, 60, 61, 30, 2]]
MASKS = [[0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1]]


def tiny(arch):
    from transformers import LlamaConfig, LlamaForCausalLM, GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0 if arch == "llama" else 1)
    if arch == "llama":
        cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                          rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                          initializer_range=0.15, bos_token_id=1, eos_token_id=2, attn_implementation="eager")
        model = LlamaForCausalLM(cfg)
    else:
        cfg = GPT2Config(vocab_size=64, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                         activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                         layer_norm_epsilon=1e-5, initializer_range=0.15, bos_token_id=1, eos_token_id=2,
                         attn_implementation="eager")
        model = GPT2LMHeadModel(cfg)
    with torch.no_grad():  # non-trivial norms
        for name, p in model.named_parameters():
            if "norm" in name or ".ln_" in name or name.endswith("ln_f.weight") or name.endswith("ln_f.bias"):
                p.add_(0.3 * (torch.rand_like(p) * 2 - 1))
    return model.float().eval()


def base_tensors(model, arch):
    sd = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    if arch == "gpt2":
        sd = {k: v for k, v in sd.items() if not k.endswith(".attn.bias") and not k.endswith("masked_bias")}
        sd.pop("lm_head.weight", None)  # tied
    return sd


def lora_config(arch, dropout=0.0):
    from peft import LoraConfig
    if arch == "llama":
        return LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=dropout, target_modules=LLAMA_TARGETS,
                          task_type="CAUSAL_LM")
    return LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=dropout, target_modules=GPT2_TARGETS,
                      fan_in_fan_out=True, task_type="CAUSAL_LM")


def batch():
    T = max(len(t) for t in TOKENS)
    ids = torch.zeros(len(TOKENS), T, dtype=torch.long)
    att = torch.zeros(len(TOKENS), T, dtype=torch.long)
    labels = torch.full((len(TOKENS), T), -100, dtype=torch.long)
    for b, (t, m) in enumerate(zip(TOKENS, MASKS)):
        ids[b, :len(t)] = torch.tensor(t)
        att[b, :len(t)] = 1
        for i, (tok, keep) in enumerate(zip(t, m)):
            if keep:
                labels[b, i] = tok
    return ids, att, labels


def saved_name(name):
    return name.replace(".default", "")


def step(arch):
    from peft import get_peft_model
    model = tiny(arch)
    save_file(base_tensors(model, arch), os.path.join(HERE, f"tiny-{arch}-base.safetensors"))
    peft_model = get_peft_model(model, lora_config(arch))
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():  # A and B both non-zero so every gradient is informative
        for name, p in peft_model.named_parameters():
            if "lora_" in name:
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * 0.2)
    lora = {n: p for n, p in peft_model.named_parameters() if p.requires_grad}
    initial = {saved_name(n): p.detach().clone() for n, p in lora.items()}
    ids, att, labels = batch()
    out = peft_model(input_ids=ids, attention_mask=att, labels=labels)
    out.loss.backward()
    grads = {"grad." + saved_name(n): p.grad.detach().clone() for n, p in lora.items()}
    opt = torch.optim.Adam(list(lora.values()), lr=LR)
    opt.step()
    updated = {"updated." + saved_name(n): p.detach().clone() for n, p in lora.items()}
    tensors = {**initial, **grads, **updated}
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(HERE, f"tiny-{arch}-step.safetensors"))
    cfg = model.config
    meta = {"architecture": arch, "tokens": TOKENS, "masks": MASKS, "rank": RANK, "alpha": ALPHA, "lr": LR,
            "loss": out.loss.item(), "vocab": cfg.vocab_size,
            "note": "PyTorch " + torch.__version__ + ", float32 CPU, Adam defaults (betas 0.9/0.999, eps 1e-8)"}
    with open(os.path.join(HERE, f"tiny-{arch}-step.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(arch, "loss", out.loss.item())


def peft_logits(arch):
    from peft import PeftModel
    model = tiny(arch)
    ours = os.path.join(HERE, f"peft-ours-{arch}")
    peft_model = PeftModel.from_pretrained(model, ours).eval()
    ids = torch.tensor([TOKENS[0]])
    with torch.no_grad():
        logits = peft_model(input_ids=ids).logits[0]
        base = model.get_base_model()(input_ids=ids).logits[0] if hasattr(model, "get_base_model") else None
    save_file({"logits": logits.contiguous()}, os.path.join(HERE, f"peft-ours-{arch}-logits.safetensors"))
    print(arch, "peft logits", tuple(logits.shape), "max |logit|", logits.abs().max().item())


def smollm2():
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from peft import get_peft_model, LoraConfig
    gguf = os.environ.get("FEDHDS_MODEL", os.path.expanduser("~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    d, f = os.path.dirname(gguf), os.path.basename(gguf)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    # The first Dolly sample with a context, Alpaca prompt of docs/ALGORITHM.md, response + EOS as target.
    path = os.path.join(os.path.dirname(__file__), "../../../../data/dolly/databricks-dolly-15k.jsonl")
    with open(path) as fh:
        sample = next(json.loads(l) for l in fh if json.loads(l)["context"].strip())
    prompt = ("Below is an instruction that describes a task, paired with an input that provides further context. "
              "Write a response for the task request.\n\n### Instruction:\n" + sample["instruction"] +
              "\n\n### Input:\n" + sample["context"] + "\n\n### Response:")
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    r_ids = tok(sample["response"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    ids = (p_ids + r_ids)[:1024]
    mask = ([0] * len(p_ids) + [1] * len(r_ids))[:1024]
    cfg = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=LLAMA_TARGETS, task_type="CAUSAL_LM")
    pm = get_peft_model(model, cfg)
    # Deterministic non-zero adapter both sides can make: value of flat index i of a view's A (or B)
    # = 0.02 * sin(0.37 * i + 1.3 * view) (A) and 0.01 * cos(0.23 * i + 0.7 * view) (B), views in
    # (layer, projection) order.
    views = []
    with torch.no_grad():
        v = 0
        for layer in range(model.config.num_hidden_layers):
            for proj in LLAMA_TARGETS:
                sub = "self_attn" if proj in LLAMA_TARGETS[:4] else "mlp"
                mod = pm.base_model.model.model.layers[layer].__getattr__(sub).__getattr__(proj)
                A, B = mod.lora_A["default"].weight, mod.lora_B["default"].weight
                ia = torch.arange(A.numel(), dtype=torch.float64)
                ib = torch.arange(B.numel(), dtype=torch.float64)
                A.copy_((0.02 * torch.sin(0.37 * ia + 1.3 * v)).float().view_as(A))
                B.copy_((0.01 * torch.cos(0.23 * ib + 0.7 * v)).float().view_as(B))
                views.append((layer, proj, A, B))
                v += 1
    ids_t = torch.tensor([ids])
    labels = torch.tensor([[t if m else -100 for t, m in zip(ids, mask)]])
    out = pm(input_ids=ids_t, labels=labels)
    out.loss.backward()
    norms = [{"layer": l, "projection": p, "gradA": A.grad.norm().item(), "gradB": B.grad.norm().item()}
             for l, p, A, B in views]
    total = math.sqrt(sum(n["gradA"] ** 2 + n["gradB"] ** 2 for n in norms))
    with open(os.path.join(HERE, "smollm2-dolly-step.json"), "w") as fh:
        json.dump({"tokens": ids, "mask": mask, "loss": out.loss.item(), "gradNorm": total, "views": norms,
                   "note": "transformers loads the Q4_1 GGUF dequantised to float32; LoRA r8 alpha16 dropout 0"}, fh)
    print("smollm2 loss", out.loss.item(), "grad norm", total, "tokens", len(ids))


def dolly_overfit():
    """Token ids of 8 short real Dolly samples (Alpaca prompt masked, response + EOS as target)
    for the overfitting test."""
    from transformers import AutoTokenizer
    gguf = os.environ.get("FEDHDS_MODEL", os.path.expanduser("~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    tok = AutoTokenizer.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf))
    out = []
    with open(os.path.join(os.path.dirname(__file__), "../../../../data/dolly/databricks-dolly-15k.jsonl")) as fh:
        for i, line in enumerate(fh):
            s = json.loads(line)
            if s["context"].strip():
                continue
            prompt = ("Below is an instruction that describes a task. Write a response for the task request."
                      "\n\n### Instruction:\n" + s["instruction"] + "\n\n### Response:")
            p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
            r_ids = tok(s["response"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
            if 10 <= len(r_ids) <= 30 and len(p_ids) + len(r_ids) <= 64:
                out.append({"line": i, "tokens": p_ids + r_ids, "mask": [0] * len(p_ids) + [1] * len(r_ids)})
            if len(out) == 8:
                break
    with open(os.path.join(HERE, "dolly-overfit-8.json"), "w") as fh:
        json.dump(out, fh)
    print("overfit samples", [len(o["tokens"]) for o in out])


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "step"
    if what == "step":
        step("llama"); step("gpt2")
    elif what == "peft-logits":
        peft_logits("llama"); peft_logits("gpt2")
    elif what == "smollm2":
        smollm2(); dolly_overfit()
    elif what == "overfit":
        dolly_overfit()
