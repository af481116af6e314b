# SPDX-License-Identifier: GPL-2.0-only
#
# vmsync: the module, the library, the selftests and the demo.
#
#   make                      module (for KDIR), library, selftests, demo,
#                             the vmsync command
#   make cli                  the vmsync command: build/cli/vmsync, and a
#                             static copy for the test VM
#   make KDIR=/lib/modules/<release>/build   the module for another kernel
#   make run                  boot a test kernel and show the module working
#   make check                install what is missing, then build, lint and
#                             run the selftests on Debian's 6.1 and 6.12 and
#                             on a debug kernel built from linux-source-6.12
#   make check-full           the same, with the long fuzz, race and load runs
#   make bench                vmsync against Linux's own calls, in the test
#                             kernels (docs/performance.md)
#   make lint                 checkpatch --strict, sparse and W=1
#   make install [PREFIX=/usr/local] [DESTDIR=]   library, LD_PRELOAD shim,
#                             headers, pkg-config, the vmsync command
#   make uninstall [PREFIX=/usr/local] [DESTDIR=]
#   make modules_install [KDIR=] [DESTDIR=]   the module into
#                             /lib/modules/<release>/updates/, then depmod
#   make dkms-source          the source tree DKMS builds, with dkms.conf
#   make dkms-install [DESTDIR=]   that tree into /usr/src/vmsync-<version>/
#   make deb                  Debian packages in build/deb/ (scripts/deb-check)

# The one version of the module, the library and its pkg-config file.
VERSION := $(shell cat $(CURDIR)/VERSION)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))

