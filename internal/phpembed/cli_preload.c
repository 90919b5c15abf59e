/*
 * `ephpm php` in the quick build (Debian's shared libphp, which reads
 * /etc/php/X.Y/cli/php.ini and conf.d, cli_ini_nts.go): the extensions
 * those files name are loaded on a thread of their own from the moment the
 * process starts (a constructor: the C start code runs it before Go's
 * runtime), while the main thread starts Go's runtime and runs its package
 * initialisers. PHP's module startup later loads the same files, in the
 * same order, with the same dlopen flags (DL_LOAD): for a file already
 * loaded that only counts a reference, so PHP's startup skips the mapping,
 * relocation and library constructors of some thirty extensions and the
 * libraries they need (curl, ICU, gnutls, xslt...), which is the larger
 * part of it. Nothing else is done ahead: no module is started (MINIT
 * runs in PHP's startup, as before), PHP reads the ini files itself, and a
 * file that fails to load here is simply loaded again by PHP, which then
 * says why as it always did.
 *
 * Only the ordinary case is preloaded: no -n, -c, -z or -d naming an
 * extension, no PHPRC or PHP_INI_SCAN_DIR, no extension_dir in php.ini;
 * otherwise PHP loads everything itself, as before. ephpm_cli_start waits
 * for the thread before PHP's startup.
 */
#include "cli.h"

#ifdef EPHPM_CLI_PRELOAD

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "php.h" /* DL_LOAD, PHP_MAJOR_VERSION */
#include "build-defs.h" /* PHP_EXTENSION_DIR */

#define STR2(x) #x
#define STR(x) STR2(x)
#define INI_DIR "/etc/php/" STR(PHP_MAJOR_VERSION) "." STR(PHP_MINOR_VERSION) "/cli"
#define EXT_DIR PHP_EXTENSION_DIR /* the library's extension_dir */

static pthread_t preload_thread;
static int preload_running;

/* The files php.ini and conf.d name, in the order PHP loads them: every
 * zend_extension first, then every extension, each in the order read. */
typedef struct {
	char **names;
	int *zend;
	int n, cap;
	int give_up; /* something this file does not follow: PHP loads all */
} ext_list;

static void add_ext(ext_list *l, const char *v, size_t len, int zend)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		char **names = realloc(l->names, cap * sizeof(*names));
		if (!names) {
			l->give_up = 1;
			return;
		}
		l->names = names;
		int *z = realloc(l->zend, cap * sizeof(*z));
		if (!z) {
			l->give_up = 1;
			return;
		}
		l->zend = z;
		l->cap = cap;
	}
	char *s = strndup(v, len);
	if (!s) {
		l->give_up = 1;
		return;
	}
	l->names[l->n] = s;
	l->zend[l->n] = zend;
	l->n++;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	return p;
}

/* key, then blanks, then '='? Returns what follows the '=' or NULL. */
static const char *ini_key(const char *p, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(p, key, n) != 0) {
		return NULL;
	}
	p = skip_blanks(p + n);
	return *p == '=' ? skip_blanks(p + 1) : NULL;
}

/* The extension= and zend_extension= lines of one ini file. A value PHP
 * would expand (${VAR}, constants) or an extension_dir makes the whole
 * preload give up. */
static void scan_ini(ext_list *l, const char *path)
{
	char line[4096];
	FILE *f = fopen(path, "re");
	if (!f) {
		return;
	}
	while (!l->give_up && fgets(line, sizeof(line), f)) {
		const char *p = skip_blanks(line), *v;
		int zend = 0;
		if ((v = ini_key(p, "zend_extension")) != NULL) {
			zend = 1;
		} else if ((v = ini_key(p, "extension")) == NULL) {
			if (ini_key(p, "extension_dir") != NULL) {
				l->give_up = 1;
			}
			continue;
		}
		const char *end;
		if (*v == '"') {
			end = strchr(++v, '"');
		} else {
			end = v + strcspn(v, ";\r\n");
			while (end > v && (end[-1] == ' ' || end[-1] == '\t')) {
				end--;
			}
		}
		if (!end || end == v) {
			continue;
		}
		if (memchr(v, '$', end - v) || memchr(v, '{', end - v)) {
			l->give_up = 1;
			continue;
		}
		add_ext(l, v, end - v, zend);
	}
	fclose(f);
}

static int ini_file(const struct dirent *d)
{
	const char *dot = strrchr(d->d_name, '.');
	return dot && strcmp(dot, ".ini") == 0;
}

/* What php_load_extension and php_load_zend_extension_cb open: a path as
 * given (an extension with a slash, a zend_extension when absolute), else
 * extension_dir/name, then extension_dir/name.so. */
static void load(const char *name, int zend)
{
	char path[PATH_MAX];
	if (zend ? name[0] == '/' : strchr(name, '/') != NULL) {
		DL_LOAD(name);
		return;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", EXT_DIR, name) >= sizeof(path)) {
		return;
	}
	if (DL_LOAD(path) == NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s.so", EXT_DIR, name) < sizeof(path)) {
			DL_LOAD(path);
		}
	}
}

