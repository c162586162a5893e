"""Golden files of the inference tests (run with the reference venv, from this folder).

  python make_goldens.py tiny     tiny random LLaMA (GQA, rope base 500, untied head) and GPT-2
                                  written as raw float32 weights + JSON manifests, with PyTorch
                                  transformers' logits and all hidden states (float64 forward)
  python make_goldens.py smollm2-hf        SmolLM2-135M-Instruct Q4_1 GGUF (env FEDHDS_MODEL or
                                  the default cache path): token ids, and transformers (same GGUF,
                                  dequantised) last-token hidden states of all 31 slots (first 64
                                  values and the norm of every slot, the whole last slot) and logits
  python make_goldens.py smollm2-llamacpp  then adds llama.cpp's logits (top-32, a slice, argmax per
                                  position) and 32 greedy tokens (PYTHONPATH may point at a
                                  llama_cpp built with GGML_NATIVE=OFF, see smollm2_llamacpp)
"""
import json, os, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def export_weights(model, name, config_dict, skip=()):
    """Writes NAME.bin (concatenated little-endian float32) and returns the manifest entries."""
    entries, offset = [], 0
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        for key, t in model.state_dict().items():
            if any(key.endswith(s) for s in skip):
                continue
            a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4")
            f.write(a.tobytes())
            entries.append({"name": key, "shape": list(a.shape), "offset": offset})
            offset += a.size
    return entries


def run_reference(model, sequences):
    out = []
    with torch.no_grad():
        for seq in sequences:
            r = model(torch.tensor([seq]), output_hidden_states=True)
            hidden = torch.stack([h[0] for h in r.hidden_states])  # [L+1, n, d]
            out.append({"tokens": seq,
                        "logits": r.logits[0].flatten().tolist(),
                        "hidden": hidden.flatten().tolist()})
    return out


def randomize(model, gen, std):
    with torch.no_grad():
        for key, p in model.named_parameters():
            if "norm" in key or ".ln_" in key or key.startswith("transformer.ln_f"):
                if key.endswith("weight"):
                    p.copy_(1 + 0.3 * torch.randn(p.shape, generator=gen))
                else:
                    p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif key.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(std * torch.randn(p.shape, generator=gen))


def tiny():
    from transformers import LlamaConfig, LlamaForCausalLM, GPT2Config, GPT2LMHeadModel
    gen = torch.Generator().manual_seed(1234)
    rng = np.random.default_rng(5)
    cases = []
    lc = LlamaConfig(vocab_size=97, hidden_size=48, intermediate_size=80, num_hidden_layers=3,
                     num_attention_heads=6, num_key_value_heads=2, max_position_embeddings=128,
                     rms_norm_eps=1e-5, tie_word_embeddings=False, rope_theta=500.0,
                     attention_bias=False, mlp_bias=False)
    lc.rope_parameters = {"rope_type": "default", "rope_theta": 500.0}
    llama = LlamaForCausalLM(lc).eval()
    randomize(llama, gen, 0.15)
    cases.append(("tiny-llama", llama, {
        "architecture": "llama", "vocabSize": 97, "hiddenSize": 48, "intermediateSize": 80, "layerCount": 3,
        "headCount": 6, "kvHeadCount": 2, "contextLength": 128, "ropeTheta": 500.0, "normEpsilon": 1e-5,
        "tiedEmbeddings": False}, (), 97))
    gc = GPT2Config(vocab_size=89, n_embd=32, n_layer=2, n_head=4, n_positions=96, n_inner=None,
                    activation_function="gelu_new", layer_norm_epsilon=1e-5, tie_word_embeddings=True)
    gpt2 = GPT2LMHeadModel(gc).eval()
    randomize(gpt2, gen, 0.15)
    cases.append(("tiny-gpt2", gpt2, {
        "architecture": "gpt2", "vocabSize": 89, "hiddenSize": 32, "intermediateSize": 128, "layerCount": 2,
        "headCount": 4, "kvHeadCount": 4, "contextLength": 96, "ropeTheta": 10000.0, "normEpsilon": 1e-5,
        "tiedEmbeddings": True}, (".attn.bias", ".attn.masked_bias", "lm_head.weight"), 89))
    for name, model, cfg, skip, vocab in cases:
        print(name, model.config.to_dict().get("rope_parameters"), file=sys.stderr)
        entries = export_weights(model, name, cfg, skip)
        sequences = [rng.integers(0, vocab, n).tolist() for n in (9, 1, 23, 14)]
        golden = {"config": cfg, "tensors": entries,
                  "reference": run_reference(model.double(), sequences)}
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump(golden, f)


