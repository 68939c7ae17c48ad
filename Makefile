# koompi-boot: one non-recursive Makefile.
#   make            build build/koompi-init, build/koompi-mkinitramfs, build/koompi-boot
#   make check      unit tests, then the VM tests (installs Debian packages it needs)
#   make unit       unit tests only
#   make demo       build, make a demo disk, boot it under QEMU, show the result
#   make run        same, console left to you
#   make install DESTDIR=...
#   make SANITIZE=address,undefined unit
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX      ?= /usr
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/lib/koompi
SYSCONFDIR  ?= /etc
MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= $(PREFIX)/lib/systemd/system
HOOKDIR     ?= $(PREFIX)/share/libalpm/hooks
DESTDIR     ?=

CC          ?= cc
PKG_CONFIG  ?= pkg-config
B           := build

comma       := ,
PKGS        := libkmod blkid mount libbtrfsutil libcryptsetup efivar libcurl libzstd libxcrypt
INIPARSER_CFLAGS ?= -I/usr/include/iniparser
INIPARSER_LIBS   ?= -liniparser
# Linked statically into koompi-init, so the image carries fewer shared objects and PID 1
# starts faster (each one is mapped and relocated before main). Only archives that exist
# are used; INIT_STATIC_LIBS= links everything dynamically (Arch ships no such archives).
INIT_STATIC_LIBS ?= btrfsutil iniparser crypt
INIT_STATIC := $(foreach l,$(INIT_STATIC_LIBS),$(if $(wildcard /usr/lib/x86_64-linux-gnu/lib$(l).a /usr/lib/lib$(l).a /usr/lib64/lib$(l).a),-l$(l)))
INIT_STATIC_LINK := $(if $(INIT_STATIC),-Wl$(comma)-Bstatic $(INIT_STATIC) -Wl$(comma)-Bdynamic)
CMOCKA_CFLAGS    ?= $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS      ?= $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

WARN        := -Wall -Wextra -Wshadow -Wformat=2 -Wwrite-strings -Wstrict-prototypes \
               -Wmissing-prototypes -Wno-unused-parameter -Wvla -Wimplicit-fallthrough
BASE_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE -fno-strict-aliasing -ffunction-sections \
               -fdata-sections -Isrc $(WARN) \
               $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(INIPARSER_CFLAGS)
LIBS        := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) $(INIPARSER_LIBS)
BASE_LDFLAGS:= -Wl,--as-needed -Wl,-z,relro -Wl,-z,now

ifneq ($(SANITIZE),)
SAN_FLAGS   := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
B           := build/san
endif

# User CFLAGS/LDFLAGS are appended, never replace ours.
ALL_CFLAGS  = $(BASE_CFLAGS) $(SAN_FLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(BASE_LDFLAGS) $(SAN_FLAGS) $(LDFLAGS)

LIB_SRC     := $(sort $(wildcard src/*.c))
INIT_SRC    := $(sort $(wildcard initramfs/init/*.c))
MKI_SRC     := $(sort $(wildcard initramfs/mkinitramfs/*.c))
CLI_SRC     := $(sort $(wildcard src/koompi-boot/*.c))
UNIT_SRC    := $(sort $(wildcard tests/unit/test-*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
LIB_OBJ     := $(call obj,$(LIB_SRC))
INIT_OBJ    := $(call obj,$(INIT_SRC))
MKI_OBJ     := $(call obj,$(MKI_SRC))
CLI_OBJ     := $(call obj,$(CLI_SRC))
# Unit tests may link the program objects (minus their main) to test stages.
INIT_NOMAIN := $(filter-out %/main.o,$(INIT_OBJ))
MKI_NOMAIN  := $(filter-out %/main.o,$(MKI_OBJ))
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

PROGS       := $(B)/koompi-init $(B)/koompi-mkinitramfs $(B)/koompi-boot
TESTROOT    := $(B)/koompi-testroot-init

all: $(PROGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libkoompi.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# koompi-init goes into every image: unused sections dropped, no debug information
# (build/koompi-init.debug keeps it, for gdb).
$(B)/koompi-init: $(INIT_OBJ) $(B)/libkoompi.a
	$(CC) $(ALL_LDFLAGS) -Wl,--gc-sections -o $@.debug $^ \
		$(INIT_STATIC_LINK) $(LIBS)
	objcopy --strip-debug $@.debug $@

$(B)/koompi-mkinitramfs: $(MKI_OBJ) $(B)/libkoompi.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/koompi-boot: $(CLI_OBJ) $(B)/libkoompi.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/unit/%.c $(INIT_NOMAIN) $(MKI_NOMAIN) $(B)/libkoompi.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit -Iinitramfs/init -Iinitramfs/mkinitramfs \
		$(ALL_LDFLAGS) -o $@ $< $(INIT_NOMAIN) $(MKI_NOMAIN) $(B)/libkoompi.a $(LIBS) $(CMOCKA_LIBS)

# The init of the test roots: static, tiny, no libraries.
$(TESTROOT): tests/vm/testroot-init.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -static -o $@ $<

.PHONY: all deps unit check host-check vm-check demo run bench install clean format
deps:
	@sh tests/deps.sh

unit: $(UNIT_BIN) $(PROGS)
	@sh tests/run-unit.sh $(UNIT_BIN)
	sh tests/hooks-test.sh
	sh tests/man-test.sh

vm-check: $(PROGS) $(TESTROOT)
	python3 tests/vm/run.py

host-check: $(PROGS)
	sh tests/host/run.sh $(B)/koompi-boot

check: deps
	$(MAKE) unit
	$(MAKE) host-check
	$(MAKE) vm-check

demo: deps $(PROGS) $(TESTROOT)
	python3 qemu/demo.py

run: deps $(PROGS) $(TESTROOT)
	python3 qemu/demo.py --interactive

bench: deps $(PROGS) $(TESTROOT)
	python3 qemu/bench.py

install: $(PROGS)
	install -Dm755 $(B)/koompi-init $(DESTDIR)$(LIBEXECDIR)/koompi-init
	install -Dm755 $(B)/koompi-mkinitramfs $(DESTDIR)$(BINDIR)/koompi-mkinitramfs
	install -Dm755 $(B)/koompi-boot $(DESTDIR)$(BINDIR)/koompi-boot
	install -Dm644 config/boot.conf $(DESTDIR)$(SYSCONFDIR)/koompi/boot.conf
	for f in boot/*.service boot/*.target; do [ ! -e "$$f" ] || install -Dm644 $$f $(DESTDIR)$(UNITDIR)/$${f##*/} || exit 1; done
	for f in hooks/*.hook; do [ ! -e "$$f" ] || install -Dm644 $$f $(DESTDIR)$(HOOKDIR)/$${f##*/} || exit 1; done
	for f in hooks/*.sh; do [ ! -e "$$f" ] || install -Dm755 $$f $(DESTDIR)$(LIBEXECDIR)/$${f##*/} || exit 1; done
	for f in man/*.[1-8]; do [ ! -e "$$f" ] || install -Dm644 $$f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/} || exit 1; done

format:
	clang-format -i $(LIB_SRC) src/*.h $(INIT_SRC) $(MKI_SRC) $(CLI_SRC) $(UNIT_SRC)

clean:
	rm -rf build

# build/vm holds whole root trees (the VM tests' Debian root): not dependency files.
-include $(shell find build -path build/vm -prune -o -name '*.d' -type f -print 2>/dev/null)
