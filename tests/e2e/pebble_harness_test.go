package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Pebble (Let's Encrypt's test CA) for the automatic-HTTPS tests: built
// from the module pinned in go.mod (a tool dependency), run on loopback
// with real validation, resolving every name to 127.0.0.1 through a tiny
// DNS server of the test's own.

var pebbleOnce struct {
	sync.Once
	bin, moduleDir, err string
}

// buildPebble builds Pebble once per test binary and returns its path and
// its module directory (test certificates), or skips the test saying why
// it cannot.
func buildPebble(t *testing.T) (bin, moduleDir string) {
	t.Helper()
	pebbleOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			pebbleOnce.err = "no go command to build Pebble with: " + err.Error()
			return
		}
		dir, err := os.MkdirTemp("", "ephpm-pebble")
		if err != nil {
			pebbleOnce.err = err.Error()
			return
		}
		bin := filepath.Join(dir, "pebble")
		build := exec.Command(goBin, "build", "-o", bin, "github.com/letsencrypt/pebble/v2/cmd/pebble")
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			pebbleOnce.err = fmt.Sprintf("building Pebble: %v\n%s", err, out)
			return
		}
		list := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "github.com/letsencrypt/pebble/v2")
		list.Dir = repoRoot
		out, err := list.Output()
		if err != nil {
			pebbleOnce.err = fmt.Sprintf("locating Pebble's module: %v", err)
			return
		}
		pebbleOnce.bin, pebbleOnce.moduleDir = bin, strings.TrimSpace(string(out))
	})
	if pebbleOnce.err != "" {
		t.Skip("Pebble is not available here: " + pebbleOnce.err)
	}
	return pebbleOnce.bin, pebbleOnce.moduleDir
}

// startDNS answers A queries for every name with 127.0.0.1 (and nothing
// for other types) over TCP, which is how Pebble's VA asks, and returns
// its address.
func startDNS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, q := range r.Question {
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return ln.Addr().String()
}

// freePort returns a loopback TCP port that was free a moment ago: Pebble
// must be told where to validate before ephpm starts.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// pebble is one running Pebble.
type pebble struct {
	Dir    string // acme_ca
	CARoot string // PEM of the CA of Pebble's own HTTPS (acme_ca_root)
	mgmt   string
	client *http.Client // trusts CARoot

	mu  sync.Mutex
	log bytes.Buffer
}

func (p *pebble) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

// Log is what Pebble printed so far.
func (p *pebble) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// startPebble runs Pebble validating HTTP-01 on httpPort and TLS-ALPN-01
// on tlsPort of whatever dnsAddr resolves names to, issuing certificates
// valid for validity.
func startPebble(t *testing.T, httpPort, tlsPort int, dnsAddr string, validity time.Duration) *pebble {
	t.Helper()
	bin, mod := buildPebble(t)
	dir := t.TempDir()
	caRoot := filepath.Join(dir, "pebble.minica.pem")
	data, err := os.ReadFile(filepath.Join(mod, "test", "certs", "pebble.minica.pem"))
	must(t, err)
	must(t, os.WriteFile(caRoot, data, 0o644))
	api, mgmt := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress":           api,
		"managementListenAddress": mgmt,
		"certificate":             filepath.Join(mod, "test", "certs", "localhost", "cert.pem"),
		"privateKey":              filepath.Join(mod, "test", "certs", "localhost", "key.pem"),
		"httpPort":                httpPort,
		"tlsPort":                 tlsPort,
		"ocspResponderURL":        "",
		"retryAfter":              map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm":            "ecdsa",
		"profiles":                map[string]any{"default": map[string]any{"description": "default", "validityPeriod": int(validity.Seconds())}},
	}}
	js, err := json.Marshal(conf)
	must(t, err)
	confPath := filepath.Join(dir, "pebble-config.json")
	must(t, os.WriteFile(confPath, js, 0o644))

	p := &pebble{Dir: "https://" + api + "/dir", CARoot: caRoot, mgmt: mgmt}
	cmd := exec.Command(bin, "-config", confPath, "-dnsserver", dnsAddr)
	cmd.Dir = dir
	// Real validation, no random sleeps, no deliberately rejected nonces:
	// the test measures ephpm, not its retries.
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_VA_ALWAYS_VALID=0", "PEBBLE_WFE_NONCEREJECT=0")
	cmd.Stdout, cmd.Stderr = p, p
	must(t, cmd.Start())
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("pebble log:\n%s", p.Log())
		}
	})

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(data)
	p.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := p.client.Get(p.Dir)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-exited:
			t.Fatalf("pebble exited:\n%s", p.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not answer %s in 20s (%v):\n%s", p.Dir, err, p.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// IssuingRoot is the root Pebble signs certificates under (generated
// afresh at each start), from its management interface.
func (p *pebble) IssuingRoot(t *testing.T) *x509.CertPool {
	t.Helper()
	resp, err := p.client.Get("https://" + p.mgmt + "/roots/0")
	must(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	must(t, err)
	pool := x509.NewCertPool()
	if resp.StatusCode != 200 || !pool.AppendCertsFromPEM(data) {
		t.Fatalf("pebble /roots/0: %d %q", resp.StatusCode, data)
	}
	return pool
}

// Issued counts the certificates Pebble has issued.
func (p *pebble) Issued() int { return strings.Count(p.Log(), "Issued certificate serial") }
