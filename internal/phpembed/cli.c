/*
 * `ephpm php`: the C half of the embedded PHP on the command line. Go
 * (cli.go, cliargs.go) reads the command line and decides what to run;
 * this file is what has to be C: a SAPI named "cli" (PHP checks that name
 * itself: php://stdin, display_errors=stderr, dl(), opcache.enable_cli),
 * PHP's startup and shutdown, and one request per run, of a kind Go picks
 * (ephpm_cli_job). What a script sees is what php-cli (PHP 8.2) gives it:
 * output written to fd 1 unbuffered, $_SERVER's script entries, $argv,
 * STDIN/STDOUT/STDERR, the exit status of exit() or 255 after a fatal
 * error. It shares no state with the server's SAPI (sapi.c) and never
 * runs in a process that started that one.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "php.h"
#include "php_main.h"
#include "php_ini.h"
#include "php_variables.h"
#include "SAPI.h"
#include "zend_ini.h"
#include "zend_extensions.h"
#include "zend_smart_str.h"
#include "ext/standard/file.h"
#include "ext/standard/info.h"
#include "ext/standard/dl.h"
#include "ext/standard/dl_arginfo.h"
#ifdef ZEND_SIGNALS
#include "zend_signal.h"
#endif

#include "ephpm.h"
#include "ephpm_internal.h"
#include "cli.h"
#include "_cgo_export.h"

PHPAPI extern char *php_ini_opened_path;
PHPAPI extern char *php_ini_scanned_path;
PHPAPI extern char *php_ini_scanned_files;
extern const zend_function_entry ephpm_functions[];

static const char *ephpm_version = "";

/* What $_SERVER names for the current run. */
static const char *self_name = "";   /* PHP_SELF, SCRIPT_NAME */
static const char *script_path = ""; /* SCRIPT_FILENAME, PATH_TRANSLATED */

/* The interactive shell's hooks. PHP's readline extension fills them in
 * at its startup; it finds them through php_cli_get_shell_callbacks (an
 * exported symbol, see cli.go). Laid out as php-cli's
 * cli_shell_callbacks_t, which readline was compiled against. */
static struct {
	size_t (*write)(const char *s, size_t n);
	size_t (*ub_write)(const char *s, size_t n);
	int (*run)(void);
} shell_hooks;

void *ephpm_cli_shell_callbacks(void)
{
	return &shell_hooks;
}

int ephpm_cli_has_shell(void)
{
	return shell_hooks.run != NULL;
}

/* ---- the SAPI ---- */

/* Every write goes to fd 1 at once, as php-cli's: output interleaves with
 * STDERR and child processes in the order the script made it. SIGPIPE
 * is ignored (php_like_signals), so a closed pipe is EPIPE: the script
 * ends with status 255, as php-cli's does. */
