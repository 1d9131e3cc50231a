# Meta-learning speech recognition toolkit.
#   make              build every library (build/lib*.a) and program (bin/)
#   make test         build and run all tests; ends with "N passed, N failed"
#   make bench        run the benchmarks under tests/bench/
#   make deps         install the Debian packages the toolkit needs (or print the command);
#                     make deps BENCH=1 adds those of make bench and profiling
#   make install PREFIX=/usr/local
#   make clean
# Add a library by making a directory under src/, a program by adding src/bin/NAME.c,
# a unit test as tests/unit/test-NAME.c, a shell test as tests/shell/test-NAME.sh.

SHELL   := /bin/bash
CC      ?= cc
PREFIX  ?= /usr/local
PKGS    := fftw3f openblas zlib
DEBS    := build-essential pkg-config libfftw3-dev libopenblas-dev zlib1g-dev \
           espeak-ng sox libsox-fmt-mp3 gnuplot-nox sctk \
           hunspell-en-us hunspell-de-de hunspell-fr-classical hunspell-es hunspell-it \
           hunspell-pt-pt hunspell-nl hunspell-pl hunspell-sv hunspell-da hunspell-cs \
           hunspell-ru hunspell-el hunspell-ro hunspell-hr hunspell-ca hunspell-uk \
           hunspell-sk hunspell-is hunspell-af hunspell-bg fortunes-de fortunes-es fortunes-it fortunes-ru \
           fortunes-pl fortunes-cs \
           slurm-wlm munge
# A second and a third voice engine, from recordings (the recipe's speaker and engine axes):
# festival with festvox voices for English, Czech, Catalan, Italian and Russian, and flite.
VOICE_DEBS := festival flite festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts \
           festvox-czech-dita festvox-czech-krb festvox-czech-machac festvox-czech-ph \
           festvox-ca-ona-hts festvox-itapc16k festvox-italp16k festvox-ru
# make bench's in-run references (PyTorch, torchaudio) and the profilers.
BENCH_DEBS := python3-torch python3-torchaudio linux-perf valgrind
ifeq ($(BENCH),1)
DEBS     += $(BENCH_DEBS)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=c11 -fopenmp-simd -Wall -Wextra -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -pthread
LDLIBS   := $(PKG_LIBS) -lm -pthread
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
BUILD    := build-sanitize
BIN      := build-sanitize/programs
else
BUILD    := build
BIN      := bin
endif

LIB_NAMES := $(filter-out bin,$(notdir $(wildcard src/*)))
LIB_FILES := $(foreach l,$(LIB_NAMES),$(if $(wildcard src/$(l)/*.c),$(BUILD)/lib$(l).a))
PROGRAMS  := $(patsubst src/bin/%.c,$(BIN)/%,$(wildcard src/bin/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test-*.c))
LINK_LIBS := -Wl,--start-group $(LIB_FILES) -Wl,--end-group

.PHONY: all test bench deps check-deps install clean fuzz
.SECONDARY:
all: check-deps $(PROGRAMS)

check-deps:
	@pkg-config --exists $(PKGS) || { \
	  echo "Missing libraries: pkg-config cannot find one of: $(PKGS)." >&2; \
	  echo "Run 'make deps' (as root) or: apt-get install $(DEBS)" >&2; exit 1; }

deps:
	@missing=$$(for p in $(DEBS) $(VOICE_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "All needed Debian packages are installed."; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
	  echo "Run as root: apt-get update && apt-get install -y" $$missing; exit 1; \
	fi

# Each library: src/NAME/*.c -> $(BUILD)/libNAME.a
define LIB_RULE
$(BUILD)/lib$(1).a: $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/$(1)/*.c))
	@mkdir -p $$(@D)
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(LIB_NAMES),$(eval $(call LIB_RULE,$(l))))

$(BUILD)/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The packed-panel products of an LSTM step fuse their multiply-adds where the CPU has
# FMA (ISO C mode leaves contraction off); no other file changes its rounding.
$(BUILD)/matrix/packed.o: CFLAGS += -ffp-contract=fast

$(BIN)/%: $(BUILD)/bin/%.o $(LIB_FILES)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) $< $(LINK_LIBS) $(LDLIBS) -o $@

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -MMD -MP -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB_FILES)
	$(CC) $(LDFLAGS) $< $(LINK_LIBS) $(LDLIBS) -o $@

test: all $(UNIT_TESTS)
	@BUILD=$(BUILD) BIN=$(BIN) tests/run-tests.sh

bench: all
	@. tests/bench/lib.sh && bench_need_torch "make bench"
	@for b in tests/bench/*; do [ -x "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done; true

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin

# libFuzzer harnesses (clang): tests/fuzz/fuzz-NAME.c, seed corpora in tests/fuzz/corpus/NAME/.
# make fuzz FUZZ_TIME=60 runs each for that many seconds; new inputs go to build-fuzz/corpus/.
FUZZ_TIME  ?= 10
FUZZ_FLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -Isrc -Itests/fuzz $(PKG_CFLAGS) -fsanitize=address,undefined
FUZZ_OBJS  := $(patsubst src/%.c,build-fuzz/obj/%.o,$(filter-out src/bin/%,$(wildcard src/*/*.c)))
FUZZERS    := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz-*.c))
build-fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
build-fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_OBJS)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) $(LDLIBS) -o $@
fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$${f#build-fuzz/}; mkdir -p build-fuzz/corpus/$$n tests/fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_TIME) s)"; \
	  $$f -max_total_time=$(FUZZ_TIME) -max_len=4096 -print_final_stats=1 -close_fd_mask=2 -artifact_prefix=build-fuzz/ \
	      build-fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | grep -E "stat::number_of_executed_units|stat::new_units_added|ERROR: |Done" ; \
	  test $${PIPESTATUS[0]} -eq 0 || { echo "$$n found a crash (see build-fuzz/crash-* and fuzz-*.log)"; exit 1; }; \
	done

clean:
	rm -rf build build-sanitize build-fuzz bin

-include $(shell find $(BUILD) build-fuzz -name '*.d' 2>/dev/null)
