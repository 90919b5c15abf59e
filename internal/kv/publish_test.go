package kv

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/ephpm/ephpm/internal/testloop"
)

// pubRead is kvfuncs.c's kv_get_published in Go: the same reads in the
// same order, copying the value. ok=false: C would ask Go. cnow is C's
// clock (nil: the real CLOCK_MONOTONIC_COARSE + cbase, as C computes it).
// It returns the deadline it checked, for the tests' own check.
func (s *Store) pubRead(key string, cnow func() int64) (v string, deadline int64, ok bool) {
	return s.pubReadAs(key, cnow, nil)
}

// pubReadAs is pubRead for a reader with slot r (nil: C's copying path).
// With a slot, a value of at least shareMin bytes comes back as C hands
// it to PHP: a view of the arena (no copy), valid until r.done().
func (s *Store) pubReadAs(key string, cnow func() int64, r *testReader) (v string, deadline int64, ok bool) {
	p := s.pub.Load()
	if p == nil {
		return "", 0, false
	}
	h := FilterHash(key)
	i := pubIndex(h)
	if p.hints[i/64].Load()&(1<<(i%64)) == 0 {
		return "", 0, false
	}
	e := &p.e[i]
	q := e.seq.Load()
	if q&1 != 0 || e.live.Load() != 1 || e.hash.Load() != h || e.klen.Load() != uint32(len(key)) {
		return "", 0, false
	}
	off, vlen, dl := e.off.Load(), uint64(e.vlen.Load()), e.deadline.Load()
	n := uint64(len(key))
	if e.seq.Load() != q || off > p.hdr.arenaSize || uint64(bufSize(int(n), int(vlen))) > p.hdr.arenaSize-off {
		return "", 0, false
	}
	if dl != 0 {
		if p.hdr.cbase == 0 {
			return "", 0, false
		}
		now := int64(0)
		if cnow != nil {
			now = cnow()
		} else {
			now = coarseNow(p.hdr.cbase)
		}
		if now >= dl {
			return "", 0, false
		}
	}
	buf := p.arena[off:]
	if string(buf[:n]) != key {
		return "", 0, false
	}
	z := buf[(n+7)&^7:]
	if m := p.hdr.shareMin.Load(); r != nil && m != 0 && uint32(vlen) >= m {
		slot := &p.slots[r.slot(p)*pubSlotSize/8]
		if slot.Load() == 0 {
			slot.Store(p.hdr.epoch.Load()) // Go's atomics are sequentially consistent
		}
		r.slotp = slot
		if e.seq.Load() != q {
			return "", 0, false
		}
		if binary.LittleEndian.Uint64(z[8:]) == 0 || binary.LittleEndian.Uint64(z[16:]) != vlen {
			return "", 0, false
		}
		return unsafe.String(&z[zstrHeader], int(vlen)), dl, true
	}
	v = string(z[zstrHeader : zstrHeader+vlen])
	if e.seq.Load() != q {
		return "", 0, false
	}
	return v, dl, true
}

// testReader is a PHP thread as kvfuncs.c sees it: a reader slot, taken
// on its first shared read, and the end of its request (done).
type testReader struct {
	idx   int
	slotp *atomic.Uint64
}

func (r *testReader) slot(p *pubTable) int {
	if r.idx < 0 {
		r.idx = int(p.hdr.slotNext.Add(1) - 1)
		if r.idx >= int(p.hdr.slots) {
			panic("out of reader slots")
		}
	}
	return r.idx
}

// done: the request ended; what it read may be reused.
func (r *testReader) done() {
	if r.slotp != nil {
		r.slotp.Store(0)
	}
}

// publishedStore is a store with published values on, and C's clock
// (for pubRead) = the fake clock.
func publishedStore(t testing.TB, opts Options) (*Store, *fakeClock, func() int64) {
	s, clk := newStore(t, opts)
	if s.EnablePublishing() == nil {
		t.Skip("no published values on this platform")
	}
	s.pub.Load().hdr.cbase = 1 // (a custom clock: pubRead uses clk)
	t.Cleanup(s.dropPublished)
	return s, clk, clk.now
}

