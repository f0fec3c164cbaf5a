# retentiond: see README.md. `make`, `make test`, `make check`, `make bench`,
# `make fuzz`, `make eval`, `make demo`, `make install`.

PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= $(PREFIX)/lib/systemd/system
BUILD     ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := rdkafka jansson gsl libsystemd inih libmicrohttpd
VERSION   := 0.1.0

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wimplicit-fallthrough -Wpointer-arith -Wcast-qual \
	-Wundef -Wwrite-strings -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
CPPFLAGS += -std=c11 -D_GNU_SOURCE -DRETENTIOND_VERSION='"$(VERSION)"' \
	$(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS  += $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm

STATE_SRC    := $(wildcard state/*.c)
PIPELINE_SRC := $(wildcard pipeline/*.c)
DAEMON_SRC   := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
LIB_SRC      := $(STATE_SRC) $(PIPELINE_SRC) $(DAEMON_SRC)
LIB_OBJ      := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
UNIT_BIN     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Programs beside the daemon, each built as $(BUILD)/<name>: developer
# tools, the simulator, and what the tests run (tests/infra).
TOOL_DIRS    := tools/dev tools/sim tests/infra
TOOL_SRC     := $(wildcard $(addsuffix /*.c,$(TOOL_DIRS)))
TOOL_BIN     := $(addprefix $(BUILD)/,$(notdir $(TOOL_SRC:.c=)))
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all test check bench fuzz eval demo install clean layering tests-build
all: $(BUILD)/retentiond $(TOOL_BIN)

$(BUILD)/obj/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(BUILD)/libretentiond.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/retentiond: $(BUILD)/obj/daemon/main.o $(BUILD)/libretentiond.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libretentiond.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(BUILD)/libretentiond.a $(LDLIBS)

define tool_rule
$$(BUILD)/%: $(1)/%.c $$(wildcard $(1)/*.h) $$(BUILD)/libretentiond.a
	@echo "  CCLD    $$@"
	@$$(CC) $$(CPPFLAGS) $$(CFLAGS) $$(WARN) $$(LDFLAGS) -o $$@ $$< $$(BUILD)/libretentiond.a $$(LDLIBS)
endef
$(foreach d,$(TOOL_DIRS),$(eval $(call tool_rule,$(d))))

# Fuzz targets built as plain programs that replay their corpus (for `make
# test`); `make fuzz` builds them with libFuzzer.
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(BUILD)/libretentiond.a
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(BUILD)/libretentiond.a $(LDLIBS)

tests-build: all $(UNIT_BIN) $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

test: tests-build layering
	BUILD=$(BUILD) tests/run.sh

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
check:
	$(MAKE) BUILD=build-san SAN=1 test

FUZZ_SECONDS ?= 60
fuzz:
	tools/dev/fuzz.sh $(FUZZ_SECONDS)

bench: all
	tools/dev/bench.sh $(BUILD)

eval: all
	/usr/bin/python3 tools/eval/eval.py --build $(BUILD)

demo:
	tools/demo.sh

# Includes point downwards only (daemon -> pipeline -> state) and each
# library stays in its files.
layering:
	@tools/dev/layering.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/retentiond \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(BUILD)/retentiond $(DESTDIR)$(BINDIR)/retentiond
	sed 's|@BINDIR@|$(BINDIR)|g' deploy/retentiond.service > $(DESTDIR)$(UNITDIR)/retentiond.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/retentiond.service
	if [ -f deploy/retentiond.socket ]; then install -m 0644 deploy/retentiond.socket $(DESTDIR)$(UNITDIR)/; fi
	# The service runs as a dynamic user: the config must be world-readable
	# (it holds no secrets; those are credentials). An existing config and
	# credential are kept; the empty credential lets LoadCredential= start.
	[ -e $(DESTDIR)$(SYSCONFDIR)/retentiond/retentiond.conf ] || \
		install -m 0644 deploy/retentiond.conf $(DESTDIR)$(SYSCONFDIR)/retentiond/retentiond.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/retentiond/sasl-password ] || \
		install -m 0600 /dev/null $(DESTDIR)$(SYSCONFDIR)/retentiond/sasl-password
	install -m 0644 docs/retentiond.8 $(DESTDIR)$(MANDIR)/man8/retentiond.8
	install -m 0644 docs/retentiond.conf.5 $(DESTDIR)$(MANDIR)/man5/retentiond.conf.5

clean:
	rm -rf build build-san build-fuzz build-clang
