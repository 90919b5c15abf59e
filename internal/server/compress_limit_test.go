package server

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCompressLiveEncodersBounded: every response being compressed holds
// an encoder (megabytes of tables), so at most maxLiveEncoders() are
// compressed at once; the next one goes out uncompressed and whole, and
// compression comes back once encoders are returned.
func TestCompressLiveEncodersBounded(t *testing.T) {
	body := strings.Repeat("<p>hello compressed world</p>\n", 200)
	hold := make(chan struct{})
	ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(body))
		if r.URL.Query().Get("hold") != "" {
			w.(http.Flusher).Flush() // compressing from here on, encoder held
			<-hold
		}
	}, nil, nil)

	n := maxLiveEncoders()
	var wg sync.WaitGroup
	started := make(chan string, n)
	tr := &http.Transport{DisableCompression: true, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", ts.URL+"/index.php?hold=1", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				started <- err.Error()
				return
			}
			started <- resp.Header.Get("Content-Encoding")
			buf := make([]byte, 1<<16)
			for {
				if _, err := resp.Body.Read(buf); err != nil {
					break
				}
			}
			resp.Body.Close()
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case enc := <-started:
			if enc != "gzip" {
				t.Fatalf("held response %d: Content-Encoding %q", i, enc)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d held responses started", i, n)
		}
	}

	resp, got := get(t, "GET", ts.URL+"/index.php", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "" || string(got) != body || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("with every encoder in use: Content-Encoding %q, %d bytes (want %d uncompressed), Vary %q",
			resp.Header.Get("Content-Encoding"), len(got), len(body), resp.Header.Get("Vary"))
	}

	close(hold)
	wg.Wait()
	resp, got = get(t, "GET", ts.URL+"/index.php", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || string(decode(t, "gzip", got)) != body {
		t.Errorf("after the held responses ended: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
}