// readTwice reads key twice through Peek (PHP's get), which publishes it.
func readTwice(s *Store, key string) {
	var scratch [20]byte
	for i := 0; i < 2; i++ {
		s.Peek(key, keyHash(key), scratch[:])
	}
}

func TestPublishOnSecondRead(t *testing.T) {
	s, clk, cnow := publishedStore(t, Options{})
	s.Set("k", "value", 0)
	var scratch [20]byte
	s.Peek("k", keyHash("k"), scratch[:])
	if _, _, ok := s.pubRead("k", cnow); ok {
		t.Fatal("published after one read")
	}
	s.Peek("k", keyHash("k"), scratch[:])
	if v, _, ok := s.pubRead("k", cnow); !ok || v != "value" {
		t.Fatalf("after two reads: %q %v, want the value from C", v, ok)
	}
	// Reads further apart than the window publish nothing; closer ones do.
	s.Set("slow", "v", 0)
	s.Set("near", "v", 0)
	s.Peek("slow", keyHash("slow"), scratch[:])
	s.Peek("near", keyHash("near"), scratch[:])
	clk.advance(time.Duration(pubWindow-1) * 100 * time.Millisecond)
	s.updateTick()
	s.Peek("near", keyHash("near"), scratch[:])
	if _, _, ok := s.pubRead("near", cnow); !ok {
		t.Fatal("two reads within the window did not publish")
	}
	clk.advance(time.Duration(pubWindow+1) * 100 * time.Millisecond)
	s.updateTick()
	s.Peek("slow", keyHash("slow"), scratch[:])
	if _, _, ok := s.pubRead("slow", cnow); ok {
		t.Fatal("two reads further apart than the window published")
	}
	// Other keys sharing nothing: still Go's.
	if _, _, ok := s.pubRead("other", cnow); ok {
		t.Fatal("a key never stored answered")
	}
	// Go readers see the published version's value, and its accounting
	// is a string's.
	if v, ok := s.Get("k"); !ok || v != "value" {
		t.Fatalf("Get: %q %v", v, ok)
	}
	if b := s.Stats().Bytes; b != int64(1+5+EntryOverhead)+2*int64(4+1+EntryOverhead) {
		t.Fatalf("bytes %d", b)
	}
	// Empty values and values at the size limit are published; larger ones
	// and counters are not.
	s.Set("empty", "", 0)
	big := strings.Repeat("x", MaxPublishedValue)
	s.Set("big", big, 0)
	s.Set("bigger", big+"x", 0)
	s.IncrBy("counter", 5)
	for _, k := range []string{"empty", "big", "bigger", "counter"} {
		readTwice(s, k)
	}
	if v, _, ok := s.pubRead("empty", cnow); !ok || v != "" {
		t.Fatalf("empty: %q %v", v, ok)
	}
	if v, _, ok := s.pubRead("big", cnow); !ok || v != big {
		t.Fatalf("64 KB value: %d bytes %v", len(v), ok)
	}
	for _, k := range []string{"bigger", "counter"} {
		if _, _, ok := s.pubRead(k, cnow); ok {
			t.Fatalf("%s published", k)
		}
	}
}

