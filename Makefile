# Aqueduct: `make run` and `make test` work on a fresh machine with only Node/npm.
# Bun is pinned; when `bun` is not on PATH it is installed with npm into .tools/.
BUN_VERSION := 1.4.5
SYSTEM_BUN := $(shell command -v bun 2>/dev/null)
ifeq ($(SYSTEM_BUN),)
BUN := $(CURDIR)/.tools/node_modules/.bin/bun
else
BUN := $(SYSTEM_BUN)
endif
export PATH := $(dir $(BUN)):$(PATH)

# Extra entrypoints (Bun Workers) must be named at compile time or they fail at run time.
# --bytecode: precompiled JavaScript starts about 4x faster (it needs CommonJS: no top-level await).
# The binary never reads a .env or bunfig.toml from the directory it happens to run in.
WORKERS := src/workers/usage-writer.ts src/workers/batch-worker.ts
SOURCES := $(shell find src drizzle drizzle-pg -type f 2>/dev/null) package.json bun.lock Makefile

.PHONY: setup build run test test-tools check clean migration bench bench-tools soak release

setup: node_modules/.installed

$(CURDIR)/.tools/node_modules/.bin/bun:
	@echo "installing bun $(BUN_VERSION) into .tools/ (bun is not on PATH)"
	@mkdir -p .tools
	@echo '{"name":"aqueduct-tools","private":true,"allowScripts":{"bun":true}}' > .tools/package.json
	@npm install --prefix .tools --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)

node_modules/.installed: package.json bun.lock | $(BUN)
	$(BUN) install --frozen-lockfile
	@touch $@

build: dist/aqueduct

dist/aqueduct: node_modules/.installed $(SOURCES)
	@mkdir -p dist
	$(BUN) build --compile --bytecode --minify-syntax --minify-whitespace --no-compile-autoload-dotenv --no-compile-autoload-bunfig src/main.ts $(WORKERS) --outfile dist/aqueduct

# Binaries for linux x64, x64-baseline (older CPUs) and arm64, glibc and musl, with SHA256SUMS, in dist/.
release: node_modules/.installed
	$(BUN) scripts/release.ts $(WORKERS)

# With no router_config.yaml (and no AQUEDUCT_ROUTER_CONFIG) the gateway serves the built-in demo models.
DEMO_FLAG := $(if $(or $(wildcard router_config.yaml),$(AQUEDUCT_ROUTER_CONFIG)),,--demo)

run: build
	@echo
	@echo "Starting aqueduct on http://localhost:8000 (data in ./data)."
	@$(if $(DEMO_FLAG),echo "No router_config.yaml here: serving the built-in demo models (--demo). For real ones: cp examples/router_config.yaml router_config.yaml",true)
	@echo "The admin key is in ./data/initial-admin-key (written on first start). In a second terminal:"
	@echo "  export AQUEDUCT_KEY=\$$(cat data/initial-admin-key)"
	@echo "  curl -H \"Authorization: Bearer \$$AQUEDUCT_KEY\" localhost:8000/v1/models"
	@echo "  dist/aqueduct token create --user you@example.com     # a key for someone else"
	@echo "Web console: http://localhost:8000/ui/ (sign in with a key)   API docs: http://localhost:8000/swagger"
	@echo
	./dist/aqueduct serve $(DEMO_FLAG) $(ARGS)

# The whole suite (TEST=path narrows it), after the typecheck. Unit tests run in-process; smoke tests run dist/aqueduct.
# --timeout: tests start real servers (compiled binary, PostgreSQL, Redis, an S3 server); 5 s, Bun's default, is too
# short on a busy 2-core machine (bunfig.toml has no per-test timeout setting).
test: build check test-tools
	$(BUN) test --timeout 30000 $(TEST)

# Debian's chromium (the /swagger browser test), wrk (the bench harness smoke test) and curl (the README tour); best effort:
# without them those tests report themselves skipped. PostgreSQL (test/db/pg-*, schema parity): Debian keeps its server
# programs in /usr/lib/postgresql/<version>/bin, off PATH; without them those tests fail saying so.
# redis-server (the shared rate-limit tests) is not optional:
# without it those tests fail with a message saying so.
test-tools:
	@scripts/ensure-debian-package.sh chromium chromium chromium-browser google-chrome
	@scripts/ensure-debian-package.sh postgresql '/usr/lib/postgresql/*/bin/postgres'
	@scripts/ensure-debian-package.sh wrk wrk
	@scripts/ensure-debian-package.sh curl curl
	@scripts/ensure-debian-package.sh redis-server redis-server

check: node_modules/.installed
	$(BUN) x tsc --noEmit -p tsconfig.json

# Benchmarks (never part of `make test`): BENCH="--only latency,streaming --systems aqueduct,bare" narrows them.
bench: build bench-tools
	$(BUN) bench/run.ts $(BENCH)

# Ten minutes of mixed load; memory must stay flat after the warm-up (SOAK="--minutes 2" for a shorter run).
soak: build
	$(BUN) bench/soak.ts $(SOAK)

# wrk (Debian) is the load generator; Portkey's gateway is installed into bench/node_modules only.
bench-tools:
	@scripts/ensure-debian-package.sh wrk wrk
	@[ -d bench/node_modules/@portkey-ai/gateway ] || npm install --prefix bench --no-audit --no-fund --loglevel=error || echo "Portkey could not be installed; the bench runs without it"

# make migration NAME=add_usage: generate SQL for both dialects (drizzle/ from src/db/schema.ts, drizzle-pg/ from
# src/db/pg/schema.ts) and embed it in the binary. Change both schemas together (test/db/schema-parity.test.ts).
migration: node_modules/.installed
	$(BUN) x drizzle-kit generate --name $(NAME)
	$(BUN) x drizzle-kit generate --config drizzle.pg.config.ts --name $(NAME)
	$(BUN) scripts/embed-migrations.ts

clean:
	rm -rf dist node_modules .tools