static size_t cli_write(const char *s, size_t n)
{
	size_t done = 0;

	if (n && shell_hooks.ub_write) {
		size_t w = shell_hooks.ub_write(s, n);
		if (w != (size_t)-1) {
			return w;
		}
	}
	if (n && shell_hooks.write) {
		shell_hooks.write(s, n);
	}
	while (done < n) {
		ssize_t w = write(STDOUT_FILENO, s + done, n - done);
		if (w > 0) {
			done += (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
			poll(&p, 1, (int)FG(default_socket_timeout) * 1000);
		} else if (!(w < 0 && errno == EINTR)) {
			EG(exit_status) = 255;
			php_handle_aborted_connection();
			break;
		}
	}
	return done;
}

static void cli_flush(void *ctx)
{
	(void)ctx;
	/* EBADF: the script closed STDOUT itself. */
	if (fflush(stdout) == EOF && errno != EBADF) {
		php_handle_aborted_connection();
	}
}

static void server_var(zval *arr, const char *name, const char *value)
{
	char *v = (char *)value;
	size_t len = strlen(v);
	if (sapi_module.input_filter(PARSE_SERVER, (char *)name, &v, len, &len)) {
		php_register_variable((char *)name, v, arr);
	}
}

static void cli_register_variables(zval *arr)
{
	php_import_environment_variables(arr);
	server_var(arr, "PHP_SELF", self_name);
	server_var(arr, "SCRIPT_NAME", self_name);
	server_var(arr, "SCRIPT_FILENAME", script_path);
	server_var(arr, "PATH_TRANSLATED", script_path);
	server_var(arr, "DOCUMENT_ROOT", "");
}

static void cli_log(const char *msg, int syslog_type)
{
	(void)syslog_type;
	fprintf(stderr, "%s\n", msg);
}

static int cli_deactivate(void)
{
	fflush(stdout);
	return SUCCESS;
}

/* No header is kept, none is sent (headers_list() is empty, as in php). */
static int cli_header(sapi_header_struct *h, sapi_header_op_enum op, sapi_headers_struct *s)
{
	return 0;
}

static int cli_send_headers(sapi_headers_struct *s)
{
	return SAPI_HEADER_SENT_SUCCESSFULLY;
}

/* php.ini may override these; php-cli shows errors by default. */
static void cli_ini_defaults(HashTable *h)
{
	zval v;
	ZVAL_NEW_STR(&v, zend_string_init("1", 1, 1));
	zend_hash_str_update(h, "display_errors", sizeof("display_errors") - 1, &v);
}

static zend_module_entry ephpm_cli_module;

static int cli_startup(sapi_module_struct *m)
{
	return php_module_startup(m, &ephpm_cli_module);
}

static const zend_function_entry cli_functions[] = {
	ZEND_FE(dl, arginfo_dl)
	PHP_FE_END
};

static sapi_module_struct cli_sapi = {
	.name = "cli",
	.pretty_name = "Command Line Interface",
	.startup = cli_startup,
	.shutdown = php_module_shutdown_wrapper,
	.deactivate = cli_deactivate,
	.ub_write = cli_write,
	.flush = cli_flush,
	.sapi_error = php_error,
	.header_handler = cli_header,
	.send_headers = cli_send_headers,
	.register_server_variables = cli_register_variables,
	.log_message = cli_log,
};

/* ---- max_execution_time: enforced from Go in CPU time (cli.go) ---- */

/* PHP's timer would be a process-wide SIGPROF (see sapi.c): PHP installs
 * its handler at each request start, Go's goes back at once
 * (ephpm_restore_go_sigprof). */

static void start_time_limit(zend_long secs)
{
	EG(timeout_seconds) = secs; /* for PHP's message only */
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

static ZEND_INI_MH(on_time_limit_change)
{
	if (stage == ZEND_INI_STAGE_RUNTIME) { /* set_time_limit(), ini_set() */
		start_time_limit(ZEND_ATOL(ZSTR_VAL(new_value)));
	}
	return SUCCESS;
}

/* ---- our module: the ephpm_kv_* functions and the worker API ---- */

static PHP_MINIT_FUNCTION(ephpm_cli)
{
	/* The value -d or php.ini gave is in place; from now on a change
	 * restarts our limit, and PHP's own timer stays off. */
	zend_ini_entry *e = zend_hash_str_find_ptr(EG(ini_directives), ZEND_STRL("max_execution_time"));
	if (e) {
		e->on_modify = on_time_limit_change;
	}
	EG(timeout_seconds) = 0;
	ephpm_worker_minit();
	ephpm_stack_guard_minit();
	return SUCCESS;
}

static PHP_MINFO_FUNCTION(ephpm_cli)
{
	php_info_print_table_start();
	php_info_print_table_row(2, "ephpm", "enabled");
	php_info_print_table_row(2, "ephpm version", ephpm_version);
	php_info_print_table_end();
}

static zend_module_entry ephpm_cli_module = {
	STANDARD_MODULE_HEADER,
	"ephpm",
	ephpm_functions,
	PHP_MINIT(ephpm_cli),
	NULL, NULL, NULL,
	PHP_MINFO(ephpm_cli),
	"0.1.0",
	STANDARD_MODULE_PROPERTIES
};

/* ---- signals ---- */

/* php-cli's dispositions. The Go runtime handles nearly every signal, and
 * php-cli handles none: SIGCHLD or SIGWINCH would cut sleep() short, and
 * SIGINT, SIGTERM, SIGUSR1... would not end the process as they end php.
 * No Go code here needs them, so they get their defaults; SIGPIPE is
 * ignored, as php ignores it (its children inherit that). Go keeps
 * SIGURG (preemption), SIGPROF (see above) and the synchronous faults. */
static void php_like_signals(void)
{
	static const int to_default[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD,
		SIGWINCH, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGIO, SIGPWR, SIGABRT, SIGSYS,
	};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(to_default) / sizeof(to_default[0]); i++) {
		sigaction(to_default[i], &sa, NULL);
	}
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		sigaction(sig, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* ---- startup and shutdown ---- */

static int sapi_up, php_up;
static char *ini_entries_copy;

int ephpm_cli_start(const ephpm_cli_config *cfg)
{
	int scan_env = 0;

	ephpm_version = cfg->ephpm_version ? cfg->ephpm_version : "";
	ephpm_cli_heap_hugepages(); /* cli_heap.c: before PHP's first malloc */
	php_like_signals();
	ephpm_process_startup();
	cli_sapi.additional_functions = cli_functions;
	sapi_startup(&cli_sapi);
	sapi_up = 1;

	/* After sapi_startup, which clears ini_entries. PHP keeps pointers
	 * into what it parses until module shutdown. */
	ini_entries_copy = cfg->ini_entries ? strdup(cfg->ini_entries) : NULL;
	cli_sapi.ini_entries = ini_entries_copy;
	cli_sapi.ini_defaults = cli_ini_defaults;
	cli_sapi.php_ini_path_override = (char *)cfg->ini_path;
	cli_sapi.php_ini_ignore = cfg->ini_ignore;
	cli_sapi.php_ini_ignore_cwd = 1;
	cli_sapi.phpinfo_as_text = 1;
	cli_sapi.executable_location = (char *)cfg->executable;

	/* PHP reads the scan directory from PHP_INI_SCAN_DIR only: ours is put
	 * there for the time of startup, so the script sees the environment
	 * it was given. */
	if (!cfg->ini_ignore && cfg->ini_scan_dir && !getenv("PHP_INI_SCAN_DIR")) {
		setenv("PHP_INI_SCAN_DIR", cfg->ini_scan_dir, 1);
		scan_env = 1;
	}
	int ok = cli_sapi.startup(&cli_sapi) == SUCCESS;
	if (scan_env) {
		if (ok) {
			/* It pointed into the environment. */
			php_ini_scanned_path = strdup(cfg->ini_scan_dir);
		}
		unsetenv("PHP_INI_SCAN_DIR");
	}
	ephpm_restore_go_sigprof();
	if (!ok) {
		return -1;
	}
	php_up = 1;
#ifdef ZEND_SIGNALS
	/* Signals stay as set above; PHP must not take them at request start. */
	SIGG(reset) = 0;
#endif
	CG(in_compilation) = 0; /* read by error reporting before any request */
	if (cfg->extended_info) {
		CG(compiler_options) |= ZEND_COMPILE_EXTENDED_INFO;
	}
	return 0;
}

void ephpm_cli_load_zend_extension(const char *path)
{
	zend_load_extension(path);
}

void ephpm_cli_stop(void)
{
	if (php_up) {
		/* The process exits right after this (RunCLI runs once, then
		 * os.Exit): unmapping each extension .so with the libraries it
		 * pulled in (curl, ICU, gnutls...) is work the exit does anyway,
		 * and in a process with Go's threads every munmap is a TLB
		 * shootdown on the other CPUs (about a tenth of a `-r 'echo 1;'`
		 * run, perf). MSHUTDOWN still runs for every module; only the
		 * dlclose is left out, which is what PHP's own
		 * ZEND_DONT_UNLOAD_MODULES does. Set for the shutdown only, and
		 * left as it was when the user set it. */
		int keep = getenv("ZEND_DONT_UNLOAD_MODULES") == NULL;
		if (keep) {
			setenv("ZEND_DONT_UNLOAD_MODULES", "1", 1);
		}
		php_module_shutdown();
		if (keep) {
			unsetenv("ZEND_DONT_UNLOAD_MODULES");
		}
	}
	if (sapi_up) {
		sapi_shutdown();
	}
	free(ini_entries_copy);
	ini_entries_copy = NULL;
#ifdef ZTS
	if (sapi_up) {
		tsrm_shutdown();
	}
#endif
	php_up = sapi_up = 0;
	ephpm_restore_go_sigprof();
	/* Go's os.Exit does not flush C's stdio. */
	fflush(stdout);
	fflush(stderr);
}

/* ---- what needs no request ---- */

const char *ephpm_cli_zend_version(void)
{
	return get_zend_version();
}

const char *ephpm_cli_build_date(void)
{
	return __DATE__ " " __TIME__;
}

const char *ephpm_cli_ini_state(int what)
{
	switch (what) {
	case 0: return PHP_CONFIG_FILE_PATH;
	case 1: return php_ini_opened_path;
	case 2: return php_ini_scanned_path;
	case 3: return php_ini_scanned_files;
	}
	return NULL;
}

/* The names of PHP's modules (zend_exts 0) or of the Zend extensions, one
 * a line, malloc'ed; Go sorts and prints them. */
static void add_zend_ext_name(void *ext, void *buf)
{
	smart_str_appends(buf, ((zend_extension *)ext)->name);
	smart_str_appendc(buf, '\n');
}

char *ephpm_cli_module_names(int zend_exts)
{
	smart_str buf = {0};
	zend_module_entry *m;

	if (zend_exts) {
		zend_llist_apply_with_argument(&zend_extensions, add_zend_ext_name, &buf);
	} else {
		ZEND_HASH_MAP_FOREACH_PTR(&module_registry, m) {
			smart_str_appends(&buf, m->name);
			smart_str_appendc(&buf, '\n');
		} ZEND_HASH_FOREACH_END();
	}
	char *out = strndup(buf.s ? ZSTR_VAL(buf.s) : "", buf.s ? ZSTR_LEN(buf.s) : 0);
	smart_str_free(&buf);
	return out;
}

/* ---- one request ---- */

static php_stream *stdin_stream;

/* STDIN, STDOUT, STDERR as constants. Closing them releases the stream,
 * never fds 0-2. */
static void define_std_streams(void)
{
	static const char *const names[3] = { "STDIN", "STDOUT", "STDERR" };
	static const char *const urls[3] = { "php://stdin", "php://stdout", "php://stderr" };
	php_stream *s[3];

	for (int i = 0; i < 3; i++) {
		s[i] = php_stream_open_wrapper_ex(urls[i], i ? "wb" : "rb", 0, NULL, NULL);
		if (!s[i]) {
			while (i--) {
				php_stream_close(s[i]);
			}
			return;
		}
		s[i]->flags |= PHP_STREAM_FLAG_NO_RSCR_DTOR_CLOSE;
	}
	for (int i = 0; i < 3; i++) {
		zend_constant c;
		php_stream_to_zval(s[i], &c.value);
		ZEND_CONSTANT_SET_FLAGS(&c, CONST_CS, 0);
		c.name = zend_string_init_interned(names[i], strlen(names[i]), 0);
		zend_register_constant(&c);
	}
	stdin_stream = s[0];
}

static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdprintf(STDOUT_FILENO, fmt, ap);
	va_end(ap);
}

/* Opens path for PHP to compile, or says why not (as php does). */
static int open_script(zend_file_handle *fh, const char *path)
{
	FILE *fp = VCWD_FOPEN(path, "rb");
	if (!fp) {
		say("Could not open input file: %s\n", path);
		return -1;
	}
	zend_stream_init_fp(fh, fp, path);
	fh->primary_script = 1;
	return 0;
}

/* -B, then -R code or the -F file for every line of stdin with $argn (the
 * line without its end; an empty line is one NUL byte, as in php) and
 * $argi (its number), then -E, while no exit() said otherwise. */
static void run_lines(const ephpm_cli_job *job)
{
	char *line;
	zend_long n = 0;

	if (job->begin) {
		zend_eval_string_ex((char *)job->begin, NULL, "Command line begin code", 1);
	}
	while (EG(exit_status) == 0 && stdin_stream && (line = php_stream_gets(stdin_stream, NULL, 0))) {
		size_t len = strlen(line);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
			line[--len] = '\0';
		}
		zval argn, argi;
		ZVAL_STRINGL(&argn, line, len ? len : 1);
		ZVAL_LONG(&argi, ++n);
		zend_hash_str_update(&EG(symbol_table), ZEND_STRL("argn"), &argn);
		zend_hash_str_update(&EG(symbol_table), ZEND_STRL("argi"), &argi);
		efree(line);
		if (job->code) {
			zend_eval_string_ex((char *)job->code, NULL, "Command line run code", 1);
		} else if (job->script) { /* with only -B/-E, lines are just read */
			zend_file_handle fh;
			if (open_script(&fh, job->script) != 0) {
				EG(exit_status) = 1;
				break;
			}
			CG(skip_shebang) = 1;
			php_execute_script(&fh);
			zend_destroy_file_handle(&fh);
		}
	}
	if (job->end) {
		zend_eval_string_ex((char *)job->end, NULL, "Command line end code", 1);
	}
}

static void run_module_info(const char *name)
{
	size_t len = strlen(name);
	char *lc = zend_str_tolower_dup(name, len);
	zend_module_entry *m = zend_hash_str_find_ptr(&module_registry, lc, len);
	efree(lc);
	if (m) {
		php_info_print_module(m);
	} else if (strcmp(name, "main") == 0) {
		display_ini_entries(NULL);
	} else {
		php_printf("Extension '%s' not present.\n", name);
		EG(exit_status) = 1;
	}
}

static void run_job(const ephpm_cli_job *job, zend_file_handle *fh)
{
	switch (job->kind) {
	case EPHPM_CLI_FILE:
		if (job->script) {
			define_std_streams();
		}
		php_execute_script(fh);
		break;
	case EPHPM_CLI_CODE:
		define_std_streams();
		zend_eval_string_ex(job->code, NULL, "Command line code", 1);
		break;
	case EPHPM_CLI_LINT:
		if (php_lint_script(fh) == SUCCESS) {
			php_printf("No syntax errors detected in %s\n", self_name);
			EG(exit_status) = 0;
		} else {
			php_printf("Errors parsing %s\n", self_name);
			EG(exit_status) = 255;
		}
		break;
	case EPHPM_CLI_LINES:
		define_std_streams();
		run_lines(job);
		break;
	case EPHPM_CLI_SHELL:
		EG(exit_status) = shell_hooks.run();
		break;
	case EPHPM_CLI_INFO:
		php_print_info(PHP_INFO_ALL & ~PHP_INFO_CREDITS);
		php_output_end_all();
		EG(exit_status) = 0;
		break;
	case EPHPM_CLI_MODULE_INFO:
		run_module_info(job->code);
		break;
	}
}

int ephpm_cli_run(const ephpm_cli_job *job)
{
	zend_file_handle fh;
	int have_file = 0;
	volatile int started = 0;
	char *translated = NULL;
	int status = 1;

	/* -i runs before php-cli knows of a script: no name, no $argv. */
	self_name = job->script ? job->script : job->kind == EPHPM_CLI_INFO ? "" : "Standard input code";
	script_path = job->script ? job->script : "";

	/* The file is opened before the request, as php does. */
	if (job->script && job->kind != EPHPM_CLI_SHELL) {
		char real[MAXPATHLEN];
		if (open_script(&fh, job->script) != 0) {
			goto done;
		}
		have_file = 1;
		if (VCWD_REALPATH(job->script, real)) {
			translated = strdup(real);
		}
		if (job->kind == EPHPM_CLI_LINES) { /* opened again for every line */
			zend_destroy_file_handle(&fh);
			have_file = 0;
		}
	} else if (job->kind == EPHPM_CLI_FILE || job->kind == EPHPM_CLI_LINT) {
		zend_stream_init_fp(&fh, stdin, self_name);
		fh.primary_script = 1;
		have_file = 1;
	}

	SG(options) |= SAPI_OPTION_NO_CHDIR;
	SG(request_info).argc = job->argc;
	SG(request_info).argv = job->argv;
	SG(request_info).path_translated = translated ? translated : *self_name ? (char *)self_name : NULL;

	zend_first_try {
		if (php_request_startup() == FAILURE) {
			say("Could not startup.\n");
		} else {
			started = 1;
			ephpm_restore_go_sigprof();
			if (INI_INT("max_execution_time") > 0) {
				start_time_limit(INI_INT("max_execution_time"));
			}
			CG(skip_shebang) = 1;
			/* No process title here: that lives in the php binary. */
			zend_register_bool_constant(ZEND_STRL("PHP_CLI_PROCESS_TITLE"), 0, CONST_CS, 0);
			zend_is_auto_global(ZSTR_KNOWN(ZEND_STR_AUTOGLOBAL_SERVER));
			PG(during_request_startup) = 0;
			run_job(job, &fh);
		}
	} zend_end_try();

	if (have_file) {
		zend_destroy_file_handle(&fh);
	}
	if (started) {
		/* Shutdown functions run here, and may exit() with a status. */
		zend_first_try {
			php_request_shutdown(NULL);
		} zend_end_try();
		ephpm_restore_go_sigprof();
		ephpm_go_cli_time_limit(NULL, 0, 0);
		status = EG(exit_status);
	}
done:
	free(translated);
	stdin_stream = NULL;
	self_name = script_path = "";
	return status;
}
