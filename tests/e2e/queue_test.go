package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestQueuedRequestAbandoned: in request mode a request that waits for a
// PHP thread and whose client leaves is dropped from the queue (its script
// never runs), and the requests queued behind it are still served by the
// thread as it comes free (runOnToken takes them from the queue).
func TestQueuedRequestAbandoned(t *testing.T) {
	root := t.TempDir()
	marks := t.TempDir()
	writeFile(t, filepath.Join(root, "slow.php"), `<?php usleep(1500000); echo "slow";`)
	writeFile(t, filepath.Join(root, "mark.php"), `<?php touch(`+phpQuote(marks)+` . '/' . basename($_GET['n'])); echo "ran ", $_GET['n'];`)
	s := start(t, root, "[php]\nworkers = 1\nqueue_size = 8\n")

	slow := make(chan response, 1)
	go func() { slow <- s.get(t, "/slow.php") }()
	time.Sleep(300 * time.Millisecond) // the only PHP thread is now busy

	// Queued, then abandoned by its client.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/mark.php?n=abandoned", nil)
	must(t, err)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the queued request answered %d before the busy thread was free", resp.StatusCode)
	}

	// Queued behind it: served once the thread is free.
	later := make(chan response, 1)
	go func() { later <- s.get(t, "/mark.php?n=later") }()

	expectStatus(t, <-slow, 200, "slow request")
	select {
	case r := <-later:
		expectStatus(t, r, 200, "request queued behind an abandoned one")
		if r.Body != "ran later" {
			t.Errorf("body %q", r.Body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the request queued behind an abandoned one was not served")
	}
	if _, err := os.Stat(filepath.Join(marks, "abandoned")); err == nil {
		t.Error("the abandoned request's script ran")
	}
	if _, err := os.Stat(filepath.Join(marks, "later")); err != nil {
		t.Errorf("the later request's script did not run: %v", err)
	}
	expectStatus(t, s.get(t, "/mark.php?n=after"), 200, "a request after")
}

// phpQuote is s as a single-quoted PHP string literal.
func phpQuote(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
