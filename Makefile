# koompi-boot: one non-recursive Makefile.
#   make            build build/koompi-init, build/koompi-mkinitramfs, build/koompi-boot,
#                   build/koompi-agent, build/koompi
#   make check      unit tests, then the VM tests (installs Debian packages it needs)
#   make unit       unit tests only (and make lint: cppcheck)
#   make demo       build, make a demo disk, boot it under QEMU, show the result
#   make run        same, console left to you
#   make install DESTDIR=...
#   make SANITIZE=address,undefined unit
#   make fuzz       every fuzz target under libFuzzer (clang), FUZZ_SECONDS each
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX      ?= /usr
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/lib/koompi
SYSCONFDIR  ?= /etc
MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= $(PREFIX)/lib/systemd/system
HOOKDIR     ?= $(PREFIX)/share/libalpm/hooks
DATADIR     ?= $(PREFIX)/share
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DESTDIR     ?=

CC          ?= cc
PKG_CONFIG  ?= pkg-config
B           := build

comma       := ,
# The library in layers, one way: each layer sees only its own headers and those of the layers
# below it, so an include that crosses upwards does not compile.
#   src/basic        libc only
#   src/boot         what koompi-init links (libkmod, libblkid, libmount, libbtrfsutil,
#                    libcryptsetup, iniparser); size-budgeted
#   src/image        the image builder's (cpio, ELF closure)
#   src/admin        the OS side: roots, entries, the ESP, the loader's variables (libefivar)
#   src/update       signed releases: minisign keys and signatures, manifests, the channel's
#                    state, the rollout's buckets and steps, the mirrors (libsodium, json-c, libcurl)
#   src/packages     apps from pacman, Flatpak, the AUR and AppImage: the choice of source, the
#                    arguments, the risk score, AppImage detection, the workers' answers and
#                    settings (json-c, iniparser)
#   src/pkg-common   the package workers' protocol: JSON lines on stdout, the command line (json-c)
BASIC_INC   := -Isrc/basic
BOOT_INC    := $(BASIC_INC) -Isrc/boot
IMAGE_INC   := $(BOOT_INC) -Isrc/image
ADMIN_INC   := $(BOOT_INC) -Isrc/admin
UPDATE_INC  := $(ADMIN_INC) -Isrc/update
PACKAGES_INC:= $(ADMIN_INC) -Isrc/packages
PKGW_INC    := $(PACKAGES_INC) -Isrc/pkg-common -Isrc/pkgworker
INIT_INC    := $(BOOT_INC) -Iinitramfs/init
MKI_INC     := $(IMAGE_INC) -Iinitramfs/mkinitramfs
CLI_INC     := $(ADMIN_INC) -Isrc/koompi-boot
AGENT_INC   := $(UPDATE_INC) -Isrc/packages -Isrc/agent
KOOMPI_INC  := $(BASIC_INC) -Isrc/packages -Isrc/koompi
RELEASE_INC := $(UPDATE_INC) -Isrc/release
PKGCOMMON_INC:= $(BASIC_INC) -Isrc/pkg-common
PKGFLATPAK_INC:= $(PKGCOMMON_INC) -Isrc/pkg-flatpak
PKGAUR_INC  := $(UPDATE_INC) -Isrc/packages -Isrc/pkg-common -Isrc/pkg-aur

# Each program's libraries, as pkg-config names; config/pkg-debian.txt maps them to the Debian
# package that provides them, and the build stops naming that package when one is missing.
BOOT_PKGS   := libkmod blkid mount libbtrfsutil libcryptsetup
INIT_PKGS   := $(BOOT_PKGS) libxcrypt
MKI_PKGS    := $(BOOT_PKGS) libzstd
CLI_PKGS    := $(BOOT_PKGS) efivar
# The agent and its command: the bus and the event loop (libsystemd), JSON (json-c); the agent's
# mount checks read the mount table with libmount.
AGENT_PKGS  := libsystemd json-c mount libsodium libcurl
KOOMPI_PKGS := libsystemd json-c
# Signed releases: signatures, HMAC and hashes (libsodium), manifests (json-c), mirrors (libcurl).
UPDATE_PKGS := libsodium json-c libcurl
RELEASE_PKGS:= libsodium json-c
# The package workers (koompi-pkg-appimage): their answers are JSON lines, their settings
# agent.conf's [packages] (iniparser).
PKGW_PKGS   := json-c
# The package workers: the Flatpak source (libflatpak), the AUR's RPC (libcurl through the update
# library's bounded fetch, json-c) and the agent's settings (iniparser).
PKGCOMMON_PKGS := json-c
PKGFLATPAK_PKGS:= flatpak json-c
PKGAUR_PKGS := $(UPDATE_PKGS)
ALL_PKGS    := $(sort $(INIT_PKGS) $(MKI_PKGS) $(CLI_PKGS) $(AGENT_PKGS) $(KOOMPI_PKGS) $(UPDATE_PKGS) \
                 $(PKGFLATPAK_PKGS))
