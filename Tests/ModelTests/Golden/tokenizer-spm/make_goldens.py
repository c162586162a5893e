"""Goldens for the SentencePiece-style (LLaMA-1/2, OpenLLaMA) tokenizer, from independent implementations.

Run from this folder with a venv that has the reference stack plus `sentencepiece` and `protobuf`:
    python -m venv --system-site-packages V; echo ~/.cache/fedhds-reference/venv/lib/python3.11/site-packages \
        > V/lib/python3.11/site-packages/ref.pth; V/bin/pip install sentencepiece protobuf; V/bin/python make_goldens.py

1. Trains a tiny SentencePiece BPE model (vocab 800, byte_fallback, split_digits, identity normalisation,
   add_dummy_prefix, as LLaMA's) on the first 2000 Dolly records (the repo's data/dolly).
2. Converts it with transformers' LlamaConverter (the LlamaTokenizerFast conversion) into
   tokenizer.json (legacy: Prepend("▁") + Replace(" ", "▁") normaliser, as LLaMA-1/2's hub files) and
   tokenizer-metaspace.json (non-legacy: Metaspace pre-tokenizer, prepend_scheme "first").
3. Writes tiny-spm.gguf: a tiny random LLaMA (F32) whose tokenizer metadata is written as llama.cpp's
   convert_hf_to_gguf.py writes SentencePiece vocabularies (model "llama", tokens, scores, token types).
4. cases.json: for >= 200 strings, ids from llama.cpp (Llama(vocab_only=True).tokenize(add_bos=True,
   special=True)) for the GGUF, from `tokenizers` for both json files (add_special_tokens=True, i.e. with
   BOS), sentencepiece's own ids and decode results; disagreements between references are listed.
"""
import json, os, random
import numpy as np
import sentencepiece as spm
from gguf import GGUFWriter
from tokenizers import Tokenizer
from transformers.convert_slow_tokenizer import LlamaConverter, SentencePieceExtractor
from transformers.tokenization_utils_base import generate_merges
import llama_cpp

HERE = os.path.dirname(os.path.abspath(__file__))
os.chdir(HERE)
TMP = "/tmp/fedhds-spm-golden"
os.makedirs(TMP, exist_ok=True)

# ---------------------------------------------------------------- 1. train
lines = []
for i, l in enumerate(open(os.path.join(HERE, "../../../../data/dolly/databricks-dolly-15k.jsonl"))):
    if i >= 2000:
        break
    r = json.loads(l)
    lines += [r["instruction"], r["context"], r["response"]]
open(f"{TMP}/train.txt", "w").write("\n".join(x.replace("\n", " ") for x in lines if x))
spm.SentencePieceTrainer.train(
    input=f"{TMP}/train.txt", model_prefix=f"{TMP}/tiny", vocab_size=800, model_type="bpe", byte_fallback=True,
    character_coverage=0.995, split_digits=True, normalization_rule_name="identity", remove_extra_whitespaces=False,
    add_dummy_prefix=True, allow_whitespace_only_pieces=True, num_threads=1, minloglevel=2)
MODEL = f"{TMP}/tiny.model"
sp = spm.SentencePieceProcessor(model_file=MODEL)

# ---------------------------------------------------------------- 2. tokenizer.json
class Extractor(SentencePieceExtractor):  # transformers 5.23's extract(vocab_scores) is broken for BPE
    def extract(self, vocab_scores=None):
        vocab = {p.piece: i for i, p in enumerate(self.proto.pieces)}
        return vocab, generate_merges(vocab, vocab_scores)

class Orig:  # what LlamaConverter reads from a slow LlamaTokenizer
    def __init__(self, legacy):
        self.vocab_file, self.legacy, self.add_prefix_space = MODEL, legacy, True
    def convert_ids_to_tokens(self, i):
        return sp.id_to_piece(i)

