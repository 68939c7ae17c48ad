/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define LEDGER_HEADER "koompi-boot-ledger"
#define KEEP_FAILURES_PER_ROOT 64

static const char *const stage_names[_LEDGER_STAGE_MAX] = {
        [LEDGER_STAGE_STARTED] = "started",
        [LEDGER_STAGE_UNLOCKED] = "unlocked",
        [LEDGER_STAGE_ROOT_MOUNTED] = "root-mounted",
        [LEDGER_STAGE_SWITCHED] = "switched",
        [LEDGER_STAGE_GOOD] = "good",
        [LEDGER_STAGE_MARKED_BAD] = "marked-bad",
};

static const char *const outcome_names[_LEDGER_OUTCOME_MAX] = {
        [LEDGER_OUTCOME_IN_PROGRESS] = "in-progress",
        [LEDGER_OUTCOME_GOOD] = "good",
        [LEDGER_OUTCOME_BAD] = "bad",
        [LEDGER_OUTCOME_ABANDONED] = "abandoned",
        [LEDGER_OUTCOME_FAILED] = "failed",
        [LEDGER_OUTCOME_FELL_BACK] = "fell-back",
};

static const char *const mark_names[_LEDGER_MARK_MAX] = {
        [LEDGER_MARK_REARM] = "rearm",
        [LEDGER_MARK_GOOD] = "good",
        [LEDGER_MARK_BAD] = "bad",
};

static int lookup(const char *const *table, int n, const char *s) {
        if (!s)
                return -1;
        for (int i = 0; i < n; i++)
                if (streq(table[i], s))
                        return i;
        return -1;
}

const char *ledger_stage_to_string(enum ledger_stage s) {
        return s >= 0 && s < _LEDGER_STAGE_MAX ? stage_names[s] : NULL;
}

enum ledger_stage ledger_stage_from_string(const char *s) {
        return (enum ledger_stage)lookup(stage_names, _LEDGER_STAGE_MAX, s);
}

const char *ledger_outcome_to_string(enum ledger_outcome o) {
        return o >= 0 && o < _LEDGER_OUTCOME_MAX ? outcome_names[o] : NULL;
}

enum ledger_outcome ledger_outcome_from_string(const char *s) {
        return (enum ledger_outcome)lookup(outcome_names, _LEDGER_OUTCOME_MAX, s);
}

const char *ledger_mark_action_to_string(enum ledger_mark_action a) {
        return a >= 0 && a < _LEDGER_MARK_MAX ? mark_names[a] : NULL;
}

enum ledger_mark_action ledger_mark_action_from_string(const char *s) {
        return (enum ledger_mark_action)lookup(mark_names, _LEDGER_MARK_MAX, s);
}

/* ---- memory ---- */

static void boot_done(struct ledger_boot *b) {
        free(b->entry);
        free(b->root);
        free(b->uuid);
        free(b->note);
}

static void mark_done(struct ledger_mark *m) {
        free(m->root);
        free(m->note);
}

static void alert_done(struct ledger_alert *a) {
        free(a->kind);
        free(a->message);
}

static void ledger_clear(struct ledger *l) {
        for (size_t i = 0; i < l->n_boots; i++)
                boot_done(&l->boots[i]);
        for (size_t i = 0; i < l->n_marks; i++)
                mark_done(&l->marks[i]);
        for (size_t i = 0; i < l->n_alerts; i++)
                alert_done(&l->alerts[i]);
        free(l->boots);
        free(l->marks);
        free(l->alerts);
        l->boots = NULL;
        l->marks = NULL;
        l->alerts = NULL;
        l->n_boots = l->n_marks = l->n_alerts = 0;
        l->version = l->recovered = l->ignored = 0;
}

void ledger_init(struct ledger *l) {
        *l = (struct ledger) {
                .max_boots = LEDGER_MAX_BOOTS_DEFAULT,
                .max_marks = LEDGER_MAX_MARKS_DEFAULT,
                .max_alerts = LEDGER_MAX_ALERTS_DEFAULT,
        };
}