// Every write path retires the published copy before its result shows.
func TestEveryWriteRetiresThePublishedCopy(t *testing.T) {
	cases := []struct {
		name  string
		write func(s *Store, clk *fakeClock)
		want  string // the value after, "" = absent
	}{
		{"set", func(s *Store, _ *fakeClock) { s.Set("k", "new", 0) }, "new"},
		{"set with ttl", func(s *Store, _ *fakeClock) { s.Set("k", "new", time.Hour) }, "new"},
		{"setnx on a live key changes nothing", func(s *Store, _ *fakeClock) { s.SetNX("k", "new", 0) }, "41"},
		{"incr", func(s *Store, _ *fakeClock) { s.IncrBy("k", 1) }, "42"},
		{"del", func(s *Store, _ *fakeClock) { s.Del("k") }, ""},
		{"del_if_equals", func(s *Store, _ *fakeClock) { s.DelIfEquals("k", "41") }, ""},
		{"del_prefix", func(s *Store, _ *fakeClock) { s.DelPrefix("k") }, ""},
		{"flush", func(s *Store, _ *fakeClock) { s.Flush() }, ""},
		{"expire then time passes", func(s *Store, clk *fakeClock) { s.Expire("k", time.Second); clk.advance(time.Second) }, ""},
		{"update", func(s *Store, _ *fakeClock) {
			s.Update("k", func(old string, e int64, ok bool) (string, int64, UpdateOp) { return old + "!", e, UpdateStore })
		}, "41!"},
		{"update delete", func(s *Store, _ *fakeClock) {
			s.Update("k", func(string, int64, bool) (string, int64, UpdateOp) { return "", 0, UpdateDelete })
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, clk, cnow := publishedStore(t, Options{})
			s.Set("k", "41", 0)
			readTwice(s, "k")
			if v, _, ok := s.pubRead("k", cnow); !ok || v != "41" {
				t.Fatalf("not published: %q %v", v, ok)
			}
			c.write(s, clk)
			if v, _, ok := s.pubRead("k", cnow); ok && v != c.want {
				t.Fatalf("C reads %q after the write, want %q", v, c.want)
			}
			got, ok := s.Get("k")
			if (c.want != "") != ok || got != c.want {
				t.Fatalf("Get = %q %v, want %q", got, ok, c.want)
			}
			// Published again, it shows the new value.
			readTwice(s, "k")
			if v, _, ok := s.pubRead("k", cnow); ok && v != c.want {
				t.Fatalf("republished: %q, want %q", v, c.want)
			}
			checkArena(t, s)
		})
	}
}

func TestPublishedTTL(t *testing.T) {
	s, clk, cnow := publishedStore(t, Options{})
	s.Set("t", "v", 2*time.Second)
	readTwice(s, "t")
	if v, dl, ok := s.pubRead("t", cnow); !ok || v != "v" || dl != clk.now()+int64(2*time.Second) {
		t.Fatalf("%q %d %v", v, dl, ok)
	}
	clk.advance(2*time.Second - 1)
	if _, _, ok := s.pubRead("t", cnow); !ok {
		t.Fatal("1 ns before the deadline: not answered")
	}
	clk.advance(1)
	if _, _, ok := s.pubRead("t", cnow); ok {
		t.Fatal("answered at the deadline")
	}
	// Expire moves the deadline: the copy is retired, then republished.
	s.Set("u", "v", time.Second)
	readTwice(s, "u")
	s.Expire("u", time.Hour)
	if _, _, ok := s.pubRead("u", cnow); ok {
		t.Fatal("Expire left the copy with the old deadline")
	}
	readTwice(s, "u")
	if _, dl, ok := s.pubRead("u", cnow); !ok || dl != clk.now()+int64(time.Hour) {
		t.Fatalf("after Expire: %d %v", dl, ok)
	}
	// A store with its own clock: C never answers a key with a deadline.
	s2, _ := newStore(t, Options{})
	s2.EnablePublishing()
	s2.Set("t", "v", time.Hour)
	readTwice(s2, "t")
	if _, _, ok := s2.pubRead("t", nil); ok {
		t.Fatal("answered with an uncalibrated clock")
	}
}

