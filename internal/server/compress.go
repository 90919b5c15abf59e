package server

import (
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/ephpm/ephpm/internal/accept"
)

// coding is a content coding the server can produce.
type coding int

const (
	identity coding = iota
	codingGzip
	codingBr
	codingZstd
)

// codings in order of preference at equal q: zstd compresses about as well
// as brotli at a fraction of the CPU, and both beat gzip.
var codings = [...]coding{codingZstd, codingBr, codingGzip}

// token is the coding's name in Accept-Encoding and Content-Encoding.
func (c coding) token() string {
	switch c {
	case codingGzip:
		return "gzip"
	case codingBr:
		return "br"
	case codingZstd:
		return "zstd"
	}
	return "identity"
}

// ext is the file name suffix of a precompressed sibling.
func (c coding) ext() string {
	switch c {
	case codingGzip:
		return ".gz"
	case codingBr:
		return ".br"
	case codingZstd:
		return ".zst"
	}
	return ""
}

// acceptedCodings reads Accept-Encoding (RFC 9110 12.5.3): the q of each
// coding we produce, named or through "*". A coding not named and not
// covered by "*" gets 0, as does one refused with q=0. No header means no
// compression: a client that says nothing may not decode anything.
func acceptedCodings(header []string) (q [4]float64) {
	star := -1.0
	named := [4]bool{}
	accept.Each(header, func(name string, v float64, qErr bool) {
		if qErr || v < 0 || v > 1 {
			v = 0 // a q we cannot read is no consent
		}
		var c coding
		switch name {
		case "gzip", "x-gzip":
			c = codingGzip
		case "br":
			c = codingBr
		case "zstd":
			c = codingZstd
		case "identity":
			c = identity // only ranked() reads it: see there
		case "*":
			star = v
			return
		default:
			return
		}
		if !named[c] || v > q[c] {
			q[c] = v
		}
		named[c] = true
	})
	if star >= 0 {
		for _, c := range codings {
			if !named[c] {
				q[c] = star
			}
		}
	}
	return q
}

// ranked lists the acceptable codings (q above 0), best first: by q, then
// zstd > br > gzip. A coding the client rates below an identity it names
// ("identity, gzip;q=0.5") is left out: it prefers the body as it is
// (RFC 9110 12.5.3). identity's q is 0 unless named, so "gzip, deflate"
// (identity implied at q=1) still compresses: at equal q the server picks.
func ranked(q [4]float64) []coding {
	out := make([]coding, 0, len(codings))
	for _, c := range codings {
		if q[c] > 0 && q[c] >= q[identity] {
			out = append(out, c)
		}
	}
	// Insertion sort by q, stable, so equal q keep the preference order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && q[out[j]] > q[out[j-1]]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// negotiate picks the best acceptable coding; identity when none is.
func negotiate(q [4]float64) coding {
	if r := ranked(q); len(r) > 0 {
		return r[0]
	}
	return identity
}

// compressibleType reports whether a Content-Type is worth compressing:
// text and structured text (JSON, XML, JavaScript, SVG), WebAssembly and
// uncompressed fonts. Images, audio, video, archives and woff fonts are
// compressed already.
func compressibleType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	if strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true // application/ld+json, image/svg+xml, application/atom+xml...
	}
	switch mt {
	case "application/json", "application/javascript", "application/x-javascript",
		"application/ecmascript", "application/xml", "application/wasm",
		"application/x-ndjson", "application/yaml", "application/x-yaml", "application/toml",
		"application/graphql", "application/x-www-form-urlencoded",
		"application/vnd.ms-fontobject", "font/ttf", "font/otf", "font/collection",
		"application/x-font-ttf", "application/x-font-otf", "image/x-icon",
		"image/vnd.microsoft.icon", "image/bmp":
		return true
	}
	return false
}

