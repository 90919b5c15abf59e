/*
 * `ephpm php`: PHP's command-line interpreter on the PHP ephpm embeds.
 *
 * This is PHP 8.2's own CLI SAPI (sapi/cli/php_cli.c, which libphp does
 * not contain) carried over, so that options, ini handling, argv, exit
 * codes, error display and output behave as Debian's `php` does; what
 * differs is marked "ephpm:". Compared with the server's SAPI (sapi.c):
 *
 *  - The SAPI is named "cli" (PHP_SAPI, php_sapi_name()). PHP checks that
 *    name itself in places (php://stdin uses fd 0 undup'ed, display_errors
 *    =stderr, dl(), OPcache only with opcache.enable_cli), so the name
 *    buys php-cli's behaviour there too.
 *  - One request on the calling thread, no worker pool, no Go callbacks
 *    for output: every write goes straight to fd 1, unbuffered, as
 *    php-cli does (the server gathers 16 KB pieces for the HTTP client).
 *  - php-cli's hard-coded ini (html_errors=0, register_argc_argv=1,
 *    implicit_flush=1, output_buffering=0, max_execution_time=0,
 *    max_input_time=-1) under -d, and php-cli's ini defaults
 *    (display_errors=1) under php.ini, instead of the server's
 *    production defaults.
 *  - Our module ("ephpm": the ephpm_kv_* functions, the worker API, which
 *    reports that no worker runs) is registered as in the server, minus
 *    the server's renaming of PHP_SAPI.
 *  - max_execution_time, when a script or -d sets one, is enforced from
 *    Go as in the server, PHP's own timer being a process-wide SIGPROF
 *    that a Go process cannot host (see sapi.c); counted in the PHP
 *    thread's CPU time, as php-cli counts it (cli.go).
 *  - -a (interactive shell) works where PHP's readline extension is
 *    loaded (Debian's, in the quick build): it finds this SAPI's shell
 *    hooks by the symbol php_cli_get_shell_callbacks, which this binary
 *    exports (cli.go) as the php binary does.
 *  - Not available: -S/-t (the built-in web server: that is `ephpm
 *    serve`), and cli_set_process_title() (ps_title lives in the php
 *    binary).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/select.h>
#include <pthread.h>
#include <time.h>

#include "php.h"
#include "php_globals.h"
#include "php_variables.h"
#include "php_ini.h"
#include "php_ini_builder.h"
#include "php_main.h"
#include "php_getopt.h"
#include "php_network.h"
#include "SAPI.h"
#include "zend_ini.h"
#include "zend_hash.h"
#include "zend_modules.h"
#include "zend_extensions.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"
#include "zend_highlight.h"
#include "zend_compile.h"
#include "zend_execute.h"
#include "ext/standard/file.h"
#include "ext/standard/info.h"
#include "ext/standard/basic_functions.h"
#include "ext/standard/dl.h"
#include "ext/standard/dl_arginfo.h"
#ifdef ZEND_SIGNALS
#include "zend_signal.h"
#endif

#include "ephpm.h"
#include "ephpm_internal.h"
#include "cli.h"
#include "_cgo_export.h"

/* ext/reflection/php_reflection.h, which Debian does not install. */
extern PHPAPI zend_class_entry *reflection_function_ptr;
extern PHPAPI zend_class_entry *reflection_method_ptr;
extern PHPAPI zend_class_entry *reflection_class_ptr;
extern PHPAPI zend_class_entry *reflection_extension_ptr;
extern PHPAPI zend_class_entry *reflection_zend_extension_ptr;

PHPAPI extern char *php_ini_opened_path;
PHPAPI extern char *php_ini_scanned_path;
PHPAPI extern char *php_ini_scanned_files;

extern const zend_function_entry ephpm_functions[];

static const ephpm_cli_opts *cli_opts;

#define PHP_MODE_STANDARD      1
#define PHP_MODE_HIGHLIGHT     2
#define PHP_MODE_LINT          4
#define PHP_MODE_STRIP         5
#define PHP_MODE_CLI_DIRECT    6
#define PHP_MODE_PROCESS_STDIN 7
#define PHP_MODE_REFLECTION_FUNCTION    8
#define PHP_MODE_REFLECTION_CLASS       9
#define PHP_MODE_REFLECTION_EXTENSION   10
#define PHP_MODE_REFLECTION_EXT_INFO    11
#define PHP_MODE_REFLECTION_ZEND_EXTENSION 12
#define PHP_MODE_SHOW_INI_CONFIG        13

static const char HARDCODED_INI[] =
	"html_errors=0\n"
	"register_argc_argv=1\n"
	"implicit_flush=1\n"
	"output_buffering=0\n"
	"max_execution_time=0\n"
	"max_input_time=-1\n";

static const opt_struct OPTIONS[] = {
	{'a', 0, "interactive"},
	{'B', 1, "process-begin"},
	{'C', 0, "no-chdir"},
	{'c', 1, "php-ini"},
	{'d', 1, "define"},
	{'E', 1, "process-end"},
	{'e', 0, "profile-info"},
	{'F', 1, "process-file"},
	{'f', 1, "file"},
	{'h', 0, "help"},
	{'i', 0, "info"},
	{'l', 0, "syntax-check"},
	{'m', 0, "modules"},
	{'n', 0, "no-php-ini"},
	{'q', 0, "no-header"},
	{'R', 1, "process-code"},
	{'H', 0, "hide-args"},
	{'r', 1, "run"},
	{'s', 0, "syntax-highlight"},
	{'s', 0, "syntax-highlighting"},
	{'S', 1, "server"},
	{'t', 1, "docroot"},
	{'w', 0, "strip"},
	{'?', 0, "usage"},
	{'v', 0, "version"},
	{'z', 1, "zend-extension"},
	{10,  1, "rf"},
	{10,  1, "rfunction"},
	{11,  1, "rc"},
	{11,  1, "rclass"},
	{12,  1, "re"},
	{12,  1, "rextension"},
	{13,  1, "rz"},
	{13,  1, "rzendextension"},
	{14,  1, "ri"},
	{14,  1, "rextinfo"},
	{15,  0, "ini"},
	{16,  1, "repeat"},
	{'-', 0, NULL}
};

