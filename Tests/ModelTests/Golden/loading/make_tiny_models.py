"""Makes the tiny Hugging Face model folders shared by the Model tests, and loading goldens.

Run from this folder with the reference python:
    ~/.cache/fedhds-reference/venv/bin/python loading/make_tiny_models.py

Writes (all small, float32):
  ../tiny-llama/      LlamaForCausalLM (vocab = tiny tokenizer, d 32, 2 layers, 4 heads, 2 KV heads,
                      untied LM head), config.json, model.safetensors, tokenizer.json (adds BOS)
  ../tiny-gpt2/       GPT2LMHeadModel (d 32, 2 layers, 4 heads, n_inner null, tied), same tokenizer
                      without BOS
  loading/tiny-llama-sharded/  the same LLaMA saved by transformers in several shards + index
  loading/mixed.safetensors    F32, F16 and BF16 tensors with __metadata__ (written by torch/safetensors)
  loading/expect.json          values the Swift tests compare against
"""
import json, os, shutil
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers, processors
from transformers import LlamaConfig, LlamaForCausalLM, GPT2Config, GPT2LMHeadModel

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.dirname(HERE)
torch.manual_seed(1234)

# ---- a small byte-level BPE tokenizer trained on Dolly (digits split one by one, like SmolLM2)
texts = []
with open(os.path.join(os.path.dirname(__file__), "../../../../data/dolly/databricks-dolly-15k.jsonl")) as f:
    for i, line in enumerate(f):
        if i >= 3000:
            break
        r = json.loads(line)
        texts.append(r["instruction"] + "\n" + r["response"])
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Digits(individual_digits=True),
    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=specials, show_progress=False,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
tok.train_from_iterator(texts, trainer)
V = tok.get_vocab_size()
bos = tok.token_to_id("<|im_start|>")
eos = tok.token_to_id("<|im_end|>")

def save_tokenizer(path, add_bos):
    if add_bos:
        tok.post_processor = processors.TemplateProcessing(
            single="<|im_start|> $A", pair="<|im_start|> $A <|im_start|> $B", special_tokens=[("<|im_start|>", bos)])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.save(path)

def perturb(model):
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)

# ---- tiny LLaMA
lcfg = LlamaConfig(vocab_size=V, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                   rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=False,
                   bos_token_id=bos, eos_token_id=eos)
llama = LlamaForCausalLM(lcfg).eval()
perturb(llama)
d = os.path.join(GOLDEN, "tiny-llama")
shutil.rmtree(d, ignore_errors=True)
llama.save_pretrained(d, safe_serialization=True)
save_tokenizer(os.path.join(d, "tokenizer.json"), add_bos=True)
for extra in ("generation_config.json",):
    p = os.path.join(d, extra)
    if os.path.exists(p):
        os.remove(p)
sd = os.path.join(HERE, "tiny-llama-sharded")
shutil.rmtree(sd, ignore_errors=True)
llama.save_pretrained(sd, safe_serialization=True, max_shard_size="60KB")
p = os.path.join(sd, "generation_config.json")
if os.path.exists(p):
    os.remove(p)
assert os.path.exists(os.path.join(sd, "model.safetensors.index.json")), "expected a sharded save"

# ---- tiny GPT-2
gcfg = GPT2Config(vocab_size=V, n_embd=32, n_layer=2, n_head=4, n_positions=64, n_inner=None,
                  layer_norm_epsilon=1e-5, bos_token_id=eos, eos_token_id=eos)
gpt2 = GPT2LMHeadModel(gcfg).eval()
perturb(gpt2)
d = os.path.join(GOLDEN, "tiny-gpt2")
shutil.rmtree(d, ignore_errors=True)
gpt2.save_pretrained(d, safe_serialization=True)
save_tokenizer(os.path.join(d, "tokenizer.json"), add_bos=False)
p = os.path.join(d, "generation_config.json")
if os.path.exists(p):
    os.remove(p)

# ---- a mixed-dtype safetensors file
mixed = {
    "f32": torch.tensor([[1.5, -2.25, 3.0], [0.0, 1e-30, -7.125]], dtype=torch.float32),
    "f16": torch.tensor([1.0, -0.5, 65504.0, 6.1035e-05, 5.96e-08, -3.0e-06, float("inf"), 0.333], dtype=torch.float16),
    "bf16": torch.tensor([[1.0, -2.5], [3.140625, 1e20], [-1e-20, 0.0078125]], dtype=torch.bfloat16),
    "empty": torch.zeros((0, 4), dtype=torch.float32),
}
save_file(mixed, os.path.join(HERE, "mixed.safetensors"), metadata={"format": "pt", "note": "fedhds golden"})

def rows(t, n=2, m=4):
    return t[:n, :m].float().tolist() if t.dim() == 2 else t[:m].float().tolist()

expect = {
    # float32 bit patterns of the values as torch converts them (exact; inf has no JSON number)
    "mixed": {k: {"shape": list(v.shape), "bits": v.float().flatten().view(torch.int32).tolist()}
              for k, v in mixed.items()},
    "mixed_metadata": {"format": "pt", "note": "fedhds golden"},
    "tiny_llama": {
        "vocab": V, "bos": bos, "eos": eos,
        # HF names -> shape, sum, first rows (as stored: [out, in])
        "tensors": {k: {"shape": list(v.shape), "sum": float(v.double().sum()), "head": rows(v)}
                    for k, v in llama.state_dict().items()},
    },
    "tiny_gpt2": {
        # Conv1D weights as stored by HF: [in, out]; the Swift side holds them [out, in]
        "tensors": {k: {"shape": list(v.shape), "sum": float(v.double().sum()), "head": rows(v)}
                    for k, v in gpt2.state_dict().items() if not k.endswith("attn.bias") and not k.endswith("masked_bias")},
    },
}
with open(os.path.join(HERE, "expect.json"), "w") as f:
    json.dump(expect, f, indent=1)
print("vocab", V, "bos", bos, "eos", eos)