PROMPTS = [
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nName three primary colors.\n\n### Response:",
    "The capital of France is",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "Once upon a time, in a small village by the sea, there lived an old fisherman who",
    "Q: What is 17 + 25?\nA:",
    "Translate to French: I would like a cup of coffee, please.",
]


def gguf_path():
    return os.environ.get("FEDHDS_MODEL") or os.path.expanduser(
        "~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf")


def golden_file():
    return os.path.join(HERE, "smollm2.json")


def smollm2_hf():
    """Token ids (llama.cpp's tokenizer, vocab only) and transformers' outputs on the same GGUF."""
    from llama_cpp import Llama
    path = gguf_path()
    vocab = Llama(model_path=path, vocab_only=True, verbose=False)
    prompts = [{"text": t, "tokens": vocab.tokenize(t.encode(), add_bos=False, special=True)} for t in PROMPTS]
    del vocab
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                                 dtype=torch.float32).eval()
    torch.set_num_threads(2)
    with torch.no_grad():
        for entry in prompts:
            r = model(torch.tensor([entry["tokens"]]), output_hidden_states=True)
            hs = torch.stack([h[0, -1] for h in r.hidden_states]).double()  # [L+1, d]
            entry["hfHiddenHead"] = hs[:, :64].flatten().tolist()
            entry["hfHiddenNorms"] = hs.norm(dim=1).tolist()
            entry["hfHiddenLast"] = hs[-1].tolist()
            logits = r.logits[0, -1].double()
            top = torch.argsort(-logits)[:32]
            entry["hfTopIds"] = top.tolist()
            entry["hfTopLogits"] = logits[top].tolist()
            entry["hfArgmax"] = r.logits[0].argmax(dim=1).tolist()
    with open(golden_file(), "w") as f:
        json.dump({"model": os.path.basename(path), "prompts": prompts}, f)


def smollm2_llamacpp():
    """Adds llama.cpp's logits (top-32 of the last token, a slice, argmax per position) and 32
    greedy tokens to smollm2.json. llama.cpp must run on this CPU: a GGML_NATIVE build that uses
    instructions the sandbox lacks dies with SIGILL; build it with GGML_NATIVE=OFF then."""
    from llama_cpp import Llama
    with open(golden_file()) as f:
        golden = json.load(f)
    llm = Llama(model_path=gguf_path(), n_ctx=512, n_batch=512, n_threads=2, logits_all=True, verbose=False)
    for entry in golden["prompts"]:
        ids = entry["tokens"]
        llm.reset()
        llm.eval(ids)
        scores = np.array(llm.scores[: len(ids)], dtype=np.float64)
        last = scores[-1]
        top = np.argsort(-last)[:32]
        entry.update({"argmax": scores.argmax(axis=1).tolist(), "topIds": top.tolist(),
                      "topLogits": last[top].tolist(), "sliceStart": 1000, "slice": last[1000:1256].tolist()})
        greedy = []
        for _ in range(32):  # argmax of llama.cpp's logits, fed back one at a time
            tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            greedy.append(tok)
            llm.eval([tok])
        entry["greedy"] = greedy
    with open(golden_file(), "w") as f:
        json.dump(golden, f)


if __name__ == "__main__":
    {"tiny": tiny, "smollm2-hf": smollm2_hf, "smollm2-llamacpp": smollm2_llamacpp}[sys.argv[1]]()
