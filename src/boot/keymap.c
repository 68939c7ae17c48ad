/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Console keymaps: compiled with loadkeys when the image is built, loaded with KDSKBENT at
 * boot before the passphrase prompt. */
#include "keymap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kd.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "util.h"

/* <linux/keyboard.h> (MAX_NR_KEYMAPS 256, NR_KEYS 256) pulls in <linux/wait.h>, which clashes
 * with <sys/wait.h>; struct kbentry's unsigned char table and index bound both anyway. */
_Static_assert(BKEYMAP_NR_TABLES <= 256 && BKEYMAP_NR_KEYS <= 256, "fits struct kbentry");

/* ---------------------------------------------------------------- vconsole.conf */

/* One shell word: 'single', "double" (with \ escapes) and bare parts, joined. Stops at
 * unquoted whitespace or '#'. Returns -ENAMETOOLONG when out is too small. */
static int shell_word(const char *p, char *out, size_t size) {
        size_t n = 0;
        char quote = 0;
        for (; *p; p++) {
                char c = *p;
                if (quote) {
                        if (c == quote) {
                                quote = 0;
                                continue;
                        }
                        if (quote == '"' && c == '\\' && p[1] && strchr("\"\\$`", p[1]))
                                c = *++p;
                } else if (c == '\'' || c == '"') {
                        quote = c;
                        continue;
                } else if (c == ' ' || c == '\t' || c == '#' || c == ';')
                        break;
                else if (c == '\\' && p[1])
                        c = *++p;
                if (n + 1 >= size)
                        return -ENAMETOOLONG;
                out[n++] = c;
        }
        out[n] = 0;
        return 0;
}

int keymap_from_vconsole(const char *vconsole_conf_path, char *ret_name, size_t size) {
        _cleanup_free_ char *text = NULL;
        int r = read_file(vconsole_conf_path, &text, NULL);
        if (r < 0)
                return r;
        if (size == 0)
                return -ENAMETOOLONG;

        bool found = false;
        ret_name[0] = 0;
        for (char *line = text, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                line[strcspn(line, "\r")] = 0;
                line += strspn(line, " \t");
                const char *v = startswith(line, "export ");
                if (v)
                        line += strlen("export ") + strspn(v, " \t");
                v = startswith(line, "KEYMAP=");
                if (!v)
                        continue;
                /* The last assignment wins, as when the file is sourced. */
                r = shell_word(v, ret_name, size);
                if (r < 0)
                        return r;
                found = true;
        }
        if (!found || !*ret_name)
                return -ENOENT;
        return 0;
}

/* ---------------------------------------------------------------- compiling */

#define COMPILE_STDERR_MAX 1024

/* The first line of loadkeys' complaint, for our message. */
static const char *first_line(char *s) {
        s[strcspn(s, "\n")] = 0;
        return *s ? s : "no message";
}

/* Reads stdout and stderr of the child until both close. */
static int drain(int out_fd, int err_fd, char **out, size_t *out_len, char *err, size_t err_size) {
        size_t cap = 4096, len = 0, elen = 0;
        char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        struct pollfd p[2] = { { .fd = out_fd, .events = POLLIN }, { .fd = err_fd, .events = POLLIN } };
        int open_fds = 2, r = 0;
        while (open_fds > 0) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (p[0].revents) {
                        if (len == cap) {
                                /* Anything past the largest keymap is not a keymap. */
                                if (cap > BKEYMAP_MAX_SIZE) {
                                        r = -EFBIG;
                                        break;
                                }
                                char *nb = realloc(buf, cap * 2);
                                if (!nb) {
                                        r = -ENOMEM;
                                        break;
                                }
                                buf = nb;
                                cap *= 2;
                        }
                        ssize_t n = read(out_fd, buf + len, cap - len);
                        if (n < 0 && errno != EINTR && errno != EAGAIN) {
                                r = -errno;
                                break;
                        }
                        if (n == 0) {
                                p[0].fd = -1;
                                open_fds--;
                        } else if (n > 0)
                                len += (size_t)n;
                }
                if (p[1].revents) {
                        char tmp[256];
                        ssize_t n = read(err_fd, tmp, sizeof tmp);
                        if (n < 0 && errno != EINTR && errno != EAGAIN) {
                                r = -errno;
                                break;
                        }
                        if (n == 0) {
                                p[1].fd = -1;
                                open_fds--;
                        } else if (n > 0) {
                                size_t take = (size_t)n;
                                if (take > err_size - 1 - elen)
                                        take = err_size - 1 - elen;
                                memcpy(err + elen, tmp, take);
                                elen += take;
                        }
                }
        }
        err[elen] = 0;
        if (r < 0) {
                free(buf);
                return r;
        }
        *out = buf;
        *out_len = len;
        return 0;
}