// The real clock: C's coarse clock plus base is never behind the store's.
func TestPublishedDeadlineOnTheRealClock(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.EnablePublishing() == nil {
		t.Skip("no published values on this platform")
	}
	cbase := s.pub.Load().hdr.cbase
	if cbase == 0 {
		t.Skip("no coarse clock")
	}
	for i := 0; i < 10000; i++ {
		before := s.now()
		if c := coarseNow(cbase); c < before {
			t.Fatalf("C's clock %d is behind the store's %d", c, before)
		}
	}
	// And it is not far ahead (else TTL'd keys would rarely be answered).
	if d := coarseNow(cbase) - s.now(); d > int64(200*time.Millisecond) {
		t.Fatalf("C's clock is %v ahead", time.Duration(d))
	}
	s.Set("t", "v", 300*time.Millisecond)
	readTwice(s, "t")
	if _, _, ok := s.pubRead("t", nil); !ok {
		t.Fatal("a key with 300 ms to live is not answered by C")
	}
	_, expires, _ := s.pubRead("t", nil)
	for s.now() < expires+int64(50*time.Millisecond) {
		before := s.now()
		if _, dl, ok := s.pubRead("t", nil); ok && before >= dl {
			t.Fatalf("answered %v after its deadline", time.Duration(before-dl))
		}
		time.Sleep(100 * time.Microsecond)
	}
	if _, _, ok := s.pubRead("t", nil); ok {
		t.Fatal("answered after expiry")
	}
}

func TestEvictionRetiresPublishedCopies(t *testing.T) {
	for _, policy := range []Policy{AllKeysLRU, AllKeysRandom} {
		t.Run(string(policy), func(t *testing.T) {
			s, _, cnow := publishedStore(t, Options{MemoryLimit: 64 << 10, Policy: policy})
			for i := 0; i < 50; i++ {
				k := "hot" + strconv.Itoa(i)
				s.Set(k, k, 0)
				readTwice(s, k)
			}
			fill(s, "cold", 5000, 100, 0) // evicts most keys
			gone := 0
			for i := 0; i < 50; i++ {
				k := "hot" + strconv.Itoa(i)
				v, ok := s.Get(k)
				cv, _, cok := s.pubRead(k, cnow)
				if cok && (!ok || cv != v) {
					t.Fatalf("%s: C reads %q, Go %q %v", k, cv, v, ok)
				}
				if !ok {
					gone++
				}
			}
			if gone == 0 || s.Stats().Evictions == 0 {
				t.Fatalf("nothing evicted (%d gone)", gone)
			}
			checkArena(t, s)
		})
	}
}

func TestSweeperRetiresPublishedCopies(t *testing.T) {
	s, clk, cnow := publishedStore(t, Options{})
	s.Set("a", "1", time.Second)
	readTwice(s, "a")
	clk.advance(time.Second)
	if n := s.SweepExpired(); n != 1 {
		t.Fatalf("swept %d", n)
	}
	s.pub.Load().hdr.cbase = 0 // would C answer, ignoring the deadline? no: the entry is dead
	if _, _, ok := s.pubRead("a", cnow); ok {
		t.Fatal("swept key still answered")
	}
	if e := &s.pub.Load().e[pubIndex(FilterHash("a"))]; e.live.Load() != 0 {
		t.Fatal("entry still live")
	}
}

// Keys sharing an entry: the one read in this tick keeps it; later ones
// wait for it to cool; the arena gives back what it takes.
func TestPublishedEntryTakeover(t *testing.T) {
	s, clk, cnow := publishedStore(t, Options{})
	idx := pubIndex(FilterHash("a"))
	var b string
	for i := 0; ; i++ {
		if k := "b" + strconv.Itoa(i); pubIndex(FilterHash(k)) == idx {
			b = k
			break
		}
	}
	s.Set("a", "A", 0)
	s.Set(b, "B", 0)
	readTwice(s, "a")
	readTwice(s, b)
	if _, _, ok := s.pubRead(b, cnow); ok {
		t.Fatal("took a hot entry")
	}
	clk.advance(300 * time.Millisecond)
	s.updateTick()
	readTwice(s, b)
	if v, _, ok := s.pubRead(b, cnow); !ok || v != "B" {
		t.Fatal("did not take a cold entry")
	}
	if _, _, ok := s.pubRead("a", cnow); ok {
		t.Fatal("old binding still answers")
	}
	// a's version still says published; writes to it go through the lock
	// and leave b's binding alone.
	s.Set("a", "A2", 0)
	if v, _, ok := s.pubRead(b, cnow); !ok || v != "B" {
		t.Fatal("a's write killed b's binding")
	}
	checkArena(t, s)
}

