package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"
)

// TestSpecAudit11cPerIPLimitHTTP3: issue 13 asks for a per-IP connection
// limit, "beyond it the connection is refused before any PHP runs". With
// [server.http3] on, a client that opens QUIC connections instead of TCP
// ones must meet the same limit: before, every QUIC connection was
// served, however many one IP held open.
func TestSpecAudit11cPerIPLimitHTTP3(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "access.log")
	s := start(t, fixtureRoot(t), fmt.Sprintf("[server.logging]\naccess = %q\n[server.limits]\nper_ip_max_connections = 2\n", logFile)+
		tlsTOML(t, "[server.http3]\nenabled = true\n"))
	// Each transport holds one QUIC connection open (idle, not closed)
	// until it is closed.
	get := func(path string) (*http3.Transport, int, error) {
		tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
		c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
		resp, err := c.Get("https://" + s.Addr + path)
		if err != nil {
			return tr, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return tr, resp.StatusCode, nil
	}
	var held []*http3.Transport
	defer func() {
		for _, tr := range held {
			tr.Close()
		}
	}()
	for i := range 2 {
		tr, code, err := get(fmt.Sprintf("/info.php?held=%d", i))
		held = append(held, tr)
		if err != nil || code != 200 {
			t.Fatalf("QUIC connection %d within the limit: %d %v", i, code, err)
		}
	}
	tr, code, err := get("/info.php?refused=1")
	tr.Close()
	if err == nil {
		t.Errorf("a third QUIC connection from the same IP was answered %d", code)
	}
	// Closing one of the two frees its slot (the server learns of the
	// close from the client's CONNECTION_CLOSE: retries until then).
	held[0].Close()
	held = held[1:]
	var ok bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		tr, code, err := get("/info.php?after=1")
		tr.Close()
		if err == nil && code == 200 {
			ok = true
			break
		}
	}
	if !ok {
		t.Error("no QUIC connection accepted after one of the two was closed")
	}
	s.Stop()
	log, _ := os.ReadFile(logFile)
	if strings.Contains(string(log), "refused=1") || !strings.Contains(string(log), "after=1") {
		t.Errorf("access log:\n%s", log)
	}
}
