package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Worker hygiene (README "Worker hygiene"): what PHP resets between two
// requests in request mode is reset between two requests served by one
// worker; recycle rules end a worker script run after a request that left
// it too big, once it is too old or idled too long, and spread
// worker_max_requests.

// startHygiene runs testdata/worker-hygiene's worker script on one worker
// (so two requests in a row meet the same run), with the settings each
// build may lack made explicit: $_ENV filled, X-Powered-By on, sessions
// in a temp dir.
func startHygiene(t *testing.T, extra string) *server {
	t.Helper()
	return startHygieneScript(t, "worker.php", extra)
}

func startHygieneScript(t *testing.T, script, extra string) *server {
	t.Helper()
	root := filepath.Join(t.TempDir(), "public")
	copyDir(t, filepath.Join(repoRoot, "testdata", "worker-hygiene", "public"), root)
	sessions := t.TempDir()
	ini := fmt.Sprintf(`ini_overrides = [["variables_order", "EGPCS"], ["expose_php", "On"], ["session.save_path", %q], ["session.save_handler", "files"], ["session.use_strict_mode", "0"], ["output_buffering", "0"]]`, sessions)
	cfg := fmt.Sprintf("[php]\nmode = \"worker\"\nworker_script = %q\nworkers = 1\nworker_count = 1\nmax_execution_time = 5\nmemory_limit = \"256M\"\n%s\n%s", script, ini, extra)
	return start(t, root, cfg)
}

// hyg is one decoded report of the fixture.
type hyg struct {
	Boot    string         `json:"boot"`
	BootAt  float64        `json:"boot_at"`
	Now     float64        `json:"now"`
	Served  int            `json:"served"`
	State   map[string]any `json:"state"`
	KeptMB  int            `json:"kept_mb"`
	Memory  int64          `json:"memory"`
	Session int            `json:"session_n"`
	SessID  string         `json:"session_started_id"`
	Set     any            `json:"set"`

	resp response
}

func (s *server) hyg(t *testing.T, path string, headers map[string]string) hyg {
	t.Helper()
	r := s.request(t, "GET", path, nil, headers)
	expectStatus(t, r, 200, path)
	var h hyg
	decodeInto(t, r, &h)
	h.resp = r
	return h
}

func decodeInto(t *testing.T, r response, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("response is not JSON (status %d): %v\n%s", r.Status, err, r.Body)
	}
}

// expectReset runs ?do=action on the worker, then checks that the next
// request on the same run starts from the state the one before saw.
func expectReset(t *testing.T, s *server, action string, keys ...string) (before, during, after hyg) {
	t.Helper()
	before = s.hyg(t, "/", nil)
	during = s.hyg(t, "/?do="+action, nil)
	after = s.hyg(t, "/", nil)
	if before.Boot != during.Boot || during.Boot != after.Boot {
		t.Fatalf("%s: the worker restarted in between (boots %s %s %s); the test needs one run", action, before.Boot, during.Boot, after.Boot)
	}
	for _, k := range keys {
		if !reflect.DeepEqual(before.State[k], after.State[k]) {
			t.Errorf("%s: %s leaked into the next request: before %v, after %v", action, k, before.State[k], after.State[k])
		}
	}
	return before, during, after
}

func TestWorkerHygieneEnv(t *testing.T) {
	s := startHygiene(t, "")
	before, _, after := expectReset(t, s, "env", "getenv_hyg", "env_hyg", "getenv_boot", "env_boot", "env_path")
	// The boot's own putenv() and $_ENV write are the baseline.
	if before.State["getenv_boot"] != "boot" || before.State["env_boot"] != "boot" || before.State["getenv_hyg"] != false || before.State["env_path"] != true {
		t.Errorf("baseline: %v", before.State)
	}
	// A second round restores the same way.
	s.hyg(t, "/?do=env", nil)
	check := s.hyg(t, "/", nil)
	if check.State["getenv_boot"] != "boot" || check.State["getenv_hyg"] != false || after.State["env_hyg"] != nil {
		t.Errorf("after a second round: %v", check.State)
	}
	// Unsetting what the boot set comes back too.
	expectReset(t, s, "unsetenv", "getenv_boot", "env_boot")
}

// Two changing requests back to back: the second starts from the boot's
// environment, not from what the first left.
func TestWorkerHygieneEnvBackToBack(t *testing.T) {
	s := startHygiene(t, "")
	s.hyg(t, "/?do=env", nil)
	h := s.hyg(t, "/?do=env", nil)
	if h.State["getenv_hyg"] != false || h.State["getenv_boot"] != "boot" {
		t.Errorf("second request started with %v", h.State)
	}
}

