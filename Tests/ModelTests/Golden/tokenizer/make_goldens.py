"""Token-id goldens for the byte-level BPE tokenizer, from independent implementations.

Run from this folder: ~/.cache/fedhds-reference/venv/bin/python make_goldens.py [GGUF]

1. SmolLM2 (GGUF source): a Hugging Face `tokenizers` pipeline is built from the GGUF's vocab,
   merges and token types with SmolLM2's pre-tokenizer (Digits(individual_digits=True), then
   ByteLevel(add_prefix_space=False, use_regex=True)); its ids are the goldens. The same strings
   are cross-checked with llama.cpp (llama_cpp.Llama(vocab_only=True).tokenize(special=True)) and
   disagreements are reported (and stored). The pipeline is saved as smollm2-tokenizer.json, the
   fixture of the tokenizer.json source, whose goldens are the same ids.
2. The tiny tokenizers of ../tiny-llama (adds BOS via TemplateProcessing) and ../tiny-gpt2:
   ids from `tokenizers` loading those tokenizer.json files, with special tokens added.
Writes cases.json.
"""
import json, os, random, sys
from gguf import GGUFReader
from tokenizers import Tokenizer, AddedToken, models, pre_tokenizers, decoders
import llama_cpp

HERE = os.path.dirname(os.path.abspath(__file__))
gguf_path = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
    "~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf")

# ---------------------------------------------------------------- strings
fixed = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", "\t\t\tindent", "a\tb\tc",
    "Hello, world!", "Hello world", " Hello world", "Hello  world", "Hello   world   ", "   leading spaces",
    "trailing spaces   ", "The quick brown fox jumps over the lazy dog.",
    "I'm sure you're right, they've said it'll work and we'd know.", "DON'T SHOUT, I'M HERE", "it's 'quoted' text",
    "He said \"yes\" -- then left...", "rock'n'roll", "''s", " 's", "o'clock",
    "0", "7", "42", "123", "1234567890", "3.14159", "1,000,000", "2024-01-15", "$100.50", "0xFF", "v1.2.3",
    "Call 555-0123 now", "x2 + y2 = z2", "a1b2c3", "  12  34  ", "1 2 3", "12\n34", "٣٤٥ Arabic digits",
    "x² and ½ and Ⅻ and ①", "10%", "-5", "+7.5e-3",
    "naïve café résumé", "e\u0301 combining accent", "Größe Straße", "İstanbul", "Tiếng Việt có dấu",
    "Ελληνικά γράμματα", "Русский текст, привет!", "עברית", "مرحبا بالعالم", "العربية ١٢٣", "हिन्दी भाषा",
    "ภาษาไทย", "한국어 텍스트", "日本語のテキスト", "中文文本，标点。", "混合English和中文123",
    "😀", "😀😀😀", "emoji 🚀 rocket", "👨‍👩‍👧 family", "🇫🇷🇩🇪 flags", "❤️ heart", "✓ check ✗",
    "non\u00a0breaking space", "ideographic\u3000space", "zero\u200bwidth", "tab\tand\u000bvertical\u000cfeed",
    "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}",
    "import numpy as np\nnp.zeros((3, 4))", "SELECT * FROM t WHERE id = 1;", "<div class=\"x\">hi</div>",
    "if x == 1:\n        pass\n\n\n", "    \n    \n", "a = b; // comment", "#include <stdio.h>",
    "https://example.com/path?q=1&r=2", "user@example.org", "C:\\Windows\\System32", "~/.cache/fedhds",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
    "text<|im_end|>more", "<|im_start|><|im_end|>", "<|im_start", "im_start|>", "< |im_start| >",
    "<|endoftext|><|endoftext|>", " <|im_start|> spaced ",
    "ALLCAPS lowercase MixedCase camelCase snake_case kebab-case", "!!!???...", "---===+++", "(((nested)))",
    "a  b   c    d     e", "word\n\n\nword", "line1\r\nline2\r\n", "end with newline\n", "\n\nstart with newlines",
    "  \t  mixed \t whitespace  \t", "a\u2028b\u2029c", "…ellipsis", "—em dash–en dash", "«guillemets»", "„Anführung“",
]

frags = ["hello", "World", " the", "don't", "I'll", "123", "4", " 56", "3.5", "\t", "\n", "  ", "   ", " ",
         "😀", "🎉🎉", "中文", "日本", "한국", "مرحبا", "café", "über", "ñ", "Ωμέγα", "(", ")", "{", "}", ";",
         "==", "->", "'s", "'RE", "x²", "٣", "<|im_end|>", "<|im_start|>", "\r\n", "foo_bar", "BAZ", "--", "...",
         "\u00a0", "\u3000", "é", "e\u0301", "👍🏽", "fn", "=", "'"]
rng = random.Random(20241121)
generated = []
for _ in range(140):
    n = rng.randint(2, 8)
    generated.append("".join(rng.choice(frags) for _ in range(n)))

dolly = []
with open(os.path.join(os.path.dirname(__file__), "../../../../data/dolly/databricks-dolly-15k.jsonl")) as f:
    for i, line in enumerate(f):
        if i % 400 == 7:
            r = json.loads(line)
            dolly.append(r["instruction"])
            dolly.append(r["response"][:300])
        if len(dolly) >= 40:
            break
strings = fixed + generated + dolly
assert len(strings) >= 200, len(strings)

