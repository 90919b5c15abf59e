package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestResponseErrors: each bad [server.response] value is refused with
// one line naming the key and its line.
func TestResponseErrors(t *testing.T) {
	dir := writeRoot(t)
	cases := []struct{ body, want string }{
		{"[server.response]\ncompression_level = 10\n", "ephpm.toml:2: server.response.compression_level: must be 0 (each codec's fast default) or 1-9, got 10"},
		{"[server.response]\ncompression_level = -1\n", "ephpm.toml:2: server.response.compression_level: must be 0 (each codec's fast default) or 1-9, got -1"},
		{"[server.response]\ncompression_min_size = -1\n", "ephpm.toml:2: server.response.compression_min_size: must be 0 or more bytes, got -1"},
		{"[server.response]\ncompression = \"yes\"\n", `ephpm.toml:2: server.response.compression: wrong type: want true or false, got string "yes"`},
		{"[server.response]\nheaders = [[\"X-A\", \"1\"], [\"\", \"b\"]]\n", "ephpm.toml:2: server.response.headers[1]: the header name is empty"},
		{"[server.response]\nheaders = [[\"Bad Name\", \"1\"]]\n", `ephpm.toml:2: server.response.headers[0]: "Bad Name" is not a valid header name (letters, digits and !#$%&'*+-.^_` + "`" + `|~ only)`},
		{"[server.response]\nheaders = [[\"X-A:\", \"1\"]]\n", `ephpm.toml:2: server.response.headers[0]: "X-A:" is not a valid header name (letters, digits and !#$%&'*+-.^_` + "`" + `|~ only)`},
		{"[server.response]\nheaders = [[\"X-A\", \"1\\r\\nSet-Cookie: x=1\"]]\n", "ephpm.toml:2: server.response.headers[0]: the value of X-A must not contain a line break or NUL byte"},
		{"[server.response]\nheaders = [[\"content-length\", \"1\"]]\n", "ephpm.toml:2: server.response.headers[0]: content-length is set by the server itself and cannot be configured"},
		{"[server.response]\nheaders = [[\"Content-Encoding\", \"gzip\"]]\n", "ephpm.toml:2: server.response.headers[0]: Content-Encoding is set by the server itself and cannot be configured"},
		{"[server.response]\nheaders = [[\"X-A\"]]\n", `ephpm.toml:2: server.response.headers[0]: want ["name", "value"] (two strings), got array ["X-A"]`},
		{"[server.response]\nheaders = \"X-A: 1\"\n", `ephpm.toml:2: server.response.headers: wrong type: want an array of ["name", "value"] pairs, got string "X-A: 1"`},
		{"[server.response]\ncompresion = true\n", "ephpm.toml:2: unknown key server.response.compresion (did you mean server.response.compression?)"},
	}
	expectLoadErrors(t, dir, cases)
}

func TestResponseValues(t *testing.T) {
	dir := writeRoot(t)
	c, err := load(t, dir, "[server.response]\ncompression = false\ncompression_level = 9\ncompression_min_size = 0\n"+
		"headers = [[\"Strict-Transport-Security\", \"max-age=60\"], [\"X-Frame-Options\", \"DENY\"], [\"X-Empty\", \"\"]]\n")
	if err != nil {
		t.Fatal(err)
	}
	want := ResponseConfig{CompressionLevel: 9, Headers: [][2]string{
		{"Strict-Transport-Security", "max-age=60"}, {"X-Frame-Options", "DENY"}, {"X-Empty", ""}}}
	if !reflect.DeepEqual(c.Server.Response, want) {
		t.Errorf("got %+v\nwant %+v", c.Server.Response, want)
	}
	d := Default().Server.Response
	if !d.Compression || d.CompressionLevel != 0 || d.CompressionMinSize != 1024 || len(d.Headers) != 0 {
		t.Errorf("defaults: %+v", d)
	}
	// From the environment, as every key.
	c, err = load(t, dir, "", "EPHPM_SERVER__RESPONSE__COMPRESSION=false", `EPHPM_SERVER__RESPONSE__HEADERS=[["X-A", "b"]]`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Response.Compression || !reflect.DeepEqual(c.Server.Response.Headers, [][2]string{{"X-A", "b"}}) {
		t.Errorf("env: %+v", c.Server.Response)
	}
	_, err = load(t, dir, "", "EPHPM_SERVER__RESPONSE__COMPRESSION_LEVEL=12")
	if err == nil || !strings.Contains(err.Error(), "EPHPM_SERVER__RESPONSE__COMPRESSION_LEVEL") || !strings.Contains(err.Error(), "server.response.compression_level") {
		t.Errorf("env error: %v", err)
	}
}
