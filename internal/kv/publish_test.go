package kv

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pubRead is kvfuncs.c's kv_get_published in Go: the same reads in the
// same order. ok=false: C would ask Go. cnow is C's clock (nil: the real
// CLOCK_MONOTONIC_COARSE + cbase, as C computes it). It returns the
// deadline it checked, for the tests' own check.
func (s *Store) pubRead(key string, cnow func() int64) (v string, deadline int64, ok bool) {
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
	if e.seq.Load() != q || off > p.hdr.arenaSize || n+vlen > p.hdr.arenaSize-off {
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
	buf := p.arena[off : off+n+vlen]
	if string(buf[:n]) != key {
		return "", 0, false
	}
	v = string(buf[n:])
	if e.seq.Load() != q {
		return "", 0, false
	}
	return v, dl, true
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
	s, _, cnow := publishedStore(t, Options{})
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
	// Other keys sharing nothing: still Go's.
	if _, _, ok := s.pubRead("other", cnow); ok {
		t.Fatal("a key never stored answered")
	}
	// Go readers see the published version's value, and its accounting
	// is a string's.
	if v, ok := s.Get("k"); !ok || v != "value" {
		t.Fatalf("Get: %q %v", v, ok)
	}
	if b := s.Stats().Bytes; b != int64(1+5+EntryOverhead) {
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
	wg.Add(1)
	go func() { // filler: evicts under the memory limit
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Set("fill:"+strconv.Itoa(i%3000), strings.Repeat("f", 100), 0)
		}
	}()
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
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := r.IntN(keys)
				key := name(k)
				before, nowBefore := done[k].Load(), s.now()
				if v, dl, ok := s.pubRead(key, nil); ok {
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
