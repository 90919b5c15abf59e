/*
 * `ephpm php`: the embedded PHP as a command-line interpreter, a SAPI of
 * its own named "cli" (cli.c). Go reads the command line and calls these,
 * on one thread: ephpm_cli_start once, then what the command line asks
 * for, then ephpm_cli_stop. It shares no state with the server's SAPI
 * (sapi.c) and never runs in the same process as it.
 */
#ifndef EPHPM_CLI_H
#define EPHPM_CLI_H

#include <stdint.h>

typedef struct {
	/* Absolute path of this binary: PHP_BINARY. NULL: none. */
	const char *executable;
	/* The php.ini file or directory; NULL: PHP's own search. */
	const char *ini_path;
	/* The conf.d directory scanned unless PHP_INI_SCAN_DIR is set; NULL:
	 * the library's compiled-in one. */
	const char *ini_scan_dir;
	/* No php.ini at all. */
	int ini_ignore;
	/* "name=value\n" lines applied over php.ini (php-cli's fixed ones,
	 * then -d). */
	const char *ini_entries;
	/* -e: extended information for debuggers and profilers. */
	int extended_info;
	/* ephpm's version, shown by phpinfo(). */
	const char *ephpm_version;
} ephpm_cli_config;

/* Starts PHP (0, or -1 when module startup failed). Once per process. */
int ephpm_cli_start(const ephpm_cli_config *cfg);
/* cli_heap.c: PHP's start-up allocations on transparent huge pages. */
void ephpm_cli_heap_hugepages(void);
/* Shuts PHP down; after a failed start too. */
void ephpm_cli_stop(void);
/* -z FILE. */
void ephpm_cli_load_zend_extension(const char *path);

/* What a run does. */
enum {
	EPHPM_CLI_FILE,        /* run script, or the script read from stdin */
	EPHPM_CLI_CODE,        /* -r code */
	EPHPM_CLI_LINT,        /* -l: script, or stdin */
	EPHPM_CLI_LINES,       /* -B begin, -R code or -F script, -E end */
	EPHPM_CLI_SHELL,       /* -a (readline's shell) */
	EPHPM_CLI_INFO,        /* -i */
	EPHPM_CLI_MODULE_INFO, /* --ri code */
};

typedef struct {
	int kind;
	/* The file named on the command line (SCRIPT_FILENAME); NULL: none. */
	const char *script;
	const char *code;
	const char *begin, *end;
	/* $argv: argv[0] is script, or "Standard input code". */
	int argc;
	char **argv;
} ephpm_cli_job;

/* One request; returns the exit status. */
int ephpm_cli_run(const ephpm_cli_job *job);

/* Whether the readline extension gave us an interactive shell (-a). */
int ephpm_cli_has_shell(void);
/* The interactive shell's hooks, for php_cli_get_shell_callbacks. */
void *ephpm_cli_shell_callbacks(void);

/* For -v and --ini, after start. */
const char *ephpm_cli_zend_version(void);
const char *ephpm_cli_build_date(void);
/* 0: the compiled-in php.ini directory; 1: the php.ini read; 2: the
 * directory scanned; 3: the files read from it (NULL: none). */
const char *ephpm_cli_ini_state(int what);
/* PHP's module names (zend_exts 0) or Zend extension names, one a line;
 * malloc'ed. */
char *ephpm_cli_module_names(int zend_exts);

/* CPU time used so far by the thread tid (a pthread_t), in nanoseconds. */
int64_t ephpm_cli_thread_cpu_ns(uintptr_t tid);

#endif
