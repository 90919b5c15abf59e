package kv

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// An adversarial review of the store's own index (index.go) through
// tests: keys crafted with the index's own seeded hash to share a
// segment, a tag byte and a home bucket (so every probe walks past
// look-alikes and every match rests on the key compare), keys of every
// length class the slots and the lookup cache treat apart, tombstones and
// re-inserts, rebuilds while readers and writers run, and a model of the
// whole store checked after every operation.

// rvCraft returns keys whose hash under x shares top bits (segment and
// tag: the top ixSegBits+8 bits) and the lowest lowBits bits with target,
// perLen of them for each length in lengths (3 and more: shorter ones
// have too few values). Each key starts from random bytes (NULs and high
// bytes included) with a counter in its last bytes; rng makes it
// repeatable.
func rvCraft(x *index, target uint64, lowBits uint, lengths []int, perLen int, rng *rand.Rand) []string {
	topShift := uint(64 - ixSegBits - 8)
	lowMask := uint64(1)<<lowBits - 1
	var out []string
	for _, n := range lengths {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		found := 0
		for c := uint64(0); found < perLen; c++ {
			// The counter in the last (up to) 8 bytes.
			for i := 0; i < 8 && i < n; i++ {
				b[n-1-i] = byte(c >> (8 * i))
			}
			if n < 8 && c>>(8*n) != 0 {
				break // every value of the counter tried
			}
			h := x.hash(unsafe.String(&b[0], n))
			if h>>topShift == target>>topShift && h&lowMask == target&lowMask {
				out = append(out, string(b))
				found++
			}
		}
	}
	return out
}

// rvEnc is a value naming its key (by number) and a sequence number,
// padded so that versions are inline in the slot, apart, small or large.
func rvEnc(kid int, seq int64) string {
	v := strconv.Itoa(kid) + "|" + strconv.FormatInt(seq, 10) + "|"
	switch seq % 4 {
	case 1:
		v += strings.Repeat("p", 40) // past maxInlineValue
	case 2:
		v += strings.Repeat("q", 1500)
	}
	return v
}

func rvDec(v string) (kid int, seq int64, ok bool) {
	a, rest, ok1 := strings.Cut(v, "|")
	b, _, ok2 := strings.Cut(rest, "|")
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	k, err1 := strconv.Atoi(a)
	s, err2 := strconv.ParseInt(b, 10, 64)
	return k, s, err1 == nil && err2 == nil
}

// rvRun runs fn in a goroutine and fails if it does not finish within d:
// a probe that never meets an empty cell would spin forever.
func rvRun(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %v (a probe loop that never ends?)", what, d)
	}
}

// rvIndexKeys: keys all in one segment with one tag (and, in groups, one
// home bucket), of lengths that cover the inline key classes, the
// 8..16-byte two-word compare, the last inline length and the first
// separate ones; plus the short keys, which cannot be crafted.
func rvIndexKeys(x *index, rng *rand.Rand, perLen int, lowBits uint) []string {
	target := rng.Uint64()
	keys := rvCraft(x, target, lowBits, []int{3, 4, 7, 8, 9, 15, 16, 17, 24, 25, 248, 249, 250, 255, 256}, perLen, rng)
	keys = append(keys, "", "\x00", "a", "\xff", "ab", "\x00\x00")
	// Same-length pairs that differ in one byte only, at the start, in
	// the middle and at the end (the two-word compare's seams).
	for _, n := range []int{8, 9, 12, 15, 16, 17, 248, 300} {
		base := []byte(strings.Repeat("k", n))
		for _, at := range []int{0, n / 2, n - 8, n - 1} {
			if at < 0 {
				continue
			}
			b := append([]byte(nil), base...)
			b[at] ^= 0x01
			keys = append(keys, string(b))
		}
		keys = append(keys, string(base))
	}
	return rvUniq(keys)
}