KDIR ?= /lib/modules/$(shell uname -r)/build
# UTS_RELEASE is what the module's vermagic must match (Debian's 6.1 headers
# say something else in include/config/kernel.release).
KREL := $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	  $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
BUILD := $(CURDIR)/build
# VMSYNC_TEST_HOOKS=y builds the selftests' module, with its debugfs test
# hooks, in build/kmod-test/<release>/; users' builds have no hooks.
VMSYNC_TEST_HOOKS ?=
MODDIR := $(BUILD)/kmod$(if $(VMSYNC_TEST_HOOKS),-test)/$(KREL)
KMOD_SRCS := $(wildcard kmod/*.c kmod/*.h)

CC ?= cc
CFLAGS ?= -O2 -g
WARN_CFLAGS := -Wall -Wextra
# The library is plain C11 on POSIX; the demo and the bench are GNU C.
LIB_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN_CFLAGS) -Iuapi \
	      -Iuserlib $(CPPFLAGS) $(CFLAGS)
DEMO_CFLAGS := -std=gnu11 $(WARN_CFLAGS) -Iuapi -Iuserlib $(CFLAGS)

PREFIX ?= /usr/local
DESTDIR ?=
# Where the libraries and vmsync.pc go (Debian's packages: the multiarch
# directory, /usr/lib/<triplet>).
LIBINSTDIR ?= $(PREFIX)/lib

# The kselftest headers and checkpatch.pl come from Debian's kernel source.
KSRC_TAR ?= $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))
KSRC := $(BUILD)/ksrc

.PHONY: all module lib cli selftests demo run check check-full bench bench-prog \
	lint install uninstall modules_install dkms-source dkms-install deb clean deps

all: module lib selftests demo cli

deps:
	@scripts/install-deps

module:
	@if [ -z "$(KREL)" ]; then \
		echo "No kernel build tree at $(KDIR):" >&2; \
		echo "install linux-headers-$$(uname -r) or pass KDIR=" >&2; \
		exit 1; \
	fi
	@mkdir -p $(MODDIR)/kmod
	@ln -sfn $(CURDIR)/Kbuild $(MODDIR)/Kbuild
	@ln -sfn $(CURDIR)/VERSION $(MODDIR)/VERSION
	@ln -sfn $(CURDIR)/uapi $(MODDIR)/uapi
	@for f in $(KMOD_SRCS); do ln -sfn $(CURDIR)/$$f $(MODDIR)/$$f; done
	$(MAKE) -C $(KDIR) M=$(MODDIR) VMSYNC_TEST_HOOKS=$(VMSYNC_TEST_HOOKS) modules
	@echo "vmsync.ko for $(KREL): $(MODDIR)/vmsync.ko"

# The module as the kernel's own `make modules_install` places an
# out-of-tree one: updates/ comes first in depmod's search order, so it
# wins over a module of the same name elsewhere.
modules_install: module
	install -D -m 644 $(MODDIR)/vmsync.ko \
		$(DESTDIR)/lib/modules/$(KREL)/updates/vmsync.ko
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KREL)

# The source tree DKMS builds: what the module needs and nothing else.
DKMS_NAME := vmsync-$(VERSION)
DKMS_DIR := $(BUILD)/dkms/$(DKMS_NAME)
DKMS_SRCS := $(filter-out kmod/vmsync_test_hooks.c,$(KMOD_SRCS))

dkms-source: $(DKMS_DIR)/dkms.conf

$(DKMS_DIR)/dkms.conf: dkms.conf.in VERSION Kbuild $(DKMS_SRCS) uapi/linux/vmsync.h
	rm -rf $(DKMS_DIR)
	install -d $(DKMS_DIR)/kmod $(DKMS_DIR)/uapi/linux
	install -m 644 Kbuild VERSION $(DKMS_DIR)/
	install -m 644 $(DKMS_SRCS) $(DKMS_DIR)/kmod/
	install -m 644 uapi/linux/vmsync.h $(DKMS_DIR)/uapi/linux/
	sed 's|@VERSION@|$(VERSION)|' dkms.conf.in > $@

# DKMS looks for its sources in /usr/src/<name>-<version>, whatever PREFIX.
dkms-install: dkms-source
	install -d $(DESTDIR)/usr/src
	rm -rf $(DESTDIR)/usr/src/$(DKMS_NAME)
	cp -R $(DKMS_DIR) $(DESTDIR)/usr/src/

# --- libvmsync ---------------------------------------------------------

LIBDIR := $(BUILD)/lib
LIB_HDRS := userlib/vmsync.h uapi/linux/vmsync.h
MACH_HDR := userlib/vmsync/mach.h
LIB_MAP := userlib/libvmsync.map
PRELOAD_MAP := userlib/preload.map

lib: $(LIBDIR)/libvmsync.a $(LIBDIR)/libvmsync.so $(LIBDIR)/libvmsync-preload.so

$(LIBDIR)/vmsync.o: userlib/vmsync.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(LIBDIR)/libvmsync.a: $(LIBDIR)/vmsync.o
	$(AR) rcs $@ $^

# 0.2.0's unprefixed Mach names, as compat symbols: the shared library only.
$(LIBDIR)/compat.o: userlib/compat.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

# Only the symbols of the version script are exported, each with its
# version node, and compat.o's, each with the version its .symver names.
$(LIBDIR)/libvmsync.so.$(VERSION): $(LIBDIR)/vmsync.o $(LIBDIR)/compat.o $(LIB_MAP)
	$(CC) -shared -Wl,-soname,libvmsync.so.$(SOVERSION) \
		-Wl,--version-script=$(LIB_MAP) -Wl,-z,defs $(LDFLAGS) \
		$(LIBDIR)/vmsync.o $(LIBDIR)/compat.o -o $@

$(LIBDIR)/libvmsync.so: $(LIBDIR)/libvmsync.so.$(VERSION)
	ln -sfn libvmsync.so.$(VERSION) $(LIBDIR)/libvmsync.so.$(SOVERSION)
	ln -sfn libvmsync.so.$(VERSION) $@

# The LD_PRELOAD shim (userlib/preload.c): the static library inside,
# msync() the only symbol exported.
$(LIBDIR)/preload.o: userlib/preload.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(LIBDIR)/libvmsync-preload.so: $(LIBDIR)/preload.o $(LIBDIR)/libvmsync.a $(PRELOAD_MAP)
	$(CC) -shared -Wl,-soname,libvmsync-preload.so \
		-Wl,--version-script=$(PRELOAD_MAP) -Wl,-z,defs \
		$(LDFLAGS) $(LIBDIR)/preload.o $(LIBDIR)/libvmsync.a -o $@

# --- the vmsync command --------------------------------------------------

# build/cli/vmsync has the library in (libvmsync.a: it is small, and the
# command then runs from the build tree and reports the library it was
# built with); build/cli/static/vmsync is wholly static, for the test VM,
# which has no shared libraries.
CLI_CFLAGS := $(LIB_CFLAGS) -DVMSYNC_VERSION='"$(VERSION)"'

cli: $(BUILD)/cli/vmsync $(BUILD)/cli/static/vmsync

$(BUILD)/cli/vmsync: cli/vmsync.c $(LIBDIR)/libvmsync.a $(LIB_HDRS) VERSION
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) $(LDFLAGS) $< $(LIBDIR)/libvmsync.a -o $@

$(BUILD)/cli/static/vmsync: cli/vmsync.c userlib/vmsync.c $(LIB_HDRS) VERSION
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -static cli/vmsync.c userlib/vmsync.c -o $@

# --- selftests and demo ------------------------------------------------

$(KSRC)/.extracted:
	@if [ -z "$(KSRC_TAR)" ]; then \
		echo "linux-source-6.12 is not installed: run make deps" >&2; \
		exit 1; \
	fi
	@mkdir -p $(KSRC)
	tar -xJf $(KSRC_TAR) -C $(KSRC) --strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	@mkdir -p $(BUILD)/kselftest
	cp $(KSRC)/tools/testing/selftests/kselftest*.h $(BUILD)/kselftest/
	@# 6.12's harness keeps `child` across setjmp() without volatile: at
	@# -O2 a failed ASSERT longjmp()s back with the value from before the
	@# fork, and the fixture's teardown never runs.  The build's copy says
	@# volatile; scripts/harness-check shows the teardown runs.
	sed -i 's/^\(\t*\)pid_t child = 1; \\$$/\1volatile pid_t child = 1; \\/' \
		$(BUILD)/kselftest/kselftest_harness.h
	grep -q 'volatile pid_t child = 1;' $(BUILD)/kselftest/kselftest_harness.h
	@touch $@

selftests: $(KSRC)/.extracted
	$(MAKE) -C selftests OUTPUT=$(BUILD)/selftests \
		KSFT_DIR=$(BUILD)/kselftest VMSYNC_DIR=$(CURDIR)

demo: $(BUILD)/examples/vmsync-demo

# The demo is a user of the library like any other: its public header and
# libvmsync.a, nothing else of the tree.  Static: the test VM has no shared
# libraries.
$(BUILD)/examples/vmsync-demo: examples/vmsync-demo.c $(LIBDIR)/libvmsync.a $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DEMO_CFLAGS) -static $< $(LIBDIR)/libvmsync.a -o $@

# --- the two commands of README ---------------------------------------

run: deps
	@scripts/run-demo

check: deps
	@scripts/check

# The long run of the same tests (see scripts/check and README).
check-full: deps
	@VMSYNC_CHECK_FULL=1 scripts/check

# vmsync against Linux's own calls in the test kernels (docs/performance.md).
bench: deps
	@scripts/bench

bench-prog: $(BUILD)/bench/vmsync_bench

# Static, for the test VM; LMDB's msync() calls go through --wrap.
$(BUILD)/bench/vmsync_bench: bench/vmsync_bench.c userlib/vmsync.c \
		selftests/vmsync_test_util.c selftests/vmsync_test_util.h $(LIB_HDRS) \
		$(MACH_HDR)
	@mkdir -p $(@D)
	$(CC) $(DEMO_CFLAGS) -Iselftests -static bench/vmsync_bench.c \
		userlib/vmsync.c selftests/vmsync_test_util.c \
		-Wl,--wrap=msync -llmdb -lpthread -o $@

lint: $(KSRC)/.extracted
	@KSRC=$(KSRC) scripts/lint

# --- install -----------------------------------------------------------

# The library's header is <vmsync.h>; the ioctl ABI it includes goes under
# the project's own directory, as <vmsync/ioctl.h>, never into the
# include/linux/ that linux-libc-dev owns: the installed <vmsync.h> names
# it so (in this tree it is uapi/linux/vmsync.h, as in the kernel's).
# Mach's names, opt-in, are <vmsync/mach.h> (userlib/vmsync/mach.h).
INSTALLED := $(addprefix $(LIBINSTDIR)/,libvmsync.a libvmsync.so.$(VERSION) \
	libvmsync.so.$(SOVERSION) libvmsync.so vmsync/libvmsync-preload.so \
	pkgconfig/vmsync.pc) \
	$(addprefix $(PREFIX)/include/,vmsync.h vmsync/ioctl.h vmsync/mach.h) \
	$(PREFIX)/bin/vmsync

# The manual pages, man/<name>.<section>, go to share/man/man<section>/;
# every other name a page documents (an .Nm of its NAME section) is a
# symbolic link to it there: vmsync_msync_counts.3 -> vmsync_msync.3.
MAN_PAGES := $(notdir $(wildcard man/*.[0-9]))
man_dir = share/man/man$(patsubst .%,%,$(suffix $(1)))
man_links = $(addsuffix $(suffix $(1)),$(filter-out $(basename $(1)),$(shell \
	awk '/^\.Sh /{n=($$2=="NAME")} n&&$$1==".Nm"{print $$2}' man/$(1))))
MAN_INSTALLED := $(foreach p,$(MAN_PAGES),$(addprefix $(call man_dir,$(p))/,\
	$(p) $(call man_links,$(p))))
INSTALLED += $(addprefix $(PREFIX)/,$(MAN_INSTALLED))
define install_man
	install -d $(DESTDIR)$(PREFIX)/$(call man_dir,$(1))
	install -m 644 man/$(1) $(DESTDIR)$(PREFIX)/$(call man_dir,$(1))/
	$(foreach l,$(call man_links,$(1)),ln -sfn $(1) \
		$(DESTDIR)$(PREFIX)/$(call man_dir,$(1))/$(l)
	)
endef

.PHONY: install-man uninstall-man
install: install-man
uninstall: uninstall-man

install-man:
	$(foreach p,$(MAN_PAGES),$(call install_man,$(p)))

# Runs before uninstall's own rm: the pages, then their section directories
# if that left them empty (share/man is the system's).
uninstall-man:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(MAN_INSTALLED))
	-rmdir $(addprefix $(DESTDIR)$(PREFIX)/,\
		$(sort $(foreach p,$(MAN_PAGES),$(call man_dir,$(p)))))

install: lib cli
	install -d $(DESTDIR)$(LIBINSTDIR)/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/vmsync $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/cli/vmsync $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(LIBDIR)/libvmsync.a $(DESTDIR)$(LIBINSTDIR)/
	install -m 755 $(LIBDIR)/libvmsync.so.$(VERSION) $(DESTDIR)$(LIBINSTDIR)/
	ln -sfn libvmsync.so.$(VERSION) \
		$(DESTDIR)$(LIBINSTDIR)/libvmsync.so.$(SOVERSION)
	ln -sfn libvmsync.so.$(VERSION) $(DESTDIR)$(LIBINSTDIR)/libvmsync.so
	# The shim is loaded by path (LD_PRELOAD), never linked against: it
	# lives in a directory of its own, out of the linker's search path.
	install -D -m 755 $(LIBDIR)/libvmsync-preload.so \
		$(DESTDIR)$(LIBINSTDIR)/vmsync/libvmsync-preload.so
	sed 's|^#include <linux/vmsync.h>$$|#include <vmsync/ioctl.h>|' \
		userlib/vmsync.h > $(DESTDIR)$(PREFIX)/include/vmsync.h
	chmod 644 $(DESTDIR)$(PREFIX)/include/vmsync.h
	install -m 644 uapi/linux/vmsync.h \
		$(DESTDIR)$(PREFIX)/include/vmsync/ioctl.h
	install -m 644 $(MACH_HDR) $(DESTDIR)$(PREFIX)/include/vmsync/mach.h
	# Written here: it names the PREFIX being installed to.
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBINSTDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' \
		userlib/vmsync.pc.in > $(DESTDIR)$(LIBINSTDIR)/pkgconfig/vmsync.pc

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(PREFIX)/include/vmsync $(DESTDIR)$(LIBINSTDIR)/vmsync

# --- Debian packages ---------------------------------------------------

# vmsync-dkms, libvmsync0, libvmsync-dev and vmsync-utils, in build/deb/,
# built from a copy of the tree.  debian/changelog and the library's
# symbols file are generated: the version from VERSION, the symbols and
# their version nodes from userlib/libvmsync.map, each symbol with the
# release that introduced it, its node's (scripts/deb-symbols).
DEB_DIR := $(BUILD)/deb/$(DKMS_NAME)
DEB_MAINT := $(shell sed -n 's/^Maintainer: //p' debian/control)
DEB_DATE := $(shell date -R -d @$$(git log -1 --format=%ct 2>/dev/null || \
	      stat -c %Y VERSION))

deb:
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_DIR)
	tar -c --exclude=./build --exclude=./.git . | tar -x -C $(DEB_DIR)
	printf 'vmsync (%s) unstable; urgency=medium\n\n  * Release %s: see CHANGELOG.md.\n\n -- %s  %s\n' \
		'$(VERSION)' '$(VERSION)' '$(DEB_MAINT)' '$(DEB_DATE)' \
		> $(DEB_DIR)/debian/changelog
	{ echo 'libvmsync.so.$(SOVERSION) libvmsync$(SOVERSION) #MINVER#'; \
	  echo '* Build-Depends-Package: libvmsync-dev'; \
	  awk -f scripts/deb-symbols $(LIB_MAP); \
	} > $(DEB_DIR)/debian/libvmsync$(SOVERSION).symbols
	cd $(DEB_DIR) && dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb

clean:
	rm -rf $(BUILD)
