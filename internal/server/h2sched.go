package server

import (
	"net/http"
	"strings"

	"golang.org/x/net/http2"
)

// HTTP/2 over TLS is served by golang.org/x/net/http2 (the same server
// net/http bundles, and the one issue 13 names) with alignedScheduler, so
// that a file's DATA frames each fill one TLS record and the handler hands
// the connection 64 KB at a time instead of one frame at a time.
//
// Why: net/http's HTTP/2 server cuts DATA frames at the peer's
// SETTINGS_MAX_FRAME_SIZE (16,384 unless the client says more), and
// crypto/tls cuts writes into records of 16,384 bytes of plaintext; with
// the 9-byte frame header every full frame went out as a 16,384-byte record
// and a 9-byte one: two AES-GCM seals and two write syscalls per 16 KB
// (strace, 1 MB file: 64 writes of 16,406 bytes and 64 of 31). Frames of
// 16,375 bytes fill a record exactly. Cutting them in the scheduler rather
// than writing 16,375 bytes at a time from the handler also spares a
// hand-off between the handler and the connection's goroutine per frame:
// h2load -c 4 -m 4 on a 1 MB file, interleaved with nginx (medians of
// interleaved runs at load 5-15, README "The HTTP front"): ephpm's CPU per
// request 1.60-1.84 ms with net/http's server, 1.43-1.73 ms with
// 16,375-byte handler writes, 1.28-1.31 ms this way (nginx 0.93-1.10).
//
// x/net marks user write schedulers deprecated; from Go 1.27 its server
// wraps net/http's and ignores them. TestLargeStaticFileOverHTTP2TLS
// counts the records on the wire and fails if frames are cut at 16,384
// again, so an upgrade that loses this is noticed.

// configureHTTP2 makes hs serve HTTP/2 (over TLS, and h2c when the
// protocols allow it) with x/net's server and alignedScheduler. Call once,
// before serving.
func configureHTTP2(hs *http.Server) error {
	//lint:ignore SA1019 see above: the scheduler is what this is for.
	return http2.ConfigureServer(hs, &http2.Server{NewWriteScheduler: newAlignedScheduler})
}

// alignedScheduler is net/http's default HTTP/2 write scheduler (round
// robin over streams, frames of no stream first, no priorities) except
// that it cuts DATA frames at h2RecordPayload bytes.
type alignedScheduler struct {
	control []http2.FrameWriteRequest
	streams map[uint32]*alignedQueue
	ring    []*alignedQueue // open streams in turn order
	next    int             // index in ring of the stream whose turn it is
}

type alignedQueue struct {
	id     uint32
	frames []http2.FrameWriteRequest
}

func newAlignedScheduler() http2.WriteScheduler {
	return &alignedScheduler{streams: make(map[uint32]*alignedQueue)}
}

func (ws *alignedScheduler) OpenStream(id uint32, _ http2.OpenStreamOptions) {
	if ws.streams[id] != nil {
		return
	}
	q := &alignedQueue{id: id}
	ws.streams[id] = q
	ws.ring = append(ws.ring, q)
}

// CloseStream drops the stream and what it still had queued.
func (ws *alignedScheduler) CloseStream(id uint32) {
	q := ws.streams[id]
	if q == nil {
		return
	}
	delete(ws.streams, id)
	for i, r := range ws.ring {
		if r == q {
			ws.ring = append(ws.ring[:i], ws.ring[i+1:]...)
			if i < ws.next {
				ws.next--
			}
			break
		}
	}
	if ws.next >= len(ws.ring) {
		ws.next = 0
	}
}

func (ws *alignedScheduler) AdjustStream(uint32, http2.PriorityParam) {}

func (ws *alignedScheduler) Push(wr http2.FrameWriteRequest) {
	q := ws.streams[wr.StreamID()]
	if q == nil || isReset(wr) {
		// Frames of no stream (SETTINGS, PING, GOAWAY, ...), those for
		// a stream not open, and RST_STREAM, which must not wait
		// behind DATA its stream has no window for (net/http's
		// scheduler puts every frame not tied to a stream here). A DATA
		// frame always has its stream open.
		ws.control = append(ws.control, wr)
		return
	}
	q.frames = append(q.frames, wr)
}

// isReset reports a RST_STREAM the server sends on its own (a
// StreamError): the one frame with a stream ID that x/net queues
// without its stream, which FrameWriteRequest does not show but names.
func isReset(wr http2.FrameWriteRequest) bool {
	return wr.DataSize() == 0 && strings.Contains(wr.String(), "StreamError")
}

// Pop returns the next frame: control frames first, then one frame of the
// next stream in turn that has one its flow control lets out.
func (ws *alignedScheduler) Pop() (http2.FrameWriteRequest, bool) {
	if len(ws.control) > 0 {
		wr := ws.control[0]
		ws.control[0] = http2.FrameWriteRequest{}
		ws.control = ws.control[1:]
		return wr, true
	}
	for range len(ws.ring) {
		q := ws.ring[ws.next]
		ws.next = (ws.next + 1) % len(ws.ring)
		if len(q.frames) == 0 {
			continue
		}
		consumed, rest, n := q.frames[0].Consume(h2RecordPayload)
		switch n {
		case 0: // no flow control window
			continue
		case 1:
			q.frames[0] = http2.FrameWriteRequest{}
			q.frames = q.frames[1:]
		default:
			q.frames[0] = rest
		}
		return consumed, true
	}
	return http2.FrameWriteRequest{}, false
}