func rvUniq(keys []string) []string {
	seen := map[string]bool{}
	out := keys[:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// TestReviewIndexCollidingKeys: with every key in one segment and of one
// tag, inserts, deletes (tombstones) and re-inserts in random order,
// through many rebuilds of that segment: Load gives exactly the slot
// inserted for the key (never a look-alike's), Range each key once,
// Size the count.
func TestReviewIndexCollidingKeys(t *testing.T) {
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	// Crafting is the slow part: once, for one seed; each round a new
	// index with that seed and its own order of operations.
	seed := newIndex().seed
	keys := rvIndexKeys(&index{seed: seed}, rand.New(rand.NewPCG(0, 99)), 6, 3)
	for round := 0; round < rounds; round++ {
		rng := rand.New(rand.NewPCG(uint64(round), 99))
		x := &index{seed: seed}
		present := map[string]*slot{}
		check := func(step int) {
			for _, k := range keys {
				sl, ok := x.Load(k)
				if want, in := present[k]; ok != in || sl != want {
					t.Fatalf("round %d step %d: Load(%.20q len %d) = %p %v, want %p %v", round, step, k, len(k), sl, ok, want, in)
				}
			}
			seen := map[string]int{}
			x.Range(func(k string, sl *slot) bool {
				seen[k]++
				if present[k] != sl {
					t.Fatalf("round %d step %d: Range gave %.20q with a slot not its own", round, step, k)
				}
				return true
			})
			for k, c := range seen {
				if c != 1 {
					t.Fatalf("round %d step %d: Range saw %.20q %d times", round, step, k, c)
				}
			}
			if len(seen) != len(present) || x.Size() != len(present) {
				t.Fatalf("round %d step %d: Range %d keys, Size %d, want %d", round, step, len(seen), x.Size(), len(present))
			}
		}
		rvRun(t, 60*time.Second, "colliding-key ops", func() {
			for step := 0; step < 4000; step++ {
				k := keys[rng.IntN(len(keys))]
				if _, in := present[k]; in && rng.IntN(3) > 0 {
					x.Compute(k, func(cur *slot, loaded bool) (*slot, ixOp) {
						if !loaded || cur != present[k] {
							t.Fatalf("round %d step %d: delete of %.20q found %p %v, want %p", round, step, k, cur, loaded, present[k])
						}
						return cur, ixDelete
					})
					delete(present, k)
				} else if !in {
					sl, _ := newSlot(k)
					x.Compute(k, func(cur *slot, loaded bool) (*slot, ixOp) {
						if loaded {
							t.Fatalf("round %d step %d: %.20q absent but loaded %p", round, step, k, cur)
						}
						return sl, ixUpdate
					})
					present[k] = sl
				} else {
					// Present: a cancel and an "update" with its own slot
					// change nothing.
					x.Compute(k, func(cur *slot, loaded bool) (*slot, ixOp) {
						if !loaded || cur != present[k] {
							t.Fatalf("round %d step %d: %.20q present but found %p %v", round, step, k, cur, loaded)
						}
						if step%2 == 0 {
							return cur, ixUpdate
						}
						return nil, ixCancel
					})
				}
				if step%97 == 0 {
					check(step)
				}
			}
			check(-1)
		})
	}
}

// TestReviewIndexTombstoneChurn: one key inserted and deleted over and
// over (every delete leaves a tombstone in the segment's table), with
// other keys of its segment living throughout: the table must be rebuilt
// before it runs out of empty cells (a probe for an absent key ends only
// at an empty one), and the living keys stay found.
func TestReviewIndexTombstoneChurn(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	x := newIndex()
	keys := rvCraft(x, rng.Uint64(), 0, []int{5, 12, 40}, 4, rng)
	stay := map[string]*slot{}
	for _, k := range keys[1:] {
		sl, _ := newSlot(k)
		x.Compute(k, func(*slot, bool) (*slot, ixOp) { return sl, ixUpdate })
		stay[k] = sl
	}
	churn := keys[0]
	n := 30_000
	if testing.Short() {
		n = 10_000
	}
	rvRun(t, 60*time.Second, "tombstone churn", func() {
		for i := 0; i < n; i++ {
			sl, _ := newSlot(churn)
			x.Compute(churn, func(cur *slot, loaded bool) (*slot, ixOp) {
				if loaded {
					t.Fatalf("iteration %d: churn key present before its insert", i)
				}
				return sl, ixUpdate
			})
			if got, ok := x.Load(churn); !ok || got != sl {
				t.Fatalf("iteration %d: churn key not found after insert", i)
			}
			x.Compute(churn, func(cur *slot, loaded bool) (*slot, ixOp) { return cur, ixDelete })
			if _, ok := x.Load(churn); ok {
				t.Fatalf("iteration %d: churn key found after delete", i)
			}
			if _, ok := x.Load("never-inserted"); ok {
				t.Fatal("an absent key found")
			}
		}
	})
	for k, sl := range stay {
		if got, ok := x.Load(k); !ok || got != sl {
			t.Fatalf("%q lost in the churn", k)
		}
	}
	if x.Size() != len(stay) {
		t.Fatalf("Size %d, want %d", x.Size(), len(stay))
	}
	// The table did not grow without bound with tombstones: a handful of
	// live keys need a handful of lines.
	sg := x.seg(x.hash(churn))
	if tb := sg.t.Load(); len(tb.l) > 48 {
		t.Fatalf("segment table of %d lines for %d live keys", len(tb.l), sg.live)
	}
}

// TestReviewIndexReadersDuringRebuilds: lock-free readers (Load, Range)
// race a writer that inserts and deletes keys of the same segment and tag
// (rebuilding its table from 1 bucket up and down again). Keys present
// for the whole test are always found, with their own slot, and seen
// exactly once by every Range; a churning key, when found, is found with
// a slot holding that key.
func TestReviewIndexReadersDuringRebuilds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := newIndex()
	keys := rvCraft(x, rng.Uint64(), 0, []int{3, 8, 9, 16, 17, 100, 248, 251}, 12, rng)
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	stable, churn := keys[:len(keys)/4], keys[len(keys)/4:]
	stableSlot := map[string]*slot{}
	for _, k := range stable {
		sl, _ := newSlot(k)
		x.Compute(k, func(*slot, bool) (*slot, ixOp) { return sl, ixUpdate })
		stableSlot[k] = sl
	}
	// Plus unrelated keys across all segments, grown and shrunk too.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var fail atomic.Pointer[string]
	failf := func(format string, a ...any) {
		s := fmt.Sprintf(format, a...)
		fail.CompareAndSwap(nil, &s)
		stop.Store(true)
	}
	iters := 400
	if testing.Short() {
		iters = 150
	}
	wg.Add(1)
	go func() { // the writer
		defer wg.Done()
		defer stop.Store(true)
		r := rand.New(rand.NewPCG(5, 6))
		churn := append([]string(nil), churn...) // shuffled here only
		in := map[string]bool{}
		for i := 0; i < iters && !stop.Load(); i++ {
			// Grow: insert every churning key, then delete them all (in
			// random order), so the segment is rebuilt at several sizes.
			r.Shuffle(len(churn), func(a, b int) { churn[a], churn[b] = churn[b], churn[a] })
			for _, k := range churn {
				if in[k] {
					continue
				}
				sl, _ := newSlot(k)
				x.Compute(k, func(cur *slot, loaded bool) (*slot, ixOp) {
					if loaded {
						failf("churn %.20q present before its insert", k)
						return cur, ixCancel
					}
					return sl, ixUpdate
				})
				in[k] = true
			}
			r.Shuffle(len(churn), func(a, b int) { churn[a], churn[b] = churn[b], churn[a] })
			for j, k := range churn {
				if j%5 == 0 && i%2 == 0 {
					continue // leave some: tombstones and live keys mixed
				}
				x.Compute(k, func(cur *slot, loaded bool) (*slot, ixOp) {
					if !loaded {
						failf("churn %.20q absent at its delete", k)
						return cur, ixCancel
					}
					return cur, ixDelete
				})
				in[k] = false
			}
		}
	}()
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) { // readers
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				for _, k := range stable {
					if sl, ok := x.Load(k); !ok || sl != stableSlot[k] {
						failf("stable %.20q (len %d): Load %p %v, want %p", k, len(k), sl, ok, stableSlot[k])
						return
					}
				}
				for _, k := range churn {
					if sl, ok := x.Load(k); ok {
						var got string
						if len(k) > maxInlineKey {
							got = (*slotBig)(unsafe.Pointer(sl)).k
						} else {
							got = unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(sl), unsafe.Sizeof(slot{}))), len(k))
						}
						if got != k {
							failf("churn %.20q found with the slot of %.20q", k, got)
							return
						}
					}
				}
				if n%4 == g {
					seen := map[string]int{}
					x.Range(func(k string, sl *slot) bool {
						seen[k]++
						return true
					})
					for _, k := range stable {
						if seen[k] != 1 {
							failf("Range saw stable %.20q %d times", k, seen[k])
							return
						}
					}
					// No key twice, a churning one included (deleted
					// behind a lock-free walk and inserted again ahead of
					// it, it was: 21006cf).
					for k, c := range seen {
						if c != 1 {
							failf("Range saw %.20q %d times", k, c)
							return
						}
					}
				}
			}
		}(g)
	}
	wg.Wait()
	if p := fail.Load(); p != nil {
		t.Fatal(*p)
	}
}