void ledger_free(struct ledger *l) {
        if (l)
                ledger_clear(l);
}

/* Makes room for one more element of an array. */
static int grow(void **array, size_t n, size_t size) {
        /* The capacity is the next power of two: grow when n is 0 or a power of two. */
        if (n != 0 && (n & (n - 1)) != 0)
                return 0;
        size_t cap = n ? n * 2 : 1;
        void *p = realloc(*array, cap * size);
        if (!p)
                return -ENOMEM;
        *array = p;
        return 0;
}

/* A copy cut to max bytes, never inside a UTF-8 sequence. */
static char *strdup_cut(const char *s, size_t max) {
        size_t n = strlen(s ? s : "");
        if (n > max) {
                n = max;
                while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
                        n--;
        }
        return strndup(s ? s : "", n);
}

/* ---- escaping ---- */

static bool needs_escape(unsigned char c) {
        return c <= 0x20 || c == 0x7f || c == '%';
}

struct buf {
        char *data;
        size_t len, cap;
        bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t len) {
        if (b->oom)
                return;
        if (b->len + len + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                while (cap < b->len + len + 1)
                        cap *= 2;
                char *d = realloc(b->data, cap);
                if (!d) {
                        b->oom = true;
                        return;
                }
                b->data = d;
                b->cap = cap;
        }
        memcpy(b->data + b->len, s, len);
        b->len += len;
        b->data[b->len] = 0;
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...) {
        char tmp[64];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof tmp) {
                b->oom = true;
                return;
        }
        buf_add(b, tmp, (size_t)n);
}

static void buf_field(struct buf *b, const char *s) {
        static const char hex[] = "0123456789ABCDEF";

        buf_add(b, " ", 1);
        if (!s || !*s) {
                buf_add(b, "-", 1);
                return;
        }
        if (streq(s, "-")) {
                buf_add(b, "%2D", 3);
                return;
        }
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (needs_escape(*p)) {
                        char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
                        buf_add(b, e, 3);
                } else
                        buf_add(b, (const char *)p, 1);
        }
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

struct token {
        const char *p;
        size_t len;
};

/* Decodes one field; NULL when it is malformed (or on OOM, which only loses the line). */
static char *unescape(struct token t) {
        if (t.len == 1 && t.p[0] == '-')
                return strdup("");
        char *s = malloc(t.len + 1), *o = s;
        if (!s)
                return NULL;
        for (size_t i = 0; i < t.len; i++) {
                unsigned char c = (unsigned char)t.p[i];
                if (c == '%') {
                        int hi, lo;
                        if (i + 2 >= t.len) {
                                free(s);
                                return NULL;
                        }
                        hi = hexval(t.p[i + 1]);
                        lo = hexval(t.p[i + 2]);
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                                free(s);
                                return NULL;
                        }
                        *o++ = (char)(hi << 4 | lo);
                        i += 2;
                } else if (needs_escape(c)) {
                        free(s);
                        return NULL;
                } else
                        *o++ = (char)c;
        }
        *o = 0;
        return s;
}

static bool token_is(struct token t, const char *s) {
        return t.len == strlen(s) && memcmp(t.p, s, t.len) == 0;
}