# ---------------------------------------------------------------- SmolLM2 from the GGUF
reader = GGUFReader(gguf_path)
def field(name):
    return reader.fields[name].contents()
tokens = field("tokenizer.ggml.tokens")
merges = field("tokenizer.ggml.merges")
types = field("tokenizer.ggml.token_type")
assert field("tokenizer.ggml.pre") == "smollm"
vocab = {t: i for i, t in enumerate(tokens)}
tok = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges]))
tok.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Digits(individual_digits=True),
    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
tok.decoder = decoders.ByteLevel()
specials = [AddedToken(tokens[i], special=True, normalized=False) for i, t in enumerate(types) if t in (3, 4)]
tok.add_special_tokens(specials)
tok.save(os.path.join(HERE, "smollm2-tokenizer.json"), pretty=False)

llm = llama_cpp.Llama(model_path=gguf_path, vocab_only=True, verbose=False)
cases = []
disagreements = 0
for s in strings:
    ids = tok.encode(s, add_special_tokens=False).ids
    dec = tok.decode(ids, skip_special_tokens=False)
    assert dec == s, (s, dec)
    ref = llm.tokenize(s.encode("utf-8"), add_bos=False, special=True)
    case = {"text": s, "ids": ids}
    if ref != ids:
        disagreements += 1
        case["llama_cpp_ids"] = ref
        print("llama.cpp differs:", repr(s), ids, ref)
    cases.append(case)
print(f"SmolLM2: {len(cases)} strings, llama.cpp disagrees on {disagreements}")

# ---------------------------------------------------------------- tiny tokenizer.json files
def tiny(folder):
    t = Tokenizer.from_file(os.path.join(HERE, "..", folder, "tokenizer.json"))
    out = []
    for s in strings:
        ids = t.encode(s, add_special_tokens=True).ids
        out.append({"text": s, "ids": ids})
    return out

# ---------------------------------------------------------------- pre-tokenizer variants
# Small vocabularies trained on Dolly with other pre-tokenizers Hugging Face supports and our
# loader accepts: LLaMA-3's Split regex (with ignore_merges), GPT-2's ByteLevel with
# add_prefix_space, Digits grouping runs, and added tokens with lstrip/rstrip. Each is trained
# with its own pre-tokenizer, so its merges span the pieces that pre-tokenizer makes, and the
# script checks that encoding with the default SmolLM2-style pre-tokenizer would give other ids
# on some strings (so the goldens tell the pre-tokenizers apart). Fixtures in variants/.
from tokenizers import Regex, trainers
LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
train_texts = []
with open(os.path.join(os.path.dirname(__file__), "../../../../data/dolly/databricks-dolly-15k.jsonl")) as f:
    for i, line in enumerate(f):
        if i >= 3000:
            break
        r = json.loads(line)
        train_texts.append(r["instruction"] + "\n" + r["context"] + "\n\n" + r["response"])
default_pre = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
variants = {
    "llama3": (pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), True),
    "gpt2_prefix_space": (pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True), False),
    "digit_runs": (pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]), False),
    "strip_specials": (default_pre, False),
}
os.makedirs(os.path.join(HERE, "variants"), exist_ok=True)
variant_cases = {}
for vname, (pre, ignore_merges) in variants.items():
    t = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    t.pre_tokenizer = pre
    t.decoder = decoders.ByteLevel()
    t.train_from_iterator(train_texts, trainers.BpeTrainer(
        vocab_size=800, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    if vname == "strip_specials":  # <|im_end|> swallows whitespace on its left, <|im_start|> on its right
        j = json.loads(t.to_str())
        for a in j["added_tokens"]:
            a["lstrip"] = a["content"] == "<|im_end|>"
            a["rstrip"] = a["content"] == "<|im_start|>"
        t = Tokenizer.from_str(json.dumps(j))
    path = os.path.join(HERE, "variants", vname + ".json")
    t.save(path, pretty=False)
    t = Tokenizer.from_file(path)
    variant_cases[vname] = [{"text": s, "ids": t.encode(s, add_special_tokens=True).ids} for s in strings]
    # the same vocabulary under the default pre-tokenizer and plain added tokens
    j = json.loads(t.to_str())
    j["pre_tokenizer"] = json.loads(default_pre.__getstate__()) if hasattr(default_pre, "__getstate__") else None
    for a in j["added_tokens"]:
        a["lstrip"] = a["rstrip"] = False
    other = Tokenizer.from_str(json.dumps(j))
    differ = sum(1 for s, c in zip(strings, variant_cases[vname]) if other.encode(s).ids != c["ids"])
    print(f"variant {vname}: {differ} of {len(strings)} strings differ under the default pre-tokenizer")
    assert differ >= 5, vname

result = {
    "variants": variant_cases,
    "smollm2": {"cases": cases, "llama_cpp_disagreements": disagreements, "add_bos": False,
                "bos": int(field("tokenizer.ggml.bos_token_id")), "eos": int(field("tokenizer.ggml.eos_token_id"))},
    "tiny_llama": {"cases": tiny("tiny-llama")},
    "tiny_gpt2": {"cases": tiny("tiny-gpt2")},
}
with open(os.path.join(HERE, "cases.json"), "w") as f:
    json.dump(result, f, ensure_ascii=False, indent=0)
print("tokenizer.json size", os.path.getsize(os.path.join(HERE, "smollm2-tokenizer.json")))