// rvModel is the reference store for TestReviewStoreModel: values and
// deadlines in a plain map, on the same fake clock.
type rvModel struct {
	v map[string]string
	e map[string]int64
}

func (m *rvModel) live(k string, now int64) bool {
	if _, ok := m.v[k]; !ok {
		return false
	}
	if e := m.e[k]; e != 0 && now >= e {
		delete(m.v, k)
		delete(m.e, k)
		return false
	}
	return true
}

func (m *rvModel) set(k, v string, e int64) { m.v[k], m.e[k] = v, e }

// rvParse: the decimal int64 an increment accepts (strict, as Redis): an
// optional '-', no '+', no leading zero, no "-0".
func rvParse(v string) (int64, bool) {
	d := strings.TrimPrefix(v, "-")
	if d == "" || (d[0] == '0' && (len(d) > 1 || v[0] == '-')) {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// rvStoreKeys: keys crafted against the store's own index to share
// segment, tag and home bucket, of every length class; short and binary
// keys; prefixes of each other; 64 KB keys differing in one byte.
func rvStoreKeys(s *Store, rng *rand.Rand) []string {
	keys := rvIndexKeys(s.m, rng, 3, 1)
	big := strings.Repeat("B", 64<<10)
	keys = append(keys, big, big[:len(big)-1]+"C", "C"+big[1:],
		"pre:", "pre:a", "pre:ab", "pre:\x00", "pr", "p\x00re:")
	return rvUniq(keys)
}

// TestReviewStoreModel: random operations through the public API on
// colliding keys, each result checked against rvModel, with the fake
// clock moving (lazy expiry), the sweeper's pass, publishing on, and
// reads through the lookup cache with a hash shared by every key (so a
// read always meets another key's cache entry first). The accounting and
// the presence filter are checked along the way.
func TestReviewStoreModel(t *testing.T) {
	seeds, steps := 2, 3000
	if testing.Short() {
		seeds, steps = 1, 2000
	}
	for seed := 0; seed < seeds; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rvStoreModel(t, uint64(seed), steps)
		})
	}
}

