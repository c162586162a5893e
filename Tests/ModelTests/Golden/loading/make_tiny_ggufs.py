"""Tiny GGUF files of ../tiny-llama and ../tiny-gpt2, written the way llama.cpp's
convert_hf_to_gguf.py writes them (LLaMA Q/K rows permuted per head, GPT-2 Conv1D transposed,
llama.cpp tensor names and metadata), in several tensor types, and goldens of their weights as
transformers dequantises and un-permutes them.

Run from this folder: ~/.cache/fedhds-reference/venv/bin/python make_tiny_ggufs.py
Writes tiny-llama.Q4_0.gguf (Q4_0 matrices, Q8_0 embedding, Q4_1 output), tiny-llama.BF16.gguf
(BF16 matrices, F16 embedding), tiny-gpt2.F16.gguf (F16 matrices, F32 vectors, output = token_embd)
and tiny_gguf_expect.json. The script asserts that transformers' tensors match the original
HF weights within the quantisation error, so the files follow llama.cpp's conventions.
"""
import json, os
import numpy as np
import torch
import gguf
from gguf import GGUFWriter, GGMLQuantizationType as Q
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.dirname(HERE)

def tokenizer_metadata(w, folder, add_bos):
    tj = json.load(open(os.path.join(GOLDEN, folder, "tokenizer.json")))
    vocab = dict(tj["model"]["vocab"])
    for t in tj["added_tokens"]:
        vocab[t["content"]] = t["id"]
    tokens = [None] * (max(vocab.values()) + 1)
    for t, i in vocab.items():
        tokens[i] = t
    special = {t["id"] for t in tj["added_tokens"]}
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm")
    w.add_token_list(tokens)
    w.add_token_types([3 if i in special else 1 for i in range(len(tokens))])
    w.add_token_merges(merges)
    cfg = json.load(open(os.path.join(GOLDEN, folder, "config.json")))
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])
    w.add_add_bos_token(add_bos)

def add(w, name, t, qtype):
    a = t.detach().float().numpy().astype(np.float32)
    if qtype == Q.F32:
        w.add_tensor(name, a)
    elif qtype == Q.F16:
        w.add_tensor(name, a.astype(np.float16))
    else:
        data = gguf.quants.quantize(a, qtype)
        w.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)

def permute(weights, n_head, n_head_kv):  # as convert_hf_to_gguf.py LlamaModel.permute
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))

def write_llama(path, matrix_type, embed_type, output_type):
    cfg = json.load(open(os.path.join(GOLDEN, "tiny-llama", "config.json")))
    sd = load_file(os.path.join(GOLDEN, "tiny-llama", "model.safetensors"))
    H, Hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    w = GGUFWriter(path, "llama")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(H)
    w.add_head_count_kv(Hkv)
    w.add_rope_freq_base(cfg["rope_parameters"]["rope_theta"])
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_rope_dimension_count(cfg["hidden_size"] // H)
    w.add_vocab_size(cfg["vocab_size"])
    w.add_file_type(2)
    tokenizer_metadata(w, "tiny-llama", add_bos=True)
    add(w, "token_embd.weight", sd["model.embed_tokens.weight"], embed_type)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        add(w, f"blk.{i}.attn_norm.weight", sd[p + "input_layernorm.weight"], Q.F32)
        add(w, f"blk.{i}.attn_q.weight", permute(sd[p + "self_attn.q_proj.weight"], H, H), matrix_type)
        add(w, f"blk.{i}.attn_k.weight", permute(sd[p + "self_attn.k_proj.weight"], H, Hkv), matrix_type)
        add(w, f"blk.{i}.attn_v.weight", sd[p + "self_attn.v_proj.weight"], matrix_type)
        add(w, f"blk.{i}.attn_output.weight", sd[p + "self_attn.o_proj.weight"], matrix_type)
        add(w, f"blk.{i}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"], Q.F32)
        add(w, f"blk.{i}.ffn_gate.weight", sd[p + "mlp.gate_proj.weight"], matrix_type)
        add(w, f"blk.{i}.ffn_up.weight", sd[p + "mlp.up_proj.weight"], matrix_type)
        add(w, f"blk.{i}.ffn_down.weight", sd[p + "mlp.down_proj.weight"], matrix_type)
    add(w, "output_norm.weight", sd["model.norm.weight"], Q.F32)
    add(w, "output.weight", sd["lm_head.weight"], output_type)
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    return sd

