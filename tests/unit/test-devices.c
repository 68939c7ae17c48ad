/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing of the kernel's uevent messages, as koompi-init receives them over netlink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "devices.h"
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_block_add),
                cmocka_unit_test(test_modalias),
                cmocka_unit_test(test_rejects_non_kernel_messages),
                cmocka_unit_test(test_truncated_and_long_values),
        };
        return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
