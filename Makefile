# retentiond: see README.md. `make`, `make test`, `make test-long`, `make check`, `make bench`,
# `make fuzz`, `make eval`, `make demo`, `make install`, `make uninstall`,
# `make deb`.

PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= $(PREFIX)/lib/systemd/system
DATADIR   ?= $(PREFIX)/share
PKGDATADIR = $(DATADIR)/retentiond
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

SCHEMAS      := $(wildcard docs/schemas/*.json)
SHARED       := $(BUILD)/gen/openapi.json deploy/grafana-dashboard.json deploy/retentiond.rules.yml
STATE_SRC    := $(wildcard state/*.c)
PIPELINE_SRC := $(wildcard pipeline/*.c)
DAEMON_SRC   := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
LIB_SRC      := $(STATE_SRC) $(PIPELINE_SRC) $(DAEMON_SRC)
LIB_OBJ      := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/openapi.o
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
UNIT_BIN     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Programs beside the daemon, each built as $(BUILD)/<name>: developer
# tools, the simulator, and what the tests run (tests/infra).
TOOL_DIRS    := tools/dev tools/sim tests/infra
TOOL_SRC     := $(wildcard $(addsuffix /*.c,$(TOOL_DIRS)))
TOOL_BIN     := $(addprefix $(BUILD)/,$(notdir $(TOOL_SRC:.c=)))
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all test test-long check bench fuzz eval demo install uninstall deb clean layering tests-build
all: $(BUILD)/retentiond $(TOOL_BIN)

$(BUILD)/obj/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

# The OpenAPI document the daemon serves at /v1/openapi.json: docs/openapi.json
# with the docs/schemas/ files it names inlined, embedded as a C array. The
# bundler is a build-machine tool: plain flags, never sanitizer or fuzzer ones.
HOST_CC     ?= $(CC)
HOST_CFLAGS ?= -O2 -g
$(BUILD)/gen/openapi_bundle: tools/gen/openapi_bundle.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(HOST_CC) -std=c11 -D_GNU_SOURCE $(HOST_CFLAGS) $(WARN) \
		$(shell $(PKG_CONFIG) --cflags jansson) -o $@ $< $(shell $(PKG_CONFIG) --libs jansson)

$(BUILD)/gen/openapi.json $(BUILD)/gen/openapi.c &: $(BUILD)/gen/openapi_bundle \
    docs/openapi.json $(wildcard docs/schemas/*.json)
	@echo "  GEN     $(BUILD)/gen/openapi.c"
	@$< $(VERSION) docs/openapi.json $(BUILD)/gen/openapi.json $(BUILD)/gen/openapi.c

$(BUILD)/obj/gen/openapi.o: $(BUILD)/gen/openapi.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(WARN) -c -o $@ $<

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

# The long variants (CI runs them too): the crash test over >= 100k events
# with 10 SIGKILLs and 10 SIGTERMs (make test runs a shorter one).
test-long: tests-build
	CRASH_LONG=1 BUILD=$(BUILD) TESTS=integration/test_crash tests/run.sh

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
	sed 's|@BINDIR@|$(BINDIR)|g' deploy/retentiond.service.in > $(DESTDIR)$(UNITDIR)/retentiond.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/retentiond.service
	if [ -f deploy/retentiond.socket ]; then install -m 0644 deploy/retentiond.socket $(DESTDIR)$(UNITDIR)/; fi
	# The service runs as a dynamic user: the config must be world-readable,
	# so it holds no secrets (they are credentials: retentiond refuses a
	# secret written in clear in a file group or others can read). An
	# existing config and credential are kept; the empty credential lets
	# LoadCredential= start.
	[ -e $(DESTDIR)$(SYSCONFDIR)/retentiond/retentiond.conf ] || \
		install -m 0644 deploy/retentiond.conf $(DESTDIR)$(SYSCONFDIR)/retentiond/retentiond.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/retentiond/sasl-password ] || \
		install -m 0600 /dev/null $(DESTDIR)$(SYSCONFDIR)/retentiond/sasl-password
	install -m 0644 docs/retentiond.8 $(DESTDIR)$(MANDIR)/man8/retentiond.8
	install -m 0644 docs/retentiond.conf.5 $(DESTDIR)$(MANDIR)/man5/retentiond.conf.5
	# For operators and consumers: the wire contract's schemas, the OpenAPI
	# document as served, the Grafana dashboard, the Prometheus rules.
	install -d $(DESTDIR)$(PKGDATADIR)/schemas
	install -m 0644 $(SCHEMAS) $(DESTDIR)$(PKGDATADIR)/schemas/
	install -m 0644 $(SHARED) $(DESTDIR)$(PKGDATADIR)/

# Removes what install put in place, file by file (no rm -r of a path made
# of variables). /etc/retentiond is the administrator's and stays.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/retentiond $(DESTDIR)$(UNITDIR)/retentiond.service \
		$(DESTDIR)$(UNITDIR)/retentiond.socket \
		$(DESTDIR)$(MANDIR)/man8/retentiond.8 $(DESTDIR)$(MANDIR)/man5/retentiond.conf.5 \
		$(addprefix $(DESTDIR)$(PKGDATADIR)/schemas/,$(notdir $(SCHEMAS))) \
		$(addprefix $(DESTDIR)$(PKGDATADIR)/,$(notdir $(SHARED)))
	-rmdir $(DESTDIR)$(PKGDATADIR)/schemas $(DESTDIR)$(PKGDATADIR) 2>/dev/null
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/retentiond (configuration and credentials)"

# The Debian package (debian/), binary only and unsigned, into $(DEBDIR);
# dpkg-buildpackage writes beside the source tree, so the build runs in a
# copy under $(DEBDIR) and the checkout stays clean. tests/ops/test_deb.sh
# lints and inspects the result.
DEBDIR ?= $(BUILD)/deb
deb:
	tools/dev/deb.sh $(DEBDIR)

clean:
	rm -rf build build-san build-fuzz build-clang
