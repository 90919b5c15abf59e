package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logsPHP logs through PHP's own channels (error_log() and a warning,
// both reaching the SAPI's log callback with display_errors off) and
// prints the X-Request-Id PHP was given.
const logsPHP = `<?php
error_log("logs-test error_log " . ($_GET['tag'] ?? ''));
trigger_error("logs-test warning " . ($_GET['tag'] ?? ''), E_USER_WARNING);
header('Content-Type: text/plain');
echo $_SERVER['HTTP_X_REQUEST_ID'] ?? '(none)';
`

const logsWorkerPHP = `<?php
while (ephpm_handle_request(function () { include __DIR__ . '/ids.php'; })) {
}
`

// logsRoot is a document root with ids.php (logsPHP) and worker.php
// running it in worker mode.
func logsRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "public")
	must(t, os.MkdirAll(root, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "ids.php"), []byte(logsPHP), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte(logsWorkerPHP), 0o644))
	return root
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// idRequest gets ids.php?tag=tag with the given X-Request-Id ("" = none)
// and returns the id on the response, which must be the one PHP saw.
func idRequest(t *testing.T, s *server, tag, sent string) string {
	t.Helper()
	h := map[string]string{}
	if sent != "" {
		h["X-Request-Id"] = sent
	}
	r := s.request(t, http.MethodGet, "/ids.php?tag="+tag, nil, h)
	expectStatus(t, r, 200, "ids.php")
	ids := r.Header.Values("X-Request-Id")
	if len(ids) != 1 || ids[0] != r.Body {
		t.Fatalf("response X-Request-Id %q, $_SERVER['HTTP_X_REQUEST_ID'] %q: want one, the same", ids, r.Body)
	}
	return ids[0]
}

// eventually polls cond for up to 15 s: log lines are written after the
// response went out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(15*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// jsonLines parses every line of text as one JSON object.
func jsonLines(t *testing.T, what, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s line is not JSON: %v\n%s", what, err, l)
		}
		out = append(out, m)
	}
	return out
}

// TestLogsJSON: in format = "json" every server-log and access-log line
// parses; one request's id is the same on the response, in $_SERVER, in
// its access-log line and on PHP's own log lines about it (error_log()
// and a warning), in request and worker mode. An id sent by a client
// that is not a trusted proxy is replaced; a trusted proxy's is kept.
func TestLogsJSON(t *testing.T) {
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) {
			root := logsRoot(t)
			access := filepath.Join(t.TempDir(), "access.log")
			toml := fmt.Sprintf("[server.logging]\nformat = \"json\"\naccess = %q\n[server.security]\ntrusted_proxies = [\"10.9.8.7\"]\n", access)
			if mode == "worker" {
				toml += "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 1\n"
			}
			s := start(t, root, toml)
			id := idRequest(t, s, "t1", "spoofed-by-client")
			if !hexID.MatchString(id) {
				t.Fatalf("id %q: want a generated one, not the untrusted client's", id)
			}
			second := idRequest(t, s, "t2", "")
			if second == id || !hexID.MatchString(second) {
				t.Fatalf("second id %q (first %q)", second, id)
			}

			// The access log: one object per request, with the id.
			var accessLines []map[string]any
			eventually(t, "two access-log lines", func() bool {
				b, _ := os.ReadFile(access)
				if strings.Count(string(b), "\n") < 2 {
					return false
				}
				accessLines = jsonLines(t, "access log", string(b))
				return true
			})
			for i, want := range []string{id, second} {
				l := accessLines[i]
				if l["request_id"] != want || l["uri"] != fmt.Sprintf("/ids.php?tag=t%d", i+1) || l["status"] != float64(200) || l["method"] != "GET" {
					t.Errorf("access line %d: %v, want request_id %s", i, l, want)
				}
			}

			// The server log: all JSON; PHP's lines for t1 carry t1's id.
			var lines []map[string]any
			eventually(t, "PHP's log lines for t2", func() bool {
				return strings.Contains(s.Log(), "logs-test warning t2")
			})
			lines = jsonLines(t, "server log", s.Log())
			found := map[string]bool{}
			for _, l := range lines {
				msg, _ := l["msg"].(string)
				for _, tag := range []string{"t1", "t2"} {
					want := id
					if tag == "t2" {
						want = second
					}
					for _, kind := range []string{"error_log", "warning"} {
						if strings.Contains(msg, "logs-test "+kind+" "+tag) {
							found[kind+tag] = true
							if l["request_id"] != want || l["source"] != "php" {
								t.Errorf("PHP %s line for %s: %v, want request_id %s", kind, tag, l, want)
							}
						}
					}
				}
			}
			if len(found) != 4 {
				t.Errorf("PHP log lines found: %v; server log:\n%s", found, s.Log())
			}
		})
	}
}

