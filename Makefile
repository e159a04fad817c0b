# kvmpool: the commands the README and CI use. `make help` lists them.
#
# `make test` runs every suite against a private test environment (tests/env/) and the
# test VM, and takes both down again, whatever happens. Each suite can also run alone;
# see README.md.

SHELL := /bin/bash
.DEFAULT_GOAL := help
# cargo-installed tools (cbindgen) live beside cargo
export PATH := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)

CARGO ?= cargo
URI ?= test:///default
PREFIX ?= /usr/local
DESTDIR ?=
DIR ?=
# The test VM (tests/env/README.md): `make test` starts it unless VM=0, `make env-up` only with VM=1
VM ?=
ENV_SCRIPT := tests/env/kvmpool-env.sh
ENV := sh $(ENV_SCRIPT)
VENV := .venv
PY := $(VENV)/bin/python
CBINDGEN_VERSION := 0.29.4
CBINDGEN_CONFIG := crates/kvmpool-capi/cbindgen.toml
CHECK_CBINDGEN = [ "$$(cbindgen --version 2>/dev/null)" = "cbindgen $(CBINDGEN_VERSION)" ] || \
  { echo "need cbindgen $(CBINDGEN_VERSION) (found: $$(cbindgen --version 2>&1 | head -1)); run: $(ENV) install"; exit 1; }
STUBTEST_ALLOWLIST := crates/kvmpool-py/stubtest-allowlist.txt
CC ?= cc
C_FLAGS := -std=c11 -Wall -Wextra -Werror -pedantic -g -Iinclude
C_SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer
# Where cargo puts its output (CARGO_TARGET_DIR when set, as cargo itself does).
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
C_LIBS := -L$(TARGET_DIR)/debug -lkvmpool -Wl,-rpath,$(TARGET_DIR)/debug -lpthread
# The SONAME's number (libkvmpool.so.N), from the one constant in the C crate.
ABI_VERSION = $$(sed -n 's/^pub const KVMPOOL_ABI_VERSION: u32 = \([0-9]*\);/\1/p' crates/kvmpool-capi/src/abi.rs)
# Cases per property (tests/properties.rs); unset = the test's own default.
# `make test` uses 20000, `make soak` 200000.
PROPTEST_CASES ?=
# What `make test` runs, in order, with the environment up. Through a variable, not
# $(MAKE) itself, so that `make -n test` only prints (make runs $(MAKE) lines even then).
SUITES := lint unit header-check abi-check python-test c-test c-valgrind c-tsan miri bench-build
SUBMAKE = $(MAKE) --no-print-directory

.PHONY: help tour test lint doc unit header header-check abi-check python python-test c-build c-test c-valgrind c-tsan miri \
        bench-build bench soak install env-up env-down vm-up vm-down vm-check clean

help: ## List the targets
	@echo "make <target>   (variables: URI=, DIR=, VM=, PREFIX=, PROPTEST_CASES=)"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

tour: ## The tutorial's walk-through on URI (default test:///default: no daemon needed)
	@$(ENV) install-min
	$(CARGO) run --locked -q -p kvmpool-core --example tour -- '$(URI)'

test: ## Install what is needed, start the test environment and VM (VM=0: no VM), run every suite, stop them
	@$(ENV) install
	@dir=$$(mktemp -d /tmp/kvmpool-test.XXXXXX) || exit 1; \
	trap 'st=$$?; $(ENV) down "$$dir" && rm -rf --one-file-system "$$dir" || st=1; exit $$st' EXIT; \
	trap 'echo "interrupted"; exit 130' INT TERM; \
	$(ENV) up "$$dir" || { echo "the test environment did not come up; no suite ran"; exit 1; }; \
	passed=0; failed=0; summary=""; \
	step() { \
	  echo; echo "======== $$1"; start=$$(date +%s); \
	  if "$${@:2}"; then passed=$$((passed + 1)); result=PASS; else failed=$$((failed + 1)); result=FAIL; fi; \
	  line=$$(printf '%-4s %-12s %4d s' $$result $$1 $$(( $$(date +%s) - start ))); \
	  echo "======== $$line"; summary="$$summary$$line"$$'\n'; \
	}; \
	if [ "$(VM)" != 0 ]; then \
	  step vm-up $(ENV) vm-up "$$dir"; \
	  [ $$result = PASS ] || echo "the suites run on; they see KVMPOOL_VM_ERROR"; \
	fi; \
	. "$$dir/env"; \
	for suite in $(SUITES); do \
	  step $$suite $(SUBMAKE) $$suite PROPTEST_CASES=$(or $(PROPTEST_CASES),20000); \
	done; \
	echo; echo "Suites:"; printf '%s' "$$summary"; \
	echo "$$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

