/*
 * `ephpm php`: the embedded PHP as a command-line interpreter, a SAPI of
 * its own named "cli" (cli.c). It shares no state with the server's SAPI
 * (sapi.c) and never runs in the same process as it.
 */
#ifndef EPHPM_CLI_H
#define EPHPM_CLI_H

#include <stdint.h>

typedef struct {
	/* Absolute path of this binary: PHP_BINARY, so that a script starting
	 * PHP_BINARY runs this interpreter again. NULL: none. */
	const char *executable;
	/* The php.ini (file or directory) read when neither -c nor -n is
	 * given; NULL: PHP's own search (PHPRC, the binary's directory, the
	 * library's compiled-in path). */
	const char *ini_path;
	/* The conf.d directory scanned when PHP_INI_SCAN_DIR is not set; NULL:
	 * the library's compiled-in one. */
	const char *ini_scan_dir;
	/* No php.ini at all unless -c names one (ini_path is then unused). */
	int ini_ignore;
	/* "ephpm php", for the usage text; the ephpm version for -v. */
	const char *usage_name;
	const char *ephpm_version;
} ephpm_cli_opts;

/* Runs PHP as php-cli would with these arguments (argv[0] is the program
 * name; php's options, the script and its arguments follow) and returns the
 * exit status. Once per process: PHP's module startup cannot run twice. */
int ephpm_cli_main(int argc, char **argv, const ephpm_cli_opts *opts);

/* The interactive shell's hooks (a cli_shell_callbacks_t, see cli.c). */
void *ephpm_cli_shell_callbacks(void);

/* CPU time used so far by the thread tid (a pthread_t), in nanoseconds. */
int64_t ephpm_cli_thread_cpu_ns(uintptr_t tid);

#endif
