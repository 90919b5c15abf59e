package main

// ephpm_cli_preload_program tells internal/phpembed/cli_preload.c, whose
// constructor runs before Go's runtime in every program linking phpembed,
// that this program is ephpm and its command line may be `ephpm php`
// (test binaries of the package do not define it and preload nothing).

/*
int ephpm_cli_preload_program = 1;
*/
import "C"