// TestLogsConcurrentIDs: with several PHP threads (ZTS) serving at once,
// each PHP log line carries the id of the request its own thread runs.
func TestLogsConcurrentIDs(t *testing.T) {
	s := start(t, logsRoot(t), "[server.logging]\nformat = \"json\"\n[php]\nworkers = 4\n")
	const n = 24
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := client.Get(fmt.Sprintf("%s/ids.php?tag=c%d", s.URL, i))
			if err != nil {
				t.Error(err)
				return
			}
			defer r.Body.Close()
			b, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Request-Id") != string(b) {
				t.Errorf("c%d: response id %q, PHP saw %q", i, r.Header.Get("X-Request-Id"), b)
			}
			ids[i] = string(b)
		}()
	}
	wg.Wait()
	eventually(t, "every PHP line", func() bool {
		return strings.Count(s.Log(), "logs-test error_log c") == n
	})
	for _, l := range jsonLines(t, "server log", s.Log()) {
		msg, _ := l["msg"].(string)
		var i int
		if _, err := fmt.Sscanf(msg, "logs-test error_log c%d", &i); err != nil {
			continue
		}
		if l["request_id"] != ids[i] {
			t.Errorf("PHP line for c%d has request_id %v, want %s", i, l["request_id"], ids[i])
		}
	}
}

// TestLogsTrustedProxyID: an id a trusted proxy sent is kept end to end.
func TestLogsTrustedProxyID(t *testing.T) {
	access := filepath.Join(t.TempDir(), "access.log")
	s := start(t, logsRoot(t), fmt.Sprintf("[server.logging]\naccess = %q\n[server.security]\ntrusted_proxies = [\"127.0.0.1\"]\n", access))
	const lb = "Root=1-5f84c7a5-0a1b2c3d4e5f"
	if got := idRequest(t, s, "p1", lb); got != lb {
		t.Fatalf("id %q, want the trusted proxy's %q", got, lb)
	}
	// Not a sane token, even from the trusted proxy: replaced.
	if got := idRequest(t, s, "p2", "has space"); !hexID.MatchString(got) {
		t.Fatalf("id %q, want a generated one", got)
	}
	// Text server log: key=value with request_id.
	eventually(t, "PHP's text log line", func() bool {
		return strings.Contains(s.Log(), `msg="logs-test error_log p1"`) && strings.Contains(s.Log(), `request_id="`+lb+`"`) // quoted: it has a '='
	})
	eventually(t, "the text access-log line", func() bool {
		b, _ := os.ReadFile(access)
		return strings.Contains(string(b), `"GET /ids.php?tag=p1 HTTP/1.1" 200`) && strings.Contains(string(b), `"`+lb+`"`+"\n")
	})
}

// TestLogsReopen is logrotate's move-then-signal: after SIGUSR1 the next
// request is logged to a new file at the old path, the moved file keeps
// the earlier lines. With the access log on stderr, SIGUSR1 changes
// nothing and does not stop the server.
func TestLogsReopen(t *testing.T) {
	access := filepath.Join(t.TempDir(), "access.log")
	s := start(t, logsRoot(t), fmt.Sprintf("[server.logging]\naccess = %q\n", access))
	first := idRequest(t, s, "r1", "")
	eventually(t, "the first access-log line", func() bool {
		b, _ := os.ReadFile(access)
		return strings.Contains(string(b), first)
	})
	must(t, os.Rename(access, access+".1"))
	must(t, s.cmd.Process.Signal(syscall.SIGUSR1))
	eventually(t, "the reopen log line", func() bool { return strings.Contains(s.Log(), "access log reopened") })
	second := idRequest(t, s, "r2", "")
	eventually(t, "the second line in the new file", func() bool {
		b, _ := os.ReadFile(access)
		return strings.Contains(string(b), second)
	})
	old, _ := os.ReadFile(access + ".1")
	cur, _ := os.ReadFile(access)
	if !strings.Contains(string(old), first) || strings.Contains(string(old), second) {
		t.Errorf("moved file:\n%s", old)
	}
	if strings.Contains(string(cur), first) || strings.Count(string(cur), "\n") != 1 {
		t.Errorf("new file:\n%s", cur)
	}

	s2 := start(t, logsRoot(t), "[server.logging]\naccess = \"stderr\"\n")
	must(t, s2.cmd.Process.Signal(syscall.SIGUSR1))
	eventually(t, "the not-a-file log line", func() bool { return strings.Contains(s2.Log(), "nothing to reopen") })
	id := idRequest(t, s2, "r3", "")
	if s2.Exited() {
		t.Fatal("SIGUSR1 stopped the server")
	}
	eventually(t, "the access line on stderr", func() bool {
		return strings.Contains(s2.Log(), `"GET /ids.php?tag=r3 HTTP/1.1" 200`) && strings.Contains(s2.Log(), id)
	})
}
