# One entry point. `make run` and `make test` install what is missing first.
.PHONY: run test fmt lint fuzz bindings cli-docs check-docs bench bench-desktop

run:
	./scripts/run.sh

test:
	./scripts/test.sh

# Release .deb and .rpm packages in target/release/bundle/ (see the README's Install section).
package:
	./scripts/package.sh

fmt:
	cargo fmt --all

# The property tests with far more cases than a test run gives them (minutes, not hours): the SSE
# decoder (unit tests), the importers (the core's tests), the Markdown sanitising (vitest).
fuzz:
	PROPTEST_CASES=50000 cargo test --workspace --lib fuzz
	PROPTEST_CASES=5000 cargo test --workspace --test core -- fuzz
	cd ui && FUZZ_RUNS=2000 npx vitest run src/lib/markdown/sanitise.fuzz.test.ts

# Rewrites ui/src/ipc/bindings.ts from the Rust types (a unit test fails while it is stale).
bindings:
	CONFAB_BLESS=1 cargo test --workspace --lib bindings

# Rewrites docs/cli.md from confab-cli's definitions (a unit test fails while it is stale).
cli-docs:
	CONFAB_BLESS=1 cargo test -p confab-cli --bin confab-cli docs

# Every relative link and image in README.md, CONTRIBUTING.md, CHANGELOG.md and docs/ exists.
check-docs:
	python3 scripts/check-docs.py

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd ui && npm run --silent check

bench:
	cargo bench -p confab-core --bench stream_vs_curl
	cargo bench -p confab-core --bench chat_list
	cargo bench -p confab-core --bench context_build
	cargo bench -p confab-core --bench export
	cargo bench -p confab-core --bench search
	cargo bench -p confab-core --bench recall
	cargo bench -p confab-core --bench tool_round
	$(MAKE) bench-desktop

# The real window against an empty Tauri window, through WebDriver: release builds, under Xvfb.
bench-desktop:
	cd ui && npm run build
	cargo build --release -p confab -p confab-empty-window
	xvfb-run -a --server-args="-screen 0 1920x1080x24" cargo bench -p confab-tests --bench desktop
