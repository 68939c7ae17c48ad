/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The recovery menu: a technician at the console sees why the boot stopped and mends it, a
 * student at the same keyboard gets no root shell. The parser and the authentication are pure
 * functions (tested in tests/unit/test-recovery.c); the rest talks to the console. */
#include "recovery.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "btrfs.h"
#include "devices.h"
#include "keymap.h"
#include "layout.h"
#include "log.h"
#include "luks.h"
#include "mount.h"
#include "prompt.h"
#include "util.h"

#define PASSWORD_MAX 512
#define INPUT_MAX 1024
#define LOG_LINES_SHOWN 12
#define KMSG_LINES 30
#define PENDING_MAX 32
#define SHELL_PS1 "koompi-recovery# "

/* ---- the pure parts ---------------------------------------------------------------- */

static const char *const item_words[_RECOVERY_ITEM_MAX] = {
        [RECOVERY_ITEM_EMPTY] = "",
        [RECOVERY_ITEM_HELP] = "help",
        [RECOVERY_ITEM_LIST] = "list",
        [RECOVERY_ITEM_BOOT] = "boot",
        [RECOVERY_ITEM_RETRY] = "retry",
        [RECOVERY_ITEM_GOOD] = "good",
        [RECOVERY_ITEM_BAD] = "bad",
        [RECOVERY_ITEM_LOG] = "log",
        [RECOVERY_ITEM_SHELL] = "shell",
        [RECOVERY_ITEM_REBOOT] = "reboot",
        [RECOVERY_ITEM_POWEROFF] = "poweroff",
};

const char *recovery_item_to_string(enum recovery_item i) {
        return i >= 0 && i < _RECOVERY_ITEM_MAX ? item_words[i] : NULL;
}

bool recovery_item_takes_root(enum recovery_item i) {
        return i == RECOVERY_ITEM_BOOT || i == RECOVERY_ITEM_GOOD || i == RECOVERY_ITEM_BAD;
}

bool recovery_item_needs_auth(enum recovery_item i) {
        return i == RECOVERY_ITEM_LIST || recovery_item_takes_root(i) || i == RECOVERY_ITEM_SHELL;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The next blank-separated word of *p: its start and length; 0 at the end. */
static size_t next_word(const char **p, const char **ret) {
        const char *s = *p;
        while (is_blank(*s))
                s++;
        const char *e = s;
        while (*e && !is_blank(*e))
                e++;
        *ret = s;
        *p = e;
        return (size_t)(e - s);
}

static int item_of_word(const char *w, size_t n) {
        if (n == 1 && w[0] >= '1' && w[0] <= '9')
                return RECOVERY_ITEM_LIST + (w[0] - '1');
        if ((n == 1 && (w[0] == '?' || w[0] == 'h' || w[0] == 'H')))
                return RECOVERY_ITEM_HELP;
        for (int i = RECOVERY_ITEM_HELP; i < _RECOVERY_ITEM_MAX; i++)
                if (strlen(item_words[i]) == n && strncasecmp(item_words[i], w, n) == 0)
                        return i;
        return -EINVAL;
}

static int check_root_name(const char *w, size_t n) {
        if (n > RECOVERY_NAME_MAX)
                return -ENAMETOOLONG;
        if ((n == 1 && w[0] == '.') || (n == 2 && w[0] == '.' && w[1] == '.'))
                return -EBADMSG;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)w[i];
                if (c <= 0x20 || c >= 0x7f || c == '/')
                        return -EBADMSG;
        }
        return 0;
}

int recovery_parse(const char *line, struct recovery_command *ret) {
        const char *p = line ? line : "", *w;
        *ret = (struct recovery_command) { .item = RECOVERY_ITEM_EMPTY };
        size_t n = next_word(&p, &w);
        if (n == 0)
                return 0;
        int item = item_of_word(w, n);
        if (item < 0)
                return item;
        n = next_word(&p, &w);
        if (n > 0 && !recovery_item_takes_root(item))
                return -E2BIG;
        if (n > 0) {
                int r = check_root_name(w, n);
                if (r < 0)
                        return r;
                memcpy(ret->arg, w, n);
                ret->arg[n] = 0;
                const char *more;
                if (next_word(&p, &more) > 0) {
                        ret->arg[0] = 0;
                        return -E2BIG;
                }
        }
        ret->item = item;
        return 0;
}

int recovery_match_root(const char *const *names, size_t n, const char *arg) {
        static const char *const prefixes[] = { "", "@", LAYOUT_ROOT_PREFIX };
        if (!arg || !*arg)
                return -ENOENT;
        for (size_t p = 0; p < ELEMENTSOF(prefixes); p++) {
                size_t plen = strlen(prefixes[p]);
                for (size_t i = 0; i < n; i++)
                        if (strncmp(names[i], prefixes[p], plen) == 0 && streq(names[i] + plen, arg))
                                return (int)i;
        }
        return -ENOENT;
}

bool recovery_hash_usable(const char *hash) {
        if (!hash || !*hash)
                return false;
#ifdef CRYPT_CHECKSALT_AVAILABLE
        int c = crypt_checksalt(hash);
        if (c != CRYPT_SALT_OK && c != CRYPT_SALT_METHOD_LEGACY)
                return false;
#endif
        /* The setting may be fine and the hash after it still garbage: hash a known phrase
         * with it and check that the result has the form of the hash. */
        struct crypt_data *d = calloc(1, sizeof *d);
        if (!d)
                return false;
        const char *out = crypt_r("", hash, d);
        bool ok = out && out[0] != '*' && strlen(out) == strlen(hash);
        secure_wipe(d, sizeof *d);
        free(d);
        return ok;
}

