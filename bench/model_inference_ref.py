"""Reference side of bench/model-inference.sh: PyTorch CPU (2 threads, transformers loading the
same GGUF dequantised to float32) and llama.cpp (llama-cpp-python, same GGUF, 2 threads).

  python model_inference_ref.py torch    GGUF SAMPLES.jsonl PROMPTS.jsonl
  python model_inference_ref.py llamacpp GGUF SAMPLES.jsonl PROMPTS.jsonl

Prints one JSON object: tokens/s of feature extraction (all hidden states, last token, no LM
head, one sample per forward as FedHDS does; float32, and under torch.autocast("cpu",
dtype=torch.bfloat16)), prefill, and single-stream greedy generation of 32 tokens, plus peak RSS.
"""
import json, os, resource, sys, time

DOLLY_WITH = ("Below is an instruction that describes a task, paired with an input that provides further "
              "context. Write a response for the task request.\n\n### Instruction:\n{instruction}\n\n### Input:\n"
              "{input}\n\n### Response:")
DOLLY_WITHOUT = ("Below is an instruction that describes a task. Write a response for the task request.\n\n"
                 "### Instruction:\n{instruction}\n\n### Response:")


def prompt_of(r):
    ctx = r.get("context", r.get("input", ""))
    if ctx:
        return DOLLY_WITH.replace("{input}", ctx).replace("{instruction}", r["instruction"])
    return DOLLY_WITHOUT.replace("{instruction}", r["instruction"])


def records(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def torch_side(gguf, samples, prompts):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.set_num_threads(2)
    d, f = os.path.dirname(gguf), os.path.basename(gguf)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    eos = tok.eos_token or ""
    seqs = [tok(prompt_of(r) + r.get("response", r.get("output", "")) + eos, truncation=True,
                max_length=1024)["input_ids"] for r in samples]
    out = {}
    with torch.inference_mode():
        model.model(torch.tensor([seqs[0]]), output_hidden_states=True)  # warm-up
        t = time.time()
        for s in seqs:
            hs = model.model(torch.tensor([s]), output_hidden_states=True).hidden_states
            torch.cat([h[0, -1] for h in hs])
        out["features_tokens_per_second"] = sum(map(len, seqs)) / (time.time() - t)
        # PyTorch's own mixed precision: bfloat16 matrix products (oneDNN, AMX where the CPU has it).
        with torch.autocast("cpu", dtype=torch.bfloat16):
            model.model(torch.tensor([seqs[0]]), output_hidden_states=True)  # warm-up
            t = time.time()
            for s in seqs:
                hs = model.model(torch.tensor([s]), output_hidden_states=True).hidden_states
                torch.cat([h[0, -1].float() for h in hs])
            out["features_bf16_tokens_per_second"] = sum(map(len, seqs)) / (time.time() - t)
        pids = [tok(prompt_of(r))["input_ids"] for r in prompts]
        t = time.time()
        for p in pids:
            model(torch.tensor([p]), logits_to_keep=1)
        out["prefill_tokens_per_second"] = sum(map(len, pids)) / (time.time() - t)
        n, t = 0, time.time()
        for p in pids[:2]:
            g = model.generate(torch.tensor([p]), max_new_tokens=32, min_new_tokens=32, do_sample=False)
            n += g.shape[1] - len(p)
        out["generate_single_tokens_per_second"] = n / (time.time() - t)
    out["peak_rss_mb"] = peak_mb()
    return out


def llamacpp_side(gguf, samples, prompts):
    import numpy as np
    from llama_cpp import Llama
    llm = Llama(model_path=gguf, n_ctx=2048, n_batch=2048, n_threads=2, n_threads_batch=2, logits_all=False,
                verbose=False)
    out = {}
    pids = [llm.tokenize(prompt_of(r).encode(), add_bos=False, special=True) for r in prompts]
    llm.reset(); llm.eval(pids[0])  # warm-up
    t = time.time()
    for p in pids:
        llm.reset()
        llm.eval(p)
    out["prefill_tokens_per_second"] = sum(map(len, pids)) / (time.time() - t)
    n, secs = 0, 0.0
    for p in pids[:2]:
        llm.reset()
        llm.eval(p)
        t = time.time()
        for _ in range(32):
            tok = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            llm.eval([tok])
            n += 1
        secs += time.time() - t
    out["generate_single_tokens_per_second"] = n / secs
    out["peak_rss_mb"] = peak_mb()
    return out


if __name__ == "__main__":
    side, gguf, samples, prompts = sys.argv[1:5]
    fn = {"torch": torch_side, "llamacpp": llamacpp_side}[side]
    print(json.dumps(fn(gguf, records(samples), records(prompts))))