func TestWorkerHygieneIni(t *testing.T) {
	s := startHygiene(t, "")
	before, _, _ := expectReset(t, s, "ini", "precision", "highlight", "session_name")
	if before.State["highlight"] != "#123456" {
		t.Errorf("the boot's ini_set() is not the baseline: %v", before.State["highlight"])
	}
}

func TestWorkerHygieneSetTimeLimit(t *testing.T) {
	s := startHygiene(t, "")
	expectReset(t, s, "time", "max_execution_time")
	// The 1 s limit of the previous request does not apply: a request
	// sleeping 1.5 s under the configured 5 s is answered.
	h := s.hyg(t, "/?do=sleep&ms=1500", nil)
	if h.State["max_execution_time"] != "5" {
		t.Errorf("max_execution_time %v, want 5", h.State["max_execution_time"])
	}
}

func TestWorkerHygieneSession(t *testing.T) {
	s := startHygiene(t, "")
	before, during, after := expectReset(t, s, "session", "session_status", "session_id", "session_set")
	if before.State["session_status"] != float64(1) || after.State["session_status"] != float64(1) { // PHP_SESSION_NONE
		t.Errorf("session status before/after: %v %v", before.State["session_status"], after.State["session_status"])
	}
	cookie := during.resp.Header.Get("Set-Cookie")
	if during.Session != 1 || during.SessID == "" || !strings.HasPrefix(cookie, "PHPSESSID="+during.SessID) {
		t.Fatalf("session request: n=%d id=%q Set-Cookie %q", during.Session, during.SessID, cookie)
	}
	// The session was written and closed (its lock released) when the
	// request ended: the same client's next request, on the same worker,
	// finds it.
	again := s.hyg(t, "/?do=session", map[string]string{"Cookie": "PHPSESSID=" + during.SessID})
	if again.Session != 2 || again.SessID != during.SessID || again.Boot != during.Boot {
		t.Errorf("session not carried by its cookie: n=%d id=%q (want 2, %q)", again.Session, again.SessID, during.SessID)
	}
	// And another client does not: no id, no $_SESSION.
	other := s.hyg(t, "/", nil)
	if other.State["session_id"] != "" || other.State["session_set"] != false {
		t.Errorf("session state leaked to another client: %v", other.State)
	}
	// session_id() set without starting a session is gone too.
	expectReset(t, s, "session_id", "session_id", "session_status")
}

func TestWorkerHygieneHeaderDefaults(t *testing.T) {
	s := startHygiene(t, "")
	before, during, after := expectReset(t, s, "headers")
	const ct = "text/html; charset=UTF-8"
	if got := before.resp.Header.Get("Content-Type"); got != ct || !strings.HasPrefix(before.resp.Header.Get("X-Powered-By"), "PHP/") {
		t.Fatalf("first request: Content-Type %q X-Powered-By %q", got, before.resp.Header.Get("X-Powered-By"))
	}
	if during.resp.Header.Get("X-Powered-By") != "" || during.resp.Header.Get("X-Req") != "" || !strings.HasPrefix(during.resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("header_remove() did not remove: %v", during.resp.Header)
	}
	if got := after.resp.Header.Get("Content-Type"); got != ct || !strings.HasPrefix(after.resp.Header.Get("X-Powered-By"), "PHP/") {
		t.Errorf("defaults not back: Content-Type %q X-Powered-By %q", got, after.resp.Header.Get("X-Powered-By"))
	}
}

func TestWorkerHygieneOutputHandlers(t *testing.T) {
	s := startHygiene(t, "")
	before := s.hyg(t, "/", nil)
	r := s.get(t, "/?do=ob")
	expectStatus(t, r, 200, "ob request")
	if r.Body != "LOWERCASE OUTPUT\n" {
		t.Errorf("open handlers were not flushed at the end of the request: %q", r.Body)
	}
	after := s.hyg(t, "/", nil)
	if after.Boot != before.Boot || after.State["ob_level"] != before.State["ob_level"] {
		t.Errorf("ob level %v, before %v (boots %s %s)", after.State["ob_level"], before.State["ob_level"], before.Boot, after.Boot)
	}
}

func TestWorkerHygieneLocale(t *testing.T) {
	s := startHygiene(t, "")
	_, during, _ := expectReset(t, s, "locale", "locale")
	if during.Set != "C.UTF-8" && during.Set != "C.utf8" {
		t.Fatalf("setlocale(LC_ALL, 'C.UTF-8') in the request returned %v", during.Set)
	}
}