bool recovery_password_matches(const char *hash, const char *password) {
        if (!hash || !*hash || !password)
                return false;
        struct crypt_data *d = calloc(1, sizeof *d);
        if (!d)
                return false;
        const char *out = crypt_r(password, hash, d);
        bool ok = false;
        if (out && out[0] != '*') {
                size_t n = strlen(hash);
                if (strlen(out) == n) {
                        unsigned char diff = 0;
                        for (size_t i = 0; i < n; i++)
                                diff |= (unsigned char)(out[i] ^ hash[i]);
                        ok = diff == 0;
                }
        }
        secure_wipe(d, sizeof *d); /* it holds the password and what was derived from it */
        free(d);
        return ok;
}

enum recovery_auth_mode recovery_auth_mode_of(const char *auth, const char *hash) {
        if (auth && streq(auth, "none"))
                return RECOVERY_AUTH_NONE;
        if (!hash || !*hash)
                return RECOVERY_AUTH_UNSET;
        return recovery_hash_usable(hash) ? RECOVERY_AUTH_PASSWORD : RECOVERY_AUTH_BROKEN;
}

void recovery_auth_init(struct recovery_auth *a, enum recovery_auth_mode mode) {
        *a = (struct recovery_auth) { .mode = mode, .authenticated = mode == RECOVERY_AUTH_NONE };
}

bool recovery_auth_locked_out(const struct recovery_auth *a) {
        return a->failures >= RECOVERY_AUTH_MAX_FAILURES;
}

bool recovery_auth_may_ask(const struct recovery_auth *a) {
        return a->mode == RECOVERY_AUTH_PASSWORD && !a->authenticated && !recovery_auth_locked_out(a);
}

unsigned recovery_auth_delay_ms(unsigned failures) {
        if (failures == 0)
                return 0;
        return 1000u << (failures > 4 ? 3 : failures - 1);
}

unsigned recovery_auth_attempt(struct recovery_auth *a, bool matched) {
        if (!recovery_auth_may_ask(a))
                return 0;
        if (matched) {
                a->authenticated = true;
                return 0;
        }
        a->failures++;
        return recovery_auth_delay_ms(a->failures);
}

bool recovery_item_allowed(const struct recovery_auth *a, enum recovery_item i) {
        if (i < 0 || i >= _RECOVERY_ITEM_MAX)
                return false;
        return !recovery_item_needs_auth(i) || a->authenticated;
}

