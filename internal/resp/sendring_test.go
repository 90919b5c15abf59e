//go:build linux

package resp

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The loop sends the replies of a turn to many connections with one
// io_uring_enter (sendring_linux.go). A send the socket cannot take in
// full must leave the rest for loop.write (EPOLLOUT), and no reply may
// be lost, cut or sent twice.

// TestSendRingLargeRepliesManyClients: clients that pipeline megabytes
// of replies and read them late (their sockets fill, so ring sends come
// back short or EAGAIN) next to clients doing round trips (so turns
// have several connections' replies to send): every reply arrives whole
// and in order, and the ring was used.
func TestSendRingLargeRepliesManyClients(t *testing.T) {
	s, _ := startServer(t, Config{Loops: 1})
	l := s.loops[0]
	if l.ring == nil {
		t.Skip("io_uring not available here: the loop sends with sendto alone")
	}
	// Replies of one turn stay under 64 KB (process writes larger ones
	// itself, outside the ring), and each slow client asks for more
	// than its socket buffers hold before it reads.
	big := strings.Repeat("v", 16<<10)
	setup := dial(t, s)
	setup.expect("+OK\r\n", "SET", "big", big)
	want := "$" + strconv.Itoa(len(big)) + "\r\n" + big + "\r\n"

	var wg, slow sync.WaitGroup
	errs := make(chan string, 64)
	stop := make(chan struct{})
	for i := 0; i < 10; i++ { // slow readers of large replies
		slow.Add(1)
		go func() {
			defer slow.Done()
			nc, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				errs <- err.Error()
				return
			}
			defer nc.Close()
			const n = 800 // about 13 MB of replies
			go func() {
				// One GET per write, apart in time: each turn's reply
				// to this client stays small and goes through the ring.
				for j := 0; j < n; j++ {
					if _, err := nc.Write([]byte(encode("GET", "big"))); err != nil {
						return
					}
					time.Sleep(100 * time.Microsecond)
				}
			}()
			time.Sleep(300 * time.Millisecond) // let the socket fill
			nc.SetReadDeadline(time.Now().Add(60 * time.Second))
			r := bufio.NewReaderSize(nc, 1<<20)
			buf := make([]byte, len(want))
			for j := 0; j < n; j++ {
				if _, err := ioReadFull(r, buf); err != nil {
					errs <- "big reply " + strconv.Itoa(j) + ": " + err.Error()
					return
				}
				if string(buf) != want {
					errs <- "big reply " + strconv.Itoa(j) + " differs"
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ { // round trips: several replies per turn
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			nc, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				errs <- err.Error()
				return
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(60 * time.Second))
			r := bufio.NewReader(nc)
			key := "k" + strconv.Itoa(i)
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				v := strconv.Itoa(j)
				nc.Write([]byte(encode("SET", key, v) + encode("GET", key)))
				var b strings.Builder
				if err := readReply(r, &b); err != nil || b.String() != "+OK\r\n" {
					errs <- "SET " + key + ": " + b.String()
					return
				}
				b.Reset()
				if err := readReply(r, &b); err != nil || b.String() != "$"+strconv.Itoa(len(v))+"\r\n"+v+"\r\n" {
					errs <- "GET " + key + ": " + b.String()
					return
				}
			}
		}(i)
	}
	slow.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if l.batches.Load() == 0 {
		t.Error("no turn sent its replies through the ring")
	}
	if l.recvs.Load() == 0 {
		t.Error("no turn read its input through the ring")
	}
	t.Logf("ring sends %d (short %d), ring reads %d", l.batches.Load(), l.ring.short.Load(), l.recvs.Load())
	setup.expect("+PONG\r\n", "PING") // the loop still serves
}

// TestSendRingOff: EPHPM_RESP_SENDRING=0 leaves the loop on sendto.
func TestSendRingOff(t *testing.T) {
	t.Setenv("EPHPM_RESP_SENDRING", "0")
	s, _ := startServer(t, Config{Loops: 1})
	if s.loops[0].ring != nil {
		t.Fatal("ring set up with EPHPM_RESP_SENDRING=0")
	}
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "k", "v")
	c.expect("$1\r\nv\r\n", "GET", "k")
}

// TestSendRingShortAndFailedSends drives sendRing.send directly on
// socket pairs: a send into a full socket fails (EAGAIN) and one into a
// nearly full socket comes back short, without waiting, and each
// connection's wpos is advanced by exactly what its peer then reads;
// the others of the same batch are sent whole.
func TestSendRingShortAndFailedSends(t *testing.T) {
	r := newSendRing(8)
	if r == nil {
		t.Skip("io_uring not available here")
	}
	defer r.close()
	pair := func() (int, int) {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range fds {
			syscall.SetNonblock(fd, true)
			t.Cleanup(func() { syscall.Close(fd) })
		}
		syscall.SetsockoptInt(fds[0], syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096)
		return fds[0], fds[1]
	}
	fill := func(fd int) {
		junk := make([]byte, 512)
		for {
			if _, err := syscall.Write(fd, junk); err != nil {
				return
			}
		}
	}
	drain := func(fd int) []byte {
		var out []byte
		buf := make([]byte, 64<<10)
		for {
			n, err := syscall.Read(fd, buf)
			if n <= 0 || err != nil {
				return out
			}
			out = append(out, buf[:n]...)
		}
	}
	reply := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

	fullS, fullP := pair()
	fill(fullS)
	drain(fullP) // empty the peer, then fill again: a known full socket
	fill(fullS)
	okS, okP := pair()
	partS, partP := pair()
	fill(partS)
	drained := len(drain(partP)) // room for about this much again

	full := &conn{fd: fullS}
	full.w.b = reply('a', 2000)
	ok := &conn{fd: okS}
	ok.w.b = reply('b', 1000)
	part := &conn{fd: partS}
	part.w.b = reply('c', 4*drained+1<<20) // more than the room: short
	short0 := r.short.Load()
	if !r.send([]*conn{full, ok, part}) {
		t.Fatal("send failed as a whole")
	}
	if full.wpos != 0 {
		t.Errorf("full socket: wpos %d, want 0", full.wpos)
	}
	if ok.wpos != len(ok.w.b) {
		t.Errorf("empty socket: wpos %d, want %d", ok.wpos, len(ok.w.b))
	}
	if got := drain(okP); !bytes.Equal(got, ok.w.b) {
		t.Errorf("empty socket's peer read %d bytes, want the %d of the reply", len(got), len(ok.w.b))
	}
	if part.wpos <= 0 || part.wpos >= len(part.w.b) {
		t.Errorf("nearly full socket: wpos %d of %d, want a short send", part.wpos, len(part.w.b))
	}
	if got := drain(partP); !bytes.Equal(got, part.w.b[:part.wpos]) {
		t.Errorf("nearly full socket's peer read %d bytes, want the %d sent", len(got), part.wpos)
	}
	if d := r.short.Load() - short0; d != 2 {
		t.Errorf("short sends counted %d, want 2", d)
	}
	// The rest goes out in a later send once the peer has read.
	drain(fullP)
	if !r.send([]*conn{full}) || full.wpos == 0 {
		t.Errorf("after the peer read: wpos %d", full.wpos)
	}
}