func TestWorkerHygieneCwd(t *testing.T) {
	s := startHygiene(t, "")
	before, _, _ := expectReset(t, s, "chdir", "cwd")
	if before.State["cwd"] == "/tmp" {
		t.Fatalf("the baseline cwd is already /tmp; the test cannot tell")
	}
}

func TestWorkerHygieneTimezone(t *testing.T) {
	s := startHygiene(t, "")
	before, _, _ := expectReset(t, s, "timezone", "timezone")
	if before.State["timezone"] != "Europe/Paris" {
		t.Errorf("the boot's date_default_timezone_set() is not the baseline: %v", before.State["timezone"])
	}
}

func TestWorkerHygieneUmask(t *testing.T) {
	s := startHygiene(t, "")
	before, _, _ := expectReset(t, s, "umask", "umask")
	if before.State["umask"] != float64(0o022) {
		t.Errorf("baseline umask %v, want the boot's 022", before.State["umask"])
	}
}

// A save handler the worker script registered while booting stays: each
// request's session is read from it and written back to it at the end of
// the request, and the handler is closed each time.
func TestWorkerHygieneBootSessionHandler(t *testing.T) {
	s := startHygieneScript(t, "session_handler.php", "")
	var first, second, third struct {
		Boot         string `json:"boot"`
		StatusBefore int    `json:"status_before"`
		WritesBefore int    `json:"writes_before"`
		ClosesBefore int    `json:"closes_before"`
		N            int    `json:"n"`
		ID           string `json:"id"`
		Module       string `json:"module"`
	}
	decodeInto(t, s.get(t, "/?start=1"), &first)
	decodeInto(t, s.request(t, "GET", "/?start=1", nil, map[string]string{"Cookie": "PHPSESSID=" + first.ID}), &second)
	decodeInto(t, s.get(t, "/"), &third)
	if first.N != 1 || first.ID == "" || first.Module != "user" {
		t.Fatalf("first: %+v", first)
	}
	if second.Boot != first.Boot || second.N != 2 || second.ID != first.ID || second.WritesBefore != 1 || second.ClosesBefore != 1 || second.StatusBefore != 1 {
		t.Errorf("second request (same session): %+v; want n=2, one write and one close before it, no session open", second)
	}
	if third.Module != "user" || third.WritesBefore != 2 || third.StatusBefore != 1 {
		t.Errorf("third request: %+v; want the user handler still registered, two writes", third)
	}
}

// A request that throws (the worker script catches it and serves on) is
// reset like any other.
func TestWorkerHygieneAfterException(t *testing.T) {
	s := startHygiene(t, "")
	before := s.hyg(t, "/", nil)
	r := s.get(t, "/?do=throw")
	expectStatus(t, r, 500, "throwing request")
	after := s.hyg(t, "/", nil)
	if after.Boot != before.Boot {
		t.Fatalf("the worker restarted (boots %s %s); the fixture catches the exception", before.Boot, after.Boot)
	}
	for _, k := range []string{"getenv_hyg", "precision", "cwd", "session_status", "session_id", "session_set"} {
		if !reflect.DeepEqual(before.State[k], after.State[k]) {
			t.Errorf("%s leaked past an exception: before %v, after %v", k, before.State[k], after.State[k])
		}
	}
}

// ---- recycle rules ----

func TestWorkerRecycleMaxMemory(t *testing.T) {
	s := startHygiene(t, "worker_max_memory = \"24MB\"\n[server.logging]\nlevel = \"debug\"\n")
	first := s.hyg(t, "/", nil)
	var boots []string
	kept := 0
	for i := 0; i < 12; i++ {
		h := s.hyg(t, "/?do=grow&mb=4", nil)
		if h.Boot != first.Boot && len(boots) == 0 {
			boots = append(boots, h.Boot)
			kept = h.KeptMB
		}
	}
	if len(boots) == 0 {
		t.Fatalf("12 requests keeping 4 MB each never recycled the worker at 24 MB")
	}
	if kept != 1 {
		t.Errorf("the new run kept %d MB blocks at its first request, want 1 (its own)", kept)
	}
	waitLog(t, s, `PHP worker recycled.*cause=max_memory`)
}

