"""Reference side of bench/model-load.sh: Hugging Face `tokenizers` (the SmolLM2 pipeline built
from the GGUF, one encode per line, single-threaded like ours) and transformers' GGUF load."""
import json, sys, time
from gguf import GGUFReader
from tokenizers import Tokenizer, AddedToken, models, pre_tokenizers, decoders

gguf_path, text_path, load_weights = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
t0 = time.perf_counter()
reader = GGUFReader(gguf_path)
f = lambda k: reader.fields[k].contents()
tokens, merges, types = f("tokenizer.ggml.tokens"), f("tokenizer.ggml.merges"), f("tokenizer.ggml.token_type")
tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=[tuple(m.split(" ", 1)) for m in merges]))
tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                             pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
tok.decoder = decoders.ByteLevel()
tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False) for i, t in enumerate(types) if t in (3, 4)])
load = time.perf_counter() - t0
lines = open(text_path, encoding="utf-8").read().split("\n")
t0 = time.perf_counter()
encoded = [tok.encode(line).ids for line in lines]
seconds = time.perf_counter() - t0
checksum = 0xCBF29CE484222325  # FNV-1a over every id and line end, as ours computes it
for ids in encoded:
    for i in ids + [-1]:
        checksum = ((checksum ^ (i & 0xFFFFFFFFFFFFFFFF)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
out = {"lines": len(lines), "tokens": sum(map(len, encoded)), "tokenize_seconds": seconds,
       "tokenizer_load_seconds": load, "ids_checksum": format(checksum, "x")}
if load_weights:
    import os
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local files only: no network waits in the timing
    import torch
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    AutoModelForCausalLM.from_pretrained(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path),
                                         dtype=torch.float32)
    out["model_load_seconds"] = time.perf_counter() - t0
print(json.dumps(out))