/* ---- -m ---- */

static int module_name_cmp(Bucket *f, Bucket *s)
{
	return strcasecmp(((zend_module_entry *)Z_PTR(f->val))->name,
	                  ((zend_module_entry *)Z_PTR(s->val))->name);
}

static void print_modules(void)
{
	HashTable sorted_registry;
	zend_module_entry *module;

	zend_hash_init(&sorted_registry, 50, NULL, NULL, 0);
	zend_hash_copy(&sorted_registry, &module_registry, NULL);
	zend_hash_sort(&sorted_registry, module_name_cmp, 0);
	ZEND_HASH_MAP_FOREACH_PTR(&sorted_registry, module) {
		php_printf("%s\n", module->name);
	} ZEND_HASH_FOREACH_END();
	zend_hash_destroy(&sorted_registry);
}

static void print_extension_info(zend_extension *ext)
{
	php_printf("%s\n", ext->name);
}

static int extension_name_cmp(const zend_llist_element **f, const zend_llist_element **s)
{
	zend_extension *fe = (zend_extension *)(*f)->data;
	zend_extension *se = (zend_extension *)(*s)->data;
	return strcmp(fe->name, se->name);
}

static void print_extensions(void)
{
	zend_llist sorted_exts;

	zend_llist_copy(&sorted_exts, &zend_extensions);
	sorted_exts.dtor = NULL;
	zend_llist_sort(&sorted_exts, extension_name_cmp);
	zend_llist_apply(&sorted_exts, (llist_apply_func_t)print_extension_info);
	zend_llist_destroy(&sorted_exts);
}

/* ---- the interactive shell's hooks (set by ext/readline) ---- */

typedef struct {
	size_t (*cli_shell_write)(const char *str, size_t str_length);
	size_t (*cli_shell_ub_write)(const char *str, size_t str_length);
	int (*cli_shell_run)(void);
} cli_shell_callbacks_t;

static cli_shell_callbacks_t cli_shell_callbacks = { NULL, NULL, NULL };

/* For php_cli_get_shell_callbacks (cli.go). */
void *ephpm_cli_shell_callbacks(void)
{
	return &cli_shell_callbacks;
}

/* ---- sapi_module_struct callbacks ---- */

static inline bool sapi_cli_select(php_socket_t fd)
{
	fd_set wfd;
	struct timeval tv;

	FD_ZERO(&wfd);
	PHP_SAFE_FD_SET(fd, &wfd);
	tv.tv_sec = (long)FG(default_socket_timeout);
	tv.tv_usec = 0;
	return select(fd + 1, NULL, &wfd, NULL, &tv) != -1;
}

static ssize_t sapi_cli_single_write(const char *str, size_t str_length)
{
	ssize_t ret;
	if (cli_shell_callbacks.cli_shell_write) {
		cli_shell_callbacks.cli_shell_write(str, str_length);
	}
	do {
		ret = write(STDOUT_FILENO, str, str_length);
	} while (ret <= 0 && (errno == EINTR || (errno == EAGAIN && sapi_cli_select(STDOUT_FILENO))));
	return ret;
}

/* Straight to fd 1, as php-cli: each echo is one write(2), so output
 * interleaves with STDERR and child processes as the script wrote it. A
 * closed stdout (EPIPE: Go leaves SIGPIPE ignored for writes made from C)
 * ends the script with status 255, as in php-cli. */
static size_t sapi_cli_ub_write(const char *str, size_t str_length)
{
	const char *ptr = str;
	size_t remaining = str_length;
	ssize_t ret;

	if (!str_length) {
		return 0;
	}
	if (cli_shell_callbacks.cli_shell_ub_write) {
		size_t ub_wrote = cli_shell_callbacks.cli_shell_ub_write(str, str_length);
		if (ub_wrote != (size_t)-1) {
			return ub_wrote;
		}
	}
	while (remaining > 0) {
		ret = sapi_cli_single_write(ptr, remaining);
		if (ret < 0) {
			EG(exit_status) = 255;
			php_handle_aborted_connection();
			break;
		}
		ptr += ret;
		remaining -= ret;
	}
	return (ptr - str);
}

static void sapi_cli_flush(void *server_context)
{
	/* EBADF: the script may have closed STDOUT. */
	if (fflush(stdout) == EOF && errno != EBADF) {
		php_handle_aborted_connection();
	}
}

static char *php_self = "";
static char *script_filename = "";

static void sapi_cli_register_variables(zval *track_vars_array)
{
	size_t len;
	char *docroot = "";

	php_import_environment_variables(track_vars_array);

	len = strlen(php_self);
	if (sapi_module.input_filter(PARSE_SERVER, "PHP_SELF", &php_self, len, &len)) {
		php_register_variable("PHP_SELF", php_self, track_vars_array);
	}
	if (sapi_module.input_filter(PARSE_SERVER, "SCRIPT_NAME", &php_self, len, &len)) {
		php_register_variable("SCRIPT_NAME", php_self, track_vars_array);
	}
	len = strlen(script_filename);
	if (sapi_module.input_filter(PARSE_SERVER, "SCRIPT_FILENAME", &script_filename, len, &len)) {
		php_register_variable("SCRIPT_FILENAME", script_filename, track_vars_array);
	}
	if (sapi_module.input_filter(PARSE_SERVER, "PATH_TRANSLATED", &script_filename, len, &len)) {
		php_register_variable("PATH_TRANSLATED", script_filename, track_vars_array);
	}
	len = 0U;
	if (sapi_module.input_filter(PARSE_SERVER, "DOCUMENT_ROOT", &docroot, len, &len)) {
		php_register_variable("DOCUMENT_ROOT", docroot, track_vars_array);
	}
}

