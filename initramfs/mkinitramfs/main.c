/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "mkinitramfs.h"
#include "util.h"

static void help(void) {
        printf("Usage: koompi-mkinitramfs --kernel KVER --output FILE [OPTIONS]\n"
               "\n"
               "Builds the initramfs of KOOMPI OS: koompi-init as /init with the libraries it\n"
               "needs, busybox (when the settings offer a shell), /etc/koompi/boot.conf and\n"
               "the kernel modules it names with their indexes, as a reproducible cpio archive.\n"
               "\n"
               "      --kernel KVER         the kernel release the image is for\n"
               "      --output FILE         where to write the image (replaced when complete)\n"
               "      --config FILE         the settings to use and carry (default %s,\n"
               "                            the built-in defaults when it does not exist)\n"
               "      --include SRC[:DEST]  also carry SRC as DEST (default: as SRC); an ELF file\n"
               "                            brings its libraries, a directory its content\n"
               "      --module NAME         also carry and load the module NAME (or alias), with\n"
               "                            its dependencies\n"
               "      --init FILE           FILE is /init instead of koompi-init\n"
               "      --host-only           of the [modules] hardware list, carry only the\n"
               "                            modules loaded on this machine (or built in)\n"
               "      --compress zstd|none  default: [image] compression of the settings, zstd\n"
               "      --best                the smallest image: zstd level 19 instead of the\n"
               "                            settings' [image] compression_level (default 9);\n"
               "                            a build without cache then takes about 15 times longer\n"
               "      --moddir DIR          the module directory of the kernel (default\n"
               "                            /lib/modules/KVER, else /usr/lib/modules/KVER)\n"
               "      --koompi-init PATH    the koompi-init to carry (default: the one next to\n"
               "                            this program, else %s)\n"
               "      --busybox PATH        carry this busybox (default: %s, and only\n"
               "                            when the settings offer a shell or --init is given)\n"
               "      --cache-dir DIR       where the compressed host files are kept between\n"
               "                            builds (default %s)\n"
               "      --no-cache            compress everything, use and keep no cache\n"
               "      --quiet               print errors only\n"
               "      --verbose             print what is being done\n"
               "  -h, --help                print this help\n"
               "\n"
               "Every option may be given several times; --include and --module add up, the\n"
               "others take the last value. Modules are taken from the [modules] load and\n"
               "hardware lists of the settings and from --module; a module of load or --module\n"
               "that the kernel does not have is an error, one of hardware a warning.\n"
               "\n"
               "Exit status:\n"
               "  0  the image was written\n"
               "  1  bad usage or input: unknown kernel, missing module or file, invalid\n"
               "     settings (the message says which); nothing is written\n"
               "  2  internal error: the image could not be written, a helper program (depmod)\n"
               "     failed, out of memory; nothing is written\n"
               "\n"
               "Environment:\n"
               "  SOURCE_DATE_EPOCH  modification time of every entry (default 0)\n"
               "  KOOMPI_MKINITRAMFS_CACHE\n"
               "                     the cache directory when --cache-dir is not given;\n"
               "                     empty: no cache\n",
               MKI_DEFAULT_CONFIG, MKI_DEFAULT_KOOMPI_INIT, MKI_DEFAULT_BUSYBOX, MKI_DEFAULT_CACHE_DIR);
}

enum {
        ARG_KERNEL = 0x100,
        ARG_OUTPUT,
        ARG_CONFIG,
        ARG_INCLUDE,
        ARG_MODULE,
        ARG_INIT,
        ARG_HOST_ONLY,
        ARG_COMPRESS,
        ARG_MODDIR,
        ARG_KOOMPI_INIT,
        ARG_BUSYBOX,
        ARG_CACHE_DIR,
        ARG_NO_CACHE,
        ARG_BEST,
        ARG_QUIET,
        ARG_VERBOSE,
};

static int push(char ***v, size_t *n, const char *s) {
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        nv[(*n)++] = (char *)s;
        nv[*n] = NULL;
        *v = nv;
        return 0;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "koompi-mkinitramfs: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "; see --help\n");
        return -EINVAL;
}

/* The command line, parsed; the strings stay in argv. */
struct args {
        struct mki_options o;
        char **includes, **modules;
        size_t n_includes, n_modules;
        bool quiet;
        bool help;
};

static void args_done(struct args *a) {
        free(a->includes);
        free(a->modules);
}

static const struct option options[] = {
        { "kernel", required_argument, NULL, ARG_KERNEL },
        { "output", required_argument, NULL, ARG_OUTPUT },
        { "config", required_argument, NULL, ARG_CONFIG },
        { "include", required_argument, NULL, ARG_INCLUDE },
        { "module", required_argument, NULL, ARG_MODULE },
        { "init", required_argument, NULL, ARG_INIT },
        { "host-only", no_argument, NULL, ARG_HOST_ONLY },
        { "compress", required_argument, NULL, ARG_COMPRESS },
        { "moddir", required_argument, NULL, ARG_MODDIR },
        { "koompi-init", required_argument, NULL, ARG_KOOMPI_INIT },
        { "busybox", required_argument, NULL, ARG_BUSYBOX },
        { "cache-dir", required_argument, NULL, ARG_CACHE_DIR },
        { "no-cache", no_argument, NULL, ARG_NO_CACHE },
        { "best", no_argument, NULL, ARG_BEST },
        { "quiet", no_argument, NULL, ARG_QUIET },
        { "verbose", no_argument, NULL, ARG_VERBOSE },
        { "help", no_argument, NULL, 'h' },
        {},
};

