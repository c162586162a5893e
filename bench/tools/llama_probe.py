"""Exits 0 when llama-cpp-python can evaluate a multi-token batch on this CPU (scripts/bench.sh
uses it to detect a native build that dies with SIGILL). Usage: llama_probe.py MODEL.gguf"""
import sys

from llama_cpp import Llama

model = Llama(model_path=sys.argv[1], n_ctx=128, n_threads=1, verbose=False)
model.eval(model.tokenize(b"A prompt long enough to take the batched matrix path of the CPU backend. " * 3))
print("llama.cpp eval ok")
