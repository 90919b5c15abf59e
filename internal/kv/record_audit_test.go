package kv

// An adversarial second reading of the record tables (index.go: small
// records in their 64-byte lines, indirect lines -> slots), by what a
// user of the store sees: a model-based random sequence against a plain
// map, readers racing writers and table rebuilds, memory accounting,
// Wait on a small record's change.

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

type auditEnt struct {
	v   string
	exp int64 // unix ns, 0 = none
}

// auditKey returns keys around the small/indirect boundaries: lengths
// 0..49 (and one long), binary bytes included.
func auditKey(r *rand.Rand) string {
	lens := []int{0, 1, 7, 8, 9, 16, 24, 39, 40, 41, 47, 48, 49, 70, 248, 249, 255, 256}
	n := lens[r.IntN(len(lens))]
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(3)) // few distinct keys per length: collisions of ops
	}
	if n > 0 && r.IntN(4) == 0 {
		b[r.IntN(n)] = byte(r.IntN(256)) // binary
	}
	return string(b)
}

// auditVal returns a value whose length makes key + value cross 47/48/49
// (raw sum) and the rounded-to-8 boundary, or a decimal, or binary bytes.
func auditVal(r *rand.Rand, key string) string {
	switch r.IntN(6) {
	case 0:
		return strconv.Itoa(r.IntN(2000) - 1000)
	case 1:
		return ""
	}
	targets := []int{47, 48, 49, 8, 16, 40, 41, 56, 100}
	n := targets[r.IntN(len(targets))] - len(key)
	if r.IntN(2) == 0 {
		n = targets[r.IntN(len(targets))]
	}
	if n < 0 {
		n = r.IntN(3)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func TestRecordAuditModel(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { recordAuditModel(t, seed, 4000) })
	}
}

