/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fixtures shared by the unit tests. Each fails the running test (cmocka) when the fixture
 * cannot be set up, so a test reads as its steps. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Creates /tmp/koompi-test-NAME-XXXXXX, its path into buf (TL_TMP_MAX bytes are enough for a
 * short NAME). 0 or negative errno: for group setups, which report failure by returning
 * non-zero. */
#define TL_TMP_MAX 64
int tl_tmpdir_new(char *buf, size_t size, const char *name);
/* Removes dir and everything in it. 0 or negative errno. */
int tl_tmpdir_remove(const char *dir);
/* Creates an empty file /tmp/koompi-test-NAME-XXXXXX, its path into buf. 0 or negative
 * errno. */
int tl_tmpfile_new(char *buf, size_t size, const char *name);
/* "DIR/NAME" in one of four rotating static buffers, so a call can take two or three. */
const char *tl_path(const char *dir, const char *name);

/* Writes text (len bytes, or all of it when len is (size_t)-1) to path with mode, replacing
 * what was there. */
void tl_write_file(const char *path, const char *text, size_t len, mode_t mode);
#define tl_write_text(path, text) tl_write_file((path), (text), (size_t)-1, 0644)
#define tl_write_mode(path, text, mode) tl_write_file((path), (text), (size_t)-1, (mode))

/* Runs a shell command; fails the test on a non-zero exit. */
void tl_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a shell command and returns its exit status (128 when it did not exit); *ret_out (may
 * be NULL) gets its standard output, and its error output too when with_stderr; free it. */
int tl_run(char **ret_out, bool with_stderr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs a shell command and returns its standard output (free it); fails the test, with the
 * output, on a non-zero exit. */
char *tl_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A copy of len bytes of data that ends where an inaccessible page begins, so that a read past
 * its end crashes the test, sanitizer or not. Free it with tl_fenced_free(p, len). */
void *tl_fenced_copy(const void *data, size_t len);
void tl_fenced_free(void *p, size_t len);

/* The installed kernel to test against: the lowest version in /lib/modules with a modules.dep.
 * 0, -ENOENT when there is none, or negative errno. */
int tl_find_kernel(char *ret, size_t size);

/* Library messages the tests provoke on purpose: only those above error level reach the
 * terminal. */
void tl_log_quiet(const char *program);

/* A small set of strings, compared in sorted order. */
struct tl_set {
        char *items[256];
        size_t n;
};
void tl_set_add(struct tl_set *s, const char *item);
void tl_set_free(struct tl_set *s);
/* Fails the test at the first difference, printing both sets labelled mine and theirs. */
void tl_set_assert_equal(struct tl_set *mine, struct tl_set *theirs, const char *what, const char *me,
                         const char *them);
