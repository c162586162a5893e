# fedhds: the README's commands. `make demo` and `make test` work on a fresh Debian machine.
# Release builds so numeric tests run at speed; `swift build --build-tests` and `swift test --skip-build`
# share one build (a plain `swift build` followed by `swift test` would compile everything twice).
SWIFT_FLAGS := -c release -Xswiftc -enable-testing
BIN := .build/release/fedhds
export FEDHDS_MODEL ?= $(shell [ -n "$$FEDHDS_CACHE" ] && echo $$FEDHDS_CACHE || echo $$HOME/.cache/fedhds)/models/SmolLM2-135M-Instruct.Q4_1.gguf

.PHONY: deps model build demo report test bench clean

deps:
	@bash scripts/install-deps.sh

model: deps
	@bash scripts/fetch-model.sh >/dev/null

# After each build, the commit it was built from goes beside the binary (.build is git-ignored), so
# result.json and `fedhds --version` name it; "-dirty" when tracked files had changes.
STAMP = git rev-parse HEAD >/dev/null 2>&1 && { git rev-parse HEAD | tr -d '\n'; git diff --quiet HEAD -- || printf -- '-dirty'; echo; } > .build/release/fedhds.commit || true

build: deps
	swift build $(SWIFT_FLAGS)
	@$(STAMP)

demo: model build
	$(BIN) run experiments/demo.toml --model $(FEDHDS_MODEL) --out runs/demo --force

# The demo's report in headless Chromium (installed if missing): runs/demo/report.png, and checks on the laid-out page.
report:
	bash scripts/report-screenshot.sh --check runs/demo/report.html runs/demo/report.png

# Serially: several tests check deadlines and leases of the federation protocol, and on 2 cores the
# model tests running beside them would starve those clocks. scripts/run-tests.sh says why crashes
# end the process at once and when the suite runs a second time.
test: model deps
	swift build --build-tests $(SWIFT_FLAGS)
	@$(STAMP)
	bash scripts/run-tests.sh $(SWIFT_FLAGS)

bench: model build
	bash scripts/bench.sh

clean:
	rm -rf .build runs