static bool parse_u64(struct token t, uint64_t *ret) {
        uint64_t v = 0;
        if (t.len == 0 || t.len > 20)
                return false;
        for (size_t i = 0; i < t.len; i++) {
                if (t.p[i] < '0' || t.p[i] > '9')
                        return false;
                uint64_t d = (uint64_t)(t.p[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

/* An enum value named by a token; -1 when unknown. */
static int parse_name(const char *const *table, int n, struct token t) {
        for (int i = 0; i < n; i++)
                if (token_is(t, table[i]))
                        return i;
        return -1;
}

/* ---- parsing ---- */

#define MAX_TOKENS 16

/* Splits on single spaces. Returns the number of tokens, -1 for an empty token (two spaces, a
 * leading or trailing space) or too many. */
static int tokenize(const char *p, size_t len, struct token *tok) {
        int n = 0;
        const char *end = p + len, *s = p;

        for (const char *q = p;; q++) {
                if (q == end || *q == ' ') {
                        if (q == s || n == MAX_TOKENS)
                                return -1;
                        tok[n++] = (struct token) { s, (size_t)(q - s) };
                        if (q == end)
                                return n;
                        s = q + 1;
                }
        }
}

enum line_result {
        LINE_OK,
        LINE_BAD,
        LINE_UNKNOWN,
        LINE_OOM,
};

static bool fields_ok(int n, int want, bool future) {
        return future ? n >= want : n == want;
}

static enum line_result parse_boot(struct ledger *l, struct token *t, int n, bool future) {
        struct ledger_boot b = {};
        int stage, outcome;

        if (!fields_ok(n, 9, future))
                return LINE_BAD;
        if (!parse_u64(t[1], &b.seq) || b.seq == 0 || !parse_u64(t[2], &b.time))
                return LINE_BAD;
        stage = parse_name(stage_names, _LEDGER_STAGE_MAX, t[6]);
        outcome = parse_name(outcome_names, _LEDGER_OUTCOME_MAX, t[7]);
        if (stage < 0 || outcome < 0)
                return LINE_BAD;
        b.stage = (enum ledger_stage)stage;
        b.outcome = (enum ledger_outcome)outcome;
        b.entry = unescape(t[3]);
        b.root = unescape(t[4]);
        b.uuid = unescape(t[5]);
        b.note = unescape(t[8]);
        if (!b.entry || !b.root || !b.uuid || !b.note || !*b.root) {
                boot_done(&b);
                return LINE_BAD;
        }
        if (grow((void **)&l->boots, l->n_boots, sizeof b) < 0) {
                boot_done(&b);
                return LINE_OOM;
        }
        l->boots[l->n_boots++] = b;
        return LINE_OK;
}

static enum line_result parse_mark(struct ledger *l, struct token *t, int n, bool future) {
        struct ledger_mark m = {};
        int action;

        if (!fields_ok(n, 6, future))
                return LINE_BAD;
        if (!parse_u64(t[1], &m.boot) || !parse_u64(t[2], &m.time))
                return LINE_BAD;
        action = parse_name(mark_names, _LEDGER_MARK_MAX, t[4]);
        if (action < 0)
                return LINE_BAD;
        m.action = (enum ledger_mark_action)action;
        m.root = unescape(t[3]);
        m.note = unescape(t[5]);
        if (!m.root || !m.note || !*m.root) {
                mark_done(&m);
                return LINE_BAD;
        }
        if (grow((void **)&l->marks, l->n_marks, sizeof m) < 0) {
                mark_done(&m);
                return LINE_OOM;
        }
        l->marks[l->n_marks++] = m;
        return LINE_OK;
}

static enum line_result parse_alert(struct ledger *l, struct token *t, int n, bool future) {
        struct ledger_alert a = {};

        if (!fields_ok(n, 6, future))
                return LINE_BAD;
        if (!parse_u64(t[1], &a.seq) || a.seq == 0 || !parse_u64(t[2], &a.time))
                return LINE_BAD;
        if (token_is(t[4], "acked"))
                a.acked = true;
        else if (!token_is(t[4], "new"))
                return LINE_BAD;
        a.kind = unescape(t[3]);
        a.message = unescape(t[5]);
        if (!a.kind || !a.message || !*a.kind) {
                alert_done(&a);
                return LINE_BAD;
        }
        if (grow((void **)&l->alerts, l->n_alerts, sizeof a) < 0) {
                alert_done(&a);
                return LINE_OOM;
        }
        l->alerts[l->n_alerts++] = a;
        return LINE_OK;
}

static enum line_result parse_record(struct ledger *l, const char *p, size_t len) {
        struct token t[MAX_TOKENS];
        bool future = l->version > LEDGER_VERSION;
        int n = tokenize(p, len, t);

        if (n < 0)
                return future ? LINE_UNKNOWN : LINE_BAD;
        if (token_is(t[0], "boot"))
                return parse_boot(l, t, n, future);
        if (token_is(t[0], "mark"))
                return parse_mark(l, t, n, future);
        if (token_is(t[0], "alert"))
                return parse_alert(l, t, n, future);
        return future ? LINE_UNKNOWN : LINE_BAD;
}

/* "koompi-boot-ledger N": 1 and N in *ret, 0 when the line is not a header. */
static int parse_header(const char *p, size_t len, unsigned *ret) {
        struct token t[MAX_TOKENS];
        uint64_t v;
        int n = tokenize(p, len, t);

        if (n < 2 || !token_is(t[0], LEDGER_HEADER) || !parse_u64(t[1], &v) || v == 0 || v > 1000000)
                return 0;
        *ret = (unsigned)v;
        return 1;
}

/* Stable insertion sorts: files are written in order, so this is linear in practice. */
static void sort_boots(struct ledger_boot *a, size_t n) {
        for (size_t i = 1; i < n; i++) {
                struct ledger_boot x = a[i];
                size_t j = i;
                for (; j > 0 && a[j - 1].seq > x.seq; j--)
                        a[j] = a[j - 1];
                a[j] = x;
        }
}

static void sort_marks(struct ledger_mark *a, size_t n) {
        for (size_t i = 1; i < n; i++) {
                struct ledger_mark x = a[i];
                size_t j = i;
                for (; j > 0 && a[j - 1].boot > x.boot; j--)
                        a[j] = a[j - 1];
                a[j] = x;
        }
}

static void sort_alerts(struct ledger_alert *a, size_t n) {
        for (size_t i = 1; i < n; i++) {
                struct ledger_alert x = a[i];
                size_t j = i;
                for (; j > 0 && a[j - 1].seq > x.seq; j--)
                        a[j] = a[j - 1];
                a[j] = x;
        }
}

int ledger_parse(struct ledger *l, const char *text, size_t len) {
        const char *p, *end;
        bool first = true;

        ledger_clear(l);
        if (!text)
                return 0;
        p = text;
        end = text + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                enum line_result r;
                unsigned v;

                if (!nl) {
                        /* No final newline: the write was cut short. */
                        l->recovered++;
                        break;
                }
                if (n == 0) {
                        p = nl + 1;
                        continue;
                }
                if (memchr(p, 0, n))
                        r = LINE_BAD;
                else if (first && parse_header(p, n, &v)) {
                        l->version = v;
                        r = LINE_OK;
                } else
                        r = parse_record(l, p, n);
                first = false;

                if (r == LINE_OOM) {
                        ledger_clear(l);
                        return -ENOMEM;
                }
                if (r == LINE_BAD)
                        l->recovered++;
                else if (r == LINE_UNKNOWN)
                        l->ignored++;
                p = nl + 1;
        }

        sort_boots(l->boots, l->n_boots);
        sort_marks(l->marks, l->n_marks);
        sort_alerts(l->alerts, l->n_alerts);
        return 0;
}

int ledger_load(struct ledger *l, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;

        ledger_clear(l);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;

        data = malloc(LEDGER_FILE_MAX);
        if (!data)
                return -ENOMEM;
        while (len < LEDGER_FILE_MAX) {
                ssize_t r = read(fd, data + len, LEDGER_FILE_MAX - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        break;
                len += (size_t)r;
        }
        return ledger_parse(l, data, len);
}

int ledger_format(const struct ledger *l, char **ret, size_t *ret_len) {
        struct buf b = {};

        buf_printf(&b, LEDGER_HEADER " %d\n", LEDGER_VERSION);
        LEDGER_FOREACH_BOOT(x, l) {
                buf_printf(&b, "boot %" PRIu64 " %" PRIu64, x->seq, x->time);
                buf_field(&b, x->entry);
                buf_field(&b, x->root);
                buf_field(&b, x->uuid);
                buf_field(&b, ledger_stage_to_string(x->stage));
                buf_field(&b, ledger_outcome_to_string(x->outcome));
                buf_field(&b, x->note);
                buf_add(&b, "\n", 1);
        }
        LEDGER_FOREACH_MARK(m, l) {
                buf_printf(&b, "mark %" PRIu64 " %" PRIu64, m->boot, m->time);
                buf_field(&b, m->root);
                buf_field(&b, ledger_mark_action_to_string(m->action));
                buf_field(&b, m->note);
                buf_add(&b, "\n", 1);
        }
        LEDGER_FOREACH_ALERT(a, l) {
                buf_printf(&b, "alert %" PRIu64 " %" PRIu64, a->seq, a->time);
                buf_field(&b, a->kind);
                buf_field(&b, a->acked ? "acked" : "new");
                buf_field(&b, a->message);
                buf_add(&b, "\n", 1);
        }
        if (b.oom) {
                free(b.data);
                return -ENOMEM;
        }
        *ret = b.data;
        if (ret_len)
                *ret_len = b.len;
        return 0;
}

int ledger_save(struct ledger *l, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        ledger_trim(l);
        r = ledger_format(l, &text, &len);
        if (r < 0)
                return r;
        return write_file_atomic(path, text, len, 0644);
}

/* ---- trimming ---- */

/* What protects the records of one root while trimming. */
struct root_keep {
        const char *root;
        bool has_mark;
        uint64_t mark_boot;
        bool newest_seen, good_seen;
        unsigned failures_kept;
};

static const struct ledger_mark *newest_mark(const struct ledger *l, const char *root) {
        const struct ledger_mark *found = NULL;
        LEDGER_FOREACH_MARK(m, l)
                if (streq(m->root, root) && (!found || m->boot >= found->boot))
                        found = m;
        return found;
}

static bool outcome_is_failure(enum ledger_outcome o) {
        return o == LEDGER_OUTCOME_FAILED || o == LEDGER_OUTCOME_FELL_BACK || o == LEDGER_OUTCOME_BAD;
}

static void trim_boots(struct ledger *l) {
        size_t n = l->n_boots, max = l->max_boots > 0 ? l->max_boots : 1, drop, n_roots = 0;
        _cleanup_free_ bool *keep = NULL;
        _cleanup_free_ struct root_keep *roots = NULL;

        if (n <= max)
                return;
        drop = n - max;
        keep = calloc(n, sizeof(bool));
        roots = calloc(n, sizeof(struct root_keep));

        if (keep && roots)
                for (size_t i = n; i-- > 0;) {
                        const struct ledger_boot *b = &l->boots[i];
                        struct root_keep *k = NULL;

                        for (size_t j = 0; j < n_roots && !k; j++)
                                if (streq(roots[j].root, b->root))
                                        k = &roots[j];
                        if (!k) {
                                const struct ledger_mark *m = newest_mark(l, b->root);
                                k = &roots[n_roots++];
                                *k = (struct root_keep) { .root = b->root };
                                if (m) {
                                        k->has_mark = true;
                                        k->mark_boot = m->boot;
                                }
                        }
                        if (!k->newest_seen) {
                                keep[i] = true;
                                k->newest_seen = true;
                        }
                        if ((k->has_mark && b->seq <= k->mark_boot) || k->good_seen)
                                continue;
                        if (b->outcome == LEDGER_OUTCOME_GOOD) {
                                keep[i] = true;
                                k->good_seen = true;
                        } else if (outcome_is_failure(b->outcome) &&
                                   k->failures_kept < KEEP_FAILURES_PER_ROOT) {
                                keep[i] = true;
                                k->failures_kept++;
                        }
                }

        /* The newest boot carries the sequence on. */
        bool *drop_mark = calloc(n, sizeof(bool));
        if (!drop_mark) {
                /* Without memory to plan, drop the oldest. */
                for (size_t i = 0; i < drop; i++)
                        boot_done(&l->boots[i]);
                memmove(l->boots, l->boots + drop, (n - drop) * sizeof(*l->boots));
                l->n_boots = n - drop;
                return;
        }
        for (int pass = 0; pass < 2 && drop > 0; pass++)
                for (size_t i = 0; i + 1 < n && drop > 0; i++)
                        if (!drop_mark[i] && (pass == 1 || !keep || !keep[i])) {
                                drop_mark[i] = true;
                                drop--;
                        }

        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                if (drop_mark[i])
                        boot_done(&l->boots[i]);
                else
                        l->boots[o++] = l->boots[i];
        }
        l->n_boots = o;
        free(drop_mark);
}

static void trim_marks(struct ledger *l) {
        size_t o = 0;

        /* Only the newest mark of a root counts. */
        for (size_t i = 0; i < l->n_marks; i++) {
                bool newer = false;
                for (size_t j = i + 1; j < l->n_marks && !newer; j++)
                        newer = streq(l->marks[j].root, l->marks[i].root);
                if (newer)
                        mark_done(&l->marks[i]);
                else
                        l->marks[o++] = l->marks[i];
        }
        l->n_marks = o;

        size_t max = l->max_marks > 0 ? l->max_marks : 1;
        if (l->n_marks > max) {
                size_t drop = l->n_marks - max;
                for (size_t i = 0; i < drop; i++)
                        mark_done(&l->marks[i]);
                memmove(l->marks, l->marks + drop, (l->n_marks - drop) * sizeof(*l->marks));
                l->n_marks -= drop;
        }
}

static void trim_alerts(struct ledger *l) {
        size_t max = l->max_alerts > 0 ? l->max_alerts : 1;

        if (l->n_alerts <= max)
                return;

        size_t drop = l->n_alerts - max, o = 0;
        /* Acknowledged ones first, oldest first; then the oldest of the rest. The newest stays,
         * so that numbers are never given twice. */
        for (size_t i = 0; i + 1 < l->n_alerts && drop > 0; i++)
                if (l->alerts[i].acked) {
                        alert_done(&l->alerts[i]);
                        l->alerts[i].kind = NULL;
                        drop--;
                }
        for (size_t i = 0; i + 1 < l->n_alerts && drop > 0; i++)
                if (l->alerts[i].kind) {
                        alert_done(&l->alerts[i]);
                        l->alerts[i].kind = NULL;
                        drop--;
                }
        for (size_t i = 0; i < l->n_alerts; i++)
                if (l->alerts[i].kind)
                        l->alerts[o++] = l->alerts[i];
        l->n_alerts = o;
}

void ledger_trim(struct ledger *l) {
        trim_boots(l);
        trim_marks(l);
        trim_alerts(l);
}

/* ---- changes ---- */

unsigned ledger_close_stale(struct ledger *l) {
        unsigned n = 0;

        for (size_t i = 0; i < l->n_boots; i++) {
                struct ledger_boot *b = &l->boots[i];
                if (b->outcome != LEDGER_OUTCOME_IN_PROGRESS)
                        continue;
                switch (b->stage) {
                case LEDGER_STAGE_STARTED:
                        b->outcome = LEDGER_OUTCOME_ABANDONED;
                        break;
                case LEDGER_STAGE_GOOD:
                        b->outcome = LEDGER_OUTCOME_GOOD;
                        break;
                case LEDGER_STAGE_MARKED_BAD:
                        b->outcome = LEDGER_OUTCOME_BAD;
                        break;
                default:
                        b->outcome = LEDGER_OUTCOME_FAILED;
                        break;
                }
                n++;
        }
        return n;
}

static uint64_t last_boot_seq(const struct ledger *l) {
        uint64_t seq = 0;
        LEDGER_FOREACH_BOOT(b, l)
                if (b->seq > seq)
                        seq = b->seq;
        LEDGER_FOREACH_MARK(m, l)
                if (m->boot > seq)
                        seq = m->boot;
        return seq;
}

int ledger_append_boot(struct ledger *l, uint64_t time, const char *entry, const char *root, const char *uuid,
                       const char *note, uint64_t *ret_seq) {
        struct ledger_boot b;
        uint64_t last = last_boot_seq(l);

        if (!root || !*root || last == UINT64_MAX)
                return -EINVAL;
        b = (struct ledger_boot) {
                .seq = last + 1,
                .time = time,
                .entry = strdup_cut(entry, LEDGER_NOTE_MAX),
                .root = strdup(root),
                .uuid = strdup_cut(uuid, LEDGER_NOTE_MAX),
                .stage = LEDGER_STAGE_STARTED,
                .outcome = LEDGER_OUTCOME_IN_PROGRESS,
                .note = strdup_cut(note, LEDGER_NOTE_MAX),
        };
        if (!b.entry || !b.root || !b.uuid || !b.note || grow((void **)&l->boots, l->n_boots, sizeof b) < 0) {
                boot_done(&b);
                return -ENOMEM;
        }
        l->boots[l->n_boots++] = b;
        if (ret_seq)
                *ret_seq = b.seq;
        return 0;
}

struct ledger_boot *ledger_current(struct ledger *l) {
        return l->n_boots > 0 ? &l->boots[l->n_boots - 1] : NULL;
}

int ledger_boot_set_note(struct ledger_boot *b, const char *note) {
        if (!note)
                return 0;
        char *s = strdup_cut(note, LEDGER_NOTE_MAX);
        if (!s)
                return -ENOMEM;
        free(b->note);
        b->note = s;
        return 0;
}

int ledger_set_stage(struct ledger *l, enum ledger_stage stage, const char *note) {
        struct ledger_boot *b = ledger_current(l);

        if (stage < 0 || stage >= _LEDGER_STAGE_MAX)
                return -EINVAL;
        if (!b)
                return -ENOENT;
        if (stage > b->stage) {
                b->stage = stage;
                if (stage == LEDGER_STAGE_GOOD)
                        b->outcome = LEDGER_OUTCOME_GOOD;
                else if (stage == LEDGER_STAGE_MARKED_BAD)
                        b->outcome = LEDGER_OUTCOME_BAD;
        }
        return ledger_boot_set_note(b, note);
}

int ledger_set_outcome(struct ledger *l, enum ledger_outcome outcome, const char *note) {
        struct ledger_boot *b = ledger_current(l);

        if (outcome < 0 || outcome >= _LEDGER_OUTCOME_MAX)
                return -EINVAL;
        if (!b)
                return -ENOENT;
        b->outcome = outcome;
        return ledger_boot_set_note(b, note);
}

int ledger_mark_root(struct ledger *l, uint64_t time, const char *root, enum ledger_mark_action action,
                     const char *note) {
        struct ledger_mark m;

        if (!root || !*root || action < 0 || action >= _LEDGER_MARK_MAX)
                return -EINVAL;
        m = (struct ledger_mark) {
                .boot = last_boot_seq(l),
                .time = time,
                .root = strdup(root),
                .action = action,
                .note = strdup_cut(note, LEDGER_NOTE_MAX),
        };
        if (!m.root || !m.note || grow((void **)&l->marks, l->n_marks, sizeof m) < 0) {
                mark_done(&m);
                return -ENOMEM;
        }
        l->marks[l->n_marks++] = m;
        return 0;
}

int ledger_add_alert(struct ledger *l, uint64_t time, const char *kind, const char *message,
                     uint64_t *ret_seq) {
        _cleanup_free_ char *msg = NULL;
        struct ledger_alert a;
        uint64_t last = 0;

        if (!kind || !*kind)
                return -EINVAL;
        msg = strdup_cut(message, LEDGER_NOTE_MAX);
        if (!msg)
                return -ENOMEM;
        LEDGER_FOREACH_ALERT(x, l) {
                if (!x->acked && streq(x->kind, kind) && streq(x->message, msg)) {
                        if (ret_seq)
                                *ret_seq = x->seq;
                        return 0;
                }
                if (x->seq > last)
                        last = x->seq;
        }
        if (last == UINT64_MAX)
                return -EINVAL;

        a = (struct ledger_alert) {
                .seq = last + 1,
                .time = time,
                .kind = strdup_cut(kind, LEDGER_NOTE_MAX),
                .message = msg,
        };
        if (!a.kind || grow((void **)&l->alerts, l->n_alerts, sizeof a) < 0) {
                free(a.kind);
                return -ENOMEM;
        }
        msg = NULL;
        l->alerts[l->n_alerts++] = a;
        if (ret_seq)
                *ret_seq = a.seq;
        return 1;
}

int ledger_ack_alerts(struct ledger *l, uint64_t seq) {
        int n = 0;
        bool found = false;

        for (size_t i = 0; i < l->n_alerts; i++) {
                struct ledger_alert *a = &l->alerts[i];
                if (seq != 0 && a->seq != seq)
                        continue;
                found = true;
                if (!a->acked) {
                        a->acked = true;
                        n++;
                }
        }
        return seq != 0 && !found ? -ENOENT : n;
}

const struct ledger_alert *ledger_next_unacked(const struct ledger *l, const struct ledger_alert *prev) {
        const struct ledger_alert *a = prev ? prev + 1 : l->alerts;
        for (; a && a < l->alerts + l->n_alerts; a++)
                if (!a->acked)
                        return a;
        return NULL;
}

size_t ledger_count_unacked(const struct ledger *l) {
        size_t n = 0;
        LEDGER_FOREACH_ALERT(a, l)
                if (!a->acked)
                        n++;
        return n;
}

/* ---- queries ---- */

void ledger_root_status(const struct ledger *l, const char *root, struct ledger_root_status *ret) {
        const struct ledger_mark *m = root ? newest_mark(l, root) : NULL;
        bool bad_outcome = false;

        *ret = (struct ledger_root_status) { .mark = _LEDGER_MARK_INVALID };
        if (!root)
                return;
        if (m) {
                ret->mark = m->action;
                ret->good = m->action == LEDGER_MARK_GOOD;
        }

        LEDGER_FOREACH_BOOT(b, l) {
                if (!streq(b->root, root))
                        continue;
                ret->last = b;
                if (m && b->seq <= m->boot)
                        continue;
                ret->boots++;
                switch (b->outcome) {
                case LEDGER_OUTCOME_GOOD:
                        ret->good = true;
                        ret->failures = 0;
                        ret->last_failure = NULL;
                        bad_outcome = false;
                        break;
                case LEDGER_OUTCOME_BAD:
                        ret->failures++;
                        ret->last_failure = b;
                        if (!ret->good)
                                bad_outcome = true;
                        break;
                case LEDGER_OUTCOME_FAILED:
                case LEDGER_OUTCOME_FELL_BACK:
                        ret->failures++;
                        ret->last_failure = b;
                        break;
                default:
                        break;
                }
        }
        ret->bad = bad_outcome || (m && m->action == LEDGER_MARK_BAD);
}

const struct ledger_boot *ledger_last_boot_of(const struct ledger *l, const char *root) {
        const struct ledger_boot *found = NULL;
        LEDGER_FOREACH_BOOT(b, l)
                if (root && streq(b->root, root))
                        found = b;
        return found;
}

unsigned ledger_root_failures(const struct ledger *l, const char *root) {
        struct ledger_root_status s;
        ledger_root_status(l, root, &s);
        return s.failures;
}

bool ledger_root_was_good(const struct ledger *l, const char *root) {
        struct ledger_root_status s;
        ledger_root_status(l, root, &s);
        return s.good;
}