static void *preload(void *arg)
{
	ext_list l = {0};
	struct dirent **names;
	int n;

	(void)arg;
	scan_ini(&l, INI_DIR "/php.ini");
	/* As PHP scans conf.d: alphabetical, *.ini, regular files. */
	n = scandir(INI_DIR "/conf.d", &names, ini_file, alphasort);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", INI_DIR "/conf.d", names[i]->d_name) < sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			scan_ini(&l, path);
		}
		free(names[i]);
	}
	if (n >= 0) {
		free(names);
	}
	for (int pass = 1; pass >= 0 && !l.give_up; pass--) {
		for (int i = 0; i < l.n; i++) {
			if (l.zend[i] == pass) {
				load(l.names[i], pass);
			}
		}
	}
	for (int i = 0; i < l.n; i++) {
		free(l.names[i]);
	}
	free(l.names);
	free(l.zend);
	return NULL;
}

/* php's options (as cliargs.go reads them) allow the preload: no -n, -c,
 * -z, no -d of an extension setting, nothing unknown. */
static int options_allow(char **args, int n)
{
	static const char *const value_long[] = {
		"config", "process-begin", "process-end", "process-file", "file", "process-code",
		"run", "server", "docroot", "rf", "rfunction", "rc", "rclass", "re", "rextension",
		"rz", "rzendextension", "ri", "rextinfo", "repeat", NULL,
	};
	static const char *const flag_long[] = {
		"interactive", "no-chdir", "profile-info", "help", "info", "syntax-check", "modules",
		"no-header", "hide-args", "syntax-highlight", "syntax-highlighting", "strip", "usage",
		"version", "ini", NULL,
	};
	for (int i = 0; i < n; i++) {
		const char *a = args[i];
		if (strcmp(a, "--") == 0 || a[0] != '-' || a[1] == '\0') {
			return 1;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const char *val = eq ? eq + 1 : (i + 1 < n ? args[i + 1] : "");
			int known = 0;
			if ((len == 6 && strncmp(name, "define", 6) == 0)) {
				if (strncmp(val, "extension", 9) == 0 || strncmp(val, "zend_extension", 14) == 0) {
					return 0;
				}
				i += !eq;
				continue;
			}
			for (int k = 0; value_long[k]; k++) {
				if (strlen(value_long[k]) == len && strncmp(name, value_long[k], len) == 0) {
					i += !eq;
					known = 1;
					break;
				}
			}
			for (int k = 0; !known && flag_long[k]; k++) {
				known = strlen(flag_long[k]) == len && strncmp(name, flag_long[k], len) == 0;
			}
			if (!known) { /* --no-php-ini, --php-ini, --zend-extension, unknown */
				return 0;
			}
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (strchr("aCehilmqHsw?v", *c)) {
				continue;
			}
			if (!strchr("BdEFfRrStz", *c)) { /* n, c, unknown */
				return 0;
			}
			if (*c == 'z') {
				return 0;
			}
			const char *val = c[1] ? c + 1 + (c[1] == '=') : (i + 1 < n ? args[++i] : "");
			if (*c == 'd' && (strncmp(val, "extension", 9) == 0 || strncmp(val, "zend_extension", 14) == 0)) {
				return 0;
			}
			break;
		}
	}
	return 1;
}

static int php_named(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(base, "php", 3) != 0) {
		return 0;
	}
	return base[3 + strspn(base + 3, "0123456789.")] == '\0';
}

/* Where php's options start when this process is PHP's command line, as
 * main.go's phpInvocation decides; 0 when it is not. */
static int php_args_start(int argc, char **argv)
{
	static const char *const commands[] = {
		"serve", "dev", "version", "config", "kv", "reload", "help", "completion",
		"__complete", "__completeNoDesc", "-h", "--help", NULL,
	};
	struct stat st;

	if (argc < 1) {
		return 0;
	}
	if (php_named(argv[0])) {
		return 1;
	}
	if (argc < 2) {
		return 0;
	}
	if (strcmp(argv[1], "php") == 0) {
		return 2;
	}
	for (int k = 0; commands[k]; k++) {
		if (strcmp(argv[1], commands[k]) == 0) {
			return 0;
		}
	}
	if (argv[1][0] == '-' || (stat(argv[1], &st) == 0 && S_ISREG(st.st_mode))) {
		return 1;
	}
	return 0;
}

__attribute__((constructor)) static void preload_start(int argc, char **argv, char **envp)
{
	sigset_t all, old;
	int start;

	(void)envp;
	if (!argv || (start = php_args_start(argc, argv)) == 0 || !options_allow(argv + start, argc - start)) {
		return;
	}
	if (getenv("PHPRC") || getenv("PHP_INI_SCAN_DIR") || access(INI_DIR "/php.ini", R_OK) != 0) {
		return;
	}
	/* No signal for this thread: Go's runtime, started next, handles
	 * them on its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	preload_running = pthread_create(&preload_thread, NULL, preload, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void ephpm_cli_preload_wait(void)
{
	if (preload_running) {
		pthread_join(preload_thread, NULL);
		preload_running = 0;
	}
}

#else

void ephpm_cli_preload_wait(void) {}

#endif