// taggedETag marks an ETag as belonging to the c-encoded representation:
// "abc" becomes "abc-gzip", W/"abc" becomes W/"abc-gzip", so that a cache
// never takes one representation's validator for the other's.
func taggedETag(etag string, c coding) string {
	if c == identity || etag == "" {
		return etag
	}
	suffix := "-" + c.token() + `"`
	if strings.HasSuffix(etag, suffix) {
		return etag
	}
	if strings.HasSuffix(etag, `"`) && len(etag) >= 2 {
		return etag[:len(etag)-1] + suffix
	}
	return etag // not a valid entity tag; leave it alone
}

// untagIfNoneMatch removes c's suffix from every tag of an If-None-Match
// value, so that a script comparing it with its own (identity) ETag sees
// a match for the representation the client holds. ok is false when no
// tag carried the suffix.
func untagIfNoneMatch(value string, c coding) (out string, ok bool) {
	suffix := "-" + c.token() + `"`
	parts := strings.Split(value, ",")
	for i, p := range parts {
		t := strings.TrimSpace(p)
		if strings.HasSuffix(t, suffix) {
			parts[i] = " " + t[:len(t)-len(suffix)] + `"`
			ok = true
		}
	}
	if !ok {
		return value, false
	}
	return strings.TrimSpace(strings.Join(parts, ",")), true
}

// encoder is a pooled compressor writing to one response at a time.
type encoder interface {
	io.WriteCloser
	Flush() error
	Reset(io.Writer)
}

// encoders pools one kind of compressor per coding at the configured
// level, so a request borrows a ready encoder instead of allocating
// brotli's or zstd's tables anew.
//
// Each live encoder holds its tables (measured: gzip level 1 about 0.8 MB,
// zstd level 3 about 1.9 MB (level 1 less), brotli quality 4 about 3.7 MB with a 1 MB
// window and 9.8 MB with brotli's default 4 MB one), for as long as its
// response is being written, slow clients included. So at most slots
// responses are compressed at once; beyond that a response goes out
// uncompressed (still correct, with Vary), and memory stays bounded under
// any number of connections.
//
// A returned encoder goes on top of idle, and get takes the top one: the
// encoder used last, whose tables are most likely still in the CPU's
// caches. A sync.Pool alone hands out whichever encoder its per-P slots
// hold, so under load a response drew one of dozens of encoders (65 were
// made in two minutes of wrk with 32 connections), each cold. Thread CPU
// time of Write+Close per 100 KB bench page inside the server, two
// interleaved runs on a 2-core VM at load 14-18: gzip level 1 336 and
// 269 us with the pool, 259 and 223 us last-used first; zstd 538 and 498
// -> 504 and 456 us. Encoders beyond idleMax go to the pool, which the GC
// empties when they stay unused, so a burst does not pin its encoders'
// memory for good.
type encoders struct {
	idle    [4]encoderStack
	pools   [4]sync.Pool // overflow of idle, and New
	idleMax int
	slots   chan struct{}
}

// encoderStack is a LIFO list of idle encoders of one coding.
type encoderStack struct {
	mu   sync.Mutex
	encs []encoder
}

func (s *encoderStack) pop() encoder {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.encs)
	if n == 0 {
		return nil
	}
	enc := s.encs[n-1]
	s.encs[n-1] = nil
	s.encs = s.encs[:n-1]
	return enc
}

// push keeps enc unless max encoders are idle already.
func (s *encoderStack) push(enc encoder, max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.encs) >= max {
		return false
	}
	s.encs = append(s.encs, enc)
	return true
}

// maxLiveEncoders bounds the responses compressed at once: enough to keep
// every CPU compressing, and a fixed memory ceiling (tens of MB).
func maxLiveEncoders() int {
	return min(max(8*runtime.GOMAXPROCS(0), 16), 128)
}

