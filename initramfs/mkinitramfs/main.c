/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
        ARG_QUIET,
        ARG_VERBOSE,
};

static int push(char ***v, size_t *n, const char *s) {
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv)
                return -1;
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
        return MKI_EXIT_INPUT;
}

int main(int argc, char **argv) {
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
                { "quiet", no_argument, NULL, ARG_QUIET },
                { "verbose", no_argument, NULL, ARG_VERBOSE },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct mki_options o = { 0 };
        _cleanup_free_ char **includes = NULL, **modules = NULL;
        size_t n_includes = 0, n_modules = 0;
        bool quiet = false;
        int c;

        uint64_t start = now_monotonic_us();
        log_init("koompi-mkinitramfs");
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case ARG_KERNEL:
                        o.kernel = optarg;
                        break;
                case ARG_OUTPUT:
                        o.output = optarg;
                        break;
                case ARG_CONFIG:
                        o.config = optarg;
                        break;
                case ARG_INCLUDE:
                        if (push(&includes, &n_includes, optarg) < 0)
                                return MKI_EXIT_INTERNAL;
                        break;
                case ARG_MODULE:
                        if (push(&modules, &n_modules, optarg) < 0)
                                return MKI_EXIT_INTERNAL;
                        break;
                case ARG_INIT:
                        o.init = optarg;
                        break;
                case ARG_HOST_ONLY:
                        o.host_only = true;
                        break;
                case ARG_COMPRESS:
                        if (!streq(optarg, "zstd") && !streq(optarg, "none"))
                                return usage_error("--compress %s: zstd or none", optarg);
                        o.compress = optarg;
                        break;
                case ARG_MODDIR:
                        o.moddir = optarg;
                        break;
                case ARG_KOOMPI_INIT:
                        o.koompi_init = optarg;
                        break;
                case ARG_BUSYBOX:
                        o.busybox = optarg;
                        break;
                case ARG_CACHE_DIR:
                        if (optarg[0] != '/')
                                return usage_error("--cache-dir %s: not an absolute path", optarg);
                        o.cache_dir = optarg;
                        break;
                case ARG_NO_CACHE:
                        o.no_cache = true;
                        break;
                case ARG_QUIET:
                        quiet = true;
                        log_set_max_level(LOG_LVL_ERR);
                        break;
                case ARG_VERBOSE:
                        quiet = false;
                        log_set_max_level(LOG_LVL_DEBUG);
                        break;
                case 'h':
                        help();
                        return MKI_EXIT_OK;
                default:
                        return usage_error("unknown option or missing value: %s", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return usage_error("unexpected argument %s", argv[optind]);
        if (!o.kernel)
                return usage_error("%s is required", "--kernel KVER");
        if (!o.output)
                return usage_error("%s is required", "--output FILE");
        o.includes = includes;
        o.modules = modules;
        const char *cache_env = getenv("KOOMPI_MKINITRAMFS_CACHE");
        if (!o.cache_dir && !o.no_cache && cache_env) {
                if (!*cache_env)
                        o.no_cache = true;
                else if (cache_env[0] != '/')
                        return usage_error("KOOMPI_MKINITRAMFS_CACHE=%s: not an absolute path", cache_env);
                else
                        o.cache_dir = cache_env;
        }

        /* Held back during the build, which stops cleanly when one is pending; then it is
         * delivered and ends the process as usual. */
        sigset_t stop, old;
        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGHUP);
        sigprocmask(SIG_BLOCK, &stop, &old);
        struct mki_result res;
        int r = mki_build(&o, &res);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (r != MKI_EXIT_OK)
                return r;
        if (!quiet)
                printf("%s: %" PRIu64 " bytes, %zu files, %zu modules, %.3f s\n", o.output, res.size,
                       res.files, res.modules, (double)(now_monotonic_us() - start) / 1e6);
        return MKI_EXIT_OK;
}
