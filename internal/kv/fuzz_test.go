package kv

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// model is the reference: a plain map with expiry times, no memory limit.
type model struct {
	vals    map[string]string
	expires map[string]int64
}

func (m *model) live(k string, now int64) bool {
	if _, ok := m.vals[k]; !ok {
		return false
	}
	if e := m.expires[k]; e != 0 && now >= e {
		delete(m.vals, k)
		delete(m.expires, k)
		return false
	}
	return true
}

// FuzzOps decodes bytes into operations and checks every result against
// the model.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte("\x00a\x05\x06a\x01\x07a\x02\x08\x09a\x03"))
	f.Add([]byte{6, 1, 6, 1, 6, 1, 0, 1, 9, 1, 7, 1, 200, 2, 2, 1})
	f.Add([]byte{4, 0, 3, 13, 0, 0, 14, 0, 2, 13, 0, 5, 4, 0, 1, 14, 0, 0, 7, 0, 60, 13, 0, 1, 14, 1, 3, 14, 0, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		clk := &fakeClock{}
		clk.ns.Store(1_000_000_000_000)
		s, err := New(Options{Clock: clk.now, SweepInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		// Published values on, with C's clock = the fake clock: after
		// every operation, C's answer (pubRead) must be the model's.
		// Values of 2 bytes and more are read as shared strings by a
		// reader whose "request" ends every 4 operations: what it holds
		// must not change meanwhile.
		rd := &testReader{idx: -1}
		type held struct{ view, copy string }
		var hs []held
		if s.EnablePublishing() != nil {
			s.pub.Load().hdr.cbase = 1
			s.SetSharedStrings(7, 2)
			defer s.dropPublished()
		}
		m := &model{vals: map[string]string{}, expires: map[string]int64{}}
		keys := []string{"a", "b", "a\x00", "pre:1", "pre:2", ""}
		vals := []string{"1", "-5", "x", "", "9223372036854775807", "007", "v\x00v"}
		for i := 0; i+2 < len(ops); i += 3 {
			op, k, arg := ops[i]%15, keys[int(ops[i+1])%len(keys)], ops[i+2]
			v := vals[int(arg)%len(vals)]
			ttl := time.Duration(arg%4) * time.Second
			now := clk.now()
			where := fmt.Sprintf("op %d (%d %q %d)", i/3, op, k, arg)
			switch op {
			case 0: // get
				got, ok := s.Get(k)
				want, wok := m.vals[k], m.live(k, now)
				if ok != wok || (ok && got != want) {
					t.Fatalf("%s get: %q %v, model %q %v", where, got, ok, want, wok)
				}
				readTwice(s, k) // PHP's get, twice: publishes k
			case 1: // set (SetHashed: PHP's, whose new keys' small values are mutable in their slots)
				set := s.Set
				if arg&0x10 != 0 {
					set = func(k, v string, ttl time.Duration) bool { return s.SetHashed(k, FilterHash(k), v, ttl) }
				}
				if !set(k, v, ttl) {
					t.Fatalf("%s set refused", where)
				}
				m.vals[k] = v
				m.expires[k] = 0
				if ttl > 0 {
					m.expires[k] = now + int64(ttl)
				}
			case 2: // setnx
				got := s.SetNX(k, v, ttl)
				want := !m.live(k, now)
				if got != want {
					t.Fatalf("%s setnx %v, model %v", where, got, want)
				}
				if want {
					m.vals[k] = v
					m.expires[k] = 0
					if ttl > 0 {
						m.expires[k] = now + int64(ttl)
					}
				}
			case 3: // del
				got := s.Del(k)
				want := m.live(k, now)
				delete(m.vals, k)
				if got != want {
					t.Fatalf("%s del %v, model %v", where, got, want)
				}
			case 4: // incr_by
				delta := int64(int8(arg))
				if arg == 255 {
					delta = math.MaxInt64
				}
				got, err := s.IncrBy(k, delta)
				var cur int64
				wantErr := false
				if m.live(k, now) {
					mv := m.vals[k]
					n, perr := strconv.ParseInt(mv, 10, 64)
					if perr != nil || strings.HasPrefix(mv, "+") || (len(mv) > 1 && (mv[0] == '0' || strings.HasPrefix(mv, "-0"))) {
						wantErr = true
					} else {
						cur = n
					}
				} else {
					m.expires[k] = 0
				}
				if !wantErr && ((delta > 0 && cur > math.MaxInt64-delta) || (delta < 0 && cur < math.MinInt64-delta)) {
					wantErr = true
				}
				if (err != nil) != wantErr {
					t.Fatalf("%s incr err %v, model err %v (value %q)", where, err, wantErr, m.vals[k])
				}
				if !wantErr {
					if got != cur+delta {
						t.Fatalf("%s incr %d, model %d", where, got, cur+delta)
					}
					m.vals[k] = strconv.FormatInt(cur+delta, 10)
				}
			case 5: // expire
				got := s.Expire(k, ttl)
				want := ttl > 0 && m.live(k, now)
				if got != want {
					t.Fatalf("%s expire %v, model %v", where, got, want)
				}
				if want {
					m.expires[k] = now + int64(ttl)
				}
			case 6: // ttl
				got := s.PTTL(k)
				want := int64(-2)
				if m.live(k, now) {
					want = -1
					if e := m.expires[k]; e != 0 {
						want = (e - now + 999_999) / 1_000_000
					}
				}
				if got != want {
					t.Fatalf("%s pttl %d, model %d", where, got, want)
				}
			case 7: // advance the clock
				clk.advance(time.Duration(arg) * 20 * time.Millisecond)
			case 8: // del_prefix
				got := s.DelPrefix("pre:")
				want := 0
				for mk := range m.vals {
					if strings.HasPrefix(mk, "pre:") {
						if m.live(mk, now) {
							want++
						}
						delete(m.vals, mk)
					}
				}
				if got != want {
					t.Fatalf("%s del_prefix %d, model %d", where, got, want)
				}
			case 9: // del_if_equals
				got := s.DelIfEquals(k, v)
				want := m.live(k, now) && m.vals[k] == v
				if got != want {
					t.Fatalf("%s del_if_equals %v, model %v", where, got, want)
				}
				if want {
					delete(m.vals, k)
				}
			case 10: // flush
				s.Flush()
				m.vals = map[string]string{}
			case 11: // exists
				if got, want := s.Exists(k), m.live(k, now); got != want {
					t.Fatalf("%s exists %v, model %v", where, got, want)
				}
			case 12: // sweep
				s.SweepExpired()
			case 13, 14: // update: append keeping the TTL, keep, delete, store with a TTL or a past deadline
				mode := 4
				if op == 14 {
					mode = int(arg % 4)
				}
				wantOld, wantLive := m.vals[k], m.live(k, now)
				wantExp := m.expires[k]
				if !wantLive {
					wantOld, wantExp = "", 0
				}
				calls := 0
				err := s.Update(k, func(old string, e int64, ok bool) (string, int64, UpdateOp) {
					calls++
					if old != wantOld || e != wantExp || ok != wantLive {
						t.Fatalf("%s update saw %q %d %v, model %q %d %v", where, old, e, ok, wantOld, wantExp, wantLive)
					}
					switch mode {
					case 0:
						return "", 0, UpdateKeep
					case 1:
						return "", 0, UpdateDelete
					case 2:
						exp := int64(0)
						if ttl > 0 {
							exp = now + int64(ttl)
						}
						return v, exp, UpdateStore
					case 3:
						return v, now, UpdateStore // a deadline already reached: deletes
					}
					return old + v, e, UpdateStore
				})
				if err != nil || calls != 1 {
					t.Fatalf("%s update: %v, fn called %d times", where, err, calls)
				}
				switch mode {
				case 1, 3:
					delete(m.vals, k)
				case 2:
					m.vals[k] = v
					m.expires[k] = 0
					if ttl > 0 {
						m.expires[k] = now + int64(ttl)
					}
				case 4:
					m.vals[k] = wantOld + v
					m.expires[k] = wantExp
				}
				got, gexp, ok := s.GetWithExpiry(k)
				want, wok := m.vals[k], m.live(k, now)
				if ok != wok || (ok && (got != want || gexp != m.expires[k])) {
					t.Fatalf("%s after update: %q %d %v, model %q %d %v", where, got, gexp, ok, want, m.expires[k], wok)
				}
			}
			for _, pk := range keys {
				if got, _, ok := s.pubReadAs(pk, clk.now, rd); ok {
					if want, wok := m.vals[pk], m.live(pk, clk.now()); !wok || got != want {
						t.Fatalf("%s: C reads %q for %q, model %q %v", where, got, pk, want, wok)
					}
					hs = append(hs, held{got, strings.Clone(got)})
				}
			}
			for _, h := range hs {
				if h.view != h.copy {
					t.Fatalf("%s: a shared string changed from %q to %q", where, h.copy, h.view)
				}
			}
			if i%12 == 9 {
				rd.done()
				hs = hs[:0]
			}
		}
		// Accounting matches what is stored.
		var sum int64
		sum = storedBytes(s)
		if st := s.Stats(); st.Bytes != sum || st.Keys != int64(s.Len()) {
			t.Fatalf("accounting: %+v, actual bytes %d keys %d", st, sum, s.Len())
		}
		checkFilter(t, s)
	})
}