static void sapi_cli_log_message(const char *message, int syslog_type_int)
{
	fprintf(stderr, "%s\n", message);
}

static int sapi_cli_deactivate(void)
{
	fflush(stdout);
	if (SG(request_info).argv0) {
		free(SG(request_info).argv0);
		SG(request_info).argv0 = NULL;
	}
	return SUCCESS;
}

static char *sapi_cli_read_cookies(void)
{
	return NULL;
}

static int sapi_cli_header_handler(sapi_header_struct *h, sapi_header_op_enum op, sapi_headers_struct *s)
{
	return 0;
}

static int sapi_cli_send_headers(sapi_headers_struct *sapi_headers)
{
	return SAPI_HEADER_SENT_SUCCESSFULLY;
}

static void sapi_cli_send_header(sapi_header_struct *sapi_header, void *server_context)
{
}

extern zend_module_entry ephpm_cli_module_entry;

static int php_cli_startup(sapi_module_struct *sapi_module)
{
	/* ephpm: our module (the ephpm_kv_* functions) is started with PHP's. */
	return php_module_startup(sapi_module, &ephpm_cli_module_entry);
}

/* Defaults below php.ini, as php-cli's. */
static void sapi_cli_ini_defaults(HashTable *configuration_hash)
{
	zval tmp;
	ZVAL_NEW_STR(&tmp, zend_string_init("1", 1, 1));
	zend_hash_str_update(configuration_hash, "display_errors", sizeof("display_errors") - 1, &tmp);
}

static sapi_module_struct cli_sapi_module = {
	"cli",                          /* name */
	"Command Line Interface",       /* pretty name */
	php_cli_startup,                /* startup */
	php_module_shutdown_wrapper,    /* shutdown */
	NULL,                           /* activate */
	sapi_cli_deactivate,            /* deactivate */
	sapi_cli_ub_write,              /* unbuffered write */
	sapi_cli_flush,                 /* flush */
	NULL,                           /* get uid */
	NULL,                           /* getenv */
	php_error,                      /* error handler */
	sapi_cli_header_handler,        /* header handler */
	sapi_cli_send_headers,          /* send headers handler */
	sapi_cli_send_header,           /* send header handler */
	NULL,                           /* read POST data */
	sapi_cli_read_cookies,          /* read Cookies */
	sapi_cli_register_variables,    /* register server variables */
	sapi_cli_log_message,           /* log message */
	NULL,                           /* get request time */
	NULL,                           /* child terminate */
	STANDARD_SAPI_MODULE_PROPERTIES
};

static const zend_function_entry additional_functions[] = {
	ZEND_FE(dl, arginfo_dl)
	PHP_FE_END
};

/* ---- max_execution_time (0 unless -d or the script sets one) ---- */

/* Go's SIGPROF handler: PHP installs its timeout handler for SIGPROF at
 * request startup; Go's goes back (see sapi.c). */
static struct sigaction go_sigprof;

static void restore_go_sigprof(void)
{
	sigaction(SIGPROF, &go_sigprof, NULL);
}

static void cli_set_time_limit(zend_long secs)
{
	/* Only names the limit in PHP's timeout message from here on. */
	EG(timeout_seconds) = secs;
	ephpm_go_cli_time_limit(ephpm_thread_executor_globals(), ephpm_thread_self(), secs);
}

