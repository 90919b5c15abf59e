package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSplitConfigArg(t *testing.T) {
	cases := []struct {
		args  []string
		rest  []string
		path  string
		given bool
		err   bool
	}{
		{[]string{"script.php", "a"}, []string{"script.php", "a"}, "", false, false},
		{[]string{"--config", "e.toml", "artisan", "list"}, []string{"artisan", "list"}, "e.toml", true, false},
		{[]string{"--config=e.toml", "-r", "echo 1;"}, []string{"-r", "echo 1;"}, "e.toml", true, false},
		// After php's options and their values, before the script.
		{[]string{"-d", "x=1", "--config", "e.toml", "-c", "php.ini", "s.php"}, []string{"-d", "x=1", "-c", "php.ini", "s.php"}, "e.toml", true, false},
		// A value that looks like --config belongs to the option before it.
		{[]string{"-r", "--config", "s.php"}, []string{"-r", "--config", "s.php"}, "", false, false},
		{[]string{"--define", "--config", "s.php"}, []string{"--define", "--config", "s.php"}, "", false, false},
		// The script's arguments are the script's.
		{[]string{"s.php", "--config", "e.toml"}, []string{"s.php", "--config", "e.toml"}, "", false, false},
		{[]string{"-r", "code", "--", "--config", "e.toml"}, []string{"-r", "code", "--", "--config", "e.toml"}, "", false, false},
		{[]string{"-dx=1", "--config", "e.toml", "s.php"}, []string{"-dx=1", "s.php"}, "e.toml", true, false},
		{[]string{"--config"}, nil, "", false, true},
		{[]string{"--config="}, nil, "", false, true},
	}
	for _, tc := range cases {
		rest, path, given, err := splitConfigArg(tc.args)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.args, err)
			continue
		}
		if tc.err {
			continue
		}
		if !reflect.DeepEqual(rest, tc.rest) || path != tc.path || given != tc.given {
			t.Errorf("%q: rest %q path %q given %v; want %q %q %v", tc.args, rest, path, given, tc.rest, tc.path, tc.given)
		}
	}
}

func TestPHPInvocation(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "artisan")
	if err := os.WriteFile(script, []byte("<?php"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := newRootCmd()
	cases := []struct {
		argv []string
		php  bool
	}{
		{[]string{"/usr/bin/ephpm", "serve"}, false},
		{[]string{"/usr/bin/ephpm", "php", "-v"}, false}, // cobra's `php` command
		{[]string{"/usr/bin/ephpm", "version"}, false},
		{[]string{"/usr/bin/ephpm"}, false},
		{[]string{"/usr/bin/ephpm", "-h"}, false},
		{[]string{"/usr/bin/ephpm", "--help"}, false},
		{[]string{"/usr/bin/ephpm", "help"}, false},
		{[]string{"/usr/bin/ephpm", "no-such-command"}, false},
		{[]string{"/usr/bin/ephpm", dir}, false}, // a directory is no script
		// PHP_BINARY started by a script.
		{[]string{"/usr/bin/ephpm", "-d", "memory_limit=1G", "composer.phar"}, true},
		{[]string{"/usr/bin/ephpm", "-r", "echo 1;"}, true},
		{[]string{"/usr/bin/ephpm", script, "schedule:run"}, true},
		// Installed as php through a link.
		{[]string{"/usr/local/bin/php", "serve"}, true},
		{[]string{"php8.2", "-v"}, true},
		{[]string{"/usr/local/bin/phpunit", "x"}, false},
	}
	for _, tc := range cases {
		args, ok := phpInvocation(tc.argv, root)
		if ok != tc.php {
			t.Errorf("%q: php %v, want %v", tc.argv, ok, tc.php)
			continue
		}
		if ok && !reflect.DeepEqual(args, tc.argv[1:]) {
			t.Errorf("%q: args %q, want %q", tc.argv, args, tc.argv[1:])
		}
	}
}
