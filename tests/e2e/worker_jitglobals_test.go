package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
)

// $_SERVER and $_REQUEST in worker mode are built the way PHP builds them
// in request mode (auto_globals_jit): for every request once the worker's
// code names them, and not at all while nothing does. Whichever way, a
// request sees its own values, never the previous request's.

// jitWorker names neither $_SERVER nor $_REQUEST itself; ?inc=1 includes a
// file that does, ?filter=1 asks PHP for a server variable by
// filter_input(), which builds $_SERVER on demand.
const jitWorker = `<?php
$n = 0;
while (ephpm_handle_request(function () use (&$n) {
    $n++;
    $out = ['n' => $n, 'has_server' => isset($GLOBALS['_SERVER']),
        'has_request' => isset($GLOBALS['_REQUEST'])];
    if (isset($GLOBALS['_SERVER'])) {
        $out['global_uri'] = $GLOBALS['_SERVER']['REQUEST_URI'] ?? null;
    }
    if (isset($_GET['filter'])) {
        $out['filter_uri'] = filter_input(INPUT_SERVER, 'REQUEST_URI');
    }
    if (isset($_GET['inc'])) {
        $out['inc'] = include __DIR__ . '/names-server.php';
    }
    header('Content-Type: application/json');
    echo json_encode($out);
})) {
}
`

const jitNamesServer = `<?php
return ['uri' => $_SERVER['REQUEST_URI'], 'q' => $_REQUEST['q'] ?? null];
`

// jitPlain is the request-mode script that names neither.
const jitPlain = `<?php
header('Content-Type: application/json');
echo json_encode(['has_server' => isset($GLOBALS['_SERVER']), 'has_request' => isset($GLOBALS['_REQUEST'])]);
`

func startJIT(t *testing.T, mode string) *server {
	t.Helper()
	root := filepath.Join(t.TempDir(), "public")
	writeFile(t, filepath.Join(root, "worker.php"), jitWorker)
	writeFile(t, filepath.Join(root, "names-server.php"), jitNamesServer)
	writeFile(t, filepath.Join(root, "plain.php"), jitPlain)
	cfg := "[php]\nworkers = 1\nmax_execution_time = 5\n"
	if mode == "worker" {
		cfg += "mode = \"worker\"\nworker_script = \"worker.php\"\n"
	}
	return start(t, root, cfg)
}

func TestWorkerJITGlobalsLikeRequestMode(t *testing.T) {
	// Request mode first: PHP's own behaviour, which worker mode matches.
	rs := startJIT(t, "request")
	plain := decodeJSON(t, rs.get(t, "/plain.php"))
	if plain["has_server"] != false || plain["has_request"] != false {
		t.Fatalf("request mode, a script naming neither: %v (want both unset, auto_globals_jit)", plain)
	}

	s := startJIT(t, "worker")
	first := decodeJSON(t, s.get(t, "/first"))
	if first["has_server"] != plain["has_server"] || first["has_request"] != plain["has_request"] {
		t.Errorf("worker naming neither: %v, request mode: %v", first, plain)
	}

	// PHP asking for $_SERVER itself gets this request's values.
	f := decodeJSON(t, s.get(t, "/second?filter=1"))
	if f["filter_uri"] != "/second?filter=1" {
		t.Errorf("filter_input(INPUT_SERVER, REQUEST_URI) = %v, want /second?filter=1", f["filter_uri"])
	}
	if n := num(f, "n"); n != 2 {
		t.Fatalf("request 2 served as request %d of the run: the test needs one worker run", n)
	}

	// Once something wanted $_SERVER, every request has its own.
	for i := 3; i <= 5; i++ {
		path := fmt.Sprintf("/r%d?x=%d", i, i)
		r := decodeJSON(t, s.get(t, path))
		if r["has_server"] != true || r["global_uri"] != path {
			t.Errorf("request %d: %v, want $_SERVER with REQUEST_URI %s", i, r, path)
		}
	}
}

func TestWorkerJITGlobalsIncludedCodeSeesThisRequest(t *testing.T) {
	s := startJIT(t, "worker")
	decodeJSON(t, s.get(t, "/warm"))
	// A file naming $_SERVER and $_REQUEST, compiled during a request,
	// sees that request's values.
	r := decodeJSON(t, s.get(t, "/inc?inc=1&q=one"))
	inc, _ := r["inc"].(map[string]any)
	if inc["uri"] != "/inc?inc=1&q=one" || inc["q"] != "one" {
		t.Errorf("included file saw %v, want uri /inc?inc=1&q=one and q one", inc)
	}
	// The next request, loaded from OPcache or not, sees its own.
	r = decodeJSON(t, s.get(t, "/inc2?inc=1&q=two"))
	inc, _ = r["inc"].(map[string]any)
	if inc["uri"] != "/inc2?inc=1&q=two" || inc["q"] != "two" {
		t.Errorf("second request: included file saw %v, want uri /inc2?inc=1&q=two and q two", inc)
	}
	if r["global_uri"] != "/inc2?inc=1&q=two" {
		t.Errorf("second request: $GLOBALS['_SERVER'] REQUEST_URI %v", r["global_uri"])
	}
	if n := num(r, "n"); n != 3 {
		t.Errorf("served as request %d of the run, want 3 (one worker run)", n)
	}
}
