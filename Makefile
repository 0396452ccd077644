# One entry point. `make run` and `make test` install what is missing first.
.PHONY: run test fmt lint

run:
	./scripts/run.sh

test:
	./scripts/test.sh

fmt:
	cargo fmt --all
	cd ui && npx svelte-check --tsconfig ./tsconfig.json

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