func rvStoreModel(t *testing.T, seed uint64, steps int) {
	var clk atomic.Int64
	clk.Store(1_800_000_000_000_000_000)
	s, err := New(Options{Clock: clk.Load, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.EnablePublishing() != nil {
		defer s.dropPublished()
	}
	rng := rand.New(rand.NewPCG(seed, 1234))
	keys := rvStoreKeys(s, rng)
	vals := []string{"", "0", "1", "-1", "5", "007", "-0", "+3", " 4", "9223372036854775807",
		"-9223372036854775808", "x", "v\x00v", strings.Repeat("s", 32), strings.Repeat("t", 33),
		strings.Repeat("u", 5000), strings.Repeat("w", 64<<10)}
	m := &rvModel{v: map[string]string{}, e: map[string]int64{}}
	scratch := make([]byte, 20)
	const shared = 7 // one lookup cache entry for every key
	ttls := []time.Duration{0, 0, -time.Second, time.Millisecond, 500 * time.Millisecond, time.Second, 3 * time.Second}

	for step := 0; step < steps; step++ {
		k := keys[rng.IntN(len(keys))]
		v := vals[rng.IntN(len(vals))]
		ttl := ttls[rng.IntN(len(ttls))]
		now := clk.Load()
		op := rng.IntN(22)
		where := fmt.Sprintf("seed %d step %d op %d key %.24q (len %d)", seed, step, op, k, len(k))
		deadline := func() int64 {
			if ttl <= 0 {
				return 0
			}
			return now + int64(ttl)
		}
		hash := keyHash(k)
		if rng.IntN(2) == 0 {
			hash = shared
		}
		switch op {
		case 0, 1: // get (three ways)
			var got string
			var ok bool
			switch rng.IntN(3) {
			case 0:
				got, ok = s.Get(k)
			case 1:
				got, ok = s.GetTo(k, hash, scratch)
			default:
				got, ok = s.Peek(k, hash, scratch)
				if ok { // a second read publishes it
					got, ok = s.Peek(k, hash, scratch)
				}
			}
			wok := m.live(k, now)
			want := m.v[k]
			if ok != wok || got != want {
				t.Fatalf("%s get: %.30q %v, model %.30q %v", where, got, ok, want, wok)
			}
		case 2, 3, 4: // set
			var ok bool
			if op == 4 {
				ok = s.SetHashed(k, hash, v, ttl)
			} else {
				ok = s.Set(k, v, ttl)
			}
			if !ok {
				t.Fatalf("%s set refused", where)
			}
			m.set(k, v, deadline())
		case 5: // setnx
			got := s.SetNX(k, v, ttl)
			want := !m.live(k, now)
			if got != want {
				t.Fatalf("%s setnx %v, model %v", where, got, want)
			}
			if want {
				m.set(k, v, deadline())
			}
		case 6, 7: // incr_by
			deltas := []int64{1, -1, 5, 1 << 40, -(1 << 45), math.MaxInt64, math.MinInt64}
			d := deltas[rng.IntN(len(deltas))]
			var got int64
			var err error
			if op == 6 {
				got, err = s.IncrBy(k, d)
			} else {
				got, err = s.IncrByHashed(k, hash, d)
			}
			cur, e := int64(0), int64(0)
			var wantErr error
			if m.live(k, now) {
				n, ok := rvParse(m.v[k])
				if !ok {
					wantErr = ErrNotInteger
				}
				cur, e = n, m.e[k]
			}
			if wantErr == nil && overflows(cur, d) {
				wantErr = ErrOverflow
			}
			if !errors.Is(err, wantErr) && !(err != nil && wantErr != nil) {
				t.Fatalf("%s incr_by %d: %d %v, model error %v (value %.30q)", where, d, got, err, wantErr, m.v[k])
			}
			if wantErr == nil {
				if got != cur+d {
					t.Fatalf("%s incr_by %d: %d, model %d", where, d, got, cur+d)
				}
				m.set(k, strconv.FormatInt(cur+d, 10), e)
			}
		case 8: // del
			got := s.Del(k)
			want := m.live(k, now)
			delete(m.v, k)
			if got != want {
				t.Fatalf("%s del %v, model %v", where, got, want)
			}
		case 9: // del_if_equals, with the current value half the time
			exp := v
			if rng.IntN(2) == 0 && m.live(k, now) {
				exp = m.v[k]
			}
			got := s.DelIfEquals(k, exp)
			want := m.live(k, now) && m.v[k] == exp
			if got != want {
				t.Fatalf("%s del_if_equals(%.20q) %v, model %v", where, exp, got, want)
			}
			if want {
				delete(m.v, k)
			}
		case 10: // del_prefix: a prefix of the key
			p := k[:rng.IntN(len(k)+1)]
			if len(p) > 3 && rng.IntN(2) == 0 {
				p = p[:3]
			}
			got := s.DelPrefix(p)
			want := 0
			for mk := range m.v {
				if strings.HasPrefix(mk, p) {
					if m.live(mk, now) {
						want++
					}
					delete(m.v, mk)
				}
			}
			if got != want {
				t.Fatalf("%s del_prefix(%.20q) %d, model %d", where, p, got, want)
			}
		case 11: // expire
			got := s.Expire(k, ttl)
			want := ttl > 0 && m.live(k, now)
			if got != want {
				t.Fatalf("%s expire %v: %v, model %v", where, ttl, got, want)
			}
			if want {
				m.e[k] = now + int64(ttl)
			}
		case 12: // ttl, pttl, exists
			wantMS, wantS := int64(-2), int64(-2)
			if m.live(k, now) {
				wantMS, wantS = -1, -1
				if e := m.e[k]; e != 0 {
					wantMS = (e - now + 999_999) / 1_000_000
					wantS = (e - now + 999_999_999) / 1_000_000_000
				}
			}
			if got := s.PTTL(k); got != wantMS {
				t.Fatalf("%s pttl %d, model %d", where, got, wantMS)
			}
			if got := s.TTL(k); got != wantS {
				t.Fatalf("%s ttl %d, model %d", where, got, wantS)
			}
			if got := s.Exists(k); got != (wantMS != -2) {
				t.Fatalf("%s exists %v", where, got)
			}
		case 13, 14: // update: append, keep, delete, or store with a TTL
			mode := rng.IntN(4)
			wantOld, wantExp, wantExists := m.v[k], m.e[k], m.live(k, now)
			if !wantExists {
				wantOld, wantExp = "", 0
			}
			err := s.Update(k, func(old string, exp int64, exists bool) (string, int64, UpdateOp) {
				if old != wantOld || exp != wantExp || exists != wantExists {
					t.Fatalf("%s update saw %.30q %d %v, model %.30q %d %v", where, old, exp, exists, wantOld, wantExp, wantExists)
				}
				switch mode {
				case 0:
					return old + "!", exp, UpdateStore
				case 1:
					return "", 0, UpdateKeep
				case 2:
					return "", 0, UpdateDelete
				}
				if ttl < 0 {
					return v, now - 1, UpdateStore // in the past: deletes
				}
				return v, deadline(), UpdateStore
			})
			if err != nil {
				t.Fatalf("%s update: %v", where, err)
			}
			switch mode {
			case 0:
				m.set(k, wantOld+"!", wantExp)
			case 2:
				delete(m.v, k)
			case 3:
				if ttl < 0 {
					delete(m.v, k) // a deadline in the past deletes
				} else {
					m.set(k, v, deadline())
				}
			}
		case 15: // the clock moves
			clk.Add(int64(rng.IntN(1200)) * int64(time.Millisecond))
		case 16: // the sweeper's pass
			s.SweepExpired()
		case 17: // range sees exactly the live keys
			got := map[string]int64{}
			s.Range(func(k string, e int64) bool {
				if _, dup := got[k]; dup {
					t.Fatalf("%s Range gave %.20q twice", where, k)
				}
				got[k] = e
				return true
			})
			for mk := range m.v {
				if !m.live(mk, now) {
					continue
				}
				if e, ok := got[mk]; !ok || e != m.e[mk] {
					t.Fatalf("%s Range: %.20q %v expiry %d, model %d", where, mk, ok, e, m.e[mk])
				}
				delete(got, mk)
			}
			for gk := range got {
				t.Fatalf("%s Range gave %.20q, not in the model", where, gk)
			}
		case 18: // flush, rarely
			if rng.IntN(20) == 0 {
				s.Flush()
				clear(m.v)
			}
		case 19: // get with expiry
			got, e, ok := s.GetWithExpiry(k)
			wok := m.live(k, now)
			if ok != wok || got != m.v[k] || (ok && e != m.e[k]) {
				t.Fatalf("%s get_with_expiry %.30q %d %v, model %.30q %d %v", where, got, e, ok, m.v[k], m.e[k], wok)
			}
		default: // a burst of new unrelated keys: grows every segment
			// (the last burst's keys go first, leaving tombstones)
			got := s.DelPrefix("bulk:")
			want := 0
			for mk := range m.v {
				if strings.HasPrefix(mk, "bulk:") {
					want++
					delete(m.v, mk)
				}
			}
			if got != want {
				t.Fatalf("%s del_prefix(bulk:) %d, model %d", where, got, want)
			}
			for i := 0; i < 300; i++ {
				bk := "bulk:" + strconv.Itoa(step) + ":" + strconv.Itoa(i)
				s.Set(bk, bk, 0)
				m.set(bk, bk, 0)
			}
		}
		if step%500 == 0 || step == steps-1 {
			rvCheckAccounting(t, s, where)
		}
	}
	// Every key of the model once more, through every read path.
	now := clk.Load()
	for _, k := range keys {
		wok := m.live(k, now)
		want := m.v[k]
		for _, h := range []uint64{shared, keyHash(k)} {
			if got, ok := s.GetTo(k, h, scratch); ok != wok || got != want {
				t.Fatalf("final %.20q: %.30q %v, model %.30q %v", k, got, ok, want, wok)
			}
		}
	}
}

// rvCheckAccounting: the store's byte and key counts are those of what
// its index holds, and the presence filter counts every key.
func rvCheckAccounting(t *testing.T, s *Store, where string) {
	t.Helper()
	var sum, n int64
	s.m.Range(func(k string, sl *slot) bool {
		sum += recCost(s, k, sl)
		n++
		if !s.filter.mayHave(k) {
			t.Fatalf("%s: %.20q in the index but not in the presence filter", where, k)
		}
		return true
	})
	if st := s.Stats(); st.Bytes != sum || st.Keys != n || int64(s.Len()) != n {
		t.Fatalf("%s: accounted %d bytes %d keys, index holds %d bytes %d keys (Len %d)", where, st.Bytes, st.Keys, sum, n, s.Len())
	}
}

// TestReviewReadersNeverGoBack: writers overwrite their own keys with
// values naming the key and an increasing sequence number (Set,
// SetHashed, Update, and for counters IncrBy), while other goroutines
// grow and shrink every segment (inserts, deletes, DelPrefix, keys with
// 1 ms TTLs left to lazy expiry and the sweeper) and evict nothing.
// Readers (Get, GetTo and Peek with a hash shared by all keys, Range)
// must always find a key that exists for the whole test, never see
// another key's value, and never see a key's sequence go backwards.
func TestReviewReadersNeverGoBack(t *testing.T) {
	s, err := New(Options{SweepInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.EnablePublishing() != nil {
		defer s.dropPublished()
	}
	rng := rand.New(rand.NewPCG(11, 12))
	// Stable keys collide in segment and tag with each other and with
	// the churning ones.
	target := rng.Uint64()
	crafted := rvCraft(s.m, target, 0, []int{3, 8, 9, 15, 16, 17, 60, 248, 250}, 6, rng)
	stable := append(crafted[:len(crafted)/2:len(crafted)/2], "", "\x00", "z", strings.Repeat("K", 64<<10))
	churnKeys := crafted[len(crafted)/2:]
	counters := []string{"ctr:a", "ctr:b\x00", strings.Repeat("c", 300)}
	for i, k := range stable {
		s.Set(k, rvEnc(i, 0), 0)
	}
	for _, k := range counters {
		s.Set(k, "0", 0)
	}
	dur := 3 * time.Second
	if testing.Short() {
		dur = time.Second
	}
	var stop atomic.Bool
	var fail atomic.Pointer[string]
	failf := func(format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		fail.CompareAndSwap(nil, &msg)
		stop.Store(true)
	}
	const shared = 99
	var wg sync.WaitGroup
	// Writers: two, splitting the stable keys; each key has one writer,
	// so its sequence numbers only increase.
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 77))
			for seq := int64(1); !stop.Load(); seq++ {
				for i := w; i < len(stable); i += 2 {
					k, v := stable[i], rvEnc(i, seq)
					switch r.IntN(4) {
					case 0:
						s.Set(k, v, 0)
					case 1:
						s.SetHashed(k, shared, v, 0)
					case 2:
						if err := s.Update(k, func(old string, _ int64, exists bool) (string, int64, UpdateOp) {
							if !exists {
								failf("Update: stable key %.20q absent", k)
							}
							if _, os, _ := rvDec(old); os >= seq {
								failf("Update: %.20q holds seq %d before its write of %d", k, os, seq)
							}
							return v, 0, UpdateStore
						}); err != nil {
							failf("Update: %v", err)
						}
					case 3:
						// Expire far ahead: the key stays, its TTL in place.
						s.Set(k, v, 0)
						s.Expire(k, time.Hour)
					}
				}
				for _, c := range counters {
					if _, err := s.IncrBy(c, 1); err != nil {
						failf("IncrBy(%q): %v", c, err)
					}
				}
			}
		}(w)
	}
	// Churn: growth, shrinkage, tombstones, expiry.
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(8, 9))
		for round := 0; !stop.Load(); round++ {
			for i := 0; i < 3000 && !stop.Load(); i++ {
				k := "churn:" + strconv.Itoa(r.IntN(20000))
				switch r.IntN(5) {
				case 0:
					s.Del(k)
				case 1:
					s.Set(k, k, time.Millisecond)
				default:
					s.Set(k, k, 0)
				}
			}
			for _, k := range churnKeys {
				if r.IntN(2) == 0 {
					s.Set(k, "churn", 0)
				} else {
					s.Del(k)
				}
			}
			if round%3 == 2 {
				s.DelPrefix("churn:")
			}
		}
	}()
	// Readers.
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			last := make([]int64, len(stable))
			lastCtr := make([]int64, len(counters))
			scratch := make([]byte, 20)
			r := rand.New(rand.NewPCG(uint64(g), 5))
			for n := 0; !stop.Load(); n++ {
				i := r.IntN(len(stable))
				k := stable[i]
				var v string
				var ok bool
				switch r.IntN(3) {
				case 0:
					v, ok = s.Get(k)
				case 1:
					v, ok = s.GetTo(k, shared, scratch)
				default:
					v, ok = s.Peek(k, shared, scratch)
				}
				if !ok {
					failf("reader %d: stable key %.20q (len %d) missing", g, k, len(k))
					return
				}
				kid, seq, dok := rvDec(v)
				if !dok || kid != i {
					failf("reader %d: key %d %.20q read %.40q (another key's value?)", g, i, k, v)
					return
				}
				if seq < last[i] {
					failf("reader %d: key %d went back from seq %d to %d", g, i, last[i], seq)
					return
				}
				last[i] = seq
				c := r.IntN(len(counters))
				cv, cok := s.GetTo(counters[c], shared, scratch)
				cn, perr := strconv.ParseInt(cv, 10, 64)
				if !cok || perr != nil || cn < lastCtr[c] {
					failf("reader %d: counter %q read %q %v after %d", g, counters[c], cv, cok, lastCtr[c])
					return
				}
				lastCtr[c] = cn
				if n%2000 == g {
					seen := map[string]int{}
					s.Range(func(k string, _ int64) bool {
						seen[k]++
						return true
					})
					for _, k := range append(stable[:len(stable):len(stable)], counters...) {
						if seen[k] != 1 {
							failf("reader %d: Range saw %.20q %d times", g, k, seen[k])
							return
						}
					}
				}
			}
		}(g)
	}
	time.Sleep(dur)
	stop.Store(true)
	wg.Wait()
	if p := fail.Load(); p != nil {
		t.Fatal(*p)
	}
	s.Close()
	rvCheckAccounting(t, s, "after the race")
}