lint: ## cargo fmt --check, clippy and cargo doc with warnings as errors
	@rc=0; \
	$(CARGO) fmt --all -- --check || rc=1; \
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings || rc=1; \
	$(MAKE) --no-print-directory doc || rc=1; \
	exit $$rc

# The C library's crate is also named kvmpool (for libkvmpool.so): its documentation
# would overwrite the Rust crate's, so it is checked in a run of its own.
doc: ## cargo doc of the public crates, broken links and missing docs as errors
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --locked -q -p kvmpool-capi
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --locked -q -p kvmpool -p kvmpool-core

# kvmpool-py is left out: it holds no Rust tests, and its test binary would link
# libpython (pyenv's lies outside the loader's path). It is covered by clippy above
# and by python-test.
unit: ## Rust tests (cargo test); live-daemon tests say SKIPPED unless DIR/env is sourced
	$(if $(PROPTEST_CASES),KVMPOOL_PROPTEST_CASES=$(PROPTEST_CASES)) \
	$(CARGO) test --workspace --exclude kvmpool-py --locked --no-fail-fast

header: ## Regenerate include/kvmpool.h with the pinned cbindgen
	@$(CHECK_CBINDGEN)
	cbindgen --quiet --config $(CBINDGEN_CONFIG) --crate kvmpool-capi --output include/kvmpool.h

header-check: ## Fail, showing the diff, when include/kvmpool.h is not what cbindgen makes
	@$(CHECK_CBINDGEN)
	@tmp=$$(mktemp /tmp/kvmpool-h.XXXXXX) && trap 'rm -f "$$tmp"' EXIT && \
	cbindgen --quiet --config $(CBINDGEN_CONFIG) --crate kvmpool-capi --output "$$tmp" && \
	if diff -u include/kvmpool.h "$$tmp"; then echo "include/kvmpool.h is current"; \
	else echo "include/kvmpool.h is stale: run \`make header\` and commit it"; exit 1; fi