def write_gpt2(path, matrix_type):
    cfg = json.load(open(os.path.join(GOLDEN, "tiny-gpt2", "config.json")))
    sd = load_file(os.path.join(GOLDEN, "tiny-gpt2", "model.safetensors"))
    w = GGUFWriter(path, "gpt2")
    w.add_context_length(cfg["n_positions"])
    w.add_embedding_length(cfg["n_embd"])
    w.add_block_count(cfg["n_layer"])
    w.add_feed_forward_length(4 * cfg["n_embd"])
    w.add_head_count(cfg["n_head"])
    w.add_layer_norm_eps(cfg["layer_norm_epsilon"])
    w.add_file_type(1)
    tokenizer_metadata(w, "tiny-gpt2", add_bos=False)
    t = "transformer."
    add(w, "token_embd.weight", sd[t + "wte.weight"], matrix_type)
    add(w, "position_embd.weight", sd[t + "wpe.weight"], Q.F32)
    names = {"ln_1": "attn_norm", "ln_2": "ffn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
             "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}
    for i in range(cfg["n_layer"]):
        for hf, ll in names.items():
            wt, b = sd[f"{t}h.{i}.{hf}.weight"], sd[f"{t}h.{i}.{hf}.bias"]
            if hf.startswith("ln"):
                add(w, f"blk.{i}.{ll}.weight", wt, Q.F32)
            else:  # Conv1D [in, out] -> [out, in], as the converter does
                add(w, f"blk.{i}.{ll}.weight", wt.T.contiguous(), matrix_type)
            add(w, f"blk.{i}.{ll}.bias", b, Q.F32)
    add(w, "output_norm.weight", sd[t + "ln_f.weight"], Q.F32)
    add(w, "output_norm.bias", sd[t + "ln_f.bias"], Q.F32)
    add(w, "output.weight", sd[t + "wte.weight"], matrix_type)  # the converter writes the tied matrix again
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
    return {k[len(t):] if k.startswith(t) else k: v for k, v in sd.items()}

def summary(name, t):
    t = t.double()
    e = {"shape": list(t.shape), "sum": float(t.sum()), "sumsq": float((t * t).sum())}
    e["head"] = t[:2, :8].tolist() if t.dim() == 2 else t[:8].tolist()
    if t.dim() == 2:
        e["rowsums"] = t.sum(dim=1).tolist()
    return e

expect = {}
specs = [("tiny-llama.Q4_0.gguf", lambda p: write_llama(p, Q.Q4_0, Q.Q8_0, Q.Q4_1), 0.08),
         ("tiny-llama.BF16.gguf", lambda p: write_llama(p, Q.BF16, Q.F16, Q.BF16), 0.002),
         ("tiny-gpt2.F16.gguf", lambda p: write_gpt2(p, Q.F16), 0.0005)]
for name, write, tolerance in specs:
    path = os.path.join(HERE, name)
    original = write(path)
    # transformers maps gpt2.context_length to n_ctx, not n_positions: give it explicitly
    extra = {"n_positions": 64} if "gpt2" in name else {}
    model = AutoModelForCausalLM.from_pretrained(HERE, gguf_file=name, dtype=torch.float32, **extra)
    loaded = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in model.state_dict().items()}
    worst = 0.0
    entry = {}
    for k, v in original.items():
        ref = loaded[k]
        diff = float((ref.float() - v.float()).abs().max())
        assert diff <= tolerance, (name, k, diff)
        worst = max(worst, diff)
        entry[k] = summary(k, ref)
    print(f"{name}: {os.path.getsize(path)} bytes, transformers vs original max |diff| {worst:.4g}")
    expect[name] = entry
with open(os.path.join(HERE, "tiny_gguf_expect.json"), "w") as f:
    json.dump(expect, f)
