# kvmpool: the commands README and CI call. `make help` lists them.

SHELL := /bin/bash
CARGO ?= cargo
URI ?= test:///default
PREFIX ?= /usr/local
ENV_SCRIPT := tests/env/kvmpool-env.sh
VENV := .venv
PY := $(VENV)/bin/python
CBINDGEN_CONFIG := crates/kvmpool-capi/cbindgen.toml
C_FLAGS := -std=c11 -Wall -Wextra -Werror -pedantic -g -D_GNU_SOURCE -Iinclude
C_SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer
C_LIBS := -Ltarget/debug -lkvmpool -Wl,-rpath,$(CURDIR)/target/debug -lpthread
# Cases per property test (5 properties): 100,000 in `make test`, 1,000,000 in `make soak`.
PROPTEST_CASES ?= 20000

.PHONY: help tour test lint unit header header-check python python-test c-build c-test \
        bench soak install env-up env-down clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

tour: ## Run the tutorial's walk-through (URI=test:///default, no daemon needed)
	@sh $(ENV_SCRIPT) install-min
	$(CARGO) run --locked -q -p kvmpool-core --example tour -- '$(URI)'

test: ## Install, start the test environment, run every suite, stop it
	@sh $(ENV_SCRIPT) install
	@set -u; dir=$$(mktemp -d /tmp/kvmpool-test.XXXXXX); \
	trap 'sh $(ENV_SCRIPT) down "$$dir"; rm -rf "$$dir"' EXIT INT TERM; \
	sh $(ENV_SCRIPT) up "$$dir" || exit 1; \
	. "$$dir/env"; \
	passed=0; failed=0; failures=""; \
	for suite in lint unit header-check python-test c-test bench-build; do \
	  echo "=== $$suite"; start=$$(date +%s); \
	  if $(MAKE) --no-print-directory $$suite PROPTEST_CASES=$(PROPTEST_CASES); then \
	    passed=$$((passed + 1)); echo "=== $$suite passed in $$(( $$(date +%s) - start )) s"; \
	  else \
	    failed=$$((failed + 1)); failures="$$failures $$suite"; echo "=== $$suite FAILED"; \
	  fi; \
	done; \
	echo; [ -z "$$failures" ] || echo "failed suites:$$failures"; \
	echo "$$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

lint: ## cargo fmt --check and clippy -D warnings
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit: ## Rust tests (live tests need `make env-up` and DIR/env sourced, else they say SKIPPED)
	KVMPOOL_PROPTEST_CASES=$(PROPTEST_CASES) $(CARGO) test --workspace --exclude kvmpool-py --locked --no-fail-fast

header: ## Regenerate include/kvmpool.h with the pinned cbindgen
	cbindgen --quiet --config $(CBINDGEN_CONFIG) --crate kvmpool-capi --output include/kvmpool.h

header-check: ## Fail when include/kvmpool.h is not what cbindgen generates now
	@tmp=$$(mktemp); trap 'rm -f $$tmp' EXIT; \
	cbindgen --quiet --config $(CBINDGEN_CONFIG) --crate kvmpool-capi --output $$tmp && \
	diff -u include/kvmpool.h $$tmp && echo "include/kvmpool.h is current"

python: ## Build the Python module into .venv
	$(VENV)/bin/maturin develop --locked -q -m crates/kvmpool-py/Cargo.toml

python-test: python ## Python: stubs checked by mypy.stubtest, then pytest
	$(PY) -m mypy.stubtest kvmpool $$( [ -f crates/kvmpool-py/stubtest-allowlist.txt ] && echo --allowlist crates/kvmpool-py/stubtest-allowlist.txt )
	$(PY) -m pytest -q tests/python

c-build: ## Build the C library (debug)
	$(CARGO) build --locked -p kvmpool-capi

c-test: c-build ## C tests with AddressSanitizer and UBSan
	@set -e; mkdir -p tests/c/build; ls tests/c/test_*.c > /dev/null; \
	for src in tests/c/test_*.c; do \
	  bin=tests/c/build/$$(basename $$src .c); \
	  cc $(C_FLAGS) $(C_SANITIZE) -o $$bin $$src $(C_LIBS); \
	  echo "--- $$bin"; $$bin; \
	done

bench-build: ## Compile the benches (they are run by `make bench`, never by `make test`)
	$(CARGO) bench --no-run --locked -q

bench: ## Benchmarks against virsh, libvirt-python and cp (writes benches/results/latest.md)
	@sh $(ENV_SCRIPT) install
	bash benches/run.sh

soak: ## Longer property and load runs (1,000,000 property cases)
	$(MAKE) test PROPTEST_CASES=200000

install: ## Install the C library, header and kvmpool.pc under PREFIX
	$(CARGO) build --locked --release -p kvmpool-capi
	install -d $(PREFIX)/lib $(PREFIX)/include $(PREFIX)/lib/pkgconfig
	install -m 0644 target/release/libkvmpool.a $(PREFIX)/lib/
	install -m 0755 target/release/libkvmpool.so $(PREFIX)/lib/
	install -m 0644 include/kvmpool.h $(PREFIX)/include/
	sed -e 's#@PREFIX@#$(PREFIX)#' -e "s#@VERSION@#$$(sed -n 's/^version = \"\(.*\)\"/\1/p' Cargo.toml | head -1)#" \
	  crates/kvmpool-capi/kvmpool.pc.in > $(PREFIX)/lib/pkgconfig/kvmpool.pc

env-up: ## Start the test environment in DIR (then `. DIR/env`)
	@test -n "$(DIR)" || { echo "usage: make env-up DIR=/tmp/x"; exit 2; }
	sh $(ENV_SCRIPT) up $(DIR)

env-down: ## Stop the test environment in DIR
	@test -n "$(DIR)" || { echo "usage: make env-down DIR=/tmp/x"; exit 2; }
	sh $(ENV_SCRIPT) down $(DIR)

clean: ## Remove build output
	$(CARGO) clean
	rm -rf tests/c/build