func recordAuditModel(t *testing.T, seed uint64, ops int) {
	s, clk := newStore(t, Options{})
	r := rand.New(rand.NewPCG(seed, 99))
	model := map[string]auditEnt{}
	used := map[string]bool{}
	nSmall, nInd := 0, 0
	live := func(k string) (auditEnt, bool) {
		e, ok := model[k]
		if ok && e.exp != 0 && clk.now() >= e.exp {
			delete(model, k)
			return auditEnt{}, false
		}
		return e, ok
	}
	check := func(step int, op, k string) {
		t.Helper()
		e, ok := live(k)
		v, got := s.Get(k)
		if got != ok || v != e.v {
			t.Fatalf("seed %d step %d after %s %q: Get = %q, %v; want %q, %v", seed, step, op, k, v, got, e.v, ok)
		}
		if s.Exists(k) != ok {
			t.Fatalf("seed %d step %d after %s %q: Exists = %v, want %v", seed, step, op, k, !ok, ok)
		}
		wantTTL := int64(-2)
		if ok {
			wantTTL = -1
			if e.exp != 0 {
				wantTTL = (e.exp - clk.now() + 999_999) / 1_000_000
			}
		}
		if p := s.PTTL(k); p != wantTTL {
			t.Fatalf("seed %d step %d after %s %q: PTTL = %d, want %d", seed, step, op, k, p, wantTTL)
		}
		if ok && !s.filter.mayHave(k) {
			t.Fatalf("seed %d step %d after %s %q: the presence filter says absent (C would answer a miss)", seed, step, op, k)
		}
	}
	for step := 0; step < ops; step++ {
		k := auditKey(r)
		used[k] = true
		var op string
		switch x := r.IntN(15); x {
		case 0, 1, 2:
			op = "set"
			v := auditVal(r, k)
			if !s.Set(k, v, 0) {
				t.Fatalf("set refused")
			}
			model[k] = auditEnt{v: v}
		case 3:
			op = "set-ttl"
			v := auditVal(r, k)
			ttl := time.Duration(1+r.IntN(5)) * time.Second
			s.Set(k, v, ttl)
			model[k] = auditEnt{v: v, exp: clk.now() + int64(ttl)}
		case 4:
			op = "setnx"
			v := auditVal(r, k)
			_, was := live(k)
			if got := s.SetNX(k, v, 0); got == was {
				t.Fatalf("seed %d step %d: SetNX(%q) = %v with the key present %v", seed, step, k, got, was)
			}
			if !was {
				model[k] = auditEnt{v: v}
			}
		case 5:
			op = "del"
			_, was := live(k)
			if got := s.Del(k); got != was {
				t.Fatalf("seed %d step %d: Del(%q) = %v, want %v", seed, step, k, got, was)
			}
			delete(model, k)
		case 6:
			op = "del-if-equals"
			e, was := live(k)
			exp := e.v
			if r.IntN(3) == 0 {
				exp = auditVal(r, k)
			}
			want := was && exp == e.v
			if got := s.DelIfEquals(k, exp); got != want {
				t.Fatalf("seed %d step %d: DelIfEquals(%q, %q) = %v, want %v (value %q)", seed, step, k, exp, got, want, e.v)
			}
			if want {
				delete(model, k)
			}
		case 7:
			op = "incr"
			d := int64(r.IntN(21) - 10)
			e, was := live(k)
			n, err := s.IncrBy(k, d)
			if !was {
				if err != nil || n != d {
					t.Fatalf("seed %d step %d: IncrBy(missing %q, %d) = %d, %v", seed, step, k, d, n, err)
				}
				model[k] = auditEnt{v: strconv.FormatInt(d, 10)}
				break
			}
			cur, perr := parseInt(e.v)
			if perr != nil {
				if err == nil {
					t.Fatalf("seed %d step %d: IncrBy(%q = %q) = %d, want an error", seed, step, k, e.v, n)
				}
				break
			}
			if err != nil || n != cur+d {
				t.Fatalf("seed %d step %d: IncrBy(%q = %q, %d) = %d, %v", seed, step, k, e.v, d, n, err)
			}
			e.v = strconv.FormatInt(cur+d, 10)
			model[k] = e
		case 8:
			op = "expire"
			_, was := live(k)
			ttl := time.Duration(1+r.IntN(5)) * time.Second
			if got := s.Expire(k, ttl); got != was {
				t.Fatalf("seed %d step %d: Expire(%q) = %v, want %v", seed, step, k, got, was)
			}
			if was {
				e := model[k]
				e.exp = clk.now() + int64(ttl)
				model[k] = e
			}
		case 9:
			op = "persist"
			e, was := live(k)
			err := s.Update(k, func(old string, exp int64, exists bool) (string, int64, UpdateOp) {
				if exists != was || (exists && old != e.v) {
					t.Errorf("seed %d step %d: Update(%q) saw %q, %v; want %q, %v", seed, step, k, old, exists, e.v, was)
				}
				if !exists {
					return "", 0, UpdateKeep
				}
				return old, 0, UpdateStore
			})
			if err != nil {
				t.Fatal(err)
			}
			if was {
				e.exp = 0
				model[k] = e
			}
		case 10:
			op = "update-append"
			e, was := live(k)
			add := auditVal(r, k)
			if len(add) > 9 {
				add = add[:r.IntN(10)]
			}
			keepTTL := r.IntN(2) == 0
			s.Update(k, func(old string, exp int64, exists bool) (string, int64, UpdateOp) {
				if !keepTTL {
					exp = 0
				}
				return old + add, exp, UpdateStore
			})
			if !was {
				e = auditEnt{}
			}
			e.v += add
			if !keepTTL {
				e.exp = 0
			}
			model[k] = e
		case 11:
			op = "update-delete"
			_, was := live(k)
			s.Update(k, func(old string, exp int64, exists bool) (string, int64, UpdateOp) {
				return "", 0, UpdateDelete
			})
			if was {
				delete(model, k)
			}
		case 12:
			op = "getwithexpiry"
			e, was := live(k)
			v, exp, ok := s.GetWithExpiry(k)
			if ok != was || v != e.v || (ok && exp != e.exp) {
				t.Fatalf("seed %d step %d: GetWithExpiry(%q) = %q, %d, %v; want %q, %d, %v", seed, step, k, v, exp, ok, e.v, e.exp, was)
			}
		case 13:
			op = "peek"
			e, was := live(k)
			v, ok := s.Peek(k, keyHash(k), nil)
			if ok != was || v != e.v {
				t.Fatalf("seed %d step %d: Peek(%q) = %q, %v; want %q, %v", seed, step, k, v, ok, e.v, was)
			}
		case 14:
			op = "clock"
			clk.advance(time.Duration(r.IntN(1500)) * time.Millisecond)
		}
		check(step, op, k)
		if s.m.Has(k) {
			if _, ind := s.m.Load(k); ind {
				nInd++
			} else {
				nSmall++
			}
		}
		if step%500 == 499 {
			// Range/KEYS: exactly the model's live keys, each once.
			seen := map[string]int{}
			s.Range(func(key string, _ int64) bool { seen[strings.Clone(key)]++; return true })
			for k := range model {
				if _, ok := live(k); ok && seen[k] != 1 {
					t.Fatalf("seed %d step %d: Range saw %q %d times", seed, step, k, seen[k])
				}
			}
			for k, n := range seen {
				if _, ok := live(k); !ok || n != 1 {
					t.Fatalf("seed %d step %d: Range saw %q %d times, model has it %v", seed, step, k, n, ok)
				}
			}
		}
	}
	if nSmall < ops/20 || nInd < ops/20 {
		t.Fatalf("seed %d: the sequence met %d small and %d indirect records: not both kinds", seed, nSmall, nInd)
	}
	// Deleting everything returns the accounted memory and count to 0.
	for k := range used {
		s.Del(k)
	}
	st := s.Stats()
	if st.Bytes != 0 || st.Keys != 0 || s.Len() != 0 {
		t.Fatalf("seed %d: after deleting every key: Bytes %d, Keys %d, Len %d; want 0", seed, st.Bytes, st.Keys, s.Len())
	}
}

