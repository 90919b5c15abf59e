package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestSpecAudit9GetenvSeesRequestVariables: README "What PHP sees is what
// php-fpm gives it" (SPEC section 5, the CGI/FPM set). Under php-fpm and
// mod_php, getenv('REQUEST_METHOD'), getenv('HTTP_HOST') or
// getenv('REMOTE_ADDR') answer from the request (fcgi_getenv); here they
// were false, so scripts and libraries that read request data through
// getenv() saw none. Checked in request and worker mode, over two requests
// (no value of the first is seen by the second), with the process
// environment still reachable and HTTP_PROXY still kept out (httpoxy).
func TestSpecAudit9GetenvSeesRequestVariables(t *testing.T) {
	root := t.TempDir()
	body := `header('Content-Type: application/json'); echo json_encode([
		'method' => getenv('REQUEST_METHOD'), 'custom' => getenv('HTTP_X_CUSTOM'),
		'remote' => getenv('REMOTE_ADDR'), 'uri' => getenv('REQUEST_URI'),
		'path' => getenv('PATH') !== false, 'proxy' => getenv('HTTP_PROXY'),
		'local' => getenv('REQUEST_METHOD', true), 'none' => getenv('NO_SUCH_VARIABLE_HERE'),
	]);`
	must(t, os.WriteFile(filepath.Join(root, "env.php"), []byte("<?php "+body), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte("<?php while (ephpm_handle_request(function () { "+body+" }));"), 0o644))

	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) {
			s := start(t, root, "[php]\nmode = \""+mode+"\"\nworker_script = \"worker.php\"\n")
			for i, custom := range []string{"first", ""} {
				headers := map[string]string{"Proxy": "http://evil.example"}
				if custom != "" {
					headers["X-Custom"] = custom
				}
				r := s.request(t, "POST", "/env.php?n=1", nil, headers)
				expectStatus(t, r, 200, "env.php")
				var got map[string]any
				if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
					t.Fatalf("%v: %s", err, r.Body)
				}
				want := map[string]any{
					"method": "POST", "custom": any(custom), "remote": "127.0.0.1", "uri": "/env.php?n=1",
					"path": true, "proxy": false, "local": false, "none": false,
				}
				if custom == "" {
					want["custom"] = false // the first request's header is gone
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("request %d: getenv for %q gave %#v, want %#v (all: %s)", i+1, k, got[k], v, r.Body)
					}
				}
			}
		})
	}
}