# No true time is older than the build: the floor of the time an update's expiry is judged by.
BUILD_TIME  ?= $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null),0)
pkg_cflags   = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs     = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
INIPARSER_CFLAGS ?= -I/usr/include/iniparser
INIPARSER_LIBS   ?= -liniparser
# Linked statically into koompi-init, so the image carries fewer shared objects and PID 1
# starts faster (each one is mapped and relocated before main). Only archives that exist
# are used; INIT_STATIC_LIBS= links everything dynamically (Arch ships no such archives).
INIT_STATIC_LIBS ?= btrfsutil iniparser crypt
INIT_STATIC := $(foreach l,$(INIT_STATIC_LIBS),$(if $(wildcard /usr/lib/x86_64-linux-gnu/lib$(l).a /usr/lib/lib$(l).a /usr/lib64/lib$(l).a),-l$(l)))
INIT_STATIC_LINK := $(if $(INIT_STATIC),-Wl$(comma)-Bstatic $(INIT_STATIC) -Wl$(comma)-Bdynamic)
CMOCKA_CFLAGS    ?= $(call pkg_cflags,cmocka)
CMOCKA_LIBS      ?= $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
# koompi-init's budget: its stripped size in bytes and the shared libraries it may need.
INIT_SIZE_MAX    ?= 366352
INIT_NEEDED_MAX  ?= libkmod.so.2 libblkid.so.1 libmount.so.1 libcryptsetup.so.12 libc.so.6

WARN        := -Wall -Wextra -Wshadow -Wformat=2 -Wwrite-strings -Wstrict-prototypes \
               -Wmissing-prototypes -Wno-unused-parameter -Wvla -Wimplicit-fallthrough
BASE_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE -fno-strict-aliasing -ffunction-sections \
               -fdata-sections $(WARN)
BASE_LDFLAGS:= -Wl,--as-needed -Wl,-z,relro -Wl,-z,now

# A sanitizer's report fails the test (by default it is printed and the test goes on). clang's
# UBSan finds what gcc's does not (an offset applied to a NULL pointer): make CC=clang
# SANITIZE=address,undefined unit builds apart, in build/san-clang.
ifneq ($(SANITIZE),)
SAN_FLAGS   := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
B           := build/san$(if $(findstring clang,$(CC)),-clang)
endif
# The libFuzzer build of `make fuzz` (clang): everything instrumented, the first finding of a
# sanitizer fatal.
ifneq ($(FUZZ_BUILD),)
SAN_FLAGS   := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
B           := build/libfuzzer
endif

