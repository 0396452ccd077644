# One entry point. `make run` and `make test` install what is missing first.
.PHONY: run test fmt lint bench

run:
	./scripts/run.sh

test:
	./scripts/test.sh

fmt:
	cargo fmt --all

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd ui && npm run --silent check

bench:
	cargo bench -p confab-core --bench stream_vs_curl
	cargo bench -p confab-core --bench context_build
	cargo bench -p confab-core --bench export
