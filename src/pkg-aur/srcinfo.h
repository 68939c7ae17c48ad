/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The packages a PKGBUILD needs to be built and checked, from the .SRCINFO text makepkg
 * --printsrcinfo prints: each makedepends and checkdepends value (those of arch too, as
 * makedepends_ARCH), once each, in the order given, version constraints kept ("cmake>=3.20").
 * A vector (NULL when there is none); free it with strv_free(). Pure. */
char **srcinfo_build_deps(const char *text, const char *arch);

/* The sentence of a build that failed while deps (a non-empty vector) are not installed, into
 * buf (size bytes): "the build needs X, Y, which are not installed: ...". */
void srcinfo_missing_text(char *const *deps, char *buf, size_t size);