# User CFLAGS/LDFLAGS are appended, never replace ours.
ALL_CFLAGS  = $(BASE_CFLAGS) $(LAYER_CFLAGS) $(SAN_FLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(BASE_LDFLAGS) $(SAN_FLAGS) $(LDFLAGS)

obj = $(patsubst %.c,$(B)/obj/%.o,$(sort $(wildcard $(1)/*.c)))
BASIC_OBJ   := $(call obj,src/basic)
BOOT_OBJ    := $(call obj,src/boot)
IMAGE_OBJ   := $(call obj,src/image)
ADMIN_OBJ   := $(call obj,src/admin)
UPDATE_OBJ  := $(call obj,src/update)
PACKAGES_OBJ:= $(call obj,src/packages)
PKGW_OBJ    := $(call obj,src/pkgworker)
RELEASE_OBJ := $(call obj,src/release)
INIT_OBJ    := $(call obj,initramfs/init)
MKI_OBJ     := $(call obj,initramfs/mkinitramfs)
CLI_OBJ     := $(call obj,src/koompi-boot)
AGENT_OBJ   := $(call obj,src/agent)
KOOMPI_OBJ  := $(call obj,src/koompi)
PKGCOMMON_OBJ:= $(call obj,src/pkg-common)
PKGFLATPAK_OBJ:= $(call obj,src/pkg-flatpak)
PKGAUR_OBJ  := $(call obj,src/pkg-aur)
UNIT_SRC    := $(sort $(wildcard tests/unit/test-*.c))
UNIT_LIB_OBJ:= $(filter-out $(B)/obj/tests/unit/test-%,$(call obj,tests/unit))

$(BASIC_OBJ): LAYER_CFLAGS = $(BASIC_INC)
$(BOOT_OBJ):  LAYER_CFLAGS = $(BOOT_INC) $(call pkg_cflags,$(BOOT_PKGS)) $(INIPARSER_CFLAGS)
$(IMAGE_OBJ): LAYER_CFLAGS = $(IMAGE_INC)
$(ADMIN_OBJ): LAYER_CFLAGS = $(ADMIN_INC) $(call pkg_cflags,efivar)
$(UPDATE_OBJ): LAYER_CFLAGS = $(UPDATE_INC) $(call pkg_cflags,$(UPDATE_PKGS)) -DKOOMPI_BUILD_TIME=$(BUILD_TIME)
$(PACKAGES_OBJ): LAYER_CFLAGS = $(PACKAGES_INC) $(call pkg_cflags,json-c) $(INIPARSER_CFLAGS)
$(PKGW_OBJ): LAYER_CFLAGS = $(PKGW_INC) $(call pkg_cflags,$(PKGW_PKGS)) $(INIPARSER_CFLAGS)
$(RELEASE_OBJ): LAYER_CFLAGS = $(RELEASE_INC) $(call pkg_cflags,$(RELEASE_PKGS))
$(INIT_OBJ):  LAYER_CFLAGS = $(INIT_INC) $(call pkg_cflags,$(INIT_PKGS)) $(INIPARSER_CFLAGS)
$(MKI_OBJ):   LAYER_CFLAGS = $(MKI_INC) $(call pkg_cflags,$(MKI_PKGS)) $(INIPARSER_CFLAGS)
$(CLI_OBJ):   LAYER_CFLAGS = $(CLI_INC) $(call pkg_cflags,$(CLI_PKGS)) $(INIPARSER_CFLAGS)
$(AGENT_OBJ): LAYER_CFLAGS = $(AGENT_INC) $(call pkg_cflags,$(AGENT_PKGS)) $(INIPARSER_CFLAGS)
$(KOOMPI_OBJ): LAYER_CFLAGS = $(KOOMPI_INC) $(call pkg_cflags,$(KOOMPI_PKGS))
$(PKGCOMMON_OBJ): LAYER_CFLAGS = $(PKGCOMMON_INC) $(call pkg_cflags,$(PKGCOMMON_PKGS))
$(PKGFLATPAK_OBJ): LAYER_CFLAGS = $(PKGFLATPAK_INC) $(call pkg_cflags,$(PKGFLATPAK_PKGS))
$(PKGAUR_OBJ): LAYER_CFLAGS = $(PKGAUR_INC) $(call pkg_cflags,$(PKGAUR_PKGS)) $(INIPARSER_CFLAGS)
UNIT_CFLAGS  = $(CLI_INC) $(IMAGE_INC) -Isrc/update -Isrc/packages -Isrc/pkgworker -Isrc/agent -Isrc/pkg-common -Isrc/pkg-aur -Iinitramfs/init -Iinitramfs/mkinitramfs -Itests/unit \
               $(call pkg_cflags,$(ALL_PKGS)) $(INIPARSER_CFLAGS) $(CMOCKA_CFLAGS)
$(UNIT_LIB_OBJ): LAYER_CFLAGS = $(UNIT_CFLAGS)

# Unit tests may link the program objects (minus their main) to test stages.
INIT_NOMAIN := $(filter-out %/main.o,$(INIT_OBJ))
MKI_NOMAIN  := $(filter-out %/main.o,$(MKI_OBJ))
# src/agent holds two programs: koompi-agent (main.c) and koompi-health (health-main.c).
AGENT_NOMAIN:= $(filter-out %/main.o %/health-main.o,$(AGENT_OBJ))
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
LIBBASIC    := $(B)/libbasic.a
LIBBOOT     := $(B)/libboot.a
LIBIMAGE    := $(B)/libimage.a
LIBADMIN    := $(B)/libadmin.a
LIBUPDATE   := $(B)/libupdate.a
LIBPACKAGES := $(B)/libpackages.a
LIBPKGCOMMON:= $(B)/libpkgcommon.a

PROGS       := $(B)/koompi-init $(B)/koompi-mkinitramfs $(B)/koompi-boot $(B)/koompi-agent $(B)/koompi-health \
               $(B)/koompi $(B)/koompi-release $(B)/koompi-pkg-appimage \
               $(B)/koompi-pkg-pacman $(B)/koompi-pkg-flatpak $(B)/koompi-pkg-aur
TESTROOT    := $(B)/koompi-testroot-init
PKGS_OK     := $(B)/.pkgs-ok

all: $(PROGS)

# Every library the build needs, checked once, naming the Debian package of what is missing.
$(PKGS_OK): config/pkg-debian.txt
	@mkdir -p $(dir $@)
	@PKG_CONFIG="$(PKG_CONFIG)" sh config/pkgcheck.sh config/pkg-debian.txt $(ALL_PKGS) cmocka
	@touch $@

$(B)/obj/%.o: %.c | $(PKGS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIBBASIC): $(BASIC_OBJ)
$(LIBBOOT): $(BOOT_OBJ)
$(LIBIMAGE): $(IMAGE_OBJ)
$(LIBADMIN): $(ADMIN_OBJ)
$(LIBUPDATE): $(UPDATE_OBJ)
$(LIBPACKAGES): $(PACKAGES_OBJ)
$(LIBPKGCOMMON): $(PKGCOMMON_OBJ)

# koompi-init goes into every image: unused sections dropped, no debug information and no
# symbol table (build/koompi-init.debug keeps both, for gdb).
$(B)/koompi-init: $(INIT_OBJ) $(LIBBOOT) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -Wl,--gc-sections -o $@.debug $^ \
		$(INIT_STATIC_LINK) $(call pkg_libs,$(INIT_PKGS)) $(INIPARSER_LIBS)
	objcopy --strip-all $@.debug $@

$(B)/koompi-mkinitramfs: $(MKI_OBJ) $(LIBIMAGE) $(LIBBOOT) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(MKI_PKGS)) $(INIPARSER_LIBS)

$(B)/koompi-boot: $(CLI_OBJ) $(LIBADMIN) $(LIBBOOT) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(CLI_PKGS)) $(INIPARSER_LIBS)

# The agent: a program of its own, never linked into koompi-init.
LIBAGENT    := $(B)/libagent.a
$(LIBAGENT): $(AGENT_NOMAIN)
$(B)/koompi-agent: $(B)/obj/src/agent/main.o $(LIBAGENT) $(LIBPACKAGES) $(LIBUPDATE) $(LIBADMIN) $(LIBBOOT) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(AGENT_PKGS)) $(INIPARSER_LIBS)

# The health checks of one boot, before boot-complete.target (koompi-health.service).
$(B)/koompi-health: $(B)/obj/src/agent/health-main.o $(LIBAGENT) $(LIBPACKAGES) $(LIBUPDATE) $(LIBADMIN) $(LIBBOOT) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(AGENT_PKGS)) $(INIPARSER_LIBS)

# koompi: a client of the agent's bus API only.
$(B)/koompi: $(KOOMPI_OBJ) $(LIBPACKAGES) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(KOOMPI_PKGS))

# The AppImage and pacman sources, workers the agent runs per request (the protocol of
# koompi-agent(8)); src/pkgworker holds both programs.
PKGW_LIB    := $(filter-out %-main.o,$(PKGW_OBJ))
$(B)/koompi-pkg-appimage: $(B)/obj/src/pkgworker/appimage-main.o $(PKGW_LIB) $(LIBPACKAGES) $(LIBPKGCOMMON) $(LIBADMIN) \
		$(LIBBOOT) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(PKGW_PKGS)) $(INIPARSER_LIBS)
$(B)/koompi-pkg-pacman: $(B)/obj/src/pkgworker/pacman-main.o $(PKGW_LIB) $(LIBPACKAGES) $(LIBPKGCOMMON) $(LIBADMIN) \
		$(LIBBOOT) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(PKGW_PKGS)) $(INIPARSER_LIBS)

# koompi-release: the distribution's side of signed releases, never on a school's machine.
$(B)/koompi-release: $(RELEASE_OBJ) $(LIBUPDATE) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(RELEASE_PKGS))

# The package workers: one request per process, run by the agent (the backend protocol of
# src/pkg-common/workerline.h).
$(B)/koompi-pkg-flatpak: $(PKGFLATPAK_OBJ) $(LIBPKGCOMMON) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(PKGFLATPAK_PKGS))

$(B)/koompi-pkg-aur: $(PKGAUR_OBJ) $(LIBPKGCOMMON) $(LIBPACKAGES) $(LIBUPDATE) $(LIBADMIN) $(LIBBASIC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(PKGAUR_PKGS)) $(INIPARSER_LIBS)

UNIT_LIBS := $(UNIT_LIB_OBJ) $(INIT_NOMAIN) $(MKI_NOMAIN) $(AGENT_NOMAIN) $(PKGW_LIB) $(LIBPACKAGES) $(LIBUPDATE) $(LIBADMIN) \
             $(LIBIMAGE) $(LIBBOOT) $(LIBPKGCOMMON) $(LIBBASIC)
# A test of koompi-boot links the one object it tests.
$(B)/tests/test-exit-code: UNIT_CLI_OBJ = $(B)/obj/src/koompi-boot/exit-code.o
$(B)/tests/test-exit-code: $(B)/obj/src/koompi-boot/exit-code.o
$(B)/tests/test-aur-rpc: UNIT_CLI_OBJ = $(B)/obj/src/pkg-aur/rpc.o
$(B)/tests/test-aur-rpc: $(B)/obj/src/pkg-aur/rpc.o
$(B)/tests/test-aurconf: UNIT_CLI_OBJ = $(B)/obj/src/pkg-aur/aurconf.o
$(B)/tests/test-aurconf: $(B)/obj/src/pkg-aur/aurconf.o
$(B)/tests/test-aur-srcinfo: UNIT_CLI_OBJ = $(B)/obj/src/pkg-aur/srcinfo.o
$(B)/tests/test-aur-srcinfo: $(B)/obj/src/pkg-aur/srcinfo.o
# The revocation's handling, with koompi-boot's runs faked by the test.
$(B)/tests/test-revokerun: UNIT_WRAP = -Wl,--wrap=rootfacts_call
$(B)/tests/%: tests/unit/%.c $(UNIT_LIBS) | $(PKGS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(UNIT_CFLAGS) $(SAN_FLAGS) $(CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(UNIT_CLI_OBJ) $(UNIT_WRAP) $(UNIT_LIBS) \
		$(call pkg_libs,$(ALL_PKGS)) $(INIPARSER_LIBS) $(CMOCKA_LIBS)

# The init of the test roots: static, tiny, no libraries.
$(TESTROOT): tests/vm/testroot-init.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -static -o $@ $<

# Fuzz targets, one per parser of outside input (tests/fuzz/fuzz-NAME.c). `make unit` replays
# their corpora and past crashes through a small driver (replay.c) with the usual compiler;
# `make fuzz` builds them with clang and libFuzzer and runs each for FUZZ_SECONDS.
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz-%.c,%,$(FUZZ_SRC))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 60
FUZZ_BIN     := $(patsubst %,$(B)/fuzz/fuzz-%,$(FUZZ_NAMES))
FUZZ_LIBS    := $(INIT_NOMAIN) $(MKI_NOMAIN) $(AGENT_NOMAIN) $(B)/obj/src/pkg-aur/rpc.o $(LIBPACKAGES) $(LIBUPDATE) \
                $(LIBADMIN) $(LIBIMAGE) $(LIBBOOT) $(LIBPKGCOMMON) $(LIBBASIC)
FUZZ_CFLAGS   = $(UNIT_CFLAGS) -Itests/fuzz
FUZZ_DRIVER  := $(if $(FUZZ_BUILD),-fsanitize=fuzzer,tests/fuzz/replay.c)
$(B)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzzer.c tests/fuzz/replay.c tests/fuzz/fuzzer.h $(FUZZ_LIBS) \
		| $(PKGS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FUZZ_CFLAGS) $(SAN_FLAGS) $(CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/fuzzer.c \
		$(FUZZ_DRIVER) $(FUZZ_LIBS) $(call pkg_libs,$(ALL_PKGS)) $(INIPARSER_LIBS)

fuzz-replay: $(FUZZ_BIN)
	@sh tests/fuzz/replay.sh $(B)/fuzz $(FUZZ_NAMES)

fuzz: deps
	$(MAKE) FUZZ_BUILD=1 CC=clang fuzz-run
fuzz-run: $(patsubst %,$(B)/fuzz/fuzz-%,$(FUZZ_TARGETS))
	@sh tests/fuzz/run.sh $(B)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-run fuzz-replay
.PHONY: all deps unit lint check host-check vm-check power-cuts demo run bench bench-agent install clean format format-check
deps:
	@sh tests/deps.sh

# cppcheck's warnings (not its style advice), over every C file; a few seconds.
LINT_SRC    := src initramfs tests/unit tests/fuzz
lint:
	@command -v cppcheck >/dev/null || \
		{ echo "lint: cppcheck is missing: make deps (Debian package cppcheck)" >&2; exit 1; }
	cppcheck --enable=warning --inline-suppr -q --error-exitcode=1 $(LINT_SRC)

unit: $(UNIT_BIN) $(PROGS) $(FUZZ_BIN) lint format-check
	@sh tests/run-unit.sh $(UNIT_BIN)
	@sh tests/fuzz/replay.sh $(B)/fuzz $(FUZZ_NAMES)
	@if [ -n "$(SANITIZE)" ]; then echo "budget: skipped: a sanitizer build of koompi-init is larger and needs the sanitizers' libraries"; \
	else sh tests/budget-test.sh $(B)/koompi-init $(INIT_SIZE_MAX) $(INIT_NEEDED_MAX); fi
	python3 tests/layers.py $(B)
	sh tests/hooks-test.sh
	sh tests/man-test.sh

vm-check: $(PROGS) $(TESTROOT)
	python3 tests/vm/run.py

# Every power cut of tests/vm/powercut.py (vm-check runs a sample of them); 3-4 hours.
power-cuts: $(PROGS) $(TESTROOT)
	python3 tests/vm/run.py --power-cuts

# A stand-in for polkitd on the agent's test bus.
$(B)/tests/fake-polkitd: tests/host/fake-polkitd.c | $(PKGS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(call pkg_cflags,libsystemd) $(SAN_FLAGS) $(CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
		$(call pkg_libs,libsystemd)

# download_release() alone, for the update tests' cut and resumed downloads.
$(B)/tests/download-tool: tests/host/download-tool.c $(LIBUPDATE) $(LIBBASIC) | $(PKGS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(UPDATE_INC) $(call pkg_cflags,$(UPDATE_PKGS)) $(SAN_FLAGS) $(CFLAGS) $(ALL_LDFLAGS) \
		-o $@ $< $(LIBUPDATE) $(LIBBASIC) $(call pkg_libs,$(UPDATE_PKGS))

host-check: $(PROGS) $(B)/tests/fake-polkitd $(B)/tests/download-tool
	sh tests/host/run.sh $(B)/koompi-boot

check: deps
	$(MAKE) unit
	$(MAKE) host-check
	$(MAKE) vm-check

demo: deps $(PROGS) $(TESTROOT)
	python3 qemu/demo.py

run: deps $(PROGS) $(TESTROOT)
	python3 qemu/demo.py --interactive

bench: deps $(PROGS) $(TESTROOT) $(B)/tests/fake-polkitd
	python3 qemu/bench.py
	sh tests/host/bench-agent.sh $(B)/koompi-boot
	sh tests/host/bench-update-apply.sh $(B)/koompi-boot

# The agent's figures alone, beside packagekitd's (a minute of idling).
bench-agent: $(PROGS) $(B)/tests/fake-polkitd
	sh tests/host/bench-agent.sh $(B)/koompi-boot

install: $(PROGS)
	install -Dm755 $(B)/koompi-init $(DESTDIR)$(LIBEXECDIR)/koompi-init
	install -Dm755 $(B)/koompi-mkinitramfs $(DESTDIR)$(BINDIR)/koompi-mkinitramfs
	install -Dm755 $(B)/koompi-boot $(DESTDIR)$(BINDIR)/koompi-boot
	install -Dm755 $(B)/koompi-agent $(DESTDIR)$(LIBEXECDIR)/koompi-agent
	install -Dm755 $(B)/koompi-health $(DESTDIR)$(LIBEXECDIR)/koompi-health
	install -Dm755 $(B)/koompi $(DESTDIR)$(BINDIR)/koompi
	install -Dm755 $(B)/koompi-release $(DESTDIR)$(BINDIR)/koompi-release
	install -Dm755 $(B)/koompi-pkg-appimage $(DESTDIR)$(LIBEXECDIR)/koompi-pkg-appimage
	install -Dm755 $(B)/koompi-pkg-pacman $(DESTDIR)$(LIBEXECDIR)/koompi-pkg-pacman
	install -Dm755 $(B)/koompi-pkg-flatpak $(DESTDIR)$(LIBEXECDIR)/koompi-pkg-flatpak
	install -Dm755 $(B)/koompi-pkg-aur $(DESTDIR)$(LIBEXECDIR)/koompi-pkg-aur
	install -Dm644 config/boot.conf $(DESTDIR)$(SYSCONFDIR)/koompi/boot.conf
	install -Dm644 config/agent.conf $(DESTDIR)$(SYSCONFDIR)/koompi/agent.conf
	install -d $(DESTDIR)$(SYSCONFDIR)/koompi/health.d/required $(DESTDIR)$(SYSCONFDIR)/koompi/health.d/wanted
	install -d $(DESTDIR)$(SYSCONFDIR)/koompi/update-keys.d
	install -Dm644 config/org.koompi.Agent1.conf $(DESTDIR)$(DATADIR)/dbus-1/system.d/org.koompi.Agent1.conf
	install -Dm644 config/org.koompi.Agent1.service $(DESTDIR)$(DATADIR)/dbus-1/system-services/org.koompi.Agent1.service
	install -Dm644 config/org.koompi.agent.policy $(DESTDIR)$(DATADIR)/polkit-1/actions/org.koompi.agent.policy
	install -Dm644 config/50-org.koompi.agent.rules $(DESTDIR)$(DATADIR)/polkit-1/rules.d/50-org.koompi.agent.rules
	install -Dm644 config/koompi-agent.sysusers $(DESTDIR)$(SYSUSERSDIR)/koompi-agent.conf
	for f in boot/*.service boot/*.target; do [ ! -e "$$f" ] || install -Dm644 $$f $(DESTDIR)$(UNITDIR)/$${f##*/} || exit 1; done
	for f in hooks/*.hook; do [ ! -e "$$f" ] || install -Dm644 $$f $(DESTDIR)$(HOOKDIR)/$${f##*/} || exit 1; done
	for f in hooks/*.sh; do [ ! -e "$$f" ] || install -Dm755 $$f $(DESTDIR)$(LIBEXECDIR)/$${f##*/} || exit 1; done
	for f in man/*.[1-8]; do [ ! -e "$$f" ] || install -Dm644 $$f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/} || exit 1; done

FORMAT_SRC  = $(sort $(wildcard src/*/*.[ch] initramfs/*/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch]))
format:
	clang-format -i $(FORMAT_SRC)

# The sources as `make format` leaves them (clang-format from Debian's clang-format package).
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRC) && echo "format: 1 passed, 0 failed" || \
		{ echo "format: 0 passed, 1 failed (run: make format)"; exit 1; }

clean:
	rm -rf build

# build/vm holds whole root trees (the VM tests' Debian root): not dependency files.
-include $(shell find build -path build/vm -prune -o -name '*.d' -type f -print 2>/dev/null)
