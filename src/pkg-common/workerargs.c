/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "workerargs.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

int workerargs_parse(int argc, char **argv, struct worker_args *ret) {
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "out", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct worker_args a = { 0 };
        int c;
        optind = 1;
        opterr = 0; /* the caller says what was wrong */
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                if (c == 'h')
                        return -ECANCELED;
                if (c == '?')
                        return -EINVAL;
                *(c == 'c' ? &a.config : &a.out) = optarg;
        }
        if (optind >= argc || argc - optind > 2)
                return -EINVAL;
        a.verb = argv[optind];
        a.arg = optind + 1 < argc ? argv[optind + 1] : NULL;
        *ret = a;
        return 0;
}

const struct worker_verb *workerargs_verb(const struct worker_verb *table, size_t n,
                                          const struct worker_args *a) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(table[i].name, a->verb) == 0 && table[i].takes_arg == (a->arg != NULL))
                        return &table[i];
        return NULL;
}
