package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/testcert"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	return testcert.SelfSigned(t, dir)
}

func TestTLS(t *testing.T) {
	certFile, keyFile := selfSigned(t, t.TempDir())
	s := start(t, fixtureRoot(t), fmt.Sprintf("[server.tls]\ncert_file = %q\nkey_file = %q\n", certFile, keyFile))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	resp, err := client.Get("https://" + s.Addr + "/info.php?x=1")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("GET over TLS: status %d, tls %v: %s", resp.StatusCode, resp.TLS != nil, body)
	}
	var m map[string]any
	must(t, json.Unmarshal(body, &m))
	srv := m["server"].(map[string]any)
	if srv["HTTPS"] != "on" {
		t.Errorf("$_SERVER['HTTPS'] = %v over TLS, want on", srv["HTTPS"])
	}
	if srv["REQUEST_SCHEME"] != nil && srv["REQUEST_SCHEME"] != "https" {
		t.Errorf("REQUEST_SCHEME = %v", srv["REQUEST_SCHEME"])
	}
	// Plain HTTP to a TLS listener is refused, not served.
	if resp, err := http.Get("http://" + s.Addr + "/info.php"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP to the TLS listener got 200")
		}
	}
}
