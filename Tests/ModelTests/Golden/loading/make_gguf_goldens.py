"""Goldens of the default model's weights as transformers dequantises them from the GGUF.

transformers' GGUF loader dequantises with the gguf package and undoes llama.cpp's Q/K row
permutation, so its tensors are the Hugging Face-ordered weights our loader must reproduce.
Run from this folder: ~/.cache/fedhds-reference/venv/bin/python make_gguf_goldens.py [GGUF]
Writes smollm2_weights.json (row sums of q/k of two layers, checksums and a few values of others).
"""
import json, os, sys
import torch
from transformers import AutoModelForCausalLM

gguf = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
    "~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf")
model = AutoModelForCausalLM.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf),
                                             torch_dtype=torch.float32)
sd = model.state_dict()
out = {"tensors": {}}
names = ["model.embed_tokens.weight", "model.norm.weight"]
for layer in (0, 29):
    p = f"model.layers.{layer}."
    names += [p + n for n in ("self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                              "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
                              "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight")]
for n in names:
    t = sd[n].double()
    e = {"shape": list(t.shape), "sum": float(t.sum()), "sumsq": float((t * t).sum())}
    if t.dim() == 2:
        e["head"] = t[:2, :8].tolist()
        e["rows"] = {str(r): t[r, :8].tolist() for r in (0, 1, 31, 32, 33, 63, 64, t.shape[0] - 1)}
        if "q_proj" in n or "k_proj" in n:
            e["rowsums"] = t.sum(dim=1).tolist()
    else:
        e["head"] = t[:8].tolist()
    out["tensors"][n] = e
cfg = model.config
out["config"] = {"vocab_size": cfg.vocab_size, "hidden_size": cfg.hidden_size, "intermediate_size": cfg.intermediate_size,
                 "num_hidden_layers": cfg.num_hidden_layers, "num_attention_heads": cfg.num_attention_heads,
                 "num_key_value_heads": cfg.num_key_value_heads, "max_position_embeddings": cfg.max_position_embeddings,
                 "rms_norm_eps": cfg.rms_norm_eps, "tie_word_embeddings": bool(cfg.tie_word_embeddings)}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "smollm2_weights.json"), "w") as f:
    json.dump(out, f)
print("lm_head tied:", model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr())
print(out["config"])