int64_t ephpm_cli_thread_cpu_ns(uintptr_t tid)
{
	clockid_t clk;
	struct timespec ts;
	if (pthread_getcpuclockid((pthread_t)tid, &clk) != 0 || clock_gettime(clk, &ts) != 0) {
		return 0;
	}
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ZEND_INI_MH(cli_on_update_timeout)
{
	if (stage == ZEND_INI_STAGE_RUNTIME) {
		/* set_time_limit() / ini_set(): restart the limit from now. */
		cli_set_time_limit(ZEND_ATOL(ZSTR_VAL(new_value)));
	}
	return SUCCESS;
}

/* ---- our module in CLI mode ---- */

static PHP_MINIT_FUNCTION(ephpm_cli)
{
	/* The ini value was already applied by PHP's own handler (EG(timeout_
	 * seconds), which request startup would arm as PHP's timer): from
	 * here on, ours keeps PHP's timer off. */
	zend_ini_entry *e = zend_hash_str_find_ptr(EG(ini_directives), "max_execution_time", sizeof("max_execution_time") - 1);
	if (e) {
		e->on_modify = cli_on_update_timeout;
	}
	EG(timeout_seconds) = 0;
	ephpm_worker_minit();
	return SUCCESS;
}

static PHP_MINFO_FUNCTION(ephpm_cli)
{
	php_info_print_table_start();
	php_info_print_table_row(2, "ephpm", "enabled");
	php_info_print_table_row(2, "ephpm version", cli_opts && cli_opts->ephpm_version ? cli_opts->ephpm_version : "");
	php_info_print_table_end();
}

zend_module_entry ephpm_cli_module_entry = {
	STANDARD_MODULE_HEADER,
	"ephpm",
	ephpm_functions,
	PHP_MINIT(ephpm_cli),
	NULL,
	NULL,
	NULL,
	PHP_MINFO(ephpm_cli),
	"0.1.0",
	STANDARD_MODULE_PROPERTIES
};

/* ---- usage ---- */

static void php_cli_usage(void)
{
	const char *p = cli_opts && cli_opts->usage_name ? cli_opts->usage_name : "php";

	printf("Usage: %s [--config FILE] [options] [-f] <file> [--] [args...]\n"
	       "   %s [options] -r <code> [--] [args...]\n"
	       "   %s [options] [-B <begin_code>] -R <code> [-E <end_code>] [--] [args...]\n"
	       "   %s [options] [-B <begin_code>] -F <file> [-E <end_code>] [--] [args...]\n"
	       "   %s [options] -- [args...]\n"
	       "\n"
	       "  --config FILE    ephpm.toml whose [kv.resp] the ephpm_kv_* functions use\n"
	       "                   (without it they use a store local to this process)\n"
	       "  -c <path>|<file> Look for php.ini file in this directory\n"
	       "  -n               No configuration (ini) files will be used\n"
	       "  -d foo[=bar]     Define INI entry foo with value 'bar'\n"
	       "  -e               Generate extended information for debugger/profiler\n"
	       "  -f <file>        Parse and execute <file>.\n"
	       "  -h               This help\n"
	       "  -i               PHP information\n"
	       "  -l               Syntax check only (lint)\n"
	       "  -m               Show compiled in modules\n"
	       "  -r <code>        Run PHP <code> without using script tags <?..?>\n"
	       "  -B <begin_code>  Run PHP <begin_code> before processing input lines\n"
	       "  -R <code>        Run PHP <code> for every input line\n"
	       "  -F <file>        Parse and execute <file> for every input line\n"
	       "  -E <end_code>    Run PHP <end_code> after processing all input lines\n"
	       "  -H               Hide any passed arguments from external tools.\n"
	       "  -s               Output HTML syntax highlighted source.\n"
	       "  -v               Version number\n"
	       "  -w               Output source with stripped comments and whitespace.\n"
	       "  -z <file>        Load Zend extension <file>.\n"
	       "\n"
	       "  args...          Arguments passed to script. Use -- args when first argument\n"
	       "                   starts with - or script is read from stdin\n"
	       "\n"
	       "  --ini            Show configuration file names\n"
	       "\n"
	       "  --rf <name>      Show information about function <name>.\n"
	       "  --rc <name>      Show information about class <name>.\n"
	       "  --re <name>      Show information about extension <name>.\n"
	       "  --rz <name>      Show information about Zend extension <name>.\n"
	       "  --ri <name>      Show configuration for extension <name>.\n"
	       "\n"
	       "Not available here: -a (interactive shell), -S/-t (built-in web server:\n"
	       "use `ephpm serve`).\n",
	       p, p, p, p, p);
}

/* ---- STDIN, STDOUT, STDERR ---- */

static php_stream *s_in_process = NULL;

static void cli_register_file_handles(void)
{
	php_stream *s_in, *s_out, *s_err;
	php_stream_context *sc_in = NULL, *sc_out = NULL, *sc_err = NULL;
	zend_constant ic, oc, ec;

	s_in = php_stream_open_wrapper_ex("php://stdin", "rb", 0, NULL, sc_in);
	s_out = php_stream_open_wrapper_ex("php://stdout", "wb", 0, NULL, sc_out);
	s_err = php_stream_open_wrapper_ex("php://stderr", "wb", 0, NULL, sc_err);

	/* Release the stream resources at shutdown but keep fds 0-2 open. */
	if (s_in) s_in->flags |= PHP_STREAM_FLAG_NO_RSCR_DTOR_CLOSE;
	if (s_out) s_out->flags |= PHP_STREAM_FLAG_NO_RSCR_DTOR_CLOSE;
	if (s_err) s_err->flags |= PHP_STREAM_FLAG_NO_RSCR_DTOR_CLOSE;

	if (s_in == NULL || s_out == NULL || s_err == NULL) {
		if (s_in) php_stream_close(s_in);
		if (s_out) php_stream_close(s_out);
		if (s_err) php_stream_close(s_err);
		return;
	}

	s_in_process = s_in;

	php_stream_to_zval(s_in, &ic.value);
	php_stream_to_zval(s_out, &oc.value);
	php_stream_to_zval(s_err, &ec.value);

	ZEND_CONSTANT_SET_FLAGS(&ic, CONST_CS, 0);
	ic.name = zend_string_init_interned("STDIN", sizeof("STDIN") - 1, 0);
	zend_register_constant(&ic);

	ZEND_CONSTANT_SET_FLAGS(&oc, CONST_CS, 0);
	oc.name = zend_string_init_interned("STDOUT", sizeof("STDOUT") - 1, 0);
	zend_register_constant(&oc);

	ZEND_CONSTANT_SET_FLAGS(&ec, CONST_CS, 0);
	ec.name = zend_string_init_interned("STDERR", sizeof("STDERR") - 1, 0);
	zend_register_constant(&ec);
}

static const char *param_mode_conflict = "Either execute direct code, process stdin or use a file.\n";

static zend_result cli_seek_file_begin(zend_file_handle *file_handle, char *script_file)
{
	FILE *fp = VCWD_FOPEN(script_file, "rb");
	if (!fp) {
		php_printf("Could not open input file: %s\n", script_file);
		return FAILURE;
	}
	zend_stream_init_fp(file_handle, fp, script_file);
	file_handle->primary_script = 1;
	return SUCCESS;
}

/* After request startup: the time limit -d may have set (0 by default). */
static void cli_request_started(void)
{
	restore_go_sigprof();
	zend_long secs = INI_INT("max_execution_time");
	if (secs > 0) {
		cli_set_time_limit(secs);
	}
}

static int do_cli(int argc, char **argv)
{
	int c;
	zend_file_handle file_handle;
	int behavior = PHP_MODE_STANDARD;
	char *reflection_what = NULL;
	volatile int request_started = 0;
	char *php_optarg = NULL, *orig_optarg = NULL;
	int php_optind = 1, orig_optind = 1;
	char *exec_direct = NULL, *exec_run = NULL, *exec_begin = NULL, *exec_end = NULL;
	char *arg_free = NULL, **arg_excp = &arg_free;
	char *script_file = NULL, *translated_path = NULL;
	bool interactive = false;
	const char *param_error = NULL;
	bool hide_argv = false;
	int num_repeats = 1;
	pid_t pid = getpid();

	file_handle.filename = NULL;

	zend_try {

		CG(in_compilation) = 0; /* not initialized but needed for several options */

		while ((c = php_getopt(argc, argv, OPTIONS, &php_optarg, &php_optind, 0, 2)) != -1) {
			switch (c) {

			case 'i': /* php info & quit */
				if (php_request_startup() == FAILURE) {
					goto err;
				}
				request_started = 1;
				cli_request_started();
				php_print_info(PHP_INFO_ALL & ~PHP_INFO_CREDITS);
				php_output_end_all();
				EG(exit_status) = 0;
				goto out;

			case 'v': /* show php version & quit */
				php_printf("PHP %s (%s) (built: %s %s) (%s)\nCopyright (c) The PHP Group\n%s",
					PHP_VERSION, cli_sapi_module.name, __DATE__, __TIME__,
#ifdef ZTS
					"ZTS"
#else
					"NTS"
#endif
#if ZEND_DEBUG
					" DEBUG"
#endif
					,
					get_zend_version());
				/* ephpm: say which program this is, after php's lines
				 * (tools parse the first one). */
				php_printf("    embedded in ephpm %s (`ephpm php`)\n",
					cli_opts && cli_opts->ephpm_version ? cli_opts->ephpm_version : "");
				sapi_deactivate();
				goto out;

			case 'm': /* list compiled in modules */
				if (php_request_startup() == FAILURE) {
					goto err;
				}
				request_started = 1;
				cli_request_started();
				php_printf("[PHP Modules]\n");
				print_modules();
				php_printf("\n[Zend Modules]\n");
				print_extensions();
				php_printf("\n");
				php_output_end_all();
				EG(exit_status) = 0;
				goto out;

			default:
				break;
			}
		}

		/* Set some CLI defaults */
		SG(options) |= SAPI_OPTION_NO_CHDIR;

		php_optind = orig_optind;
		php_optarg = orig_optarg;
		while ((c = php_getopt(argc, argv, OPTIONS, &php_optarg, &php_optind, 0, 2)) != -1) {
			switch (c) {

			case 'a': /* interactive mode */
				if (!cli_shell_callbacks.cli_shell_run) {
					param_error = "Interactive shell (-a) requires the readline extension.\n";
					break;
				}
				if (!interactive) {
					if (behavior != PHP_MODE_STANDARD) {
						param_error = param_mode_conflict;
						break;
					}
					interactive = true;
				}
				break;

			case 'C': /* don't chdir to the script directory: the default */
				break;

			case 'F':
				if (behavior == PHP_MODE_PROCESS_STDIN) {
					if (exec_run || script_file) {
						param_error = "You can use -R or -F only once.\n";
						break;
					}
				} else if (behavior != PHP_MODE_STANDARD) {
					param_error = param_mode_conflict;
					break;
				}
				behavior = PHP_MODE_PROCESS_STDIN;
				script_file = php_optarg;
				break;

			case 'f': /* parse file */
				if (behavior == PHP_MODE_CLI_DIRECT || behavior == PHP_MODE_PROCESS_STDIN) {
					param_error = param_mode_conflict;
					break;
				} else if (script_file) {
					param_error = "You can use -f only once.\n";
					break;
				}
				script_file = php_optarg;
				break;

			case 'l': /* syntax check mode */
				if (behavior != PHP_MODE_STANDARD) {
					break;
				}
				behavior = PHP_MODE_LINT;
				break;

			case 'q': /* no HTTP headers: the default */
				break;

			case 'r': /* run code from command line */
				if (behavior == PHP_MODE_CLI_DIRECT) {
					if (exec_direct || script_file) {
						param_error = "You can use -r only once.\n";
						break;
					}
				} else if (behavior != PHP_MODE_STANDARD || interactive) {
					param_error = param_mode_conflict;
					break;
				}
				behavior = PHP_MODE_CLI_DIRECT;
				exec_direct = php_optarg;
				break;

			case 'R':
				if (behavior == PHP_MODE_PROCESS_STDIN) {
					if (exec_run || script_file) {
						param_error = "You can use -R or -F only once.\n";
						break;
					}
				} else if (behavior != PHP_MODE_STANDARD) {
					param_error = param_mode_conflict;
					break;
				}
				behavior = PHP_MODE_PROCESS_STDIN;
				exec_run = php_optarg;
				break;

			case 'B':
				if (behavior == PHP_MODE_PROCESS_STDIN) {
					if (exec_begin) {
						param_error = "You can use -B only once.\n";
						break;
					}
				} else if (behavior != PHP_MODE_STANDARD || interactive) {
					param_error = param_mode_conflict;
					break;
				}
				behavior = PHP_MODE_PROCESS_STDIN;
				exec_begin = php_optarg;
				break;

			case 'E':
				if (behavior == PHP_MODE_PROCESS_STDIN) {
					if (exec_end) {
						param_error = "You can use -E only once.\n";
						break;
					}
				} else if (behavior != PHP_MODE_STANDARD || interactive) {
					param_error = param_mode_conflict;
					break;
				}
				behavior = PHP_MODE_PROCESS_STDIN;
				exec_end = php_optarg;
				break;

			case 's': /* generate highlighted HTML from source */
				if (behavior == PHP_MODE_CLI_DIRECT || behavior == PHP_MODE_PROCESS_STDIN) {
					param_error = "Source highlighting only works for files.\n";
					break;
				}
				behavior = PHP_MODE_HIGHLIGHT;
				break;

			case 'w':
				if (behavior == PHP_MODE_CLI_DIRECT || behavior == PHP_MODE_PROCESS_STDIN) {
					param_error = "Source stripping only works for files.\n";
					break;
				}
				behavior = PHP_MODE_STRIP;
				break;

			case 'z': /* load extension file */
				zend_load_extension(php_optarg);
				break;
			case 'H':
				hide_argv = true;
				break;
			case 10:
				behavior = PHP_MODE_REFLECTION_FUNCTION;
				reflection_what = php_optarg;
				break;
			case 11:
				behavior = PHP_MODE_REFLECTION_CLASS;
				reflection_what = php_optarg;
				break;
			case 12:
				behavior = PHP_MODE_REFLECTION_EXTENSION;
				reflection_what = php_optarg;
				break;
			case 13:
				behavior = PHP_MODE_REFLECTION_ZEND_EXTENSION;
				reflection_what = php_optarg;
				break;
			case 14:
				behavior = PHP_MODE_REFLECTION_EXT_INFO;
				reflection_what = php_optarg;
				break;
			case 15:
				behavior = PHP_MODE_SHOW_INI_CONFIG;
				break;
			case 16:
				num_repeats = atoi(php_optarg);
				break;
			default:
				break;
			}
		}

		if (param_error) {
			PUTS(param_error);
			EG(exit_status) = 1;
			goto err;
		}

		if (interactive) {
			printf("Interactive shell\n\n");
			fflush(stdout);
		}

		if (num_repeats > 1) {
			fprintf(stdout, "Executing for the first time...\n");
			fflush(stdout);
		}

do_repeat:
		/* only set script_file if not set already and not in direct mode and not at end of parameter list */
		if (argc > php_optind
		  && !script_file
		  && behavior != PHP_MODE_CLI_DIRECT
		  && behavior != PHP_MODE_PROCESS_STDIN
		  && strcmp(argv[php_optind - 1], "--")) {
			script_file = argv[php_optind];
			php_optind++;
		}
		if (script_file) {
			virtual_cwd_activate();
			if (cli_seek_file_begin(&file_handle, script_file) == FAILURE) {
				goto err;
			} else {
				char real_path[MAXPATHLEN];
				if (VCWD_REALPATH(script_file, real_path)) {
					translated_path = strdup(real_path);
				}
				script_filename = script_file;
				php_self = script_file;
			}
		} else {
			/* No file: the script is read from stdin (-R/-F/-r aside). */
			php_self = "Standard input code";
			if (behavior < PHP_MODE_CLI_DIRECT && !interactive) {
				zend_stream_init_fp(&file_handle, stdin, php_self);
				file_handle.primary_script = 1;
			}
		}

		/* before registering argv to module exchange the *new* argv[0] */
		SG(request_info).argc = argc - php_optind + 1;
		arg_excp = argv + php_optind - 1;
		arg_free = argv[php_optind - 1];
		SG(request_info).path_translated = translated_path ? translated_path : php_self;
		argv[php_optind - 1] = php_self;
		SG(request_info).argv = argv + php_optind - 1;

		if (php_request_startup() == FAILURE) {
			*arg_excp = arg_free;
			PUTS("Could not startup.\n");
			goto err;
		}
		request_started = 1;
		cli_request_started();
		CG(skip_shebang) = 1;

		/* ephpm: no ps_title here (it lives in the php binary). */
		zend_register_bool_constant(ZEND_STRL("PHP_CLI_PROCESS_TITLE"), 0, CONST_CS, 0);

		*arg_excp = arg_free; /* reconstruct argv */

		if (hide_argv) {
			int i;
			for (i = 1; i < argc; i++) {
				memset(argv[i], 0, strlen(argv[i]));
			}
		}

		zend_is_auto_global(ZSTR_KNOWN(ZEND_STR_AUTOGLOBAL_SERVER));

		PG(during_request_startup) = 0;
		switch (behavior) {
		case PHP_MODE_STANDARD:
			if (script_file) {
				cli_register_file_handles();
			}
			if (interactive) {
				EG(exit_status) = cli_shell_callbacks.cli_shell_run();
			} else {
				php_execute_script(&file_handle);
			}
			break;
		case PHP_MODE_LINT:
			if (php_lint_script(&file_handle) == SUCCESS) {
				zend_printf("No syntax errors detected in %s\n", php_self);
				EG(exit_status) = 0;
			} else {
				zend_printf("Errors parsing %s\n", php_self);
				EG(exit_status) = 255;
			}
			break;
		case PHP_MODE_STRIP:
			if (open_file_for_scanning(&file_handle) == SUCCESS) {
				zend_strip();
			}
			goto out;
			break;
		case PHP_MODE_HIGHLIGHT:
			{
				zend_syntax_highlighter_ini syntax_highlighter_ini;

				if (open_file_for_scanning(&file_handle) == SUCCESS) {
					php_get_highlight_struct(&syntax_highlighter_ini);
					zend_highlight(&syntax_highlighter_ini);
				}
				goto out;
			}
			break;
		case PHP_MODE_CLI_DIRECT:
			cli_register_file_handles();
			zend_eval_string_ex(exec_direct, NULL, "Command line code", 1);
			break;

		case PHP_MODE_PROCESS_STDIN:
			{
				char *input;
				size_t len, index = 0;
				zval argn, argi;

				if (!exec_run && script_file) {
					zend_string_release_ex(file_handle.filename, 0);
					file_handle.filename = NULL;
				}

				cli_register_file_handles();

				if (exec_begin) {
					zend_eval_string_ex(exec_begin, NULL, "Command line begin code", 1);
				}
				while (EG(exit_status) == SUCCESS && (input = php_stream_gets(s_in_process, NULL, 0)) != NULL) {
					len = strlen(input);
					while (len > 0 && len-- && (input[len] == '\n' || input[len] == '\r')) {
						input[len] = '\0';
					}
					ZVAL_STRINGL(&argn, input, len + 1);
					zend_hash_str_update(&EG(symbol_table), "argn", sizeof("argn") - 1, &argn);
					ZVAL_LONG(&argi, ++index);
					zend_hash_str_update(&EG(symbol_table), "argi", sizeof("argi") - 1, &argi);
					if (exec_run) {
						zend_eval_string_ex(exec_run, NULL, "Command line run code", 1);
					} else {
						if (script_file) {
							if (cli_seek_file_begin(&file_handle, script_file) == FAILURE) {
								EG(exit_status) = 1;
							} else {
								CG(skip_shebang) = 1;
								php_execute_script(&file_handle);
							}
						}
					}
					efree(input);
				}
				if (exec_end) {
					zend_eval_string_ex(exec_end, NULL, "Command line end code", 1);
				}

				break;
			}

		case PHP_MODE_REFLECTION_FUNCTION:
		case PHP_MODE_REFLECTION_CLASS:
		case PHP_MODE_REFLECTION_EXTENSION:
		case PHP_MODE_REFLECTION_ZEND_EXTENSION:
			{
				zend_class_entry *pce = NULL;
				zval arg, ref;
				zend_execute_data execute_data;

				switch (behavior) {
				default:
					break;
				case PHP_MODE_REFLECTION_FUNCTION:
					if (strstr(reflection_what, "::")) {
						pce = reflection_method_ptr;
					} else {
						pce = reflection_function_ptr;
					}
					break;
				case PHP_MODE_REFLECTION_CLASS:
					pce = reflection_class_ptr;
					break;
				case PHP_MODE_REFLECTION_EXTENSION:
					pce = reflection_extension_ptr;
					break;
				case PHP_MODE_REFLECTION_ZEND_EXTENSION:
					pce = reflection_zend_extension_ptr;
					break;
				}

				ZVAL_STRING(&arg, reflection_what);
				object_init_ex(&ref, pce);

				memset(&execute_data, 0, sizeof(zend_execute_data));
				execute_data.func = (zend_function *)&zend_pass_function;
				EG(current_execute_data) = &execute_data;
				zend_call_known_instance_method_with_1_params(
					pce->constructor, Z_OBJ(ref), NULL, &arg);

				if (EG(exception)) {
					zval rv;
					zval *msg = zend_read_property(zend_ce_exception, EG(exception), "message", sizeof("message") - 1, 0, &rv);
					zend_printf("Exception: %s\n", Z_STRVAL_P(msg));
					zend_object_release(EG(exception));
					EG(exception) = NULL;
					EG(exit_status) = 1;
				} else {
					zend_print_zval(&ref, 0);
					zend_write("\n", 1);
				}
				zval_ptr_dtor(&ref);
				zval_ptr_dtor(&arg);

				break;
			}
		case PHP_MODE_REFLECTION_EXT_INFO:
			{
				size_t len = strlen(reflection_what);
				char *lcname = zend_str_tolower_dup(reflection_what, len);
				zend_module_entry *module;

				if ((module = zend_hash_str_find_ptr(&module_registry, lcname, len)) == NULL) {
					if (!strcmp(reflection_what, "main")) {
						display_ini_entries(NULL);
					} else {
						zend_printf("Extension '%s' not present.\n", reflection_what);
						EG(exit_status) = 1;
					}
				} else {
					php_info_print_module(module);
				}

				efree(lcname);
				break;
			}

		case PHP_MODE_SHOW_INI_CONFIG:
			{
				/* ephpm: the directory searched is ours to say (the
				 * library's compiled-in one is not what this binary
				 * reads). */
				const char *searched = cli_sapi_module.php_ini_ignore ? "(none)"
					: cli_sapi_module.php_ini_path_override ? cli_sapi_module.php_ini_path_override
					: PHP_CONFIG_FILE_PATH;
				zend_printf("Configuration File (php.ini) Path: %s\n", searched);
				zend_printf("Loaded Configuration File:         %s\n", php_ini_opened_path ? php_ini_opened_path : "(none)");
				zend_printf("Scan for additional .ini files in: %s\n", php_ini_scanned_path && *php_ini_scanned_path ? php_ini_scanned_path : "(none)");
				zend_printf("Additional .ini files parsed:      %s\n", php_ini_scanned_files ? php_ini_scanned_files : "(none)");
				break;
			}
		}
	} zend_end_try();

out:
	if (file_handle.filename) {
		zend_destroy_file_handle(&file_handle);
	}
	if (request_started) {
		php_request_shutdown((void *)0);
		restore_go_sigprof();
		ephpm_go_cli_time_limit(NULL, 0, 0);
	}
	if (translated_path) {
		free(translated_path);
		translated_path = NULL;
	}
	/* Don't repeat fork()ed processes. */
	if (--num_repeats > 0 && pid == getpid()) {
		fprintf(stdout, "Finished execution, repeating...\n");
		fflush(stdout);
		request_started = 0;
		goto do_repeat;
	}
	return EG(exit_status);
err:
	sapi_deactivate();
	zend_ini_deactivate();
	EG(exit_status) = 1;
	goto out;
}

#ifdef EPHPM_STATIC_OPCACHE
/* The single binary links OPcache in (see sapi.c): registered here too, so
 * that -d opcache.enable_cli=1 (and its JIT) works for long-running
 * commands such as queue workers, as with php's shared opcache.so. */
extern zend_extension ephpm_opcache_zend_extension;
static int cli_register_builtin_modules_and_opcache(void)
{
	if (php_register_internal_extensions() == FAILURE) {
		return FAILURE;
	}
	zend_register_extension(&ephpm_opcache_zend_extension, NULL);
	return SUCCESS;
}
#endif

/* php-cli's signal dispositions. The Go runtime installs a handler for
 * nearly every signal, and a handler is not what php-cli has: a signal PHP
 * would ignore by default (SIGCHLD when a child process ends, SIGWINCH when
 * the terminal is resized) then cuts a script's sleep()/usleep() short, and
 * one that would end php (SIGUSR1, SIGALRM, SIGQUIT, ...) is swallowed or
 * turned into a Go crash dump. This process runs no Go code that needs
 * them, so they get their defaults back; SIGPIPE is ignored, as php-cli
 * does (its children inherit that). Kept for Go: SIGURG (goroutine
 * preemption), SIGPROF (restored around PHP's timer, see above) and the
 * synchronous signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP), which
 * turn a fault in Go code into a panic. */
static void cli_signal_dispositions(void)
{
	static const int dfl[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD,
		SIGWINCH, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGIO, SIGPWR, SIGABRT, SIGSYS,
	};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(dfl) / sizeof(dfl[0]); i++) {
		sigaction(dfl[i], &sa, NULL);
	}
	/* Real-time signals, minus those glibc reserves for itself. */
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		sigaction(sig, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int ephpm_cli_main(int argc, char **argv, const ephpm_cli_opts *opts)
{
	int c;
	int exit_status = SUCCESS;
	int module_started = 0, sapi_started = 0;
	char *php_optarg = NULL;
	int php_optind = 1, use_extended_info = 0;
	char *ini_path_override = NULL;
	struct php_ini_builder ini_builder;
	int ini_ignore = 0;
	int scan_dir_env_set = 0;

	cli_opts = opts;
	cli_signal_dispositions();
	cli_sapi_module.additional_functions = additional_functions;
#ifdef EPHPM_STATIC_OPCACHE
	php_register_internal_extensions_func = cli_register_builtin_modules_and_opcache;
#endif
	sigaction(SIGPROF, NULL, &go_sigprof);

#ifdef ZTS
	php_tsrm_startup();
#endif
#ifdef ZEND_SIGNALS
	zend_signal_startup();
#endif

	php_ini_builder_init(&ini_builder);

	while ((c = php_getopt(argc, argv, OPTIONS, &php_optarg, &php_optind, 1, 2)) != -1) {
		switch (c) {
		case 'c':
			if (ini_path_override) {
				free(ini_path_override);
			}
			ini_path_override = strdup(php_optarg);
			break;
		case 'n':
			ini_ignore = 1;
			break;
		case 'd':
			/* define ini entries on command line */
			php_ini_builder_define(&ini_builder, php_optarg);
			break;
		case 'S':
			fprintf(stderr, "%s: the built-in web server (-S) is not available here; use `ephpm serve`\n",
				opts->usage_name ? opts->usage_name : "php");
			exit_status = 1;
			goto out;
		case 'h': /* help & quit */
		case '?':
			php_cli_usage();
			goto out;
		case PHP_GETOPT_INVALID_ARG: /* print usage on bad options, exit 1 */
			php_cli_usage();
			exit_status = 1;
			goto out;
		case 'i': case 'v': case 'm':
			goto exit_loop;
		case 'e': /* enable extended info output */
			use_extended_info = 1;
			break;
		}
	}
exit_loop:

	/* ephpm: which php.ini, when neither -c nor -n decides, is the Go
	 * side's choice per build (cli_ini_*.go). */
	if (!ini_path_override && !ini_ignore) {
		if (opts->ini_ignore) {
			ini_ignore = 1;
		} else if (opts->ini_path) {
			ini_path_override = strdup(opts->ini_path);
		}
	}
	/* The scan directory is read from PHP_INI_SCAN_DIR, else compiled in:
	 * ours goes through the variable for the time of startup only, so the
	 * script and its children see the environment they were given. */
	if (!ini_ignore && opts->ini_scan_dir && !getenv("PHP_INI_SCAN_DIR")) {
		setenv("PHP_INI_SCAN_DIR", opts->ini_scan_dir, 1);
		scan_dir_env_set = 1;
	}

	cli_sapi_module.ini_defaults = sapi_cli_ini_defaults;
	cli_sapi_module.php_ini_path_override = ini_path_override;
	cli_sapi_module.phpinfo_as_text = 1;
	cli_sapi_module.php_ini_ignore_cwd = 1;
	sapi_startup(&cli_sapi_module);
	sapi_started = 1;

	cli_sapi_module.php_ini_ignore = ini_ignore;
	cli_sapi_module.executable_location = (char *)opts->executable;

	php_ini_builder_prepend_literal(&ini_builder, HARDCODED_INI);
	cli_sapi_module.ini_entries = php_ini_builder_finish(&ini_builder);

	/* startup after we get the above ini override se we get things right */
	if (cli_sapi_module.startup(&cli_sapi_module) == FAILURE) {
		exit_status = 1;
		goto out;
	}
	module_started = 1;
	if (scan_dir_env_set) {
		/* php_ini_scanned_path points into the environment. */
		php_ini_scanned_path = strdup(opts->ini_scan_dir);
		unsetenv("PHP_INI_SCAN_DIR");
		scan_dir_env_set = 0;
	}
#ifdef ZEND_SIGNALS
	/* Go owns SIGINT/SIGTERM/SIGHUP/SIGUSR*: PHP must not take them over
	 * at request startup (as in the server, sapi.c). */
	SIGG(reset) = 0;
#endif
	restore_go_sigprof();

	if (use_extended_info) {
		CG(compiler_options) |= ZEND_COMPILE_EXTENDED_INFO;
	}

	zend_first_try {
		exit_status = do_cli(argc, argv);
	} zend_end_try();
out:
	if (scan_dir_env_set) {
		unsetenv("PHP_INI_SCAN_DIR");
	}
	if (module_started) {
		php_module_shutdown();
	}
	if (sapi_started) {
		sapi_shutdown();
	}
	/* After the module: PHP keeps pointers into what it parsed. */
	if (ini_path_override) {
		free(ini_path_override);
	}
	php_ini_builder_deinit(&ini_builder);
#ifdef ZTS
	tsrm_shutdown();
#endif
	restore_go_sigprof();
	/* Go's os.Exit does not flush C's stdio (usage, -v and messages
	 * printed before a request started go through it). */
	fflush(stdout);
	fflush(stderr);
	return exit_status;
}