static void close_pair(int p[2]) {
        for (int i = 0; i < 2; i++)
                if (p[i] >= 0)
                        close(p[i]);
}

/* Hands the caller a message for its log (when it asked for one); returns r. */
static int compile_failed(char **ret_error, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int compile_failed(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;
        if (!ret_error)
                return r;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

int keymap_compile(const char *name, char **ret_data, size_t *ret_len, char **ret_error) {
        if (!name || !*name || name[0] == '-' || strchr(name, '\n'))
                return compile_failed(ret_error, -EINVAL, "'%s' is not a keymap name", name ? name : "");
        int out[2] = { -1, -1 }, err[2] = { -1, -1 }, exec_err[2] = { -1, -1 };
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(exec_err, O_CLOEXEC) < 0) {
                int e = -errno;
                close_pair(out);
                close_pair(err);
                close_pair(exec_err);
                return compile_failed(ret_error, e, "creating pipes for loadkeys failed: %s", strerror(-e));
        }
        pid_t pid = fork();
        if (pid < 0) {
                int e = -errno;
                close_pair(out);
                close_pair(err);
                close_pair(exec_err);
                return compile_failed(ret_error, e, "starting loadkeys failed: %s", strerror(-e));
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null >= 0)
                        dup2(null, STDIN_FILENO);
                dup2(out[1], STDOUT_FILENO);
                dup2(err[1], STDERR_FILENO);
                /* -u: Unicode keysyms, as the console is in Unicode mode (vt.default_utf8=1),
                 * so letters outside Latin-1 survive. */
                execlp("loadkeys", "loadkeys", "-b", "-u", "-q", "--", name, (char *)NULL);
                int e = errno;
                (void)!write(exec_err[1], &e, sizeof e);
                _exit(127);
        }
        close(out[1]);
        close(err[1]);
        close(exec_err[1]);

        char *data = NULL;
        size_t len = 0;
        char errbuf[COMPILE_STDERR_MAX];
        int r = drain(out[0], err[0], &data, &len, errbuf, sizeof errbuf);
        int exec_errno = 0;
        ssize_t n = read(exec_err[0], &exec_errno, sizeof exec_errno);
        close(out[0]);
        close(err[0]);
        close(exec_err[0]);

        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (n == (ssize_t)sizeof exec_errno) {
                free(data);
                if (exec_errno == ENOENT)
                        return compile_failed(ret_error, -ENOENT,
                                              "loadkeys was not found in PATH: it compiles the console "
                                              "keymap '%s'; install the package kbd",
                                              name);
                return compile_failed(ret_error, -exec_errno, "running loadkeys failed: %s",
                                      strerror(exec_errno));
        }
        if (r < 0) {
                free(data);
                if (r == -EFBIG)
                        return compile_failed(ret_error, -EINVAL,
                                              "loadkeys wrote more than any keymap holds for '%s'", name);
                return compile_failed(ret_error, r, "reading the output of loadkeys failed: %s",
                                      strerror(-r));
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                free(data);
                /* loadkeys says "Unable to open file: NAME: No such file or directory". */
                bool missing = strstr(errbuf, "Unable to open") || strstr(errbuf, "No such file");
                const char *why = first_line(errbuf);
                if (missing)
                        return compile_failed(ret_error, -ENOENT,
                                              "the console keymap '%s' does not exist (loadkeys: %s). "
                                              "Keymaps live in /usr/share/kbd/keymaps (Arch, package kbd) "
                                              "or /usr/share/keymaps (Debian, package console-data); fix "
                                              "KEYMAP= in " KEYMAP_VCONSOLE_PATH,
                                              name, why);
                return compile_failed(ret_error, -EINVAL,
                                      "loadkeys could not compile the console keymap '%s': %s", name, why);
        }
        r = keymap_parse(data, len, NULL, NULL);
        if (r < 0) {
                free(data);
                return compile_failed(ret_error, -EINVAL,
                                      "loadkeys wrote a corrupt binary keymap for '%s' (%zu bytes)", name,
                                      len);
        }
        *ret_data = data;
        *ret_len = len;
        return 0;
}