abi-check: ## libkvmpool.so exports exactly the header's kvmpool_* functions, under its SONAME
	@$(SUBMAKE) c-build > /dev/null
	@so=$(TARGET_DIR)/debug/libkvmpool.so; abi=$(ABI_VERSION); rc=0; \
	soname=$$(readelf -d $$so | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p'); \
	[ "$$soname" = "libkvmpool.so.$$abi" ] || { echo "SONAME is '$$soname', wanted libkvmpool.so.$$abi"; rc=1; }; \
	nm -D --defined-only $$so | awk '{print $$3}' | sort -u > $(TARGET_DIR)/abi-exported.txt; \
	grep -oE '\bkvmpool_[a-z0-9_]+\(' include/kvmpool.h | tr -d '(' | sort -u > $(TARGET_DIR)/abi-declared.txt; \
	if diff -u $(TARGET_DIR)/abi-declared.txt $(TARGET_DIR)/abi-exported.txt; then \
	  echo "libkvmpool.so ($$soname) exports the $$(wc -l < $(TARGET_DIR)/abi-declared.txt) functions of include/kvmpool.h and nothing else"; \
	else echo "exported symbols (+) differ from the header's functions (-)"; rc=1; fi; \
	exit $$rc

python: ## Build the Python module into .venv (maturin develop)
	@[ -f crates/kvmpool-py/pyproject.toml ] || { echo "python: crates/kvmpool-py/pyproject.toml is missing"; exit 1; }
	@[ -x $(VENV)/bin/maturin ] || { echo "python: no $(VENV)/bin/maturin; run: $(ENV) install"; exit 1; }
	VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/maturin develop --locked -q -m crates/kvmpool-py/Cargo.toml

python-test: ## Python: build into .venv, the stubs checked by mypy.stubtest, pytest tests/python
	@ls tests/python/test_*.py > /dev/null 2>&1 || { echo "python-test: no tests/python/test_*.py"; exit 1; }
	@$(SUBMAKE) python
	@rc=0; \
	echo "$(PY) -m mypy.stubtest kvmpool"; \
	$(PY) -m mypy.stubtest kvmpool $(if $(wildcard $(STUBTEST_ALLOWLIST)),--allowlist $(STUBTEST_ALLOWLIST)) || rc=1; \
	echo "$(PY) -m pytest -q tests/python"; \
	$(PY) -m pytest -q tests/python || rc=1; \
	exit $$rc

c-build: ## Build the C library (target/debug/libkvmpool.so and .a, and the SONAME link)
	$(CARGO) build --locked -p kvmpool-capi
	@ln -sf libkvmpool.so $(TARGET_DIR)/debug/libkvmpool.so.$(ABI_VERSION)

c-test: ## Build the C library and every tests/c/*.c with ASan and UBSan, run each
	@ls tests/c/*.c > /dev/null 2>&1 || { echo "c-test: no tests/c/*.c"; exit 1; }
	@$(SUBMAKE) c-build
	@mkdir -p tests/c/build; failed=""; \
	for src in tests/c/*.c; do \
	  bin=tests/c/build/$$(basename $$src .c); \
	  echo "--- $$bin"; \
	  if $(CC) $(C_FLAGS) $(C_SANITIZE) -o $$bin $$src $(C_LIBS) && \
	     LSAN_OPTIONS="suppressions=$(CURDIR)/tests/c/lsan.supp" $$bin; then :; \
	  else echo "FAILED: $$bin"; failed="$$failed $$(basename $$bin)"; fi; \
	done; \
	[ -z "$$failed" ] || { echo "c-test: failed:$$failed"; exit 1; }

c-valgrind: ## Every tests/c/*.c once under valgrind (no sanitizers): no leaks, no memory errors
	@$(SUBMAKE) c-build
	KVMPOOL_VALGRIND_NO_BUILD=1 CC=$(CC) sh tests/c/valgrind.sh

c-tsan: ## The threaded C tests (test_threads, test_load) once under ThreadSanitizer
	@$(SUBMAKE) c-build
	@mkdir -p tests/c/build; failed=""; \
	for t in test_threads test_load; do \
	  bin=tests/c/build/$$t.tsan; echo "--- $$bin"; \
	  if $(CC) $(C_FLAGS) -fsanitize=thread -o $$bin tests/c/$$t.c $(C_LIBS) && \
	     TSAN_OPTIONS="suppressions=$(CURDIR)/tests/c/tsan.supp halt_on_error=1 exitcode=66" \
	     KVMPOOL_LOAD_OPS=50 timeout 600 $$bin; then :; \
	  else echo "FAILED: $$bin"; failed="$$failed $$t"; fi; \
	done; \
	[ -z "$$failed" ] || { echo "c-tsan: failed:$$failed"; exit 1; }

# Miri runs the tests of the pure code (units, specs, XML; the C layer's conversions)
# with its checks for undefined behaviour (tests named `on_the_test_driver` call libvirt,
# which miri cannot run, and are left to `unit`). It needs the nightly toolchain with miri and
# rust-src (`kvmpool-env.sh install` adds them); where rustup cannot get them it says
# so and the suite is skipped, not failed.
MIRI = $(CARGO) +nightly miri test --locked
miri: ## Miri over the pure helpers of the core and the C layer (nightly toolchain)
	@if ! $(CARGO) +nightly miri --version > /dev/null 2>&1; then \
	  echo "SKIPPED miri: no nightly toolchain with miri here: $$($(CARGO) +nightly miri --version 2>&1 | tail -1)"; \
	  exit 0; fi; \
	rc=0; \
	$(MIRI) -p kvmpool-core --lib -- units spec:: xml:: --skip corpus_tests || rc=1; \
	$(MIRI) -p kvmpool-capi --lib -- --skip on_the_test_driver || rc=1; \
	exit $$rc

bench-build: ## Compile the benches (`make bench` runs them; `make test` never does)
	$(CARGO) bench --no-run --locked

bench: ## Run the benchmarks (benches/run.sh)
	@[ -f benches/run.sh ] || { echo "bench: benches/run.sh does not exist yet"; exit 1; }
	bash benches/run.sh

soak: ## Long runs (tests/soak.sh; 200000 cases per property)
	@[ -f tests/soak.sh ] || { echo "soak: tests/soak.sh does not exist yet"; exit 1; }
	KVMPOOL_PROPTEST_CASES=$(or $(PROPTEST_CASES),200000) bash tests/soak.sh

install: ## Install libkvmpool.so.N (with its links), .a, kvmpool.h and kvmpool.pc under PREFIX
	$(CARGO) build --locked --release -p kvmpool-capi
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	abi=$(ABI_VERSION); \
	install -m 0755 $(TARGET_DIR)/release/libkvmpool.so $(DESTDIR)$(PREFIX)/lib/libkvmpool.so.$$abi.0.0 && \
	ln -sf libkvmpool.so.$$abi.0.0 $(DESTDIR)$(PREFIX)/lib/libkvmpool.so.$$abi && \
	ln -sf libkvmpool.so.$$abi $(DESTDIR)$(PREFIX)/lib/libkvmpool.so
	install -m 0644 $(TARGET_DIR)/release/libkvmpool.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 include/kvmpool.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's#@PREFIX@#$(PREFIX)#g' \
	    -e "s#@VERSION@#$$(sed -n 's/^version = \"\(.*\)\"/\1/p' Cargo.toml | head -1)#g" \
	    crates/kvmpool-capi/kvmpool.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/kvmpool.pc
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig > /dev/null; then ldconfig; fi

env-up: ## Start the test environment in DIR, with VM=1 the test VM too (then: . DIR/env)
	@[ -n "$(DIR)" ] || { echo "usage: make env-up DIR=/tmp/kv [VM=1]"; exit 2; }
	$(ENV) up '$(DIR)'
	@if [ "$(VM)" = 1 ]; then echo "$(ENV) vm-up '$(DIR)'"; $(ENV) vm-up '$(DIR)'; fi

env-down: ## Stop the test environment in DIR (and its VM)
	@[ -n "$(DIR)" ] || { echo "usage: make env-down DIR=/tmp/kv"; exit 2; }
	$(ENV) down '$(DIR)'

vm-up: ## Start the test VM alone in DIR (then: . DIR/vm/env)
	@[ -n "$(DIR)" ] || { echo "usage: make vm-up DIR=/tmp/kv"; exit 2; }
	$(ENV) vm-up '$(DIR)'

vm-down: ## Stop the test VM in DIR
	@[ -n "$(DIR)" ] || { echo "usage: make vm-down DIR=/tmp/kv"; exit 2; }
	$(ENV) vm-down '$(DIR)'

vm-check: ## The test VM's self-test (tests/env/vm/scenarios.sh) against the VM in DIR
	@[ -n "$(DIR)" ] || { echo "usage: make vm-check DIR=/tmp/kv"; exit 2; }
	sh tests/env/vm/scenarios.sh '$(DIR)'

clean: ## Remove build output
	$(CARGO) clean
	rm -rf tests/c/build
	rm -f crates/kvmpool-py/python/kvmpool/*.so