func TestWorkerRecycleTTL(t *testing.T) {
	s := startHygiene(t, "worker_ttl = \"2s\"\n")
	first := s.hyg(t, "/", nil)
	// Busy (never idle for long): the run still ends at its ttl.
	deadline := time.Now().Add(20 * time.Second)
	var h hyg
	for time.Now().Before(deadline) {
		h = s.hyg(t, "/", nil)
		if h.Boot != first.Boot {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if h.Boot == first.Boot {
		t.Fatalf("worker_ttl = 2s: still the first run after 20 s")
	}
	if age := h.BootAt - first.BootAt; age < 1.9 {
		t.Errorf("the new run booted %.2fs after the first, before the 2s ttl", age)
	}
	// Parked: a run that has served a request and then waits ends at its
	// ttl by itself (its timer), not when the next request comes.
	sent := time.Now()
	time.Sleep(5 * time.Second)
	p := s.hyg(t, "/", nil)
	if p.Boot == h.Boot {
		t.Fatalf("a parked worker past its ttl was not recycled")
	}
	if float64(sent.UnixNano())/1e9 > p.BootAt || p.BootAt > p.Now-1 {
		t.Errorf("the parked worker rebooted at %.2f, not while parked (before %.2f)", p.BootAt, p.Now-1)
	}
}

func TestWorkerRecycleIdleTTL(t *testing.T) {
	s := startHygiene(t, "worker_idle_ttl = \"2s\"\n[server.logging]\nlevel = \"debug\"\n")
	first := s.hyg(t, "/", nil)
	// Requests closer than the idle ttl keep the run.
	for i := 0; i < 8; i++ {
		time.Sleep(300 * time.Millisecond)
		if h := s.hyg(t, "/", nil); h.Boot != first.Boot {
			t.Fatalf("recycled after %d requests 300 ms apart with a 2s idle ttl", i+1)
		}
	}
	time.Sleep(5 * time.Second)
	h := s.hyg(t, "/", nil)
	if h.Boot == first.Boot {
		t.Fatalf("an idle worker was not recycled after its idle ttl")
	}
	// It rebooted while idle (a timer), not on the request that came.
	if h.BootAt > h.Now-1 {
		t.Errorf("rebooted %.3fs before the request: on the request, not while idle", h.Now-h.BootAt)
	}
	waitLog(t, s, `PHP worker recycled.*cause=idle_ttl`)
	// The run that served h idles out too; the fresh one after it, which
	// served nothing, is not recycled again and again.
	time.Sleep(6 * time.Second)
	if n := strings.Count(s.Log(), "cause=idle_ttl"); n != 2 {
		t.Errorf("%d idle_ttl recycles, want 2 (a run that served nothing has nothing to shed)", n)
	}
}

// runLengths sends n requests and returns how many requests each run of
// the worker script served, the last (unfinished) run left out.
func runLengths(t *testing.T, s *server, n int) []int {
	t.Helper()
	var lengths []int
	cur, count := "", 0
	for i := 0; i < n; i++ {
		h := s.hyg(t, "/", nil)
		if h.Boot != cur {
			if cur != "" {
				lengths = append(lengths, count)
			}
			cur = h.Boot
		}
		count = h.Served
	}
	return lengths
}

func TestWorkerMaxRequestsJitter(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		s := startHygiene(t, "worker_max_requests = 20\nworker_max_requests_jitter = 0\n")
		for _, l := range runLengths(t, s, 130) {
			if l != 20 {
				t.Errorf("run of %d requests, want exactly 20 without jitter", l)
			}
		}
	})
	t.Run("automatic", func(t *testing.T) {
		s := startHygiene(t, "worker_max_requests = 20\n")
		checkSpread(t, runLengths(t, s, 250), 18, 20)
	})
	t.Run("explicit", func(t *testing.T) {
		s := startHygiene(t, "worker_max_requests = 20\nworker_max_requests_jitter = 8\n")
		checkSpread(t, runLengths(t, s, 250), 12, 20)
	})
}

// checkSpread wants every run length in [lo, hi] and not all the same
// (with 10+ runs drawn uniformly from 3+ values, all equal has a
// probability below 1e-4).
func checkSpread(t *testing.T, lengths []int, lo, hi int) {
	t.Helper()
	if len(lengths) < 10 {
		t.Fatalf("only %d complete runs: %v", len(lengths), lengths)
	}
	seen := map[int]bool{}
	for _, l := range lengths {
		if l < lo || l > hi {
			t.Errorf("run of %d requests, want %d..%d: %v", l, lo, hi, lengths)
		}
		seen[l] = true
	}
	if len(seen) < 2 {
		t.Errorf("every run served the same number of requests, no jitter: %v", lengths)
	}
}

// waitLog waits for a line matching re in the server log.
func waitLog(t *testing.T, s *server, re string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	if !waitUntil(10*time.Second, func() bool { return rx.MatchString(s.Log()) }) {
		t.Errorf("no log line matching %q", re)
	}
}
