package kv

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// An overwrite that fits is written in place (no allocation), one that
// does not replaces the version; the bytes counted follow the length, and
// every reader gets a copy that later writes do not change.
func TestMutableOverwrite(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.Set("k", strings.Repeat("a", 1000), 0) // first version: immutable
	s.Set("k", strings.Repeat("b", 1000), 0) // first overwrite: mutable
	_, h := s.find("k", keyHash("k"))
	if !h.isMut() || h.mut().mcap < 1000 {
		t.Fatalf("after an overwrite: mutable %v", h.isMut())
	}
	held, _ := s.Get("k")
	c1050 := strings.Repeat("c", 1050) // (the same size class as 1000 bytes)
	if n := testing.AllocsPerRun(100, func() { s.Set("k", c1050, 0) }); n != 0 {
		t.Errorf("an overwrite that fits allocated %v times", n)
	}
	if _, h2 := s.find("k", keyHash("k")); h2 != h {
		t.Error("written in place, yet the version changed")
	}
	if held != strings.Repeat("b", 1000) {
		t.Error("a value read before an in-place write changed under its reader")
	}
	if v, _ := s.Get("k"); v != c1050 {
		t.Errorf("after the in-place write: %d bytes", len(v))
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) {
		t.Errorf("bytes %d, stored %d", st.Bytes, storedBytes(s))
	}
	s.Set("k", strings.Repeat("d", 5000), 0) // does not fit: replaced
	if _, h2 := s.find("k", keyHash("k")); h2 == h || h.mut().seq.Load()&1 == 0 {
		t.Error("a replaced mutable version must stay locked")
	}
	if v, _ := s.Get("k"); v != strings.Repeat("d", 5000) {
		t.Error("after the replacing write")
	}
	// A TTL given by an in-place set, and taken away by the next.
	s.Set("k", "x", 0)
	s.Set("k", "y", time.Hour)
	if s.TTL("k") != 3600 {
		t.Errorf("ttl %d", s.TTL("k"))
	}
	s.Set("k", "z", 0)
	if s.TTL("k") != -1 {
		t.Errorf("ttl after a set without one: %d", s.TTL("k"))
	}
	// What reads the value under the lock sees it (and settles it).
	if !s.DelIfEquals("k", "z") || s.Exists("k") {
		t.Error("del_if_equals of a mutable value")
	}
	s.Set("n", "1", 0)
	s.Set("n", "41", 0)
	if n, err := s.IncrBy("n", 1); err != nil || n != 42 {
		t.Errorf("incr of a mutable value: %d %v", n, err)
	}
	s.Set("u", "a", 0)
	s.Set("u", "b", 0)
	s.Update("u", func(o string, e int64, _ bool) (string, int64, UpdateOp) { return o + "c", e, UpdateStore })
	if v, _ := s.Get("u"); v != "bc" {
		t.Errorf("update of a mutable value: %q", v)
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) || st.Keys != 2 {
		t.Errorf("%+v, stored %d", st, storedBytes(s))
	}
}

// An in-place set still gives the key a new version for ephpm_kv_wait.
func TestMutableOverwriteWakesWaiters(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.Set("w", "1", 0)
	s.Set("w", "2", 0)
	ver, _, _, _ := s.Wait("w", 0, 0, nil)
	got := make(chan string, 1)
	go func() {
		_, v, _, ok := s.Wait("w", ver, 10*time.Second, nil)
		if !ok {
			v = "timeout"
		}
		got <- v
	}()
	time.Sleep(20 * time.Millisecond)
	s.Set("w", "3", 0)
	if v := <-got; v != "3" {
		t.Errorf("wait after an in-place set: %q", v)
	}
}

// Readers racing writers in place: a value read is always one that was
// written whole (never torn or mixed), and a reader never reads a writer's
// values backwards (each value read was current at some instant of its
// read). Writers vary the length (in place, and past the capacity: a
// replacement) while deletes, expiries, eviction, publishing, Update,
// del_if_equals and incr run on the same keys. The bytes counted match what
// is stored at the end. Run with -race: the copies are word-atomic there.
func TestMutableReadersNeverSeeTornValues(t *testing.T) { testMutableReaders(t, false, "k") }

