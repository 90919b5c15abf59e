package e2e

// Spec audit (session 9, second pass): issue 11's console scenarios with
// the package's own RESP client (Debian's php without phpredis, php -n) to
// a password-protected TCP listener, the combination TestArtisanShares-
// TheServersStore leaves out (its plain php has phpredis loaded and uses
// the unix socket without a password): cache:clear of the web's prefix
// only, queue:restart from phpredis reaching a queue:work loop on the
// stream client and the reverse, the web reading what artisan wrote, and
// two concurrent schedule:run of a withoutOverlapping() command.

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestSpecAudit9bArtisanOverPasswordTCP(t *testing.T) {
	php := laravelAndPHP(t)
	tcp := artisanFreeAddr(t)
	const pass = "artisan-pass"
	s := start(t, filepath.Join(laravelApp(), "public"),
		fmt.Sprintf("[kv]\nmemory_limit = \"256MB\"\n[kv.resp]\nlisten = %q\npassword = %q\n", tcp, pass),
		"CACHE_DRIVER=ephpm", "SESSION_DRIVER=cache")
	url := "tcp://" + tcp + "?password=" + pass
	cli := func(name string, flags ...string) phpCLI {
		return phpCLI{name, func(ctx context.Context, env []string, args ...string) *exec.Cmd {
			argv := append(append(append([]string(nil), flags...), "artisan"), args...)
			cmd := exec.CommandContext(ctx, php, argv...)
			cmd.Dir = laravelApp()
			cmd.Env = artisanEnv(append([]string{"CACHE_DRIVER=ephpm", "EPHPM_KV_URL=" + url}, env...)...)
			return cmd
		}}
	}
	stream := cli("php_n_stream", "-n", "-d", "extension=ctype", "-d", "extension=mbstring",
		"-d", "extension=tokenizer", "-d", "extension=iconv", "-d", "extension=posix")
	phpredis := cli("php_phpredis")

	t.Run("web_sees_what_artisan_wrote", func(t *testing.T) { artisanWrites(t, s, stream) })
	t.Run("cache_clear_empties_only_its_prefix", func(t *testing.T) { artisanCacheClear(t, s, stream) })
	t.Run("queue_restart_stream_stops_phpredis_worker", func(t *testing.T) { artisanQueueRestart(t, s, phpredis, stream) })
	t.Run("queue_restart_phpredis_stops_stream_worker", func(t *testing.T) { artisanQueueRestart(t, s, stream, phpredis) })
	t.Run("schedule_run_without_overlapping", func(t *testing.T) { artisanScheduleOverlap(t, stream) })
}