// TestReviewEvictionUnderRace: writers insert and overwrite keys of
// several sizes against a small memory limit under each eviction policy,
// with readers, DelPrefix and the sweeper racing them: the accounted
// bytes never pass the limit, a read never answers another key's value,
// and afterwards the accounting matches what the index holds.
func TestReviewEvictionUnderRace(t *testing.T) {
	n := 2500
	if testing.Short() {
		n = 1000
	}
	for _, pol := range []Policy{AllKeysLRU, VolatileLRU, AllKeysRandom, NoEviction} {
		t.Run(string(pol), func(t *testing.T) {
			const limit = 60_000
			s, err := New(Options{MemoryLimit: limit, Policy: pol, SweepInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var fail atomic.Pointer[string]
			failf := func(format string, a ...any) {
				msg := fmt.Sprintf(format, a...)
				fail.CompareAndSwap(nil, &msg)
			}
			key := func(i int) string { return "ev:" + strconv.Itoa(i%300) + strings.Repeat("/", i%300%20) }
			var wg sync.WaitGroup
			var writes atomic.Int64
			for w := 0; w < 3; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(w), 3))
					for j := 0; j < n && fail.Load() == nil; j++ {
						i := r.IntN(300)
						k := key(i)
						v := rvEnc(i, int64(j))
						ttl := time.Duration(0)
						if r.IntN(2) == 0 {
							ttl = time.Duration(1+r.IntN(20)) * time.Millisecond
						}
						if s.Set(k, v, ttl) {
							writes.Add(1)
						}
						if j%500 == w {
							s.DelPrefix("ev:1")
						}
					}
				}(w)
			}
			for g := 0; g < 2; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(g), 4))
					scratch := make([]byte, 20)
					for j := 0; j < 2*n && fail.Load() == nil; j++ {
						i := r.IntN(300)
						v, ok := s.GetTo(key(i), 5, scratch)
						if !ok {
							continue
						}
						if kid, _, dok := rvDec(v); !dok || kid != i {
							failf("key %d read %.40q", i, v)
						}
					}
				}(g)
			}
			wg.Wait()
			if p := fail.Load(); p != nil {
				t.Fatal(*p)
			}
			if writes.Load() == 0 {
				t.Fatal("no write admitted")
			}
			s.Close()
			rvCheckAccounting(t, s, string(pol))
			if st := s.Stats(); st.Bytes > limit {
				t.Fatalf("bytes %d over the limit", st.Bytes)
			}
			// What is left reads back as its own key's value.
			var left []string
			s.Range(func(k string, _ int64) bool { left = append(left, k); return true })
			sort.Strings(left)
			for _, k := range left {
				v, ok := s.Get(k)
				if !ok {
					continue // expired since
				}
				kid, _, dok := rvDec(v)
				if !dok || key(kid) != k {
					t.Fatalf("%q holds %.40q", k, v)
				}
			}
		})
	}
}

