package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "ephpm test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
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
