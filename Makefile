# fedhds: the README's commands. `make demo` and `make test` work on a fresh Debian machine.
SWIFT_FLAGS := -c release -Xswiftc -enable-testing
BIN := .build/release/fedhds
export FEDHDS_MODEL ?= $(shell [ -n "$$FEDHDS_CACHE" ] && echo $$FEDHDS_CACHE || echo $$HOME/.cache/fedhds)/models/SmolLM2-135M-Instruct.Q4_1.gguf

.PHONY: deps model build demo test bench clean

deps:
	@bash scripts/install-deps.sh

model: deps
	@bash scripts/fetch-model.sh >/dev/null

build: deps
	swift build $(SWIFT_FLAGS)

demo: model build
	$(BIN) run experiments/demo.toml --model $(FEDHDS_MODEL) --out runs/demo

test: model build
	swift test $(SWIFT_FLAGS)

bench: model build
	bash scripts/bench.sh

clean:
	rm -rf .build runs
