# promc -- plain GNU make. `make` builds the static and shared libraries and
# the examples; `make test` runs every test (installing missing Debian packages
# first when run as root); `make run` starts the HTTP-counter exporter.
# Quiet by default; V=1 shows the commands.

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR    ?=

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla
# -Werror is for developers and CI only; it never reaches users through promc.pc.
WERROR  ?= -Werror
STD     := -std=c11 -D_POSIX_C_SOURCE=200809L
CFLAGS  ?=
SAN     ?=
ALL_CFLAGS = $(STD) $(OPT) $(WARN) $(WERROR) -fPIC -fvisibility=hidden -pthread \
             -Iinclude -Ilib $(SAN) $(CFLAGS)
LDLIBS  := -pthread -lm

VERSION_PART = $(shell sed -n 's/^\#define PROMC_VERSION_$(1) \([0-9]*\)$$/\1/p' include/promc.h)
MAJOR   := $(call VERSION_PART,MAJOR)
MINOR   := $(call VERSION_PART,MINOR)
PATCH   := $(call VERSION_PART,PATCH)
VERSION := $(MAJOR).$(MINOR).$(PATCH)
ifeq ($(words $(MAJOR) $(MINOR) $(PATCH)),3)
else
$(error cannot read PROMC_VERSION_MAJOR/MINOR/PATCH from include/promc.h)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
HEADERS   := $(wildcard include/*.h)
# `make STATIC=1` links the example exporters fully static (docs/DEPLOY.md).
# Inside this Makefile STATIC names the static library: the option is read
# first, then the name is set over it.
STATIC_EXPORTERS := $(filter 1,$(STATIC))
ifneq ($(filter-out 0 1,$(STATIC)),)
$(error STATIC=$(STATIC): STATIC=1 links the exporters static; 0 or unset does not)
endif
override STATIC := $(BUILD)/libpromc.a
SONAME    := libpromc.so.$(MAJOR)
SHARED    := $(BUILD)/libpromc.so.$(VERSION)

UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

EXAMPLE_DIRS   := $(filter-out examples/common,$(patsubst %/,%,$(dir $(wildcard examples/*/*.c))))
EXAMPLE_NAMES  := $(sort $(notdir $(EXAMPLE_DIRS)))
EXAMPLE_BIN    := $(EXAMPLE_NAMES:%=$(BUILD)/examples/%)
COMMON_SRC     := $(sort $(wildcard examples/common/*.c))
COMMON_OBJ     := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
COMMON_LIB     := $(BUILD)/libexcommon.a
# Tests and fuzz targets of examples/common link it; the library's own do
# not, so they never depend on the examples' code.
COMMON_USERS   := test_json test_cli test_systemd test_manpage fuzz_json test_webconfig

.PHONY: all lib examples test units check-unit check-symbols check-install check-format check-docs docs check-contract check-dlopen \
        sanitize check-clang tsan valgrind check-protobuf interop native-interop integration examples-test bench bench-peers bench-build soak fuzz-build fuzz-smoke fuzz run demo install \
        uninstall format clean deps

.SECONDEXPANSION:
.SECONDARY:

all: lib examples

lib: $(STATIC) $(BUILD)/libpromc.so $(BUILD)/promc.pc

# -MMD -MP: every object and program also depends on the headers (and
# included .c files) it actually uses, so incremental builds never go stale.
DEPFLAGS = -MMD -MP -MF $@.d

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Iexamples/common -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# Calls between the library's own exported functions (promc_counter_vec_labels
# into promc_counter_vec_labels_n, the encoders into promc_emit_sample...) bind
# inside the library: compiled without semantic interposition, so the compiler
# may inline them, and linked with -Bsymbolic-functions, so they are direct
# calls, not calls through the PLT that another definition could take over.
# Only functions: the exported data (promc_default_buckets) stays
# interposable, as a program's copy relocation of it needs. docs/BUILDING.md
# says why; tests/check_plt.sh checks it.
LIB_CFLAGS     := -fno-semantic-interposition
SHARED_LDFLAGS := -Wl,-Bsymbolic-functions
$(LIB_OBJ): ALL_CFLAGS += $(LIB_CFLAGS)
# These flags, in a file rewritten only when they change, so that a build
# tree made before a change of them is rebuilt with the new ones.
$(LIB_OBJ): $(BUILD)/lib.flags
$(BUILD)/lib.flags: FORCE
	@mkdir -p $(BUILD)
	$(Q)echo '$(LIB_CFLAGS) $(SHARED_LDFLAGS)' | cmp -s - $@ || echo '$(LIB_CFLAGS) $(SHARED_LDFLAGS)' > $@

$(SHARED): $(LIB_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) $(SHARED_LDFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(BUILD)/libpromc.so: $(SHARED)
	$(Q)ln -sf libpromc.so.$(VERSION) $(BUILD)/$(SONAME)
	$(Q)ln -sf $(SONAME) $@

# promc.pc and the CMake package files (cmake/*.in) are templates filled by
# sed, as CMakeLists.txt and meson.build fill them. In promc.pc, directories
# under PREFIX are written relative to ${prefix}, so pkg-config can relocate
# them (--define-prefix); the CMake files name them in full.
PC_LIBDIR     = $(patsubst $(PREFIX)/%,$${exec_prefix}/%,$(LIBDIR))
PC_INCLUDEDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
FILL       = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(MAJOR)|g'
FILL_PC    = $(FILL) -e 's|@LIBDIR@|$(PC_LIBDIR)|g' -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|g'
FILL_CMAKE = $(FILL) -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g'
CMAKEDIR  ?= $(LIBDIR)/cmake/promc

$(BUILD)/promc.pc: pkgconfig/promc.pc.in include/promc.h Makefile
	@mkdir -p $(BUILD)
	$(Q)$(FILL_PC) $< > $@

# ---------------------------------------------------------------- examples

examples: $(EXAMPLE_BIN)

example_objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard examples/$(1)/*.c))

$(COMMON_LIB): $(COMMON_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# The exporters (not the library) check bcrypt passwords with crypt(3).
EXAMPLE_LDLIBS := -lcrypt

# build_info says which commit the exporters were built from; the stamp
# changes, and exporter.o is rebuilt, only when the commit does.
REVISION ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
$(BUILD)/obj/examples/common/exporter.o: ALL_CFLAGS += -DEX_REVISION='"$(REVISION)"'
$(BUILD)/obj/examples/common/exporter.o: $(BUILD)/revision
$(BUILD)/revision: FORCE
	@mkdir -p $(BUILD)
	$(Q)echo '$(REVISION)' | cmp -s - $@ || echo '$(REVISION)' > $@

$(BUILD)/examples/%: $(STATIC) $(COMMON_LIB) $(BUILD)/examples.ldflags $$(call example_objs,$$*)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(SAN) $(EXAMPLE_LDFLAGS) -o $@ $(filter %.o,$^) $(COMMON_LIB) $(STATIC) $(EXAMPLE_LDLIBS) $(LDLIBS)

# The examples' link flags, in a file rewritten only when they change, so
# that switching STATIC relinks them.
EXAMPLE_LDFLAGS := $(if $(STATIC_EXPORTERS),-static)
$(BUILD)/examples.ldflags: FORCE
	@mkdir -p $(BUILD)
	$(Q)echo '$(EXAMPLE_LDFLAGS)' | cmp -s - $@ || echo '$(EXAMPLE_LDFLAGS)' > $@

.PHONY: FORCE
FORCE:


# ---------------------------------------------------------------- tests

common_for = $(if $(filter $(1),$(COMMON_USERS)),$(COMMON_LIB))
common_ldlibs_for = $(if $(filter $(1),$(COMMON_USERS)),$(EXAMPLE_LDLIBS))

$(BUILD)/tests/%: tests/unit/%.c $(STATIC) $$(call common_for,$$*)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Iexamples/common -o $@ $< $(call common_for,$*) $(STATIC) -lcmocka \
	    $(call common_ldlibs_for,$*) $(LDLIBS)

# Helper programs of the integration tests (not unit tests themselves).
$(BUILD)/integration/%: tests/integration/%.c $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(STATIC) $(LDLIBS)

$(BUILD)/bench/%: tests/bench/%.c $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -O2 -o $@ $< $(STATIC) $(LDLIBS)

# bench_promc a second time, linked the way users link it (`pkg-config --libs
# promc`: -L... -lpromc, the shared library), with an rpath to this build so
# it runs from the tree. The runner reports this one as promc and the static
# one as promc-static. Workload Z times the compressor, which is internal and
# not exported: its objects are linked in directly.
BENCH_SHARED     := $(BUILD)/bench/bench_promc-shared
BENCH_SHARED_OBJ := $(addprefix $(BUILD)/obj/lib/,gzip.o deflate.o crc32.o alloc.o)
$(BENCH_SHARED): tests/bench/bench_promc.c $(BUILD)/libpromc.so $(BENCH_SHARED_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -O2 -o $@ $< $(BENCH_SHARED_OBJ) \
	    -L$(BUILD) -lpromc -Wl,-rpath,$(abspath $(BUILD)) $(LDLIBS)

# Fuzz targets build as plain replay tools (tests/fuzz/replay.c: replay
# files, or with no argument a fixed-seed run of mutated seed inputs);
# `make fuzz` builds them for libFuzzer with clang instead, through this same
# rule (FUZZ_MAIN empty, FUZZ_LINK=-fsanitize=fuzzer). Targets of the
# examples' code link examples/common: those of COMMON_USERS and these.
FUZZ_COMMON_USERS := fuzz_cli fuzz_prowjobs fuzz_jenkins fuzz_prefect fuzz_webconfig
FUZZ_MAIN ?= tests/fuzz/replay.c
FUZZ_LINK ?=
fuzz_common_for = $(if $(filter $(1),$(COMMON_USERS) $(FUZZ_COMMON_USERS)),$(COMMON_LIB))
# With two sources, -MF keeps the dependencies of the last one: the target
# goes last, so that a change in the code it includes rebuilds it.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_MAIN) $(STATIC) $$(call fuzz_common_for,$$*)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Iexamples/common -o $@ $(FUZZ_MAIN) $< \
	    $(call fuzz_common_for,$*) $(STATIC) $(FUZZ_LINK) \
	    $(if $(call fuzz_common_for,$*),$(EXAMPLE_LDLIBS)) $(LDLIBS)

deps:
	$(Q)tests/deps.sh

# The unit test programs, built only (make test builds them two at a time,
# then runs them one after the other).
units: $(UNIT_BIN)

# The multi-process tests again in the other file layout (client_python
# 0.18 and later: a timestamp after each value; see tests/unit/mp_fixture.h).
check-unit: $(UNIT_BIN)
	$(Q)tests/run_unit.sh $(UNIT_BIN)
	$(Q)PROMC_TEST_MP_LAYOUT=timestamped tests/run_unit.sh \
	    $(BUILD)/tests/test_multiprocess $(BUILD)/tests/test_mp_mode

check-symbols: $(SHARED)
	$(Q)tests/check_symbols.sh $(SHARED) include/promc.h $(wildcard include/promc_*.h)
	$(Q)tests/check_plt.sh $(SHARED)

check-install:
	$(Q)tests/check_install.sh

# The CMake and Meson builds against the Makefile's library, and a consumer
# for each way of using promc from CMake and Meson (built in $(BUILD)/packaging).
.PHONY: check-packaging
check-packaging:
	$(Q)tests/check_packaging.sh $(BUILD)

# The shared library loads with dlopen (plugins, bindings, ctypes): its
# thread-locals fit the static TLS a dlopen'ed library may use.
$(BUILD)/check_dlopen: tests/check_dlopen.c include/promc.h
	$(Q)$(CC) $(STD) $(OPT) $(WARN) $(WERROR) -Iinclude -pthread -o $@ $< -ldl

check-dlopen: $(SHARED) $(BUILD)/check_dlopen
	$(Q)$(BUILD)/check_dlopen $(abspath $(SHARED))

check-format:
	$(Q)tests/check_format.sh

# The mistakes the type system must refuse (tests/compile_fail/), every
# public declaration documented by its own comment, and a last-error row for
# every public function that can fail.
check-contract: $(BUILD)/tests/test_last_error
	$(Q)tests/check_compile_fail.sh $(CC) clang
	$(Q)tests/check_header_docs.sh include/promc.h $(wildcard include/promc_*.h)
	$(Q)tests/check_last_error_rows.sh $(BUILD)/tests/test_last_error include/promc.h \
	    $(wildcard include/promc_*.h)

# docs/EXPORTERS.md is generated from the exporters' READMEs.
docs:
	$(Q)docs/exporters.sh

check-docs: $(BUILD)/examples/custom_collector $(BUILD)/examples/ci_jobs
	$(Q)docs/check_snippets.sh $(BUILD)
	$(Q)tmp=$$(mktemp) && docs/exporters.sh $$tmp && \
	    if cmp -s $$tmp docs/EXPORTERS.md; then rm -f $$tmp; echo "docs: EXPORTERS.md up to date"; \
	    else rm -f $$tmp; echo "docs/EXPORTERS.md is stale: run make docs" >&2; exit 1; fi

# Each configuration's programs are built with -j2 first (compiling is all
# this machine's two CPUs can share), then the tests run one at a time.
ASAN_VARS = BUILD=build/asan OPT="-O1 -g" \
            SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
sanitize:
	@echo "== AddressSanitizer + UndefinedBehaviorSanitizer: unit suite"
	$(Q)$(MAKE) --no-print-directory -j2 $(ASAN_VARS) units
	$(Q)$(MAKE) --no-print-directory $(ASAN_VARS) check-unit

TSAN_TESTS := test_concurrency test_native test_http_server test_http_hostile test_textfile \
              test_misuse test_exemplar test_filter test_coalesce test_stripes \
              test_testutil_threads test_remove_partial test_multiprocess test_mp_mode test_callback \
              test_http_request test_stop_signals test_const_labels test_lookup_race

# The whole build and the unit suite with clang too: its warnings differ, and
# its UndefinedBehaviorSanitizer checks more than gcc's (arithmetic on a NULL
# pointer, for one). Recovery off: any undefined behaviour fails the run.
CLANG_VARS = CC=clang BUILD=build/clang OPT="-O1 -g" SAN="-fsanitize=undefined -fno-sanitize-recover=all"
check-clang:
	@echo "== clang: build and unit suite, UndefinedBehaviorSanitizer"
	$(Q)$(MAKE) --no-print-directory -j2 $(CLANG_VARS) all units
	$(Q)$(MAKE) --no-print-directory $(CLANG_VARS) all check-unit

tsan:
	@echo "== ThreadSanitizer: the multi-threaded tests"
	$(Q)$(MAKE) --no-print-directory -j2 BUILD=build/tsan OPT="-O1 -g" SAN="-fsanitize=thread" \
	    $(TSAN_TESTS:%=build/tsan/tests/%)
	$(Q)TSAN_OPTIONS="halt_on_error=1" tests/run_unit.sh $(TSAN_TESTS:%=build/tsan/tests/%)

valgrind: $(BUILD)/tests/test_lifecycle
	@echo "== valgrind: create/use/scrape/free cycle"
	$(Q)valgrind --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
	    --error-exitcode=1 $(BUILD)/tests/test_lifecycle

# The protobuf golden files decoded by python3-protobuf, compared with what
# client_python reads from the text ones (it compiles metrics.proto into
# $(BUILD)/proto, which interop then uses too); then promc's bytes against
# client_golang 1.14's for the same registry.
check-protobuf: $(BUILD)/integration/protobuf_peer
	$(Q)tests/integration/check_protobuf.sh $(BUILD)
	$(Q)tests/integration/compare_golang.sh $(BUILD) $(BUILD)/integration/protobuf_peer \
	    $(BUILD)/proto/upstream

# interop also lints deliberately bad metric sets with promc's linter and
# with promtool, whose findings must be the same (lint_vs_promtool.sh).
interop: $(BUILD)/integration/interop_dump $(BUILD)/integration/exemplar_dump check-protobuf \
         $(BUILD)/integration/lint_cases $(BUILD)/integration/curry_dump
	$(Q)tests/integration/interop.sh $(BUILD)/integration/interop_dump $(BUILD)/proto/upstream
	$(Q)tests/integration/exemplars.sh $(BUILD)/integration/exemplar_dump
	$(Q)tests/integration/lint_vs_promtool.sh $(BUILD)/integration/lint_cases
	$(Q)tests/integration/curry_vs_go.sh $(BUILD)/integration/curry_dump

# Native histograms against client_golang 1.14 itself (built offline), and
# the exemplars they keep against what client_golang's newer code kept for
# the same cases (tests/data/native_exemplars.golden).
native-interop: $(BUILD)/integration/native_dump $(BUILD)/integration/native_exemplar_dump
	$(Q)tests/integration/native_vs_go.sh $(BUILD)/integration/native_dump $(BUILD)
	$(Q)tests/integration/native_exemplars.sh $(BUILD)/integration/native_exemplar_dump $(BUILD)

# Real Prometheus (also against collectors slower than its scrape_timeout),
# node_exporter and Pushgateway on 127.0.0.1.
integration: $(BUILD)/integration/e2e_target $(BUILD)/integration/textfile_writer \
             $(BUILD)/integration/push_client $(BUILD)/integration/gzip_tool \
             $(BUILD)/integration/slow_target
	$(Q)tests/integration/gzip_roundtrip.sh $(BUILD)/integration/gzip_tool
	$(Q)tests/integration/prometheus_e2e.sh $(BUILD)/integration/e2e_target
	$(Q)tests/integration/slow_collector.sh $(BUILD)/integration/slow_target
	$(Q)tests/integration/node_exporter.sh $(BUILD)/integration/textfile_writer
	$(Q)tests/integration/pushgateway.sh $(BUILD)/integration/push_client

# The example exporters against fake upstreams (tests/integration/test_*.py).
examples-test: examples
	$(Q)failed=0; for t in $(sort $(wildcard tests/integration/test_*.py)); do \
	    PROMC_BUILD=$(BUILD) /usr/bin/python3 $$t || { echo "FAILED: $$t" >&2; failed=1; }; \
	done; [ $$failed -eq 0 ]

# The exporters' alerting and recording rules (examples/*/rules.yml): valid
# for promtool, each alert firing and quiet and each recording rule's value
# in a promtool unit test (rules_test.yml beside each). Their dashboards run
# against a real Prometheus in tests/integration/test_all_exporters.py.
RULE_FILES := $(sort $(wildcard examples/*/rules.yml))
.PHONY: check-rules
check-rules:
	$(Q)promtool check rules $(RULE_FILES)
	$(Q)/usr/bin/python3 tests/check_rule_tests.py $(RULE_FILES)
	$(Q)promtool test rules $(RULE_FILES:rules.yml=rules_test.yml)

bench-build: $(BENCH_BIN) $(BENCH_SHARED)

fuzz-build: $(FUZZ_BIN)

# Each replay tool's fixed-seed mutation run, then every file of its seed
# corpus tests/fuzz/corpus/<name without fuzz_>: the reproducers of fixed
# bugs (regress-*) among them stay fixed.
fuzz-smoke: $(FUZZ_BIN)
	$(Q)for f in $(FUZZ_BIN); do \
	    corpus=tests/fuzz/corpus/$${f##*/fuzz_}; \
	    $$f || exit 1; \
	    if [ -d $$corpus ]; then $$f $$corpus || exit 1; fi; \
	done

# libFuzzer runs (docs/FUZZING.md): every target, or those named in
# FUZZ_TARGETS, built with clang, ASan and UBSan into build/libfuzzer, then run
# one after the other for FUZZ_SECONDS each on a work corpus seeded from
# tests/fuzz/corpus/<name>; FUZZ_FLAGS adds libFuzzer flags (-runs=N,
# -max_len=N...). `make fuzz` shows libFuzzer's output; `make fuzz-long
# FUZZ_SECONDS=N` keeps it in build/libfuzzer/<target>.log and prints one line
# a target. Both print the executions each target ran; crashes are written to
# build/libfuzzer/artifacts/, and the first one stops the run.
# The soak: tests/soak/soak.c for SOAK_SECONDS, plain, under ASan+UBSan and
# under TSan. Not part of make test.
SOAK_SECONDS ?= 60
$(BUILD)/soak/%: tests/soak/%.c $(STATIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -o $@ $< $(STATIC) $(LDLIBS)

soak: $(BUILD)/soak/soak
	@echo "== soak: $(SOAK_SECONDS) s"
	$(Q)$(BUILD)/soak/soak $(SOAK_SECONDS)
	@echo "== soak under AddressSanitizer + UndefinedBehaviorSanitizer"
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    build/asan/soak/soak
	$(Q)build/asan/soak/soak $(SOAK_SECONDS)
	@echo "== soak under ThreadSanitizer"
	$(Q)$(MAKE) --no-print-directory BUILD=build/tsan OPT="-O1 -g" SAN="-fsanitize=thread" \
	    build/tsan/soak/soak
	$(Q)TSAN_OPTIONS="halt_on_error=1" build/tsan/soak/soak $(SOAK_SECONDS)

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(notdir $(FUZZ_BIN))
FUZZ_FLAGS   ?=
FUZZ_DIR     := build/libfuzzer
FUZZ_SAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer

.PHONY: fuzz-long
fuzz-long: FUZZ_QUIET := 1
fuzz fuzz-long:
	$(Q)$(MAKE) --no-print-directory CC=clang BUILD=$(FUZZ_DIR) OPT="-g -O1" SAN="$(FUZZ_SAN)" \
	    FUZZ_MAIN= FUZZ_LINK=-fsanitize=fuzzer $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz/%)
	$(Q)mkdir -p $(FUZZ_DIR)/artifacts
	$(Q)for name in $(FUZZ_TARGETS); do \
	    work=$(FUZZ_DIR)/corpus-$$name; log=$(FUZZ_DIR)/$$name.log; mkdir -p $$work; \
	    dict=tests/fuzz/$$name.dict; [ -f $$dict ] && dict=-dict=$$dict || dict=; \
	    echo "== $$name: $(FUZZ_SECONDS) s"; \
	    { $(FUZZ_DIR)/fuzz/$$name -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	          -artifact_prefix=$(FUZZ_DIR)/artifacts/$$name- $$dict $(FUZZ_FLAGS) \
	          $$work tests/fuzz/corpus/$${name#fuzz_} 2>&1; echo $$? > $$log.rc; } | \
	        $(if $(FUZZ_QUIET),cat > $$log,tee $$log); \
	    rc=$$(cat $$log.rc); \
	    execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	    echo "== $$name: $${execs:-?} executions, exit status $$rc ($$(date -u +%F))"; \
	    if [ "$$rc" != 0 ]; then $(if $(FUZZ_QUIET),tail -n 40 $$log;) exit 1; fi; \
	done

# promc's own micro-benchmarks, in quick mode (bench_promc --quick: every
# in-process workload of docs/PERFORMANCE.md with 1/10 of the operations). bench-peers is the full comparison with
# client_golang, prometheus-cpp and client_python (docs/PERFORMANCE.md);
# QUICK=1 makes it a smoke run. Neither is part of `make test`.
bench: $(BENCH_BIN)
	$(Q)for b in $(BENCH_BIN); do echo "== $$b"; $$b --quick || exit 1; done

bench-peers:
	$(Q)tests/bench/run_peers.sh

test: deps
	$(Q)$(MAKE) --no-print-directory -j2 all units
	$(Q)$(MAKE) --no-print-directory check-format check-docs
	$(Q)$(MAKE) --no-print-directory check-unit check-protobuf
	$(Q)$(MAKE) --no-print-directory check-symbols check-contract
	$(Q)$(MAKE) --no-print-directory check-install check-dlopen
	$(Q)$(MAKE) --no-print-directory check-packaging
	$(Q)$(MAKE) --no-print-directory check-exporter-install check-static
	$(Q)$(MAKE) --no-print-directory sanitize
	$(Q)$(MAKE) --no-print-directory check-clang
	$(Q)$(MAKE) --no-print-directory tsan
	$(Q)$(MAKE) --no-print-directory valgrind
	$(Q)$(MAKE) --no-print-directory interop
	$(Q)$(MAKE) --no-print-directory native-interop
	$(Q)$(MAKE) --no-print-directory integration
	$(Q)$(MAKE) --no-print-directory check-rules
	$(Q)$(MAKE) --no-print-directory examples-test
	$(Q)$(MAKE) --no-print-directory -j2 fuzz-build
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory -j2 bench-build
	@echo "make test: all checks passed"

# ---------------------------------------------------------------- run

demo: $(BUILD)/examples/instrument
	$(Q)$(BUILD)/examples/instrument

run: all
	$(Q)exec $(BUILD)/examples/http_counter

# ---------------------------------------------------------------- install

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(CMAKEDIR)
	install -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libpromc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpromc.so
	$(FILL_PC) pkgconfig/promc.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/promc.pc
	$(FILL_CMAKE) cmake/promcConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/promcConfig.cmake
	$(FILL_CMAKE) cmake/promcConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/promcConfigVersion.cmake
	$(FILL_CMAKE) cmake/promcTargets-make.cmake.in > $(DESTDIR)$(CMAKEDIR)/promcTargets.cmake
	@pkgconfig/ldconfig_hint.sh '$(LIBDIR)' $(SONAME)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(HEADERS)))
	rm -f $(DESTDIR)$(LIBDIR)/libpromc.a $(DESTDIR)$(LIBDIR)/libpromc.so \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libpromc.so.$(VERSION) \
	      $(DESTDIR)$(PKGCONFIGDIR)/promc.pc
	rm -f $(addprefix $(DESTDIR)$(CMAKEDIR)/,promcConfig.cmake promcConfigVersion.cmake promcTargets.cmake)

# ---------------------------------------------------------------- installed exporters

# The real exporters (not the demos), installed under the names Debian gives
# its Prometheus exporters (jenkins_exporter is prometheus-jenkins-exporter)
# with a man page, a systemd unit and an environment file each; the man page
# and the environment file come from the flag table, as --help does
# (--help-man, --help-env). docs/DEPLOY.md describes the layout.
BINDIR         ?= $(PREFIX)/bin
MANDIR         ?= $(PREFIX)/share/man
SYSCONFDIR     ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALLED_EXPORTERS := jenkins_exporter hitl_exporter prow_exporter httpd_exporter prefect_exporter
package_name = prometheus-$(subst _,-,$(1))
unit_description_jenkins_exporter := Prometheus exporter for the number of Jenkins jobs
unit_description_hitl_exporter    := Prometheus exporter for an HTTP health check
unit_description_prow_exporter    := Prometheus exporter for Prow jobs
unit_description_httpd_exporter   := Prometheus exporter for an Apache or nginx access log
unit_description_prefect_exporter := Prometheus exporter for Prefect
# Debian's web server logs belong to group adm.
unit_groups_httpd_exporter := adm

# Run under its installed name, so that the page names it.
$(BUILD)/dist/%.1 $(BUILD)/dist/%.env: $(BUILD)/examples/%
	@mkdir -p $(BUILD)/dist/bin
	@$(if $(Q),echo "  GEN     $(BUILD)/dist/$*.1 $(BUILD)/dist/$*.env")
	$(Q)ln -sf ../../examples/$* $(BUILD)/dist/bin/$(call package_name,$*)
	$(Q)$(BUILD)/dist/bin/$(call package_name,$*) --help-man > $(BUILD)/dist/$*.1
	$(Q)$(BUILD)/dist/bin/$(call package_name,$*) --help-env > $(BUILD)/dist/$*.env

# An environment file an operator changed is never overwritten, nor removed
# by uninstall (which compares it with what the installed binary writes).
define install_exporter
	install -m 755 $(BUILD)/examples/$(1) $(DESTDIR)$(BINDIR)/$(call package_name,$(1))
	install -m 644 $(BUILD)/dist/$(1).1 $(DESTDIR)$(MANDIR)/man1/$(call package_name,$(1)).1
	sed -e 's|@NAME@|$(call package_name,$(1))|g' -e 's|@DESCRIPTION@|$(unit_description_$(1))|g' \
	    -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e '$(if $(unit_groups_$(1)),s|@GROUPS@|$(unit_groups_$(1))|,/@GROUPS@/d)' \
	    examples/common/exporter.service.in \
	    > $(DESTDIR)$(SYSTEMDUNITDIR)/$(call package_name,$(1)).service
	@env=$(DESTDIR)$(SYSCONFDIR)/default/$(call package_name,$(1)); \
	if [ -e "$$env" ] && ! cmp -s $(BUILD)/dist/$(1).env "$$env"; then \
	    echo "install: keeping $$env, which differs from $(BUILD)/dist/$(1).env"; \
	else echo "install -m 600 $(BUILD)/dist/$(1).env $$env"; \
	    install -m 600 $(BUILD)/dist/$(1).env "$$env"; fi

endef

define uninstall_exporter
	@bin=$(DESTDIR)$(BINDIR)/$(call package_name,$(1)); \
	env=$(DESTDIR)$(SYSCONFDIR)/default/$(call package_name,$(1)); \
	if [ -e "$$env" ] && { [ ! -x "$$bin" ] || ! "$$bin" --help-env | cmp -s - "$$env"; }; then \
	    echo "uninstall: keeping $$env: it was changed (or $$bin is gone)"; \
	else echo "rm -f $$env"; rm -f "$$env"; fi
	rm -f $(DESTDIR)$(BINDIR)/$(call package_name,$(1)) \
	      $(DESTDIR)$(MANDIR)/man1/$(call package_name,$(1)).1 \
	      $(DESTDIR)$(SYSTEMDUNITDIR)/$(call package_name,$(1)).service

endef

.PHONY: install-exporters uninstall-exporters check-exporter-install check-static FORCE
install: install-exporters
uninstall: uninstall-exporters

install-exporters: $(INSTALLED_EXPORTERS:%=$(BUILD)/examples/%) \
                   $(INSTALLED_EXPORTERS:%=$(BUILD)/dist/%.1) $(INSTALLED_EXPORTERS:%=$(BUILD)/dist/%.env)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSTEMDUNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/default
	$(foreach e,$(INSTALLED_EXPORTERS),$(call install_exporter,$(e)))

uninstall-exporters:
	$(foreach e,$(INSTALLED_EXPORTERS),$(call uninstall_exporter,$(e)))

# make install DESTDIR=... PREFIX=/usr: every file where Debian puts it,
# the units verified by systemd-analyze, the man pages rendered, then
# uninstall leaves nothing.
check-exporter-install: $(INSTALLED_EXPORTERS:%=$(BUILD)/examples/%)
	$(Q)tests/check_exporter_install.sh $(BUILD) $(INSTALLED_EXPORTERS)

# make STATIC=1: the exporters linked fully static (in their own build
# tree), answering --version and a scrape.
check-static:
	$(Q)$(MAKE) --no-print-directory -s -j2 STATIC=1 BUILD=$(BUILD)/static \
	    $(INSTALLED_EXPORTERS:%=$(BUILD)/static/examples/%)
	$(Q)tests/check_static.sh $(BUILD)/static $(INSTALLED_EXPORTERS)

format:
	clang-format -i $(LIB_SRC) $(HEADERS) $(wildcard lib/*.h tests/*/*.c tests/*/*.h examples/*/*.c examples/*/*.h)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
