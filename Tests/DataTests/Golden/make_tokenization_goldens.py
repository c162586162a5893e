"""Makes tokenization.json: 20 real samples (14 Dolly, 6 Natural Instructions) turned into
(input_ids, labels) exactly as the FedHDS reference does (utils_data/llm_dataset.py
LLMDataset.preprocess with generation=False), with the Hugging Face tokenizer of SmolLM2-135M-Instruct.

The tokenizer is the `tokenizers` pipeline of SmolLM2's tokenizer.json rebuilt from the GGUF's
vocabulary and merges: BPE, pre-tokenizer Digits(individual_digits=True) then
ByteLevel(add_prefix_space=False), the 17 control tokens as special added tokens, no BOS added
(GGUF: add_bos_token false), eos = pad = <|im_end|> (2). Every encoding is cross-checked with
llama.cpp's tokenizer (llama-cpp-python, vocab only).

Run: FEDHDS_MODEL=path/to/SmolLM2-135M-Instruct.Q4_1.gguf \
     ~/.cache/fedhds-reference/venv/bin/python make_tokenization_goldens.py
"""
import copy, json, os, random

from gguf import GGUFReader
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, AddedToken
from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "data")
MODEL = os.environ.get("FEDHDS_MODEL", os.path.expanduser("~/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
MAX_LENGTH = 1024
IGNORE_INDEX = -100

DOLLY_INPUT = ("Below is an instruction that describes a task, paired with an input that provides further context. "
               "Write a response for the task request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:")
DOLLY_NO_INPUT = ("Below is an instruction that describes a task. Write a response for the task request.\n\n"
                  "### Instruction:\n{instruction}\n\n### Response:")
NI_INPUT = ("Below is an instruction that describes a task, paired with an input that provides further context. "
            "Write a response that appropriately completes the request.\n\n### Instruction:\n{0}\n\n### Input:\n{1}\n\n### Response:")


def build_tokenizer():
    r = GGUFReader(MODEL)
    f = r.fields
    tokens = [bytes(f["tokenizer.ggml.tokens"].parts[i]).decode("utf-8") for i in f["tokenizer.ggml.tokens"].data]
    merges = [bytes(f["tokenizer.ggml.merges"].parts[i]).decode("utf-8") for i in f["tokenizer.ggml.merges"].data]
    types = [int(f["tokenizer.ggml.token_type"].parts[i][0]) for i in f["tokenizer.ggml.token_type"].data]
    assert bool(f["tokenizer.ggml.add_bos_token"].parts[-1][0]) is False
    vocab = {t: i for i, t in enumerate(tokens)}
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges], fuse_unk=False)
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False) for i, t in enumerate(types) if t == 3])
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                 pad_token="<|im_end|>", unk_token="<|endoftext|>")
    hf.model_max_length = MAX_LENGTH
    assert hf.eos_token_id == 2 and hf.pad_token_id == 2 and hf.bos_token_id == 1
    return hf


def reference_preprocess(sources, targets, tokenizer):
    """The reference's LLMDataset._tokenize_fn + preprocess(generation=False), with lists."""
    def tokenize_fn(strings):
        out = [tokenizer(t, max_length=tokenizer.model_max_length, truncation=True)["input_ids"] for t in strings]
        return out, [sum(1 for i in ids if i != tokenizer.pad_token_id) for ids in out]
    examples = [s + t for s, t in zip(sources, targets)]
    examples_ids, _ = tokenize_fn(examples)
    _, source_lens = tokenize_fn(sources)
    labels = copy.deepcopy(examples_ids)
    for label, n in zip(labels, source_lens):
        label[:n] = [IGNORE_INDEX] * min(n, len(label))
    return examples_ids, labels, source_lens


def main():
    hf = build_tokenizer()
    import llama_cpp
    llama = llama_cpp.Llama(model_path=MODEL, vocab_only=True, verbose=False)

    rng = random.Random(4)
    with open(os.path.join(DATA, "dolly", "databricks-dolly-15k.jsonl"), encoding="utf-8") as f:
        dolly = [json.loads(l) for l in f]
    picks = []
    with_ctx = [i for i, r in enumerate(dolly) if r["context"]]
    no_ctx = [i for i, r in enumerate(dolly) if not r["context"]]
    long_ctx = [i for i, r in enumerate(dolly) if len(r["context"]) > 6000]
    digits = [i for i, r in enumerate(dolly) if sum(c.isdigit() for c in r["response"]) > 10 and len(r["response"]) < 600]
    unicode_ = [i for i, r in enumerate(dolly) if any(ord(c) > 0x2000 for c in r["response"]) and len(r["response"]) < 800]
    picks += rng.sample(with_ctx, 4) + rng.sample(no_ctx, 4) + rng.sample(long_ctx, 2) + rng.sample(digits, 2) + rng.sample(unicode_, 2)
    samples = []
    for i in picks:
        r = dolly[i]
        tmpl = DOLLY_INPUT if r["context"] != "" else DOLLY_NO_INPUT
        samples.append(dict(dataset="dolly", template="dolly", id=i, instruction=r["instruction"], input=r["context"],
                            output=r["response"], prompt=tmpl.format_map(dict(instruction=r["instruction"], input=r["context"]))))
    ni_dir = os.path.join(DATA, "natural-instructions", "tasks")
    for name in ["task1393_superglue_copa_text_completion", "task957_e2e_nlg_text_generation_generate",
                 "task304_numeric_fused_head_resolution", "task698_mmmlu_answer_generation_global_facts",
                 "task1534_daily_dialog_question_classification", "task648_answer_generation"]:
        with open(os.path.join(ni_dir, name + ".json"), encoding="utf-8") as f:
            task = json.load(f)
        d = task["Definition"]
        definition = d[0] if isinstance(d, list) else d
        k = rng.randrange(len(task["Instances"]))
        inst = task["Instances"][k]
        samples.append(dict(dataset="natural-instructions", template="naturalInstructions", id=k, task=name,
                            instruction=definition, input=inst["input"], output=inst["output"][0],
                            prompt=NI_INPUT.format(definition, inst["input"])))
    sources = [s["prompt"] for s in samples]
    targets = [s["output"] + hf.eos_token for s in samples]
    ids, labels, source_lens = reference_preprocess(sources, targets, hf)
    encodings = {}
    agree = 0
    for s, full, lab, n in zip(samples, ids, labels, source_lens):
        s["input_ids"], s["labels"], s["prompt_length"] = full, lab, n
        for text in (s["prompt"], s["prompt"] + s["output"]):
            plain = hf(text, add_special_tokens=False)["input_ids"]
            ll = llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            assert plain == ll, ("llama.cpp disagrees", text[:80])
            agree += 1
            encodings[text] = plain
    out = dict(
        tokenizer="SmolLM2-135M-Instruct (GGUF vocab+merges; Digits(individual)+ByteLevel; no BOS)",
        eos_id=2, pad_id=2, bos_id=1, adds_bos=False, max_length=MAX_LENGTH, ignore_index=IGNORE_INDEX,
        samples=samples,
        encodings=encodings,
    )
    with open(os.path.join(HERE, "tokenization.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
    print(len(samples), "samples;", agree, "encodings agree with llama.cpp;",
          "truncated:", sum(len(s["input_ids"]) == MAX_LENGTH for s in samples),
          "lengths:", [len(s["input_ids"]) for s in samples])


if __name__ == "__main__":
    main()