// auditRaceVal is key i's planned state at version ver: a value (or
// deleted), whose length cycles across the small/indirect boundary, and
// whether it is set with a TTL (which makes it indirect).
func auditRaceVal(i, ver int) (v string, del, ttl bool) {
	if ver%7 == 3 {
		return "", true, false
	}
	lens := []int{12, 20, 31, 40, 41, 47, 48, 60, 100, 33}
	h := fmt.Sprintf("%d:%d:", i, ver)
	n := max(lens[ver%len(lens)], len(h))
	return h + strings.Repeat(string(rune('A'+ver%26)), n-len(h)), false, ver%5 == 1
}

func auditRaceKey(i int) string {
	lens := []int{2, 8, 16, 24, 39, 40, 41, 47}
	k := fmt.Sprintf("k%d", i)
	n := max(lens[i%len(lens)], len(k))
	return k + strings.Repeat(".", n-len(k))
}

// Readers racing writers and rebuilds (growth, shrink) see, for each key,
// only a value that was current at some instant of their call: never a
// torn value, another key's value, an old version or a deleted key.
func TestRecordAuditRace(t *testing.T) {
	s, _ := newStore(t, Options{})
	const nkeys = 64
	var cur [nkeys]atomic.Int64 // versions completed
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Keys present for the whole test: Range must list each once.
	stable := map[string]bool{}
	for i := 0; i < 200; i++ {
		k := fmt.Sprintf("stable%d%s", i, strings.Repeat("s", i%40))
		v := strings.Repeat("v", i%60)
		s.Set(k, v, 0)
		stable[k] = true
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) { // writers, one per key
			defer wg.Done()
			for ver := 1; ; ver++ {
				for i := w; i < nkeys; i += 2 {
					select {
					case <-stop:
						return
					default:
					}
					k := auditRaceKey(i)
					v, del, ttl := auditRaceVal(i, ver)
					switch {
					case del:
						s.Del(k)
					case ver%3 == 0:
						s.Update(k, func(string, int64, bool) (string, int64, UpdateOp) {
							var e int64
							if ttl {
								e = s.Now() + int64(time.Hour)
							}
							return v, e, UpdateStore
						})
					case ttl:
						s.Set(k, v, time.Hour)
					default:
						s.Set(k, v, 0)
					}
					cur[i].Store(int64(ver))
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() { // filler: grows and shrinks every segment's table
		defer wg.Done()
		for round := 0; ; round++ {
			for j := 0; j < 3000; j++ {
				select {
				case <-stop:
					return
				default:
				}
				s.Set(fmt.Sprintf("fill%d", j), "x", 0)
			}
			for j := 0; j < 3000; j++ {
				s.Del(fmt.Sprintf("fill%d", j))
			}
		}
	}()
	var bad atomic.Value
	fail := func(f string, a ...any) { bad.CompareAndSwap(nil, fmt.Sprintf(f, a...)) }
	verify := func(i int, lo, hi int64, v string, ok bool, how string) {
		if !ok {
			for ver := lo; ver <= hi+1; ver++ {
				if _, del, _ := auditRaceVal(i, int(ver)); del || ver == 0 {
					return
				}
			}
			fail("%s(%q): missing, but no version in [%d, %d] deleted it", how, auditRaceKey(i), lo, hi+1)
			return
		}
		var gi, gv int
		if _, err := fmt.Sscanf(v, "%d:%d:", &gi, &gv); err != nil || gi != i {
			fail("%s(%q) = %q: not this key's value", how, auditRaceKey(i), v)
			return
		}
		want, del, _ := auditRaceVal(i, gv)
		if del || want != v {
			fail("%s(%q) = %q: torn (want %q)", how, auditRaceKey(i), v, want)
			return
		}
		if int64(gv) < lo || int64(gv) > hi+1 {
			fail("%s(%q) = version %d, current during the call: [%d, %d]", how, auditRaceKey(i), gv, lo, hi+1)
		}
	}
	for rd := 0; rd < 2; rd++ {
		wg.Add(1)
		go func(rd int) {
			defer wg.Done()
			var scratch [64]byte
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				i := n % nkeys
				k := auditRaceKey(i)
				lo := cur[i].Load()
				var v string
				var ok bool
				how := []string{"Get", "GetTo", "Peek", "GetWithExpiry"}[(n/nkeys+rd)%4]
				switch how {
				case "Get":
					v, ok = s.Get(k)
				case "GetTo":
					v, ok = s.GetTo(k, keyHash(k), scratch[:])
					v = strings.Clone(v)
				case "Peek":
					v, ok = s.Peek(k, keyHash(k), scratch[:])
					v = strings.Clone(v)
				case "GetWithExpiry":
					v, _, ok = s.GetWithExpiry(k)
				}
				hi := cur[i].Load()
				verify(i, lo, hi, v, ok, how)
			}
		}(rd)
	}
	wg.Add(1)
	go func() { // Range during rebuilds: every stable key once, no key twice
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			seen := map[string]int{}
			s.Range(func(k string, _ int64) bool { seen[strings.Clone(k)]++; return true })
			for k, n := range seen {
				if n != 1 {
					fail("Range saw %q %d times", k, n)
				}
			}
			for k := range stable {
				if seen[k] != 1 {
					fail("Range missed stable key %q", k)
				}
			}
		}
	}()
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	for k := range stable {
		if _, ok := s.Get(k); !ok {
			t.Fatalf("stable key %q lost", k)
		}
	}
}

// A change to a small record wakes a waiter: an overwrite of the same
// length with other bytes (written in place in the line), a delete, a
// set that makes it indirect, and a small insert.
func TestRecordAuditWaitSmall(t *testing.T) {
	s, _ := newStore(t, Options{})
	k := "wk"
	s.Set(k, "aaaa", 0)
	if s.m.Has(k) {
		if _, ind := s.m.Load(k); ind {
			t.Fatal("precondition: wk = aaaa should be a small record")
		}
	}
	v0, val, _, ok := s.Wait(k, 0, time.Hour, nil)
	if !ok || val != "aaaa" {
		t.Fatalf("first Wait = %q, %v", val, ok)
	}
	steps := []struct {
		name string
		do   func()
		want string
		ex   bool
	}{
		{"same length other bytes", func() { s.Set(k, "bbbb", 0) }, "bbbb", true},
		{"same bytes again", func() { s.Set(k, "bbbb", 0) }, "bbbb", true},
		{"DelIfEquals", func() { s.DelIfEquals(k, "bbbb") }, "", false},
		{"small insert", func() { s.Set(k, "cccc", 0) }, "cccc", true},
		{"TTL makes it indirect", func() { s.Set(k, "dddd", time.Hour) }, "dddd", true},
		{"del", func() { s.Del(k) }, "", false},
		{"setnx small", func() { s.SetNX(k, "eeee", 0) }, "eeee", true},
		{"incr on small non-number", func() { s.Set(k, "12", 0) }, "12", true},
		{"incr", func() { s.IncrBy(k, 1) }, "13", true},
	}
	last := v0
	for _, st := range steps {
		ch := goWait(s, k, last, 10*time.Second, nil)
		parked(t, s, k, 1)
		st.do()
		r := <-ch
		if !r.ok || r.value != st.want || r.exists != st.ex || r.version == last {
			t.Fatalf("%s: Wait = %q exists %v ok %v version %d (last %d); want %q %v, woken", st.name, r.value, r.exists, r.ok, r.version, last, st.want, st.ex)
		}
		last = r.version
	}
}

// With a memory limit, small records are evicted, the limit holds, and
// the accounted bytes come back to 0 once everything is deleted.
func TestRecordAuditMemoryLimitSmall(t *testing.T) {
	for _, pol := range []Policy{AllKeysLRU, AllKeysRandom} {
		t.Run(string(pol), func(t *testing.T) {
			const limit = 20000
			s, _ := newStore(t, Options{MemoryLimit: limit, Policy: pol})
			r := rand.New(rand.NewPCG(7, 7))
			for i := 0; i < 5000; i++ {
				k := fmt.Sprintf("m%d", r.IntN(800))
				v := strings.Repeat("x", r.IntN(45))
				if r.IntN(10) == 0 {
					v = strings.Repeat("y", 60) // indirect
				}
				if !s.Set(k, v, 0) {
					t.Fatalf("Set %d refused with eviction on", i)
				}
				if got, ok := s.Get(k); !ok || got != v {
					t.Fatalf("Set %d: just set %q, Get = %q, %v", i, k, got, ok)
				}
				if b := s.Stats().Bytes; b > limit {
					t.Fatalf("Set %d: Bytes %d over the limit %d", i, b, limit)
				}
			}
			st := s.Stats()
			if st.Evictions == 0 {
				t.Fatal("no eviction")
			}
			// The accounted bytes are the live keys' cost.
			var sum int64
			n := 0
			s.Range(func(k string, _ int64) bool {
				v, _ := s.Get(k)
				sum += int64(len(k)+len(v)) + EntryOverhead
				n++
				return true
			})
			if st := s.Stats(); st.Bytes != sum || st.Keys != int64(n) {
				t.Fatalf("Bytes %d Keys %d; the live keys cost %d, count %d", st.Bytes, st.Keys, sum, n)
			}
			s.Flush()
			if st := s.Stats(); st.Bytes != 0 || st.Keys != 0 || s.Len() != 0 {
				t.Fatalf("after Flush: Bytes %d Keys %d Len %d", st.Bytes, st.Keys, s.Len())
			}
		})
	}
}

// A small record given a TTL (made indirect) expires: read, swept, and
// its bytes returned; one whose TTL is removed again stays.
func TestRecordAuditExpireSmall(t *testing.T) {
	s, clk := newStore(t, Options{})
	for i := 0; i < 300; i++ {
		k := fmt.Sprintf("e%d", i)
		s.Set(k, strings.Repeat("v", i%40), 0)
		if !s.Expire(k, time.Second) {
			t.Fatalf("Expire(%q) false", k)
		}
		if i%3 == 0 { // and removed again (SET without TTL)
			s.Set(k, strings.Repeat("w", i%40), 0)
		}
	}
	clk.advance(2 * time.Second)
	if i := 1; true {
		if _, ok := s.Get(fmt.Sprintf("e%d", i)); ok {
			t.Fatal("e1 read after its TTL")
		}
	}
	s.SweepExpired()
	var want int64
	for i := 0; i < 300; i += 3 {
		k := fmt.Sprintf("e%d", i)
		if v, ok := s.Get(k); !ok || v != strings.Repeat("w", i%40) {
			t.Fatalf("%q (TTL removed) = %q, %v", k, v, ok)
		}
		want += int64(len(k)+i%40) + EntryOverhead
	}
	if st := s.Stats(); st.Bytes != want || st.Keys != 100 || s.Len() != 100 {
		t.Fatalf("after the sweep: Bytes %d (want %d), Keys %d, Len %d (want 100)", st.Bytes, want, st.Keys, s.Len())
	}
}

// Writers of the same keys racing across the small/indirect boundary
// (in-place small writes, materializing, TTLs, counters, deletes):
// increments are not lost, SetNX has one winner, readers see only values
// written, and once every key is deleted the accounted bytes, the key
// count and every presence filter counter are back to 0.
func TestRecordAuditSameKeyRace(t *testing.T) {
	s, _ := newStore(t, Options{})
	keys := []string{"", "a", "k8------", strings.Repeat("p", 39), strings.Repeat("q", 40), strings.Repeat("r", 41), strings.Repeat("s", 47)}
	vals := map[string]bool{"": true}
	for _, n := range []int{1, 7, 8, 9, 15, 16, 33, 40, 41, 48, 60} {
		for _, c := range "xyz" {
			vals[strings.Repeat(string(c), n)] = true
		}
	}
	var vlist []string
	for v := range vals {
		vlist = append(vlist, v)
	}
	var wg sync.WaitGroup
	var bad atomic.Value
	fail := func(f string, a ...any) { bad.CompareAndSwap(nil, fmt.Sprintf(f, a...)) }
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for i := 0; i < 20000; i++ {
				k := keys[r.IntN(len(keys))]
				v := vlist[r.IntN(len(vlist))]
				switch r.IntN(9) {
				case 0, 1:
					s.Set(k, v, 0)
				case 2:
					s.Set(k, v, time.Hour)
				case 3:
					s.Del(k)
				case 4:
					s.SetNX(k, v, 0)
				case 5:
					s.DelIfEquals(k, v)
				case 6:
					s.Expire(k, time.Hour)
				case 7:
					s.Update(k, func(string, int64, bool) (string, int64, UpdateOp) { return v, 0, UpdateStore })
				case 8:
					if got, ok := s.Peek(k, keyHash(k), nil); ok && !vals[got] {
						if _, err := parseInt(got); err != nil {
							fail("Peek(%q) = %q: never written", k, got)
						}
					}
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() { // counters started as small strings
		defer wg.Done()
		for i := 0; i < 200; i++ {
			k := fmt.Sprintf("ctr%d", i)
			s.Set(k, "0", 0)
			var cw sync.WaitGroup
			for j := 0; j < 3; j++ {
				cw.Add(1)
				go func() {
					defer cw.Done()
					for n := 0; n < 50; n++ {
						if _, err := s.IncrBy(k, 1); err != nil {
							fail("IncrBy(%q): %v", k, err)
						}
					}
				}()
			}
			cw.Wait()
			if v, _ := s.Get(k); v != "150" {
				fail("%q = %q after 150 increments from a small \"0\"", k, v)
			}
			// SetNX racing on an absent key: one winner.
			nk := fmt.Sprintf("nx%d", i)
			var wins atomic.Int32
			var nw sync.WaitGroup
			for j := 0; j < 3; j++ {
				nw.Add(1)
				go func(j int) {
					defer nw.Done()
					if s.SetNX(nk, strings.Repeat("n", j*20), 0) {
						wins.Add(1)
					}
				}(j)
			}
			nw.Wait()
			if wins.Load() != 1 {
				fail("SetNX(%q): %d winners", nk, wins.Load())
			}
			s.Del(k)
			s.Del(nk)
		}
	}()
	wg.Wait()
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	for _, k := range keys {
		s.Del(k)
	}
	if st := s.Stats(); st.Bytes != 0 || st.Keys != 0 || s.Len() != 0 {
		t.Fatalf("after deleting every key: Bytes %d Keys %d Len %d", st.Bytes, st.Keys, s.Len())
	}
	for i := range s.hot {
		for j, c := range s.hot[i].cnt {
			if c != 0 {
				t.Fatalf("presence filter line %d word %d = %#x with the store empty", i, j, c)
			}
		}
	}
}

// C's published copy (read as kvfuncs.c reads it) of keys cycling
// between published (indirect) and small records, with a reader racing
// the writer: every copy C reads was current at some instant of its read.
func TestRecordAuditPublishedRace(t *testing.T) {
	s, _, cnow := publishedStore(t, Options{})
	const nkeys = 16
	var cur [nkeys]atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Value
	fail := func(f string, a ...any) { bad.CompareAndSwap(nil, fmt.Sprintf(f, a...)) }
	var hits atomic.Int64
	val := func(i, ver int) string { // lengths 6..47: small records
		h := fmt.Sprintf("%d:%d:", i, ver)
		n := max(6+ver%42-auditRaceKeyLen(i)%8, len(h))
		return h + strings.Repeat(string(rune('a'+ver%26)), n-len(h))
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ver := 1; ; ver++ {
			for i := 0; i < nkeys; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := auditRaceKey(i)
				v := val(i, ver)
				switch ver % 4 {
				case 0:
					s.Del(k)
					s.Set(k, v, 0) // small again
				case 1:
					s.Set(k, v, 0) // over the published copy
				case 2:
					s.Update(k, func(string, int64, bool) (string, int64, UpdateOp) { return v, 0, UpdateStore })
				case 3:
					s.DelIfEquals(k, val(i, ver-1))
					s.SetNX(k, v, 0)
				}
				cur[i].Store(int64(ver))
				readTwice(s, k) // published again
			}
			if ver%50 == 0 {
				s.updateTick()
			}
		}
	}()
	for rd := 0; rd < 2; rd++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := n % nkeys
				n++
				k := auditRaceKey(i)
				lo := cur[i].Load()
				v, _, ok := s.pubRead(k, cnow)
				hi := cur[i].Load()
				if !ok {
					continue
				}
				hits.Add(1)
				var gi, gv int
				if _, err := fmt.Sscanf(v, "%d:%d:", &gi, &gv); err != nil || gi != i || v != val(i, gv) {
					fail("C read %q = %q: not a value of this key", k, v)
					continue
				}
				if int64(gv) < lo || int64(gv) > hi+1 {
					fail("C read %q = version %d; current during the read: [%d, %d]", k, gv, lo, hi+1)
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	if hits.Load() == 0 {
		t.Fatal("C never found a published copy: the test published nothing")
	}
	t.Logf("%d reads answered from the published table", hits.Load())
}

func auditRaceKeyLen(i int) int { return len(auditRaceKey(i)) }

// SPEC 1: with an evicting policy, ephpm_kv_set returns false only when
// the memory limit refuses the write under noeviction: concurrent writers
// of small records (each overwrite changes the record's seq, which
// eviction compares) are never refused, and the limit holds.
func TestRecordAuditEvictionConcurrentSmall(t *testing.T) {
	for _, pol := range []Policy{AllKeysLRU, AllKeysRandom} {
		t.Run(string(pol), func(t *testing.T) {
			const limit = 20000
			s, _ := newStore(t, Options{MemoryLimit: limit, Policy: pol})
			var wg sync.WaitGroup
			var refused, over atomic.Int64
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(w), 11))
					for i := 0; i < 20000; i++ {
						k := fmt.Sprintf("e%d", r.IntN(300))
						if !s.Set(k, strings.Repeat("x", r.IntN(40)), 0) {
							refused.Add(1)
						}
						if r.IntN(4) == 0 {
							s.Get(fmt.Sprintf("e%d", r.IntN(300)))
						}
						if b := s.Stats().Bytes; b > limit {
							over.Add(1)
						}
					}
				}(w)
			}
			wg.Wait()
			if refused.Load() != 0 || over.Load() != 0 {
				t.Fatalf("%s: %d of 80000 sets refused, Bytes over the limit %d times", pol, refused.Load(), over.Load())
			}
		})
	}
}