// TestReviewNoEvictionKeepsOld: a write the limit refuses leaves the old
// value (and its TTL) in place, on colliding keys, and a refused new key
// is not in the index at all.
func TestReviewNoEvictionKeepsOld(t *testing.T) {
	var clk atomic.Int64
	clk.Store(1_800_000_000_000_000_000)
	s, err := New(Options{MemoryLimit: 2000, Policy: NoEviction, Clock: clk.Load, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	keys := rvCraft(s.m, rng.Uint64(), 2, []int{9, 16}, 3, rng)
	for i, k := range keys {
		if !s.Set(k, "v"+strconv.Itoa(i), time.Hour) {
			t.Fatalf("set %d refused", i)
		}
	}
	for i, k := range keys {
		if s.Set(k, strings.Repeat("x", 2000), 0) {
			t.Fatalf("oversized overwrite of %d admitted", i)
		}
		if v, ok := s.Get(k); !ok || v != "v"+strconv.Itoa(i) || s.TTL(k) != 3600 {
			t.Fatalf("after a refused overwrite %d: %q %v ttl %d", i, v, ok, s.TTL(k))
		}
	}
	before := s.Len()
	if s.Set("new:"+strings.Repeat("n", 100), strings.Repeat("y", 1500), 0) {
		t.Fatal("a new key past the limit admitted")
	}
	if s.Len() != before || s.Exists("new:"+strings.Repeat("n", 100)) {
		t.Fatal("a refused key left in the index")
	}
	rvCheckAccounting(t, s, "noeviction")
}

// TestReviewReinsertedKeysNeverGoBack: writers delete their keys and set
// them again (a new slot each time, tombstones behind), with an
// increasing sequence number, while churn rebuilds the segments: a reader
// may miss a key, but what it finds is that key's value and never older
// than what it found before (an old slot, in the lookup cache or in an
// outgrown table, must not answer).
func TestReviewReinsertedKeysNeverGoBack(t *testing.T) {
	s, err := New(Options{SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(21, 22))
	keys := rvCraft(s.m, rng.Uint64(), 1, []int{4, 8, 12, 16, 40, 250}, 3, rng)
	keys = append(keys, "", "q")
	dur := 2 * time.Second
	if testing.Short() {
		dur = 700 * time.Millisecond
	}
	var stop atomic.Bool
	var fail atomic.Pointer[string]
	failf := func(format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		fail.CompareAndSwap(nil, &msg)
		stop.Store(true)
	}
	const shared = 1234
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // one writer per key set: deletes, then sets the next sequence
		defer wg.Done()
		r := rand.New(rand.NewPCG(1, 2))
		for seq := int64(1); !stop.Load(); seq++ {
			for i, k := range keys {
				switch r.IntN(4) {
				case 0:
					s.Del(k)
				case 1:
					s.DelIfEquals(k, rvEnc(i, seq-1))
				case 2:
					s.Update(k, func(string, int64, bool) (string, int64, UpdateOp) { return "", 0, UpdateDelete })
				}
				if r.IntN(2) == 0 {
					s.SetHashed(k, shared, rvEnc(i, seq), 0)
				} else {
					s.SetNX(k, rvEnc(i, seq), 0)
				}
			}
		}
	}()
	wg.Add(1)
	go func() { // churn in every segment
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			k := "other:" + strconv.Itoa(i%5000)
			if i%3 == 0 {
				s.Del(k)
			} else {
				s.Set(k, "o", 0)
			}
		}
	}()
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			last := make([]int64, len(keys))
			scratch := make([]byte, 20)
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for !stop.Load() {
				i := r.IntN(len(keys))
				var v string
				var ok bool
				if r.IntN(2) == 0 {
					v, ok = s.Peek(keys[i], shared, scratch)
				} else {
					v, ok = s.Get(keys[i])
				}
				if !ok {
					continue
				}
				kid, seq, dok := rvDec(v)
				if !dok || kid != i {
					failf("reader %d: key %d read %.40q", g, i, v)
					return
				}
				if seq < last[i] {
					failf("reader %d: key %d went back from %d to %d", g, i, last[i], seq)
					return
				}
				last[i] = seq
			}
		}(g)
	}
	time.Sleep(dur)
	stop.Store(true)
	wg.Wait()
	if p := fail.Load(); p != nil {
		t.Fatal(*p)
	}
	rvCheckAccounting(t, s, "after re-inserts")
}