// The same with values of up to 32 bytes set through SetHashed (PHP's
// set): a new key's first version is then mutable inside its slot
// (smutMark), written in place by the sets that fit its capacity and
// replaced by those that do not (every 50th value is 60 bytes). Deletes,
// eviction and expiry keep making new keys, hence new such versions. It
// fails when a reader of that layout skips the seq check, or takes the
// length from another load than the sequence's.
// (Keys longer than a small record's, index.go.)
func TestSlotMutableReadersNeverSeeTornValues(t *testing.T) {
	testMutableReaders(t, true, strings.Repeat("k", maxSmallKey))
}

// The same with short keys: the values set without TTL are small records
// (index.go), written in place in the index's line, made indirect by
// publishing, Update, incr and expire, and made again by the next new key.
func TestSmallRecordReadersNeverSeeTornValues(t *testing.T) { testMutableReaders(t, true, "k") }

func testMutableReaders(t *testing.T, small bool, kp string) {
	s, err := New(Options{MemoryLimit: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.EnablePublishing()
	s.SetSharedStrings(0x16, 1024) // (the 3,000-byte values: shared, as C hands them to PHP)
	defer s.dropPublished()
	const writers, keys = 3, 4
	// A value: "w<writer>:<seq>:" then a fill byte chosen by writer and
	// seq, repeated to a length that varies (up to past the capacity).
	value := func(w, seq int) string {
		head := fmt.Sprintf("w%d:%d:", w, seq)
		n := 40 + (seq*37+w*11)%700
		if small {
			n = max(0, 8+(seq*7+w*3)%25-len(head)) // 8 .. 32 bytes in all
		}
		if seq%50 == 0 {
			n = 3000 // past any capacity: replaces the version
			if small {
				n = 60
			}
		}
		return head + strings.Repeat(string(rune('a'+(w*7+seq)%26)), n)
	}
	var slotMuts atomic.Int64  // versions seen in the compact layout
	var smallRecs atomic.Int64 // small records seen (index.go)
	check := func(v string) (w, seq int, ok bool) {
		parts := strings.SplitN(v, ":", 3)
		if len(parts) != 3 || len(parts[0]) < 2 {
			return 0, 0, false
		}
		w, err1 := strconv.Atoi(parts[0][1:])
		seq, err2 := strconv.Atoi(parts[1])
		return w, seq, err1 == nil && err2 == nil && v == value(w, seq)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	fail := func(format string, args ...any) {
		bad.CompareAndSwap(nil, fmt.Sprintf(format, args...))
		stop.Store(true)
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for seq := 1; !stop.Load(); seq++ {
				k := kp + strconv.Itoa(seq%keys)
				ttl := time.Duration(0)
				if seq%97 == 0 {
					ttl = time.Millisecond // expires under the readers
				}
				if small {
					s.SetHashed(k, keyHash(k), value(w, seq), ttl)
				} else {
					s.Set(k, value(w, seq), ttl)
				}
			}
		}(w)
	}
	// Other writers: delete, Update, del_if_equals, incr (refused: not a
	// number), a filler that makes eviction pick these keys.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			k := kp + strconv.Itoa(i%keys)
			switch i % 5 {
			case 0:
				s.Del(k)
			case 1:
				s.Update(k, func(o string, e int64, ok bool) (string, int64, UpdateOp) {
					if !ok {
						return "", 0, UpdateKeep
					}
					if _, _, good := check(o); !good && !isNumber(o) {
						fail("Update read %.40q", o)
					}
					return o, e, UpdateStore
				})
			case 2:
				if v, ok := s.Get(k); ok {
					s.DelIfEquals(k, v)
				}
			case 3:
				if _, err := s.IncrBy(k, 1); err == nil {
					s.Del(k) // it was a counter of its own: clear it
				}
			case 4:
				s.Set("fill"+strconv.Itoa(i%40), strings.Repeat("f", 2000), 0)
			}
			if i%64 == 0 {
				time.Sleep(time.Microsecond)
			}
		}
	}()
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			last := map[string][writers]int{}
			var scratch [20]byte
			tr := &testReader{idx: -1} // C's reader slot (shared strings)
			defer tr.done()
			for i := 0; !stop.Load(); i++ {
				k := kp + strconv.Itoa(i%keys)
				var v string
				var ok bool
				switch (i + r) % 4 {
				case 0:
					v, ok = s.Get(k)
				case 1:
					v, ok = s.Peek(k, keyHash(k), scratch[:]) // publishes hot keys
				case 2:
					// PHP's get: the published copy (kvfuncs.c), else Go.
					if v, _, ok = s.pubReadAs(k, nil, tr); !ok {
						v, ok = s.Peek(k, FilterHash(k), scratch[:])
					}
				default:
					v, _, ok = s.GetWithExpiry(k)
					if _, h := s.find(k, keyHash(k)); h != nil && h.n == smutMark {
						slotMuts.Add(1)
					}
					if r, ok := s.m.get(k, nil, false); ok && r.small {
						smallRecs.Add(1)
					}
				}
				if !ok || isNumber(v) { // (a counter the incr above made)
					continue
				}
				w, seq, good := check(v)
				if !good {
					fail("reader %d read a torn value of %s: %d bytes %.60q", r, k, len(v), v)
					return
				}
				seen := last[k]
				if seq < seen[w] {
					fail("reader %d read %s backwards: writer %d seq %d after %d", r, k, w, seq, seen[w])
					return
				}
				seen[w] = seq
				last[k] = seen
			}
		}(r)
	}
	time.Sleep(2 * time.Second)
	stop.Store(true)
	wg.Wait()
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	if small && kp == "k" && smallRecs.Load() == 0 {
		t.Error("no reader met a small record")
	}
	if small && kp != "k" && slotMuts.Load() == 0 {
		t.Error("no reader met a version mutable in its slot")
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) {
		t.Errorf("bytes counted %d, stored %d", st.Bytes, storedBytes(s))
	}
	if st := s.Stats(); st.Bytes > 64<<10 {
		t.Errorf("over the limit: %d", st.Bytes)
	}
}

