/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a PKGBUILD does that a reviewer would stop at, read as text: it is never run here. The
 * reading is line by line and shallow (no shell parser): it looks for the patterns the AUR's
 * malware and careless packages have used, and errs on the side of asking. */
#include <stdio.h>
#include <string.h>

#include "risk.h"
#include "util.h"

#define LINE_MAX_SCAN 1024
#define WORDS_MAX 48

enum kind { DOWNLOAD, PIPE_SHELL, BLOB, WRITE_OUTSIDE, SETUID, SUDO, KIND_COUNT };

struct scan {
        struct risk_result *r;
        bool seen[KIND_COUNT];
        unsigned line;
        int depth; /* braces open in the function being read */
        bool in_build; /* inside build(), package*() or prepare() */
        char function[32];
};

static void flag(struct scan *s, enum kind k, double w, const char *what) {
        if (s->seen[k])
                return;
        s->seen[k] = true;
        risk_add(s->r, w, "PKGBUILD line %u: %s", s->line, what);
}

/* A line's words, split at blanks and shell separators, quotes dropped. */
static size_t split_words(const char *line, char buf[LINE_MAX_SCAN], char *words[WORDS_MAX]) {
        size_t n = 0, j = 0;
        bool in_word = false;
        for (size_t i = 0; line[i] && j + 1 < LINE_MAX_SCAN; i++) {
                char c = line[i];
                if (c == '"' || c == '\'')
                        continue;
                if (strchr(" \t;&|()`", c)) {
                        if (in_word)
                                buf[j++] = '\0';
                        in_word = false;
                        continue;
                }
                if (!in_word && n < WORDS_MAX)
                        words[n++] = buf + j;
                in_word = true;
                buf[j++] = c;
        }
        buf[j] = '\0';
        return n;
}

static bool outside(const char *w) {
        static const char *const roots[] = { "/usr",  "/etc",  "/opt",  "/bin", "/sbin", "/lib",  "/var",
                                             "/boot", "/root", "/home", "/srv", "~",     "$HOME", "${HOME}" };
        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                const char *rest = startswith(w, roots[i]);
                if (rest && (!*rest || *rest == '/'))
                        return true;
        }
        return false;
}

static bool is_setuid_mode(const char *m) {
        size_t n = strlen(m);
        if (strstr(m, "+s"))
                return true;
        return n == 4 && strspn(m, "01234567") == 4 && (m[0] - '0') & 6;
}

/* Redirections: "> /etc/x", ">/etc/x", ">> ~/.bashrc". */
static bool redirects_outside(char *const *words, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const char *w = words[i], *target = w + strspn(w, "0123456789");
                if (*target != '>')
                        continue;
                target += strspn(target, ">");
                if (!*target && i + 1 < n)
                        target = words[i + 1];
                if (outside(target))
                        return true;
        }
        return false;
}

static bool writes_outside(char *const *words, size_t n) {
        static const char *const last_only[] = { "cp", "install", "mv", "ln", "sed" };
        static const char *const every[] = { "rm", "mkdir", "touch", "chmod", "chown", "tee", "rmdir" };
        if (n == 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(last_only); i++)
                if (streq(words[0], last_only[i]))
                        return n > 1 && outside(words[n - 1]);
        for (size_t i = 0; i < ELEMENTSOF(every); i++)
                if (streq(words[0], every[i]))
                        for (size_t k = 1; k < n; k++)
                                if (words[k][0] != '-' && outside(words[k]))
                                        return true;
        return redirects_outside(words, n);
}

static bool sets_setuid(char *const *words, size_t n) {
        for (size_t i = 0; i + 1 < n; i++) {
                const char *w = words[i];
                if (streq(w, "chmod") &&
                    is_setuid_mode(words[i + 1][0] == '-' && i + 2 < n ? words[i + 2] : words[i + 1]))
                        return true;
                const char *m = startswith(w, "--mode=");
                if (!m && w[0] == '-' && w[1] != '-' && strchr(w, 'm'))
                        m = strchr(w, 'm') + 1;
                if (m && streq(words[0], "install") && is_setuid_mode(*m ? m : words[i + 1]))
                        return true;
        }
        return false;
}

