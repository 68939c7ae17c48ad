/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing of the kernel's uevent messages, as koompi-init receives them over netlink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "devices.h"
#include "testlib.h"
#include "util.h"

#define MSG(s) s, sizeof(s) - 1

static void test_block_add(void **state) {
        struct uevent ev;
        assert_int_equal(uevent_parse(MSG("add@/devices/pci0000:00/virtio1/block/vdb\0"
                                          "ACTION=add\0DEVPATH=/devices/pci0000:00/virtio1/block/vdb\0"
                                          "SUBSYSTEM=block\0DEVNAME=vdb\0DEVTYPE=disk\0SEQNUM=812\0"),
                                      &ev),
                         0);
        assert_string_equal(ev.action, "add");
        assert_string_equal(ev.subsystem, "block");
        assert_string_equal(ev.devname, "vdb");
        assert_string_equal(ev.modalias, "");
}

static void test_modalias(void **state) {
        struct uevent ev;
        assert_int_equal(uevent_parse(MSG("add@/devices/pci0000:00/0000:00:03.0/virtio1\0ACTION=add\0"
                                          "SUBSYSTEM=virtio\0MODALIAS=virtio:d00000002v00001AF4\0"),
                                      &ev),
                         0);
        assert_string_equal(ev.subsystem, "virtio");
        assert_string_equal(ev.modalias, "virtio:d00000002v00001AF4");
        assert_string_equal(ev.devname, "");
}

static void test_rejects_non_kernel_messages(void **state) {
        struct uevent ev;
        /* libudev's messages start with "libudev", not "action@devpath". */
        assert_int_equal(uevent_parse(MSG("libudev\0ACTION=add\0"), &ev), -EINVAL);
        assert_int_equal(uevent_parse("", 0, &ev), -EINVAL);
}

static void test_truncated_and_long_values(void **state) {
        struct uevent ev;
        char buf[600];
        /* What follows the message in the buffer is not part of it. */
        memset(buf, 'X', sizeof buf);
        size_t n = (size_t)snprintf(buf, sizeof buf, "add@/x") + 1;
        memcpy(buf + n, "DEVNAME=vda", 11);
        n += 11;
        /* No final NUL: the parser must stop at the length it was given. */
        assert_int_equal(uevent_parse(buf, n, &ev), 0);
        assert_string_equal(ev.devname, "vda");
        assert_string_equal(ev.action, "");
        /* A value longer than its field is cut, not overflowed. */
        n = (size_t)snprintf(buf, sizeof buf, "add@/x") + 1;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "DEVNAME=");
        memset(buf + n, 'a', 200);
        buf[n + 200] = 0;
        assert_int_equal(uevent_parse(buf, n + 201, &ev), 0);
        assert_int_equal(strlen(ev.devname), sizeof ev.devname - 1);
}

/* A message whose last KEY=VALUE is shorter than every key and ends without a NUL: nothing past
 * len may be read ("@\0A" was read 9 bytes further). */
static void test_short_last_field(void **state) {
        static const char *const msgs[] = { "@\0A", "@\0ACTION", "@\0DEVNAME=", "add@/x\0MODALIAS" };
        static const size_t lens[] = { 3, 8, 10, 15 };
        for (size_t i = 0; i < ELEMENTSOF(msgs); i++) {
                struct uevent ev;
                char *buf = tl_fenced_copy(msgs[i], lens[i]);
                assert_int_equal(uevent_parse(buf, lens[i], &ev), 0);
                assert_string_equal(ev.action, "");
                assert_string_equal(ev.devname, "");
                assert_string_equal(ev.modalias, "");
                tl_fenced_free(buf, lens[i]);
        }
}

static void test_modalias_priority(void **state) {
        /* QEMU's q35 machine and a laptop: AHCI, virtio, NVMe, eMMC, USB, HID, NIC, CPU. */
        static const struct {
                const char *alias;
                int priority;
        } cases[] = {
                { "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", 0 }, /* virtio PCI */
                { "virtio:d00000002v00001AF4", 0 }, /* virtio disk */
                { "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02", 0 }, /* NVMe */
                { "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", 1 }, /* AHCI */
                { "pci:v00008086d00009D2Bsv0sd0bc08sc05i01", 1 }, /* SD host */
                { "mmc:block", 1 },
                { "pci:v00001B36d0000000Dsv00001AF4sd00001100bc0Csc03i30", 2 }, /* xHCI */
                { "hid:b0003g0001v00000627p00000001", 2 },
                { "pci:v00008086d000010D3sv00008086sd00000000bc02sc00i00", 3 }, /* network */
                { "cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001", 3 },
                { "pci:garbage", 3 },
                { "", 3 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
                if (modalias_priority(cases[i].alias) != cases[i].priority)
                        fail_msg("%s: priority %d, expected %d", cases[i].alias,
                                 modalias_priority(cases[i].alias), cases[i].priority);
}

/* A /sys tree of three devices: the walk hands the disk's driver out first. */
static int collect(const char *alias, int priority, void *userdata) {
        char *out = userdata;
        assert_int_equal(priority, modalias_priority(alias));
        strcat(out, alias);
        strcat(out, "\n");
        return strstr(alias, "stop") ? -ECANCELED : 0;
}

static void test_coldplug_order(void **state) {
        char d[TL_TMP_MAX], got[1024] = "";
        assert_int_equal(tl_tmpdir_new(d, sizeof d, "sys"), 0);
        tl_sh("cd %s && mkdir -p a/sound b/disk c/usb && "
              "echo pci:v00008086d00002668sv0sd0bc04sc03i00 > a/sound/modalias && "
              "echo pci:v00001AF4d00001001sv0sd0bc01sc00i00 > b/disk/modalias && "
              "echo pci:v00001B36d0000000Dsv0sd0bc0Csc03i30 > c/usb/modalias",
              d);
        assert_int_equal(coldplug_modaliases(d, collect, got), 0);
        assert_string_equal(got,
                            "pci:v00001AF4d00001001sv0sd0bc01sc00i00\n"
                            "pci:v00001B36d0000000Dsv0sd0bc0Csc03i30\n"
                            "pci:v00008086d00002668sv0sd0bc04sc03i00\n");
        /* A callback's error stops the walk and is returned. */
        tl_write_text(tl_path(d, "c/usb/modalias"), "usb:stop\n");
        got[0] = 0;
        assert_int_equal(coldplug_modaliases(d, collect, got), -ECANCELED);
        assert_string_equal(got, "pci:v00001AF4d00001001sv0sd0bc01sc00i00\nusb:stop\n");
        assert_int_equal(tl_tmpdir_remove(d), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_block_add),
                cmocka_unit_test(test_modalias_priority),
                cmocka_unit_test(test_coldplug_order),
                cmocka_unit_test(test_modalias),
                cmocka_unit_test(test_rejects_non_kernel_messages),
                cmocka_unit_test(test_truncated_and_long_values),
                cmocka_unit_test(test_short_last_field),
        };
        return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