func isNumber(v string) bool {
	_, err := strconv.ParseInt(v, 10, 64)
	return err == nil
}

// classSize agrees with the allocator (an append rounds up to the size
// class), and a value that shrank into a smaller class is not written in
// place: a large allocation must not stay behind a small value.
func TestMutableSizeClasses(t *testing.T) {
	for n := 1; n <= 40000; n += 1 + n/64 {
		b := append([]byte(nil), make([]byte, n)...)
		if n >= 48 && classSize(n) != cap(b) {
			t.Fatalf("classSize(%d) = %d, the allocator %d", n, classSize(n), cap(b))
		}
	}
	s, _ := newStore(t, Options{})
	s.Set("k", strings.Repeat("a", 4000), 0)
	s.Set("k", strings.Repeat("b", 4000), 0)
	_, h := s.find("k", keyHash("k"))
	s.Set("k", strings.Repeat("c", 3990), 0)
	if _, h2 := s.find("k", keyHash("k")); h2 != h {
		t.Error("a value of the same class was not written in place")
	}
	s.Set("k", "small", 0)
	_, h3 := s.find("k", keyHash("k"))
	if h3 == h || !h3.isMut() || h3.mut().mcap > 64 {
		t.Errorf("a small value kept the 4 KB version (cap %d)", h3.mut().mcap)
	}
	if v, _ := s.Get("k"); v != "small" {
		t.Errorf("%q", v)
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) {
		t.Errorf("bytes %d, stored %d", st.Bytes, storedBytes(s))
	}
}

// A Go-path read of an overwritten key (a mutable version, copied under
// its seqlock) copies into the caller's scratch when it fits, as PHP's get
// passes its C buffer: no allocation per read. It allocated one copy per
// read before.
func TestMutableReadIntoScratchAllocatesNothing(t *testing.T) {
	s, _ := New(Options{})
	defer s.Close()
	s.Set("k", "first value", 0)
	s.Set("k", "second value", 0) // the first overwrite: a mutable version
	scratch := make([]byte, 64)
	h := keyHash("k")
	if v, ok := s.Peek("k", h, scratch); !ok || v != "second value" {
		t.Fatalf("Peek: %q %v", v, ok)
	}
	if n := testing.AllocsPerRun(100, func() {
		if v, ok := s.Peek("k", h, scratch); !ok || v != "second value" {
			t.Fatalf("Peek: %q %v", v, ok)
		}
		if v, ok := s.GetTo("k", h, scratch); !ok || v != "second value" {
			t.Fatalf("GetTo: %q %v", v, ok)
		}
	}); n != 0 {
		t.Errorf("%v allocations per two reads of an overwritten key with scratch, want 0", n)
	}
	// Without room in scratch (or without scratch) it is a new string,
	// which later reads do not overwrite.
	v, _ := s.Peek("k", h, scratch[:4])
	w, _ := s.Get("k")
	s.Set("k", "third value!", 0)
	if v != "second value" || w != "second value" {
		t.Errorf("copies changed: %q %q", v, w)
	}
}