/* An option whose value is a path or name taken as given, or NULL. */
static const char **plain_option(struct mki_options *o, int c) {
        switch (c) {
        case ARG_KERNEL:
                return &o->kernel;
        case ARG_OUTPUT:
                return &o->output;
        case ARG_CONFIG:
                return &o->config;
        case ARG_INIT:
                return &o->init;
        case ARG_MODDIR:
                return &o->moddir;
        case ARG_KOOMPI_INIT:
                return &o->koompi_init;
        case ARG_BUSYBOX:
                return &o->busybox;
        default:
                return NULL;
        }
}

/* One option c with its value arg. Returns 0, 1 when c is no option (getopt's '?'), -EINVAL (bad value;
 * said on stderr) or -ENOMEM. */
static int set_option(struct args *a, int c, char *arg) {
        const char **plain = plain_option(&a->o, c);

        if (plain) {
                *plain = arg;
                return 0;
        }
        switch (c) {
        case ARG_INCLUDE:
                return push(&a->includes, &a->n_includes, arg);
        case ARG_MODULE:
                return push(&a->modules, &a->n_modules, arg);
        case ARG_HOST_ONLY:
                a->o.host_only = true;
                return 0;
        case ARG_COMPRESS:
                if (!streq(arg, "zstd") && !streq(arg, "none"))
                        return usage_error("--compress %s: zstd or none", arg);
                a->o.compress = arg;
                return 0;
        case ARG_CACHE_DIR:
                if (arg[0] != '/')
                        return usage_error("--cache-dir %s: not an absolute path", arg);
                a->o.cache_dir = arg;
                return 0;
        case ARG_NO_CACHE:
                a->o.no_cache = true;
                return 0;
        case ARG_BEST:
                a->o.best = true;
                return 0;
        case ARG_QUIET:
                a->quiet = true;
                log_set_max_level(LOG_LVL_ERR);
                return 0;
        case ARG_VERBOSE:
                a->quiet = false;
                log_set_max_level(LOG_LVL_DEBUG);
                return 0;
        default:
                return 1;
        }
}

/* The cache directory from the environment when the command line names none. Returns 0 or -EINVAL. */
static int cache_from_env(struct mki_options *o) {
        const char *env = getenv("KOOMPI_MKINITRAMFS_CACHE");

        if (o->cache_dir || o->no_cache || !env)
                return 0;
        if (!*env)
                o->no_cache = true;
        else if (env[0] != '/')
                return usage_error("KOOMPI_MKINITRAMFS_CACHE=%s: not an absolute path", env);
        else
                o->cache_dir = env;
        return 0;
}

/* Parses the command line into a; --help stops parsing and sets a->help. Returns 0, -EINVAL (bad usage;
 * said on stderr) or -ENOMEM. */
static int parse_args(int argc, char **argv, struct args *a) {
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        a->help = true;
                        return 0;
                }
                r = set_option(a, c, optarg);
                if (r < 0)
                        return r;
                if (r > 0)
                        return usage_error("unknown option or missing value: %s", argv[optind - 1]);
        }
        if (optind < argc)
                return usage_error("unexpected argument %s", argv[optind]);
        if (!a->o.kernel)
                return usage_error("%s is required", "--kernel KVER");
        if (!a->o.output)
                return usage_error("%s is required", "--output FILE");
        a->o.includes = a->includes;
        a->o.modules = a->modules;
        return cache_from_env(&a->o);
}

/* Builds the image with the stop signals held back: the build stops cleanly when one is pending; then it is
 * delivered and ends the process as usual. Returns MKI_EXIT_*. */
static int build(const struct args *a, uint64_t start) {
        struct mki_result res;
        sigset_t stop, old;
        int r;

        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGHUP);
        sigprocmask(SIG_BLOCK, &stop, &old);
        r = mki_build(&a->o, &res);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (r != MKI_EXIT_OK)
                return r;
        if (!a->quiet)
                printf("%s: %" PRIu64 " bytes, %zu files, %zu modules, %.3f s\n", a->o.output, res.size,
                       res.files, res.modules, (double)(now_monotonic_us() - start) / 1e6);
        return MKI_EXIT_OK;
}

/* The one mapping of the command line's errors to exit codes. */
static int exit_code_from_errno(int r) {
        if (r == 0)
                return MKI_EXIT_OK;
        return r == -EINVAL ? MKI_EXIT_INPUT : MKI_EXIT_INTERNAL;
}

int main(int argc, char **argv) {
        _cleanup_(args_done) struct args a = {};
        uint64_t start = now_monotonic_us();
        int r;

        log_init("koompi-mkinitramfs");
        r = parse_args(argc, argv, &a);
        if (r < 0)
                return exit_code_from_errno(r);
        if (a.help) {
                help();
                return MKI_EXIT_OK;
        }
        return build(&a, start);
}