int recovery_format_record(char *buf, size_t size, uint64_t time, const char *what) {
        char when[64] = "at an unknown time";
        time_t t = (time_t)time;
        struct tm tm;
        if (time && gmtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        int n = snprintf(buf, size, "%s, %s: %s", RECOVERY_WHO, when, what);
        return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

int recovery_apply_records(struct ledger *l, const struct recovery_record *recs, size_t n) {
        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                const struct recovery_record *rec = &recs[i];
                int r;
                if (rec->kind == RECOVERY_RECORD_MARK)
                        r = ledger_mark_root(l, rec->time, rec->root, rec->action, rec->text);
                else {
                        uint64_t seq = 0;
                        r = ledger_add_alert(l, rec->time, RECOVERY_ALERT_KIND, rec->text, &seq);
                        /* Acknowledge only an alert just added, never an older one. */
                        if (r == 1 && !rec->notify)
                                r = ledger_ack_alerts(l, seq);
                }
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int recovery_tries_left(const struct fallback_root *r, unsigned tries) {
        if (tries == 0)
                tries = ROOT_TRIES_DEFAULT;
        if (r->state == ROOT_GOOD)
                return -1;
        if (r->state == ROOT_BAD || fallback_root_is_bad(r, tries, false))
                return 0;
        return r->failures >= tries ? 0 : (int)(tries - r->failures);
}

unsigned recovery_idle_ms(const char *failure_action) {
        if (failure_action && (streq(failure_action, "reboot") || streq(failure_action, "poweroff")))
                return RECOVERY_IDLE_MS;
        return 0;
}

/* ---- the console ----------------------------------------------------------------------- */

/* State kept for the whole boot: the menu may open more than once (a retry that fails again). */
static struct recovery_auth auth;
static bool auth_ready;
static struct recovery_record pending[PENDING_MAX];
static size_t n_pending;
static unsigned n_lost;
static bool told_locked_disk;
static bool top_mounted;
static bool top_failed; /* mounting it failed: records stop trying, list and shell still do */
static unsigned idle_ms; /* 0: wait for input forever */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
        char buf[2048];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        write_full(STDOUT_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A line discipline a person can type on, whatever a shell left behind: canonical, echo,
 * CR read as NL (serial consoles send CR), NL written as CR NL. */
static void console_sane(int fd) {
        struct termios t;
        if (tcgetattr(fd, &t) < 0)
                return;
        t.c_iflag |= ICRNL;
        t.c_iflag &= ~(tcflag_t)(INLCR | IGNCR);
        t.c_oflag |= OPOST | ONLCR;
        t.c_lflag |= ICANON | ECHO | ECHOE | ECHOK;
        tcsetattr(fd, TCSANOW, &t);
}

/* One line typed at the console (echoed: never a secret). -ECANCELED when the console is
 * gone, -ETIMEDOUT when nothing came for idle_ms. */
static int read_line(char *buf, size_t size) {
        size_t len = 0;
        console_sane(STDIN_FILENO);
        for (;;) {
                char c;
                if (idle_ms && len == 0) {
                        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
                        int q = poll(&p, 1, (int)idle_ms);
                        if (q < 0 && errno == EINTR)
                                continue;
                        if (q == 0) {
                                buf[0] = 0;
                                return -ETIMEDOUT;
                        }
                }
                ssize_t n = read(STDIN_FILENO, &c, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        buf[len] = 0;
                        return len ? (int)len : -ECANCELED;
                }
                if (c == '\n' || c == '\r')
                        break;
                if (len + 1 < size)
                        buf[len++] = c;
        }
        buf[len] = 0;
        return (int)len;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static bool volume_unlocked(const struct init_ctx *ctx) {
        struct stat st;
        return *ctx->root_device && stat(ctx->root_device, &st) == 0;
}

/* The Btrfs top level at INIT_TOP, as the root stage mounts it. */
static int mount_top(struct init_ctx *ctx) {
        char dev[sizeof ctx->root_device], opts[600];
        if (top_mounted)
                return 0;
        if (!volume_unlocked(ctx))
                return -ENOKEY;
        snprintf(dev, sizeof dev, "%s", ctx->root_device);
        if (ctx->s.root && *ctx->s.luks_uuid && devices_find(ctx->s.root, dev, sizeof dev) < 0)
                snprintf(dev, sizeof dev, "%s", ctx->root_device);
        snprintf(opts, sizeof opts, "rw,subvolid=5%s%s", *ctx->s.rootflags ? "," : "", ctx->s.rootflags);
        mkdir_p(INIT_TOP, 0700);
        int r = mount_fs(dev, INIT_TOP, "btrfs", opts);
        top_failed = r < 0;
        if (r < 0)
                return log_errno(r, "recovery: mounting the Btrfs top level of %s at %s failed", dev,
                                 INIT_TOP);
        top_mounted = true;
        return 0;
}

static void umount_top(void) {
        if (!top_mounted)
                return;
        sync();
        int r = umount_fs(INIT_TOP);
        if (r < 0) {
                log_errno(r, "recovery: unmounting %s failed; detaching it", INIT_TOP);
                umount2(INIT_TOP, MNT_DETACH);
        }
        top_mounted = false;
}

static void ledger_file(const struct init_ctx *ctx, char *out, size_t size) {
        snprintf(out, size, "%s/%s/%s", INIT_TOP, ctx->config.var_subvol, LAYOUT_LEDGER_IN_VAR);
}

/* Writes what is pending into the ledger on the disk, when the disk is open. */
static int write_pending(struct init_ctx *ctx) {
        char path[PATH_MAX];
        struct ledger l;
        if (n_pending == 0)
                return 0;
        if (top_failed && !top_mounted)
                return -EIO;
        int r = mount_top(ctx);
        if (r < 0)
                return r;
        ledger_file(ctx, path, sizeof path);
        ledger_init(&l);
        r = ledger_load(&l, path);
        if (r < 0 && r != -ENOENT) {
                /* Never overwrite a ledger that could not be read: keep the records. */
                ledger_free(&l);
                return log_errno(r, "recovery: reading the ledger %s failed", path);
        }
        recovery_apply_records(&l, pending, n_pending);
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = 0;
        mkdir_p(dir, 0755);
        r = ledger_save(&l, path);
        ledger_free(&l);
        if (r < 0)
                return log_errno(r, "recovery: writing the ledger %s failed", path);
        n_pending = 0;
        return 0;
}

static void queue(struct init_ctx *ctx, const struct recovery_record *rec) {
        if (n_pending < PENDING_MAX)
                pending[n_pending++] = *rec;
        else
                n_lost++;
        if (write_pending(ctx) < 0 && !told_locked_disk) {
                told_locked_disk = true;
                say("(The disk is %s: what is done here is kept in memory and written to its "
                    "ledger once it is open in this boot.)\n",
                    volume_unlocked(ctx) ? "not writable now" : "locked");
        }
}

/* Records an action of the technician in the ledger (an alert of kind "recovery"). notify:
 * left unacknowledged, so the admin is told at the next boots. */
static void record(struct init_ctx *ctx, bool notify, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void record(struct init_ctx *ctx, bool notify, const char *fmt, ...) {
        char what[LEDGER_NOTE_MAX];
        struct recovery_record rec = { .kind = RECOVERY_RECORD_ALERT,
                                       .time = (uint64_t)time(NULL),
                                       .notify = notify };
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        recovery_format_record(rec.text, sizeof rec.text, rec.time, what);
        queue(ctx, &rec);
}

static void record_mark(struct init_ctx *ctx, const char *root, enum ledger_mark_action action,
                        const char *why) {
        struct recovery_record rec = { .kind = RECOVERY_RECORD_MARK,
                                       .time = (uint64_t)time(NULL),
                                       .action = action };
        snprintf(rec.root, sizeof rec.root, "%s", root);
        snprintf(rec.text, sizeof rec.text, "%s: %s", RECOVERY_WHO, why);
        queue(ctx, &rec);
}

void recovery_flush(struct init_ctx *ctx) {
        if (n_pending == 0 || !ctx->ledger_loaded)
                return;
        int r = recovery_apply_records(&ctx->ledger, pending, n_pending);
        if (r < 0)
                log_errno(r, "recovery: adding the technician's records to the ledger failed");
        if (n_lost)
                log_warning("recovery: %u records of the technician did not fit in memory and "
                            "are not in the ledger",
                            n_lost);
        n_pending = 0;
        n_lost = 0;
}

/* ---- what the screen shows ---- */

struct tail {
        char lines[64][512];
        unsigned n;
};

static void collect_line(const char *line, void *userdata) {
        struct tail *t = userdata;
        snprintf(t->lines[t->n % ELEMENTSOF(t->lines)], sizeof t->lines[0], "%s", line);
        t->n++;
}

/* The last lines of the log, as they were when the menu opened (before its own lines). */
static struct tail before;

static void show_tail(const struct tail *t, unsigned max) {
        unsigned have = t->n < ELEMENTSOF(t->lines) ? t->n : ELEMENTSOF(t->lines);
        unsigned shown = have < max ? have : max;
        if (shown == 0) {
                say("  (nothing logged)\n");
                return;
        }
        for (unsigned i = t->n - shown; i < t->n; i++)
                say("  | %s\n", t->lines[i % ELEMENTSOF(t->lines)]);
}

static void show_log_tail(unsigned max) {
        static struct tail t;
        t.n = 0;
        log_tail(collect_line, &t);
        show_tail(&t, max);
}

/* The kernel's last lines, from /dev/kmsg ("PRIO,SEQ,USEC,FLAGS;TEXT\n"). */
static void show_kmsg_tail(unsigned max) {
        static char ring[KMSG_LINES][400];
        unsigned n = 0;
        char rec[2048];
        int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                say("  (the kernel log cannot be read: %s)\n", strerror(errno));
                return;
        }
        for (;;) {
                ssize_t r = read(fd, rec, sizeof rec - 1);
                if (r < 0 && (errno == EPIPE || errno == EINTR))
                        continue;
                if (r <= 0)
                        break;
                rec[r] = 0;
                char *text = strchr(rec, ';');
                if (!text)
                        continue;
                *text++ = 0;
                text[strcspn(text, "\n")] = 0;
                unsigned long long usec = 0;
                const char *f = strchr(rec, ',');
                if (f && (f = strchr(f + 1, ',')))
                        usec = strtoull(f + 1, NULL, 10);
                snprintf(ring[n % KMSG_LINES], sizeof ring[0], "[%5llu.%06llu] %s", usec / 1000000,
                         usec % 1000000, text);
                n++;
        }
        close(fd);
        unsigned have = n < KMSG_LINES ? n : KMSG_LINES;
        unsigned shown = have < max ? have : max;
        for (unsigned i = n - shown; i < n; i++)
                say("  | %s\n", ring[i % KMSG_LINES]);
}

static const char *advice(const struct init_stage *stage) {
        if (!stage)
                return "Check the roots (list), then boot one (boot NAME) or go on with the normal "
                       "boot (retry).";
        return stage->recovery ? stage->menu_advice : "";
}

static void explain(struct init_ctx *ctx, const struct init_stage *stage, int err) {
        say("\n==================== KOOMPI OS RECOVERY ====================\n");
        if (stage) {
                say("The last lines of the boot log:\n");
                show_tail(&before, LOG_LINES_SHOWN);
                say("\nThe boot stopped at stage %s: %s.\n", stage->name, stage->failure);
                say("What went wrong: %s\n", *ctx->why ? ctx->why : strerror(-err));
        } else
                say("Recovery was asked for on the kernel command line (%s).\n",
                    ctx->cmdline.recovery ? "koompi.recovery" : "rd.break");

        say("What this machine expects:\n");
        if (*ctx->s.luks_uuid) {
                say("  the encrypted disk: LUKS volume UUID %s", ctx->s.luks_uuid);
                if (*ctx->luks_device)
                        say(", found at %s", ctx->luks_device);
                else
                        say(", not found");
                say(", %s as /dev/mapper/%s\n", volume_unlocked(ctx) ? "unlocked" : "to be unlocked",
                    ctx->s.luks_name);
        }
        if (ctx->s.root)
                say("  the Btrfs filesystem root=%s\n", ctx->s.root);
        say("  the root %s, with %s and %s\n", ctx->s.snapshot ? ctx->s.snapshot : "(none)",
            ctx->config.home_subvol, ctx->config.var_subvol);
        say("  the kernel modules:");
        for (char **m = ctx->config.modules_load; m && *m; m++)
                say(" %s", *m);
        say("\n");
        const char *a = advice(stage);
        if (*a)
                say("What to do: %s\n", a);
}

static const char *retry_text(const struct init_stage *stage) {
        if (!stage)
                return "go on with the normal boot";
        return stage->recovery ? stage->retry : "run the stage again, then boot as usual";
}

static void show_menu(const struct init_stage *stage) {
        static const struct {
                enum recovery_item item;
                const char *usage, *text;
        } rows[] = {
                { RECOVERY_ITEM_LIST, "list", "the roots on this disk and their state" },
                { RECOVERY_ITEM_BOOT, "boot NAME", "boot the root NAME once" },
                { RECOVERY_ITEM_RETRY, "retry", NULL },
                { RECOVERY_ITEM_GOOD, "good NAME", "mark the root NAME good" },
                { RECOVERY_ITEM_BAD, "bad NAME", "mark the root NAME bad: never booted by itself" },
                { RECOVERY_ITEM_LOG, "log", "the log of this boot and the kernel's last lines" },
                { RECOVERY_ITEM_SHELL, "shell",
                  "a root shell (the disk at " INIT_TOP "); exit "
                  "comes back here" },
                { RECOVERY_ITEM_REBOOT, "reboot", "restart the machine" },
                { RECOVERY_ITEM_POWEROFF, "poweroff", "switch the machine off" },
        };
        say("\nRecovery menu: type a number or a word, then Enter.\n");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                bool ok = recovery_item_allowed(&auth, rows[i].item);
                say("  %d  %-10s %s%s\n", rows[i].item - RECOVERY_ITEM_LIST + 1, rows[i].usage,
                    rows[i].text ? rows[i].text : retry_text(stage),
                    ok                                     ? ""
                            : recovery_auth_may_ask(&auth) ? " [password]"
                                                           : " [locked]");
        }
}

/* Why an item is refused, for the screen. */
static void say_refused(void) {
        if (auth.mode == RECOVERY_AUTH_UNSET)
                say("Not available: this image has no technician password ([recovery] "
                    "password_hash in /etc/koompi/boot.conf, see man koompi-recovery). Only "
                    "retry, log, reboot and poweroff work.\n");
        else if (auth.mode == RECOVERY_AUTH_BROKEN)
                say("Not available: the technician password hash in this image is not a crypt(3) "
                    "hash (see man koompi-recovery). Only retry, log, reboot and poweroff "
                    "work.\n");
        else if (recovery_auth_locked_out(&auth))
                say("Not available: the technician password was refused %u times. The shell and "
                    "the roots stay locked until the machine restarts; retry, log, reboot and "
                    "poweroff still work.\n",
                    auth.failures);
        else
                say("Not available without the technician password.\n");
}

/* Asks for the technician password until it is accepted, skipped (an empty line) or refused
 * too often. 1 accepted, 0 skipped, -EACCES refused, -ECANCELED when the console is gone. */
static int ask_password(struct init_ctx *ctx) {
        char *pw = luks_secret_alloc(PASSWORD_MAX);
        if (!pw)
                return -ENOMEM;
        int r = -EACCES;
        while (recovery_auth_may_ask(&auth)) {
                int len = prompt_secret(STDIN_FILENO, "Technician password: ", pw, PASSWORD_MAX, idle_ms);
                if (len < 0) {
                        r = len;
                        break;
                }
                if (len == 0) {
                        r = 0;
                        break;
                }
                bool ok = recovery_password_matches(ctx->config.password_hash, pw);
                secure_wipe(pw, PASSWORD_MAX);
                unsigned delay = recovery_auth_attempt(&auth, ok);
                if (ok) {
                        say("Password accepted.\n");
                        log_notice("recovery: technician password accepted");
                        record(ctx, false, "password accepted");
                        r = 1;
                        break;
                }
                log_warning("recovery: wrong technician password (%u of %u)", auth.failures,
                            RECOVERY_AUTH_MAX_FAILURES);
                if (recovery_auth_locked_out(&auth)) {
                        say("Access denied: wrong password, %u times. No shell and no change to "
                            "the roots in this boot; retry, log, reboot and poweroff still work.\n",
                            auth.failures);
                        record(ctx, true,
                               "technician password refused %u times: the shell is "
                               "locked until the machine restarts",
                               auth.failures);
                } else {
                        unsigned left = RECOVERY_AUTH_MAX_FAILURES - auth.failures;
                        say("Access denied: wrong password (%u %s left). Wait %u s.\n", left,
                            left == 1 ? "try" : "tries", delay / 1000);
                        record(ctx, false, "wrong technician password (%u of %u)", auth.failures,
                               RECOVERY_AUTH_MAX_FAILURES);
                }
                sleep_ms(delay);
                /* What was typed while waiting does not count. */
                tcflush(STDIN_FILENO, TCIFLUSH);
        }
        secure_wipe(pw, PASSWORD_MAX);
        luks_secret_free(pw);
        return r;
}

/* ---- the items ---- */

struct roots {
        struct btrfs_root_info *v;
        size_t n;
        const char **names;
        struct ledger ledger;
};

static void roots_free(struct roots *rs) {
        free(rs->v);
        free(rs->names);
        ledger_free(&rs->ledger);
        *rs = (struct roots) { 0 };
}

static int roots_load(struct init_ctx *ctx, struct roots *rs) {
        char path[PATH_MAX];
        *rs = (struct roots) { 0 };
        ledger_init(&rs->ledger);
        if (!volume_unlocked(ctx)) {
                say("The disk is locked, so its roots cannot be seen: choose retry and type the "
                    "disk's passphrase, or restart with the Recovery entry of the boot menu.\n");
                return -ENOKEY;
        }
        int r = mount_top(ctx);
        if (r < 0) {
                say("The Btrfs filesystem on %s cannot be mounted (%s): see log.\n", ctx->root_device,
                    strerror(-r));
                return r;
        }
        r = btrfs_list_roots(INIT_TOP, LAYOUT_ROOT_PREFIX, &rs->v, &rs->n);
        if (r < 0) {
                say("Listing the roots failed: %s\n", strerror(-r));
                return r;
        }
        rs->names = calloc(rs->n ? rs->n : 1, sizeof *rs->names);
        if (!rs->names) {
                roots_free(rs);
                return -ENOMEM;
        }
        for (size_t i = 0; i < rs->n; i++)
                rs->names[i] = rs->v[i].name;
        ledger_file(ctx, path, sizeof path);
        r = ledger_load(&rs->ledger, path);
        if (r < 0 && r != -ENOENT)
                say("(The ledger %s cannot be read: %s; the states below are unknown.)\n", path,
                    strerror(-r));
        return 0;
}

static struct fallback_root root_state(struct init_ctx *ctx, const struct roots *rs, size_t i) {
        struct fallback_root fr = { .name = rs->v[i].name,
                                    .read_only = rs->v[i].read_only,
                                    .generation = rs->v[i].otransid };
        fallback_root_from_ledger(&fr, &rs->ledger, ctx->config.boot_tries);
        return fr;
}

static void do_list(struct init_ctx *ctx) {
        struct roots rs;
        if (roots_load(ctx, &rs) < 0) {
                roots_free(&rs);
                return;
        }
        if (rs.n == 0)
                say("There is no root (%s*) on this disk.\n", LAYOUT_ROOT_PREFIX);
        else
                say("  %-30s %-10s %-10s\n", "ROOT", "STATE", "TRIES LEFT");
        for (size_t i = 0; i < rs.n; i++) {
                struct fallback_root fr = root_state(ctx, &rs, i);
                int left = recovery_tries_left(&fr, ctx->config.boot_tries);
                char tries[16] = "-";
                if (left >= 0)
                        snprintf(tries, sizeof tries, "%d", left);
                const char *state = root_state_to_string(fr.state);
                bool chosen = ctx->s.snapshot && streq(rs.v[i].name, ctx->s.snapshot);
                say("  %-30s %-10s %-10s%s%s\n", rs.v[i].name, state, tries,
                    rs.v[i].read_only ? "" : " not read-only", chosen ? " <- chosen for this boot" : "");
        }
        say("Roots are listed newest first. State and tries come from the ledger (%s/%s).\n",
            ctx->config.var_subvol, LAYOUT_LEDGER_IN_VAR);
        record(ctx, false, "listed the roots");
        roots_free(&rs);
}

/* Finds the root for boot, good and bad; prints why not. -ENOENT when there is none. */
static int find_root(struct init_ctx *ctx, struct roots *rs, const char *arg) {
        int r = roots_load(ctx, rs);
        if (r < 0)
                return r;
        int i = recovery_match_root(rs->names, rs->n, arg);
        if (i < 0) {
                say("There is no root %s on this disk. The roots are:", arg);
                for (size_t k = 0; k < rs->n; k++)
                        say(" %s", rs->names[k]);
                say("%s\n", rs->n ? "" : " none");
        }
        return i;
}

static int do_boot(struct init_ctx *ctx, const char *arg) {
        struct roots rs;
        int i = find_root(ctx, &rs, arg);
        if (i < 0) {
                roots_free(&rs);
                return i;
        }
        const char *name = rs.names[i];
        if (!rs.v[i].read_only) {
                say("%s is not read-only (an update still being written?): it cannot be booted.\n", name);
                roots_free(&rs);
                return -EROFS;
        }
        struct fallback_root fr = root_state(ctx, &rs, (size_t)i);
        if (fallback_root_is_bad(&fr, ctx->config.boot_tries, false)) {
                /* Else the boot would fall back to another root at once. */
                say("%s is bad in the ledger: it gets its tries back (rearm), so that this boot "
                    "does not fall back to another root.\n",
                    name);
                record_mark(ctx, name, LEDGER_MARK_REARM, "booted once from the recovery menu");
        }
        record(ctx, false, "booted %s once", name);
        snprintf(ctx->snapshot_buf, sizeof ctx->snapshot_buf, "%s", name);
        ctx->s.snapshot = ctx->snapshot_buf;
        ctx->fallback = false;
        ctx->requested[0] = 0;
        ctx->root_uuid[0] = 0;
        say("Booting %s, this time only: the boot menu does not change.\n", name);
        log_notice("recovery: the technician boots %s once", name);
        roots_free(&rs);
        return 0;
}

static void do_mark(struct init_ctx *ctx, const char *arg, bool good) {
        struct roots rs;
        int i = find_root(ctx, &rs, arg);
        if (i >= 0) {
                const char *name = rs.names[i];
                record_mark(ctx, name, good ? LEDGER_MARK_GOOD : LEDGER_MARK_BAD,
                            good ? "marked good from the recovery menu"
                                 : "marked bad from the recovery menu");
                say("%s is marked %s in the ledger%s. koompi-boot history shows it; koompi-boot "
                    "entries sync brings the boot menu in line.\n",
                    name, good ? "good" : "bad", n_pending ? " (once the disk is writable)" : "");
                log_notice("recovery: the technician marked %s %s", name, good ? "good" : "bad");
        }
        roots_free(&rs);
}

static void do_log(struct init_ctx *ctx) {
        say("The log of koompi-init in this boot (its last lines):\n");
        show_log_tail(UINT_MAX);
        say("The kernel's last lines:\n");
        show_kmsg_tail(KMSG_LINES);
        record(ctx, false, "read the log");
}

static void do_shell(struct init_ctx *ctx) {
        bool top = volume_unlocked(ctx) && mount_top(ctx) == 0;
        if (access("/bin/sh", X_OK) < 0) {
                say("This image has no /bin/sh: koompi-mkinitramfs was run without busybox.\n");
                return;
        }
        record(ctx, true, "opened a shell");
        log_notice("recovery: the technician opened a shell");
        if (top)
                say("The disk's Btrfs top level (every root, %s and %s) is mounted read-write at "
                    "%s.\n",
                    ctx->config.home_subvol, ctx->config.var_subvol, INIT_TOP);
        else
                say("The disk is %s: its roots are not reachable from this shell.\n",
                    volume_unlocked(ctx) ? "not mountable" : "locked");
        say("Type exit to come back to the recovery menu.\n");
        pid_t pid = fork();
        if (pid == 0) {
                /* Its own session, with the console as its terminal: job control and ^C work
                 * in it, not in PID 1. */
                setsid();
                int fd = open("/dev/console", O_RDWR | O_CLOEXEC);
                if (fd >= 0) {
                        ioctl(fd, TIOCSCTTY, 1);
                        dup2(fd, STDIN_FILENO);
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                        if (fd > STDERR_FILENO)
                                close(fd);
                }
                setenv("PS1", SHELL_PS1, 1);
                setenv("HOME", "/", 1);
                setenv("KOOMPI_TOP", INIT_TOP, 1);
                if (chdir(top ? INIT_TOP : "/") < 0)
                        _exit(127);
                execl("/bin/sh", "sh", (char *)NULL);
                _exit(127);
        }
        if (pid < 0) {
                say("Starting the shell failed: %s\n", strerror(errno));
                return;
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        console_sane(STDIN_FILENO);
        say("\nThe shell ended; back in the recovery menu.\n");
        record(ctx, false, "left the shell");
}

/* Undoes what the menu and a failed root stage left mounted, before the boot goes on. */
static void leave(struct init_ctx *ctx) {
        static const char *const sysroot[] = { INIT_NEWROOT "/var", INIT_NEWROOT "/home", INIT_NEWROOT };
        umount_top();
        top_failed = false;
        for (size_t i = 0; i < ELEMENTSOF(sysroot); i++)
                umount2(sysroot[i], MNT_DETACH);
        /* The root stage reads the ledger again, with the technician's records. */
        if (ctx->ledger_loaded) {
                ledger_free(&ctx->ledger);
                ctx->ledger_loaded = false;
        }
}

static void do_power(struct init_ctx *ctx, enum recovery_item item) {
        bool reboot_it = item == RECOVERY_ITEM_REBOOT;
        record(ctx, false, "%s the machine", reboot_it ? "restarted" : "switched off");
        if (n_pending)
                say("(Not recorded in the ledger: the disk is locked.)\n");
        leave(ctx);
        sync();
        say("%s.\n", reboot_it ? "Restarting" : "Switching off");
        log_notice("recovery: the technician %s the machine", reboot_it ? "restarts" : "switches off");
        reboot(reboot_it ? RB_AUTOBOOT : RB_POWER_OFF);
        say("That failed: %s\n", strerror(errno));
}

/* Asks for the root when boot, good or bad was typed without one. */
static int ask_root(char *buf, size_t size) {
        say("Which root? Its name (list shows them), or Enter to cancel: ");
        char line[INPUT_MAX];
        int n = read_line(line, sizeof line);
        if (n < 0)
                return n;
        const char *p = line, *w;
        size_t len = next_word(&p, &w);
        int r = len > 0 && check_root_name(w, len) == 0;
        if (r)
                snprintf(buf, size, "%.*s", (int)len, w);
        secure_wipe(line, sizeof line);
        return r;
}

static void say_parse_error(int r) {
        switch (r) {
        case -E2BIG:
                say("Too many words: boot, good and bad take one root name, the others none.\n");
                break;
        case -EBADMSG:
        case -ENAMETOOLONG:
                say("That is not the name of a root (see list).\n");
                break;
        default:
                /* Never repeat what was typed: it may be a password typed at the wrong prompt. */
                say("Not an item of this menu: type a number from 1 to 9, a word, or help.\n");
        }
}

static int run_menu(struct init_ctx *ctx, const struct init_stage *stage, int err);

int recovery_run(struct init_ctx *ctx, const struct init_stage *stage, int err) {
        /* Time at the menu is time spent waiting on a person, like the passphrase prompt. */
        uint64_t opened = now_boottime_ms();
        int r = run_menu(ctx, stage, err);
        ctx->prompt_ms += now_boottime_ms() - opened;
        return r;
}

/* What every opening of the menu does before the first prompt: the messages, the record, the keymap. */
static void open_menu(struct init_ctx *ctx, const struct init_stage *stage, int err) {
        if (!auth_ready) {
                recovery_auth_init(&auth, recovery_auth_mode_of(ctx->config.auth, ctx->config.password_hash));
                auth_ready = true;
        }
        idle_ms = recovery_idle_ms(ctx->s.failure_action);
        before.n = 0;
        log_tail(collect_line, &before);
        /* The same first lines as a failure without the menu (the kernel log keeps them, and
         * whoever watches the console knows them), then the screen of the menu. */
        if (stage) {
                log_error("BOOT FAILED at stage %s: %s", stage->name, stage->failure);
                log_error("%s", *ctx->why ? ctx->why : strerror(-err));
        } else
                log_notice("recovery: asked for on the kernel command line");
        explain(ctx, stage, err);
        if (idle_ms)
                say("If nothing is typed for %u minutes, the machine will %s (failure_action).\n",
                    idle_ms / 60000, ctx->s.failure_action);
        if (stage)
                record(ctx, true, "recovery menu opened: the boot stopped at stage %s", stage->name);
        else
                record(ctx, true, "recovery menu opened: asked for on the kernel command line");
        /* The console's keymap, so the password reads as typed (also when the disk never
         * appeared, and the unlock stage did not load it). */
        int k = keymap_load_path(KEYMAP_IMAGE_PATH);
        if (k < 0 && k != -ENOENT && k != -ENOTTY)
                log_errno(k, "loading the console keymap failed; the US layout stays");
        else if (k > 0)
                log_debug("the kernel refused %d keymap entries (Unicode keysyms on a console not in "
                          "Unicode mode?)",
                          k);
}

/* The password asked once before the menu, as the image's auth setting says. Returns 0, or -ECANCELED
 * or -ETIMEDOUT when the menu is to be left. */
static int first_password(struct init_ctx *ctx) {
        switch (auth.mode) {
        case RECOVERY_AUTH_NONE:
                say("\nauth = none in this image: no technician password is asked (lab "
                    "setting).\n");
                break;
        case RECOVERY_AUTH_UNSET:
        case RECOVERY_AUTH_BROKEN:
                say("\n");
                say_refused();
                break;
        case RECOVERY_AUTH_PASSWORD:
                if (recovery_auth_may_ask(&auth)) {
                        say("\nType the technician password, or just Enter for the menu without "
                            "a shell.\n");
                        int r = ask_password(ctx);
                        if (r == -ECANCELED || r == -ETIMEDOUT)
                                return r;
                } else if (!auth.authenticated) {
                        say("\n");
                        say_refused();
                }
                break;
        }
        return 0;
}

/* Whether item may run now, asking for the password when it is needed and may be asked. Returns 1 (it
 * may), 0 (refused; said), or -ECANCELED or -ETIMEDOUT when the menu is to be left. */
static int authorize(struct init_ctx *ctx, enum recovery_item item) {
        if (recovery_item_allowed(&auth, item))
                return 1;
        if (!recovery_auth_may_ask(&auth)) {
                say_refused();
                return 0;
        }
        int r = ask_password(ctx);
        if (r == -ECANCELED || r == -ETIMEDOUT)
                return r;
        if (r <= 0) {
                say_refused();
                return 0;
        }
        return 1;
}

/* Reads the next command at the prompt into c, with the root it needs and the right to run it. Returns 1
 * (c is to run), 0 (nothing to run; prompt again) or a negative errno when the menu is to be left. */
static int next_command(struct init_ctx *ctx, struct recovery_command *c) {
        char line[INPUT_MAX];
        int n, r;

        say("recovery> ");
        n = read_line(line, sizeof line);
        if (n < 0) {
                if (n == -ETIMEDOUT)
                        log_error("recovery: nothing typed for %u minutes", idle_ms / 60000);
                else
                        log_error("recovery: the console is gone");
                return n;
        }
        r = recovery_parse(line, c);
        secure_wipe(line, sizeof line);
        if (r < 0) {
                say_parse_error(r);
                return 0;
        }
        if (c->item == RECOVERY_ITEM_EMPTY)
                return 0;
        r = authorize(ctx, c->item);
        if (r <= 0)
                return r;
        if (recovery_item_takes_root(c->item) && !*c->arg)
                return ask_root(c->arg, sizeof c->arg);
        return 1;
}

/* Runs one command. Returns RECOVERY_BOOT or RECOVERY_RETRY when the menu is to be left for the boot, 0 to
 * prompt again. */
static int run_command(struct init_ctx *ctx, const struct init_stage *stage,
                       const struct recovery_command *c) {
        switch (c->item) {
        case RECOVERY_ITEM_HELP:
                show_menu(stage);
                break;
        case RECOVERY_ITEM_LIST:
                do_list(ctx);
                break;
        case RECOVERY_ITEM_BOOT:
                if (do_boot(ctx, c->arg) == 0)
                        return RECOVERY_BOOT;
                break;
        case RECOVERY_ITEM_RETRY:
                record(ctx, false, "chose retry: %s", retry_text(stage));
                say("Going on: %s.\n", retry_text(stage));
                return RECOVERY_RETRY;
        case RECOVERY_ITEM_GOOD:
        case RECOVERY_ITEM_BAD:
                do_mark(ctx, c->arg, c->item == RECOVERY_ITEM_GOOD);
                break;
        case RECOVERY_ITEM_LOG:
                do_log(ctx);
                break;
        case RECOVERY_ITEM_SHELL:
                do_shell(ctx);
                break;
        case RECOVERY_ITEM_REBOOT:
        case RECOVERY_ITEM_POWEROFF:
                do_power(ctx, c->item);
                break;
        default:
                break;
        }
        return 0;
}

static int run_menu(struct init_ctx *ctx, const struct init_stage *stage, int err) {
        struct recovery_command c;
        int r;

        open_menu(ctx, stage, err);
        r = first_password(ctx);
        if (r == 0) {
                show_menu(stage);
                do {
                        r = next_command(ctx, &c);
                        if (r > 0)
                                r = run_command(ctx, stage, &c);
                } while (r == 0);
        }
        leave(ctx);
        return r;
}