static bool has_word(char *const *words, size_t n, const char *word) {
        for (size_t i = 0; i < n; i++)
                if (streq(words[i], word))
                        return true;
        return false;
}

/* "| sh", "|bash", "| sudo bash", "bash <(curl ...)". */
static bool pipes_to_shell(const char *line) {
        static const char *const shells[] = { "sh", "bash", "zsh", "dash" };
        for (const char *p = strchr(line, '|'); p; p = strchr(p + 1, '|')) {
                const char *q = p + 1 + strspn(p + 1, " \t");
                if (*q == '|')
                        continue;
                if (startswith(q, "sudo "))
                        q += 5 + strspn(q + 5, " \t");
                for (size_t i = 0; i < ELEMENTSOF(shells); i++) {
                        const char *rest = startswith(q, shells[i]);
                        if (rest && (!*rest || strchr(" \t;)\"'", *rest)))
                                return true;
                }
        }
        return strstr(line, "<(curl") || strstr(line, "<(wget") || strstr(line, "<( curl");
}

static bool has_blob(const char *line) {
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        for (const char *p = line; *p; p++) {
                size_t run = strspn(p, b64);
                if (run >= RISK_BLOB_RUN)
                        return true;
                p += run ? run - 1 : 0;
        }
        return strstr(line, "base64 -d") || strstr(line, "base64 --decode") || strstr(line, "xxd -r");
}

/* Tracks which function the line is in ("build() {", "package_foo() {", closing braces).
 * Whether the line belongs to build(), package*() or prepare(). */
static bool track_function(struct scan *s, const char *line) {
        const char *p = line + strspn(line, " \t");
        size_t len = strcspn(p, " \t(");
        bool was_in = s->in_build;
        if (s->depth == 0 && len > 0 && len < sizeof s->function && strstr(p + len, "()")) {
                snprintf(s->function, sizeof s->function, "%.*s", (int)len, p);
                s->in_build = streq(s->function, "build") || streq(s->function, "prepare") ||
                        startswith(s->function, "package");
        }
        bool in = was_in || s->in_build;
        for (; *line; line++)
                s->depth += *line == '{' ? 1 : *line == '}' ? -1 : 0;
        if (s->depth <= 0 && strchr(p, '}'))
                s->in_build = false;
        if (s->depth < 0)
                s->depth = 0;
        return in;
}

static void scan_line(struct scan *s, const char *line) {
        char buf[LINE_MAX_SCAN], what[96];
        char *words[WORDS_MAX];
        const char *code = line + strspn(line, " \t");
        if (*code == '#')
                return;
        bool in = track_function(s, line);
        size_t n = split_words(code, buf, words);
        if (in &&
            (has_word(words, n, "curl") || has_word(words, n, "wget") ||
             (has_word(words, n, "git") && has_word(words, n, "clone")))) {
                snprintf(what, sizeof what, "downloads in %s() (not from source=())", s->function);
                flag(s, DOWNLOAD, RISK_W_DOWNLOAD, what);
        }
        if (pipes_to_shell(code))
                flag(s, PIPE_SHELL, RISK_W_PIPE_SHELL, "pipes into a shell (curl ... | sh)");
        if (has_blob(code))
                flag(s, BLOB, RISK_W_BLOB, "an encoded blob (base64 or hex)");
        if (in && writes_outside(words, n))
                flag(s, WRITE_OUTSIDE, RISK_W_WRITE_OUTSIDE, "writes outside $pkgdir and $srcdir");
        if (sets_setuid(words, n))
                flag(s, SETUID, RISK_W_SETUID, "makes a file setuid or setgid");
        if (has_word(words, n, "sudo"))
                flag(s, SUDO, RISK_W_SUDO, "runs sudo");
}

void risk_pkgbuild(const char *text, struct risk_result *r) {
        struct scan s = { .r = r };
        char line[LINE_MAX_SCAN];
        for (const char *p = text; p && *p;) {
                size_t len = strcspn(p, "\n");
                s.line++;
                /* A longer line is read in its first LINE_MAX_SCAN - 1 bytes: a blob is longer than
                 * the run that flags it anyway. */
                snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
                scan_line(&s, line);
                p += len;
                if (*p)
                        p++;
        }
}