// One key whose first version is mutable in its slot (SetHashed of a
// small value), written in place by two writers with values of 8, 16 and
// 24 bytes (one letter repeated, the length following the letter) while
// two readers read it through GetTo and Peek: every value read is one
// that was written (never the bytes of one and the length or bytes of
// another), and the version is never replaced (all writes fit). It fails
// when the compact layout's reader skips its seq check.
func TestSlotMutableInPlaceReadsAreWhole(t *testing.T) {
	s, _ := newStore(t, Options{})
	kk := strings.Repeat("k", maxSmallKey+1) // (not a small record: index.go)
	value := func(i int) string {
		c := byte('a' + i%26)
		return strings.Repeat(string(c), 8+int(c-'a')%3*8)
	}
	h := keyHash(kk)
	s.SetHashed(kk, h, value(2), 0) // 24 bytes: the capacity
	_, v0 := s.find(kk, h)
	if v0.n != smutMark || !v0.mfits(24) {
		t.Fatalf("a new key's small value set by SetHashed: mark %#x", v0.n)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; !stop.Load(); i += 2 {
				s.SetHashed(kk, h, value(i), 0)
			}
		}(w)
	}
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			var scratch [64]byte
			for !stop.Load() {
				var v string
				var ok bool
				if r == 0 {
					v, ok = s.GetTo(kk, h, scratch[:])
				} else {
					v, ok = s.Peek(kk, h, scratch[:])
				}
				if !ok || len(v) == 0 || v != value(int(v[0]-'a')) {
					bad.CompareAndSwap(nil, fmt.Sprintf("read %q (%v)", v, ok))
					stop.Store(true)
				}
			}
		}(r)
	}
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	if _, v := s.find(kk, h); v != v0 {
		t.Error("writes that fit replaced the version")
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) {
		t.Errorf("bytes %d, stored %d", st.Bytes, storedBytes(s))
	}
}

// TestSmallRecordInPlaceReadsAreWhole is TestSlotMutableInPlaceReadsAreWhole
// for a small record (index.go: the key and value in the index's line),
// written in place under the bucket lock and the line's seqlock while
// GetTo, Peek and Get copy it: every value read is one that was written,
// and the record stays small (all writes fit). It fails when the line's
// reader skips its seq check.
func TestSmallRecordInPlaceReadsAreWhole(t *testing.T) {
	s, _ := newStore(t, Options{})
	value := func(i int) string {
		c := byte('a' + i%26)
		return strings.Repeat(string(c), 8+int(c-'a')%5*8) // 8 .. 40 bytes
	}
	h := keyHash("k")
	s.SetHashed("k", h, value(2), 0)
	if r, ok := s.m.get("k", nil, false); !ok || !r.small {
		t.Fatal("a new key's small value without TTL is not a small record")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; !stop.Load(); i += 2 {
				if w == 0 {
					s.SetHashed("k", h, value(i), 0)
				} else {
					s.Set("k", value(i), 0)
				}
			}
		}(w)
	}
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			var scratch [64]byte
			for !stop.Load() {
				var v string
				var ok bool
				switch r {
				case 0:
					v, ok = s.GetTo("k", h, scratch[:])
				case 1:
					v, ok = s.Peek("k", h, scratch[:])
				default:
					v, ok = s.Get("k")
				}
				if !ok || len(v) == 0 || v != value(int(v[0]-'a')) {
					bad.CompareAndSwap(nil, fmt.Sprintf("read %q (%v)", v, ok))
					stop.Store(true)
				}
			}
		}(r)
	}
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	if r, ok := s.m.get("k", nil, false); !ok || !r.small {
		t.Error("writes that fit made the record indirect")
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) || st.Keys != 1 {
		t.Errorf("bytes %d, stored %d, keys %d", st.Bytes, storedBytes(s), st.Keys)
	}
}
