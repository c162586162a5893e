#!/usr/bin/env bash
# Unit costs of the paper-scale Dolly study on this CPU, and the projected wall time of each of its
# runs (`fedhds study cost`): feature tokens of the full model and of the layer proxy, perplexity
# tokens, LoRA training tokens (batch 1), evaluated samples (128 new tokens), then untuned eval,
# Random 1.5%, Perplexity 1.5%, FedHDS, FedHDS-Turbo (layer proxy and whole model), FedIT, each
# with its final evaluation of the 1,188 held-out prompts, from the partition's actual token
# counts (200 clients, alpha 0.5 and 5.0, 10 clients a round, 40 rounds). Ours only (no reference
# stack); a few minutes. On a busy machine the figures are under load: the output says the load.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FEDHDS_BIN:-.build/release/fedhds}
MODEL=${FEDHDS_MODEL:-$HOME/.cache/fedhds/models/SmolLM2-135M-Instruct.Q4_1.gguf}
"$BIN" study cost --model "$MODEL" "$@"