/* ---------------------------------------------------------------- parsing and loading */

int keymap_parse(const char *data, size_t len, keymap_entry_cb cb, void *userdata) {
        const size_t header = BKEYMAP_MAGIC_LEN + BKEYMAP_NR_TABLES;
        const size_t table_size = BKEYMAP_NR_KEYS * sizeof(uint16_t);

        if (!data || len < header || memcmp(data, BKEYMAP_MAGIC, BKEYMAP_MAGIC_LEN) != 0)
                return -EINVAL;
        const unsigned char *flags = (const unsigned char *)data + BKEYMAP_MAGIC_LEN;
        unsigned n_tables = 0;
        for (unsigned i = 0; i < BKEYMAP_NR_TABLES; i++) {
                if (flags[i] > 1)
                        return -EINVAL;
                n_tables += flags[i];
        }
        if (n_tables == 0 || len != header + (size_t)n_tables * table_size)
                return -EINVAL;
        if (!cb)
                return (int)n_tables;

        const char *p = data + header;
        for (unsigned t = 0; t < BKEYMAP_NR_TABLES; t++) {
                if (!flags[t])
                        continue;
                for (unsigned k = 0; k < BKEYMAP_NR_KEYS; k++, p += sizeof(uint16_t)) {
                        uint16_t v;
                        memcpy(&v, p, sizeof v);
                        int r = cb(t, k, v, userdata);
                        if (r < 0)
                                return r;
                }
        }
        return (int)n_tables;
}

struct load_state {
        int fd;
        unsigned rejected;
};

static int load_entry(unsigned table, unsigned key, uint16_t value, void *userdata) {
        struct load_state *st = userdata;
        struct kbentry ke = {
                .kb_table = (unsigned char)table,
                .kb_index = (unsigned char)key,
                .kb_value = value,
        };
        if (ioctl(st->fd, KDSKBENT, &ke) < 0) {
                if (errno != EINVAL)
                        return -errno;
                st->rejected++;
        }
        return 0;
}

int keymap_load(int console_fd, const char *data, size_t len) {
        int r = keymap_parse(data, len, NULL, NULL);
        if (r < 0)
                return r;
        /* Only a virtual terminal answers KDGKBTYPE; a serial line does not. */
        char type;
        if (ioctl(console_fd, KDGKBTYPE, &type) < 0)
                return errno == EINVAL || errno == ENOTTY ? -ENOTTY : -errno;

        struct load_state st = { .fd = console_fd };
        r = keymap_parse(data, len, load_entry, &st);
        if (r < 0)
                return r;
        return (int)st.rejected;
}

int keymap_load_path(const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = read_file(path, &data, &len);
        if (r < 0)
                return r;
        static const char *const consoles[] = { "/dev/tty0", "/dev/tty1", "/dev/console" };
        r = -ENOTTY;
        for (size_t i = 0; i < ELEMENTSOF(consoles); i++) {
                _cleanup_close_ int fd = open(consoles[i], O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                r = keymap_load(fd, data, len);
                if (r != -ENOTTY)
                        break;
        }
        return r;
}
