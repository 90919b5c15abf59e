package e2e

// Spec audit (session 9, second pass): `ephpm kv` (README "One store for
// every process") as an operator's script uses it: each subcommand's output
// (redis-cli --raw's) and exit status, and a typo or a missing subcommand is
// an error (exit 1), not the help text with status 0 that looks like success.

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpecAudit9bKVCommandExitCodes(t *testing.T) {
	sock := filepath.Join(artisanShortDir(t), "kv.sock")
	start(t, fixtureRoot(t), fmt.Sprintf("[kv.resp]\nsocket = %q\n", sock))
	url := "unix://" + sock
	kv := func(args ...string) (int, string, string) {
		cmd := exec.Command(binPath, append([]string{"kv", "--url", url}, args...)...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, out.String(), errOut.String()
		case errors.As(err, &ee):
			return ee.ExitCode(), out.String(), errOut.String()
		}
		t.Fatalf("ephpm kv %v: %v", args, err)
		return 0, "", ""
	}
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"set", "a:1", "hello"}, 0, "OK\n"},
		{[]string{"get", "a:1"}, 0, "hello\n"},
		{[]string{"get", "missing"}, 0, "\n"},
		{[]string{"set", "--ttl", "100", "a:2", "x"}, 0, "OK\n"},
		{[]string{"ttl", "a:2"}, 0, "100\n"},
		{[]string{"ttl", "a:1"}, 0, "-1\n"},
		{[]string{"ttl", "missing"}, 0, "-2\n"},
		{[]string{"incr", "b:c"}, 0, "1\n"},
		{[]string{"incr", "--by", "5", "b:c"}, 0, "6\n"},
		{[]string{"incr", "a:1"}, 1, ""},
		{[]string{"del", "a:2", "nope"}, 0, "1\n"},
		{[]string{"keys", "a:*"}, 0, "a:1\n"},
		{[]string{"flush"}, 1, ""},
		{[]string{"flush", "--prefix", "a:"}, 0, "1\n"},
		{[]string{"keys"}, 0, "b:c\n"},
		{[]string{"bogus"}, 1, ""},
		{nil, 1, ""},
		{[]string{"get"}, 1, ""},
		{[]string{"flush", "--all"}, 0, "OK\n"},
		{[]string{"keys"}, 0, ""},
	} {
		code, out, errOut := kv(c.args...)
		if code != c.code || out != c.out {
			t.Errorf("ephpm kv %s: exit %d, stdout %q (stderr %q); want exit %d, stdout %q",
				strings.Join(c.args, " "), code, out, errOut, c.code, c.out)
		}
		if code != 0 && strings.TrimSpace(errOut) == "" {
			t.Errorf("ephpm kv %s: exit %d with nothing on stderr", strings.Join(c.args, " "), code)
		}
	}
}