// TestReviewInsertRacesAreExact: on fresh keys crafted to collide, while
// other goroutines grow the same segments: of concurrent SetNX callers
// exactly one wins each key, and concurrent IncrBy on a key that does not
// exist yet loses no increment.
func TestReviewInsertRacesAreExact(t *testing.T) {
	s, err := New(Options{SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(31, 32))
	keys := rvCraft(s.m, rng.Uint64(), 0, []int{5, 9, 16, 17, 249}, 8, rng)
	const workers, incrs = 4, 20 // incrs: per key and worker
	var stop atomic.Bool
	var grow sync.WaitGroup
	grow.Add(1)
	go func() {
		defer grow.Done()
		for i := 0; !stop.Load(); i++ {
			s.Set("grow:"+strconv.Itoa(i%20000), "g", 0)
			if i%20000 == 19999 {
				s.DelPrefix("grow:")
			}
		}
	}()
	wins := make([]atomic.Int32, len(keys))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i, k := range keys {
				if s.SetNX("nx:"+k, strconv.Itoa(w), 0) {
					wins[i].Add(1)
				}
				for j := 0; j < incrs; j++ {
					if _, err := s.IncrBy("ctr:"+k, 1); err != nil {
						t.Errorf("IncrBy: %v", err)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	stop.Store(true)
	grow.Wait()
	per := int64(workers * incrs)
	for i, k := range keys {
		if n := wins[i].Load(); n != 1 {
			t.Fatalf("SetNX on %.20q: %d winners", k, n)
		}
		if v, _ := s.Get("ctr:" + k); v != strconv.FormatInt(per, 10) {
			t.Fatalf("counter %.20q = %q, want %d", k, v, per)
		}
	}
	rvCheckAccounting(t, s, "insert races")
}

// TestReviewDelPrefixDuringGrowth: DelPrefix removes every key with the
// prefix that exists for the whole call, exactly once each, while another
// goroutine grows and shrinks the same segments (tables rebuilt under the
// walk).
func TestReviewDelPrefixDuringGrowth(t *testing.T) {
	s, err := New(Options{SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rounds, n := 6, 3000
	if testing.Short() {
		rounds, n = 3, 1500
	}
	for round := 0; round < rounds; round++ {
		for i := 0; i < n; i++ {
			s.Set("dp:"+strconv.Itoa(i), "v", 0)
		}
		var stop atomic.Bool
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k := "zz:" + strconv.Itoa(round) + ":" + strconv.Itoa(i)
				s.Set(k, "z", 0)
				if i%3 == 0 {
					s.Del(k)
				}
			}
		}()
		got := s.DelPrefix("dp:")
		stop.Store(true)
		wg.Wait()
		if got != n {
			t.Fatalf("round %d: DelPrefix removed %d, want %d", round, got, n)
		}
		left := 0
		s.Range(func(k string, _ int64) bool {
			if strings.HasPrefix(k, "dp:") {
				left++
			}
			return true
		})
		if left != 0 {
			t.Fatalf("round %d: %d dp: keys left", round, left)
		}
		s.DelPrefix("zz:")
	}
	rvCheckAccounting(t, s, "del_prefix during growth")
}

// TestReviewEveryKeyLength: keys of every length from 0 to 300 with
// values around the inline-version boundary (a new key's first version
// in its slot when key, padding, header and value fit the largest slot):
// after inserts (which rebuild the segments, rehashing each key from its
// slot's own bytes), overwrites, Expire and deletes, every key reads its
// own value and TTL, through the map and through the lookup cache.
func TestReviewEveryKeyLength(t *testing.T) {
	var clk atomic.Int64
	clk.Store(1_800_000_000_000_000_000)
	s, err := New(Options{Clock: clk.Load, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vlens := []int{0, 1, 7, 8, 16, 31, 32, 33}
	key := func(n, j int) string {
		b := []byte(strings.Repeat("\x00k", n/2+1)[:n])
		if n > 0 {
			b[n-1] = byte(j) // same length, one byte apart
		}
		return string(b)
	}
	val := func(n, j, vl int, gen string) string {
		v := []byte(strings.Repeat("v", vl))
		if vl >= 4 {
			copy(v, fmt.Sprintf("%c%c%s", byte(n), byte(j), gen))
		}
		return string(v)
	}
	const shared = 3
	scratch := make([]byte, 20)
	check := func(stage string, want func(n, j, vl int) (string, bool)) {
		t.Helper()
		for n := 0; n <= 300; n++ {
			for j, vl := range vlens {
				if n == 0 && j > 0 {
					continue // one empty key
				}
				k := key(n, j)
				w, wok := want(n, j, vl)
				for _, h := range []uint64{keyHash(k), shared} {
					if v, ok := s.GetTo(k, h, scratch); ok != wok || v != w {
						t.Fatalf("%s: key len %d #%d: %.20q %v, want %.20q %v", stage, n, j, v, ok, w, wok)
					}
				}
			}
		}
		rvCheckAccounting(t, s, stage)
	}
	for n := 0; n <= 300; n++ {
		for j, vl := range vlens {
			if n == 0 && j > 0 {
				continue
			}
			if !s.SetHashed(key(n, j), shared, val(n, j, vl, "a"), 0) {
				t.Fatal("set refused")
			}
		}
	}
	check("inserted", func(n, j, vl int) (string, bool) { return val(n, j, vl, "a"), true })
	for n := 0; n <= 300; n++ {
		for j, vl := range vlens {
			if n == 0 && j > 0 {
				continue
			}
			k := key(n, j)
			switch (n + j) % 3 {
			case 0:
				s.Set(k, val(n, j, vlens[(j+3)%len(vlens)], "b"), 0)
			case 1:
				s.Expire(k, time.Second)
			case 2:
				s.Del(k)
			}
			_ = vl
		}
	}
	want := func(n, j, vl int) (string, bool) {
		switch (n + j) % 3 {
		case 0:
			return val(n, j, vlens[(j+3)%len(vlens)], "b"), true
		case 1:
			return val(n, j, vl, "a"), true
		}
		return "", false
	}
	check("changed", want)
	for n := 0; n <= 300; n++ {
		for j := range vlens {
			if n == 0 && j > 0 {
				continue
			}
			k := key(n, j)
			got, wantTTL := s.TTL(k), int64(-2)
			switch (n + j) % 3 {
			case 0:
				wantTTL = -1
			case 1:
				wantTTL = 1
			}
			if got != wantTTL {
				t.Fatalf("key len %d #%d: TTL %d, want %d", n, j, got, wantTTL)
			}
		}
	}
	clk.Add(int64(time.Second))
	s.SweepExpired()
	check("expired", func(n, j, vl int) (string, bool) {
		if (n+j)%3 == 0 {
			return want(n, j, vl)
		}
		return "", false
	})
}

// TestReviewRangeNoDuplicatesUnderChurn: Store.Range (KEYS, SCAN's
// snapshot, DBSIZE) never reports a key twice while other goroutines
// delete and set the same keys again (the concurrent form of
// TestRangeSeesAKeyOnce), and reports every key that no one touches.
func TestReviewRangeNoDuplicatesUnderChurn(t *testing.T) {
	s, err := New(Options{SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 500; i++ {
		s.Set("fixed:"+strconv.Itoa(i), "f", 0)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k := "churn:" + strconv.Itoa((i*7+w)%300)
				s.Del(k)
				s.Set(k, "c", 0)
			}
		}(w)
	}
	rounds := 500 // (before 21006cf: a duplicate within ~60 rounds)
	if testing.Short() {
		rounds = 200
	}
	for r := 0; r < rounds; r++ {
		seen := map[string]int{}
		s.Range(func(k string, _ int64) bool {
			seen[k]++
			return true
		})
		fixed := 0
		for k, c := range seen {
			if c != 1 {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("round %d: Range reported %q %d times", r, k, c)
			}
			if strings.HasPrefix(k, "fixed:") {
				fixed++
			}
		}
		if fixed != 500 {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("round %d: Range reported %d of the 500 untouched keys", r, fixed)
		}
	}
	stop.Store(true)
	wg.Wait()
}