LlamaConverter.SpmExtractor = Extractor
hf = {}
for name, legacy in [("tokenizer.json", True), ("tokenizer-metaspace.json", False)]:
    t = LlamaConverter(Orig(legacy)).converted()
    # LlamaTokenizerFast's post-processor: BOS before the sequence
    tj = json.loads(t.to_str())
    tj["post_processor"] = {"type": "TemplateProcessing",
                            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    open(name, "w").write(json.dumps(tj, ensure_ascii=False, separators=(",", ":")))
    hf[name] = Tokenizer.from_file(name)

# ---------------------------------------------------------------- 3. GGUF
tokens = [sp.id_to_piece(i) for i in range(sp.vocab_size())]
scores = [sp.get_score(i) for i in range(sp.vocab_size())]
types = []
for i in range(sp.vocab_size()):
    types.append(2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 5 if sp.is_unused(i) else 6 if sp.is_byte(i) else 1)
rng = np.random.default_rng(7)
V, D, H, F = len(tokens), 16, 2, 32
w = GGUFWriter("tiny-spm.gguf", "llama")
w.add_context_length(64); w.add_embedding_length(D); w.add_block_count(1); w.add_feed_forward_length(F)
w.add_head_count(H); w.add_head_count_kv(H); w.add_rope_freq_base(10000.0); w.add_layer_norm_rms_eps(1e-6)
w.add_rope_dimension_count(D // H); w.add_vocab_size(V); w.add_file_type(0)
w.add_tokenizer_model("llama"); w.add_tokenizer_pre("default")
w.add_token_list(tokens); w.add_token_scores(scores); w.add_token_types(types)
w.add_bos_token_id(1); w.add_eos_token_id(2); w.add_unk_token_id(0)
w.add_add_bos_token(True); w.add_add_eos_token(False)
def mat(*shape):
    return (rng.standard_normal(shape) * 0.1).astype(np.float32)
w.add_tensor("token_embd.weight", mat(V, D))
for name, shape in [("attn_norm", (D,)), ("ffn_norm", (D,))]:
    w.add_tensor(f"blk.0.{name}.weight", np.ones(shape, np.float32))
for name, shape in [("attn_q", (D, D)), ("attn_k", (D, D)), ("attn_v", (D, D)), ("attn_output", (D, D)),
                    ("ffn_gate", (F, D)), ("ffn_up", (F, D)), ("ffn_down", (D, F))]:
    w.add_tensor(f"blk.0.{name}.weight", mat(*shape))
w.add_tensor("output_norm.weight", np.ones(D, np.float32))
w.add_tensor("output.weight", mat(V, D))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
llm = llama_cpp.Llama("tiny-spm.gguf", vocab_only=True, verbose=False)

# ---------------------------------------------------------------- 4. strings
fixed = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", "\t\t\tindent", "a\tb\tc",
    "Hello, world!", "Hello world", " Hello world", "Hello  world", "Hello   world   ", "   leading spaces",
    "trailing spaces   ", "The quick brown fox jumps over the lazy dog.",
    "I'm sure you're right, they've said it'll work and we'd know.", "DON'T SHOUT, I'M HERE", "it's 'quoted' text",
    "He said \"yes\" -- then left...", "rock'n'roll", "o'clock",
    "0", "7", "42", "123", "1234567890", "3.14159", "1,000,000", "2024-01-15", "$100.50", "0xFF", "v1.2.3",
    "Call 555-0123 now", "a1b2c3", "  12  34  ", "1 2 3", "12\n34", "٣٤٥ Arabic digits",
    "x² and ½ and Ⅻ and ①", "10%", "-5", "+7.5e-3",
    "naïve café résumé", "e\u0301 combining accent", "Größe Straße", "İstanbul", "Tiếng Việt có dấu",
    "Ελληνικά γράμματα", "Русский текст, привет!", "עברית", "مرحبا بالعالم", "हिन्दी भाषा",
    "ภาษาไทย", "한국어 텍스트", "日本語のテキスト", "中文文本，标点。", "混合English和中文123",
    "😀", "😀😀😀", "emoji 🚀 rocket", "👨‍👩‍👧 family", "🇫🇷🇩🇪 flags", "❤️ heart", "✓ check ✗",
    "non\u00a0breaking space", "ideographic\u3000space", "zero\u200bwidth", "tab\tand\u000bvertical\u000cfeed",
    "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}",
    "import numpy as np\nnp.zeros((3, 4))", "SELECT * FROM t WHERE id = 1;", "<div class=\"x\">hi</div>",
    "if x == 1:\n        pass\n\n\n", "    \n    \n", "a = b; // comment", "#include <stdio.h>",
    "https://example.com/path?q=1&r=2", "user@example.org", "C:\\Windows\\System32", "~/.cache/fedhds",
    "▁", "▁▁", "a▁b", "<0x41>", "<0xZZ>", "\u0000nul", "\u007fdel", "\U0010FFFF", "\ufffd",
    "ALLCAPS lowercase MixedCase camelCase snake_case kebab-case", "!!!???...", "---===+++", "(((nested)))",
    "a  b   c    d     e", "word\n\n\nword", "line1\r\nline2\r\n", "end with newline\n", "\n\nstart with newlines",
    "  \t  mixed \t whitespace  \t", "a\u2028b\u2029c", "…ellipsis", "—em dash–en dash", "«guillemets»", "„Anführung“",
    "<s>", "</s>", "<unk>", "<s>Hello", "Hello</s>", "a </s> b", " <s> spaced ", "x<s>y</s>z",
]
frags = ["hello", "World", " the", "don't", "I'll", "123", "4", " 56", "3.5", "\t", "\n", "  ", "   ", " ",
         "😀", "🎉🎉", "中文", "日本", "한국", "مرحبا", "café", "über", "ñ", "Ωμέγα", "(", ")", "{", "}", ";",
         "==", "->", "'s", "x²", "٣", "\r\n", "foo_bar", "BAZ", "--", "...", "\u00a0", "\u3000", "é",
         "e\u0301", "👍🏽", "fn", "=", "'", "Ж", "ß", "▁"]
r = random.Random(20261121)
generated = ["".join(r.choice(frags) for _ in range(r.randint(2, 8))) for _ in range(110)]
dolly = [l for l in lines[6000:] if 20 < len(l) < 300][:20]  # held-out Dolly text
strings = fixed + generated + dolly

cases, disagreements = [], []
for s in strings:
    g = llm.tokenize(s.encode("utf-8"), add_bos=True, special=True)
    h = hf["tokenizer.json"].encode(s).ids
    m = hf["tokenizer-metaspace.json"].encode(s).ids
    nospecial = [1] + sp.encode(s) if "<" not in s else None
    case = {"text": s, "gguf": g, "json": h, "metaspace": m}
    if nospecial is not None and nospecial != g:
        case["sentencepiece"] = nospecial
    dec = hf["tokenizer.json"].decode(h[1:], skip_special_tokens=False)
    case["decoded"] = dec
    if g != h or h != m:
        disagreements.append(s)
    cases.append(case)
json.dump({"cases": cases, "disagreements": disagreements}, open("cases.json", "w"), ensure_ascii=False, indent=0)
print(len(cases), "cases;", len(disagreements), "disagreements:", [repr(x) for x in disagreements][:20])
print("sentencepiece differs on", sum(1 for c in cases if "sentencepiece" in c))
print("decode != text on", sum(1 for c in cases if c["decoded"] != c["text"]))