// checkArena: buffers in use = buffers of live entries.
func checkArena(t *testing.T, s *Store) {
	t.Helper()
	p := s.pub.Load()
	p.mu.Lock()
	defer p.mu.Unlock()
	var free, used uint64
	for c, l := range p.free {
		free += uint64(c) * uint64(len(l))
	}
	for _, b := range p.limbo {
		free += uint64(b.c)
	}
	for i := range p.e {
		if p.e[i].live.Load() == 1 {
			used += uint64(p.e[i].cap)
		}
	}
	if free+used != p.next {
		t.Fatalf("arena: %d free + %d in use != %d handed out", free, used, p.next)
	}
}

// A reader racing writers, expiry and eviction never sees a value that was
// not current at some instant of its call. Each key has one writer, whose
// n-th operation writes "key:n" (or deletes, or sets a short TTL, or
// Expires); done[k] is the last operation finished, started[k] the last
// begun. A value "key:n" read from C (or Go) was current during the read
// iff n <= started after the read and no later op finished before the
// read began: done before <= n, or op n+1 was an Expire of n's value
// (which changes no value). Other goroutines evict (a small memory limit)
// and sweep.
func TestPublishedReadersRaceWriters(t *testing.T) {
	s, err := New(Options{MemoryLimit: 256 << 10, SweepInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.EnablePublishing() == nil {
		t.Skip("no published values")
	}
	// Reader 0 takes shared strings (every value here is >= 8 bytes), and
	// ends its "request" every 32 reads.
	s.SetSharedStrings(1, 8)
	const keys = 8
	var done, started [keys]atomic.Int64
	var keep [keys][]atomic.Bool // op n kept the value of op n-1 (Expire, refused setnx)
	const ops = 4000
	for k := range keep {
		keep[k] = make([]atomic.Bool, ops+2)
	}
	name := func(k int) string { return fmt.Sprintf("race:%d", k) }
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var violations atomic.Int64
	fail := func(format string, a ...any) {
		if violations.Add(1) <= 5 {
			t.Errorf(format, a...)
		}
	}
	for k := 0; k < keys; k++ {
		wg.Add(1)
		go func(k int) { // the key's writer
			defer wg.Done()
			key := name(k)
			r := rand.New(rand.NewPCG(uint64(k), 7))
			for n := int64(1); n <= ops; n++ {
				started[k].Store(n)
				v := key + ":" + strconv.FormatInt(n, 10)
				switch r.IntN(10) {
				case 0:
					s.Del(key)
				case 1:
					s.Set(key, v, time.Duration(1+r.IntN(20))*time.Millisecond)
				case 2:
					keep[k][n].Store(true)
					s.Expire(key, time.Duration(1+r.IntN(20))*time.Millisecond)
				case 3:
					if !s.SetNX(key, v, 0) {
						keep[k][n].Store(true)
					}
				case 4:
					s.Update(key, func(string, int64, bool) (string, int64, UpdateOp) { return v, 0, UpdateStore })
				default:
					s.Set(key, v, 0)
				}
				done[k].Store(n)
				if n%64 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
		}(k)
	}
	testloop.UntilStopped(&wg, stop, func(i int) { // filler: evicts under the memory limit
		s.Set("fill:"+strconv.Itoa(i%3000), strings.Repeat("f", 100), 0)
	})
	check := func(k int, v string, before, after int64, dl, nowBefore int64, from string) {
		i := strings.LastIndexByte(v, ':')
		n, err := strconv.ParseInt(v[i+1:], 10, 64)
		if err != nil || v[:i] != name(k) {
			fail("%s read %q for %s", from, v, name(k))
			return
		}
		if n > after {
			fail("%s read %s before it was written (started %d)", from, v, after)
		}
		// ops n+1..before all finished before the read began: each must
		// have kept the value.
		for m := n + 1; m <= before; m++ {
			if !keep[k][m].Load() {
				fail("%s read %s, replaced by op %d before the read began", from, v, m)
				return
			}
		}
		if dl != 0 && nowBefore >= dl {
			fail("%s read %s %v after its deadline", from, v, time.Duration(nowBefore-dl))
		}
	}
	var readers sync.WaitGroup
	var cHits atomic.Int64
	for rdr := 0; rdr < 3; rdr++ {
		readers.Add(1)
		go func(rdr int) {
			defer readers.Done()
			var scratch [20]byte
			r := rand.New(rand.NewPCG(uint64(rdr), 9))
			var rd *testReader
			if rdr == 0 {
				rd = &testReader{idx: -1}
				defer rd.done()
			}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if rd != nil && i%32 == 0 {
					rd.done()
				}
				k := r.IntN(keys)
				key := name(k)
				before, nowBefore := done[k].Load(), s.now()
				if v, dl, ok := s.pubReadAs(key, nil, rd); ok {
					check(k, v, before, started[k].Load(), dl, nowBefore, "C")
					cHits.Add(1)
					continue
				}
				before, nowBefore = done[k].Load(), s.now()
				if v, ok := s.Peek(key, keyHash(key), scratch[:]); ok {
					check(k, v, before, started[k].Load(), 0, nowBefore, "Go")
				}
			}
		}(rdr)
	}
	// Writers finish; readers and the filler stop.
	go func() {
		for k := 0; k < keys; k++ {
			for done[k].Load() < ops {
				time.Sleep(time.Millisecond)
			}
		}
		close(stop)
	}()
	wg.Wait()
	readers.Wait()
	t.Logf("%d reads answered from the published table; %d evictions", cHits.Load(), s.Stats().Evictions)
	if cHits.Load() == 0 {
		t.Error("no read was answered from the published table: the test tests nothing")
	}
	// At rest C and Go agree on every key.
	for k := 0; k < keys; k++ {
		v, ok := s.Get(name(k))
		if cv, _, cok := s.pubRead(name(k), nil); cok && (!ok || cv != v) {
			t.Errorf("%s: C %q, Go %q %v", name(k), cv, v, ok)
		}
	}
	checkArena(t, s)
}

// Shared strings: a value C handed to PHP without copying stays intact,
// however often its key is overwritten, deleted, evicted or flushed,
// until the reader's request ends; after that its buffer is reused.
func TestSharedStringsSurviveOverwrites(t *testing.T) {
	s, err := New(Options{MemoryLimit: 1 << 20, SweepInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.EnablePublishing() == nil {
		t.Skip("no published values")
	}
	s.SetSharedStrings(7, 64)
	const keys = 16
	name := func(k int) string { return fmt.Sprintf("shared:%d", k) }
	val := func(k, n int) string { // 64-4000 bytes, its content naming k and n
		tag := fmt.Sprintf("<%d:%d>", k, n)
		return strings.Repeat(tag, (64+(n*37)%4000)/len(tag)+1)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) { // writers
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				k := r.IntN(keys)
				switch r.IntN(20) {
				case 0:
					s.Del(name(k))
				case 1:
					if w == 0 && n%50 == 0 {
						s.Flush()
					}
				case 2:
					s.Set("fill:"+strconv.Itoa(n%2000), strings.Repeat("f", 900), 0) // evicts
				default:
					s.Set(name(k), val(k, n), 0)
				}
			}
		}(w)
	}
	var shared, bad atomic.Int64
	var readers sync.WaitGroup
	for rdr := 0; rdr < 3; rdr++ {
		readers.Add(1)
		go func(rdr int) {
			defer readers.Done()
			rd := &testReader{idx: -1}
			defer rd.done()
			r := rand.New(rand.NewPCG(uint64(rdr), 5))
			var scratch [20]byte
			type held struct{ view, copy string }
			for req := 0; req < 300; req++ {
				var hs []held
				for i := 0; i < 40; i++ {
					key := name(r.IntN(keys))
					s.Peek(key, keyHash(key), scratch[:]) // publishes on a second read
					if v, _, ok := s.pubReadAs(key, nil, rd); ok {
						hs = append(hs, held{v, strings.Clone(v)})
						shared.Add(1)
					}
				}
				time.Sleep(100 * time.Microsecond) // writers overwrite meanwhile
				for _, h := range hs {
					if h.view != h.copy && bad.Add(1) <= 3 {
						t.Errorf("a shared string changed under its reader: %.40q... became %.40q...", h.copy, h.view)
					}
				}
				rd.done() // the request ended
			}
		}(rdr)
	}
	readers.Wait()
	close(stop)
	wg.Wait()
	t.Logf("%d shared reads", shared.Load())
	if shared.Load() == 0 {
		t.Fatal("no shared read: the test tests nothing")
	}
	checkArena(t, s)
	// No reader holds anything now: limbo empties.
	p := s.pub.Load()
	p.mu.Lock()
	p.collectLocked()
	n := len(p.limbo)
	p.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d buffers still in limbo with no reader", n)
	}
}

// A reader's announcement holds back exactly the buffers retired after
// it; the buffers retired before it are reused.
func TestSharedStringReclaimOrder(t *testing.T) {
	s, _, cnow := publishedStore(t, Options{})
	s.SetSharedStrings(7, 16)
	long := strings.Repeat("x", 100)
	s.Set("a", long+"a", 0)
	s.Set("b", long+"b", 0)
	readTwice(s, "a")
	readTwice(s, "b")
	s.Set("a", "gone", 0) // a's buffer retired before anyone held it
	rd := &testReader{idx: -1}
	v, _, ok := s.pubReadAs("b", cnow, rd)
	if !ok || v != long+"b" {
		t.Fatalf("shared read of b: %q %v", v, ok)
	}
	s.Set("b", "gone", 0) // retired while held
	p := s.pub.Load()
	p.mu.Lock()
	p.collectLocked()
	n := len(p.limbo)
	p.mu.Unlock()
	if n != 1 {
		t.Fatalf("limbo holds %d buffers, want b's only", n)
	}
	if v != long+"b" {
		t.Fatal("held value changed")
	}
	rd.done()
	p.mu.Lock()
	p.collectLocked()
	n = len(p.limbo)
	p.mu.Unlock()
	if n != 0 {
		t.Fatalf("limbo holds %d buffers after the request ended", n)
	}
	checkArena(t, s)
}

// phpHash is FilterHash, eight bytes at a time.
func TestPHPHash(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if phpHash(string(b)) != FilterHash(string(b)) {
			t.Fatalf("length %d: phpHash %x, FilterHash %x", n, phpHash(string(b)), FilterHash(string(b)))
		}
	}
}

// The GC floor of ReturnMemory: there while the store is small, dropped
// by the sweeper once the store holds more than the floor.
func TestGCFloor(t *testing.T) {
	defer func(f int) { gcFloor = f }(gcFloor)
	gcFloor = 1 << 20
	s, err := New(Options{ReturnMemory: true, SweepInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plain, _ := newStore(t, Options{})
	if plain.ballast != nil {
		t.Fatal("a store without ReturnMemory has a floor")
	}
	s.Close() // (the sweeper owns the field: stop it to look)
	if len(s.ballast) != 1<<20 {
		t.Fatalf("floor %d bytes", len(s.ballast))
	}
	s.Set("big", strings.Repeat("x", 2<<20), 0)
	s.maybeReturnMemory()
	if s.ballast != nil {
		t.Fatal("floor kept past the store's own size")
	}
}