// Levels used for compression_level = 0: fast settings that still
// compress text well. gzip is level 1, nginx's default too: clients that
// take zstd or br (current browsers) get those, so gzip serves older
// clients and tools, where CPU counts most. Measured on HTML pages of
// 20-100 KB (a reused encoder, CPU time per page on a busy 2-core VM):
// klauspost's level 1 costs 0.4-0.6x its level 5 and 0.25-0.6x zlib's
// level 1; it sends 5-18% more bytes than its level 5, and against zlib's
// level 1 (nginx) 3-6% fewer on the two benchmark pages, 3% more on
// phpinfo() and a documentation page.
// compression_level = 5 gives the former default.
//
// zstd is level 1 (klauspost's SpeedFastest; level 3 before session 7):
// inside the server, where its tables are cold, level 3's match finder
// (two hash tables, about 1.5 MB) cost far more than in a hot loop. Thread
// CPU time of the compression per 100 KB bench page, 6 interleaved rounds
// at load 16-19: 480 us at level 3, 350 at level 1 (268 with the bytes
// compressed on arrival, response.go encodeNowAt); ephpm's CPU per zstd
// response 1011 -> 887 us (832 with both). Level 1 sends 6-7% more bytes
// than level 3 (the page 11,867 vs 11,087, phpinfo() 11,912 vs 11,267,
// this project's README 54,935 vs 51,782) and still fewer than zlib's
// gzip level 1 (nginx's default: 15,979, 12,047 and 56,806).
const (
	defaultGzipLevel   = 1
	defaultBrotliLevel = 4
	defaultZstdLevel   = 1
)

func newEncoders(level int) *encoders {
	gzLevel, brLevel, zLevel := defaultGzipLevel, defaultBrotliLevel, defaultZstdLevel
	if level > 0 {
		gzLevel, brLevel, zLevel = level, level, level
	}
	// As many idle encoders as threads can compress at once (ephpm runs
	// with GOMAXPROCS = CPUs + PHP threads): enough for the steady state
	// never to allocate, few enough to stay warm.
	e := &encoders{slots: make(chan struct{}, maxLiveEncoders()), idleMax: runtime.GOMAXPROCS(0)}
	e.pools[codingGzip].New = func() any {
		w, _ := gzip.NewWriterLevel(nil, gzLevel) // the level is validated 0-9
		return w
	}
	e.pools[codingBr].New = func() any {
		// A 1 MB window (brotli's default is 4 MB): a few per cent
		// larger output on big bodies, under half the memory.
		return brotli.NewWriterOptions(nil, brotli.WriterOptions{Quality: brLevel, LGWin: 20})
	}
	e.pools[codingZstd].New = func() any {
		// One goroutine-free encoder per response; an 8 MB window at
		// most, which RFC 8878 requires every HTTP decoder to accept.
		// The window is set before the level: klauspost's SpeedFastest
		// (level 1) otherwise also cuts blocks at 64 KB (128 KB is
		// zstd's maximum), and each block pays for its own entropy
		// tables (the literals' Huffman table, three FSE tables). The
		// 100 KB bench page went out as two blocks, now as one
		// (TestZstdPageOneBlock): 11,867 -> 11,859 bytes; encoding it
		// 3-15% less CPU in a hot loop, ephpm's CPU per zstd response
		// -2% (paired median of 8 interleaved rounds at load 12-15,
		// within the noise there).
		w, err := zstd.NewWriter(nil,
			zstd.WithWindowSize(1<<22),
			zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(zLevel)),
			zstd.WithEncoderConcurrency(1),
			zstd.WithZeroFrames(true))
		if err != nil {
			panic(err) // only for invalid options, which are constants here
		}
		return w
	}
	return e
}

// get borrows an encoder writing to dst, or returns nil when slots
// responses are being compressed already: the caller then sends this one
// uncompressed.
func (e *encoders) get(c coding, dst io.Writer) encoder {
	select {
	case e.slots <- struct{}{}:
	default:
		return nil
	}
	enc := e.idle[c].pop()
	if enc == nil {
		enc = e.pools[c].Get().(encoder)
	}
	enc.Reset(dst)
	return enc
}

// put returns an encoder after Close, detached from its response so the
// pool does not keep the response alive, and frees its slot.
func (e *encoders) put(c coding, enc encoder) {
	enc.Reset(io.Discard)
	if !e.idle[c].push(enc, e.idleMax) {
		e.pools[c].Put(enc)
	}
	<-e.slots
}
