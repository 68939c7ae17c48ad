/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "prompt.h"

#include <errno.h>
#include <poll.h>
#include <termios.h>

#include "util.h"

int prompt_secret(int fd, const char *prompt, char *buf, size_t size, unsigned timeout_ms) {
        struct termios old, quiet;
        bool tty = tcgetattr(fd, &old) == 0;
        if (tty) {
                quiet = old;
                quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
                quiet.c_lflag |= ICANON;
                quiet.c_iflag |= ICRNL;
                tcsetattr(fd, TCSAFLUSH, &quiet);
        }
        write_full(fd, prompt, strlen(prompt));

        size_t len = 0;
        int r = 0;
        uint64_t deadline = timeout_ms ? now_monotonic_us() + (uint64_t)timeout_ms * 1000 : 0;
        for (;;) {
                if (deadline) {
                        uint64_t now = now_monotonic_us();
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        int left = now >= deadline ? 0 : (int)((deadline - now) / 1000);
                        int n = poll(&p, 1, left);
                        if (n == 0) {
                                r = -ETIMEDOUT;
                                break;
                        }
                }
                char c;
                ssize_t n = read(fd, &c, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = -ECANCELED;
                        break;
                }
                if (c == '\n' || c == '\r')
                        break;
                if (c == 0x7f || c == '\b') { /* erase when the terminal is not canonical */
                        if (len)
                                len--;
                        continue;
                }
                if (len + 1 < size)
                        buf[len++] = c;
        }
        buf[len] = 0;
        if (tty)
                tcsetattr(fd, TCSAFLUSH, &old);
        write_full(fd, "\n", 1);
        if (r < 0) {
                secure_wipe(buf, size);
                return r;
        }
        return (int)len;
}
