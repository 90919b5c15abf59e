package e2e

// Spec audit (session 11, B): the seed README of ephpm/cache-laravel sets a
// store up with only 'driver' and 'prefix'; issue 11 has plain `php artisan`
// reach the server's store "when the store config names a connection
// (EPHPM_KV_URL)". A store written the README's way, run by Debian's php with
// EPHPM_KV_URL set, threw "not running under ephpm" on its first cache call:
// the URL in the environment was read only through a 'connection' key. Now a
// store entry without that key takes EPHPM_KV_URL itself (as `ephpm kv`
// does), and one that names it (even as null) keeps what it says.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const seedConfigProbe = `<?php
$base = getenv('LARAVEL_APP');
require $base . '/vendor/autoload.php';
$app = require $base . '/bootstrap/app.php';
$app->make(Illuminate\Contracts\Console\Kernel::class)->bootstrap();
// The seed README's config/cache.php entry, nothing else.
config(['cache.stores.seed' => ['driver' => 'ephpm', 'prefix' => 'seed']]);
config(['cache.stores.named_null' => ['driver' => 'ephpm', 'prefix' => 'nn', 'connection' => null]]);
$c = Illuminate\Support\Facades\Cache::store('seed');
$c->put('user:42', ['name' => 'Alice'], 3600);
echo json_encode([
    'get' => $c->get('user:42'),
    'incr' => [$c->increment('hits'), $c->increment('hits', 5)],
    'ops' => get_class($c->getStore()->getOps()),
    'named_null' => get_class(Illuminate\Support\Facades\Cache::store('named_null')->getStore()->getOps()),
]), "\n";
`

func TestSpecAudit11bSeedStoreConfigUsesEphpmKvURL(t *testing.T) {
	php := laravelAndPHP(t)
	dir := artisanShortDir(t)
	probe := filepath.Join(dir, "probe.php")
	must(t, os.WriteFile(probe, []byte(seedConfigProbe), 0o644))
	root := filepath.Join(dir, "docroot")
	must(t, os.Mkdir(root, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "read.php"), []byte(
		"<?php echo json_encode([ephpm_kv_get('seed:user:42'), ephpm_kv_get('seed:hits')]);"), 0o644))
	sock := filepath.Join(dir, "kv.sock")
	s := start(t, root, fmt.Sprintf("[kv.resp]\nsocket = %q\n", sock))

	ctx, cancel := context.WithTimeout(context.Background(), artisanTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, php, probe)
	cmd.Dir = laravelApp()
	cmd.Env = artisanEnv("LARAVEL_APP="+laravelApp(), "CACHE_DRIVER=ephpm", "EPHPM_KV_URL=unix://"+sock)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("php with EPHPM_KV_URL and the README's store config: %v\n%s", err, out)
	}
	want := `{"get":{"name":"Alice"},"incr":[1,6],"ops":"Ephpm\\Cache\\Laravel\\RespKvOps","named_null":"Ephpm\\Cache\\Laravel\\DeferredSapiKvOps"}`
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("probe:\n got %s\nwant %s", got, want)
	}
	// The web sees what the CLI wrote, under the store's prefix.
	r := s.get(t, "/read.php")
	expectStatus(t, r, 200, "read.php")
	if got, want := r.Body, `["a:1:{s:4:\"name\";s:5:\"Alice\";}","6"]`; got != want {
		t.Errorf("the server's store: got %s, want %s", got, want)
	}
}
