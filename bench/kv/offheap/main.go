// Prototype (issue 16, session 9; not used by the server): what a chained
// read of one of 1M keys (16-byte keys and values, read in one shuffled
// order, each read waiting for the one before as PHP's calls do) costs
// from layouts kept outside the Go heap, against the store's Peek on the
// same keys in the same process, interleaved rounds, CPU ns per read:
//   - offheap: an index of 8-byte cells (tag, offset) in 64-byte buckets
//     pointing to records (header, key, value) in an arena: two dependent
//     misses, as the store's index -> slot; with and without huge pages;
//   - lines: the record itself in the index's 64-byte line (hash, seq,
//     lengths, 48 bytes of key and value), probed line by line: one miss.
//
// Run: go run ./bench/kv/offheap -rounds 5
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"unsafe"

	"github.com/ephpm/ephpm/internal/kv"
)

func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

const (
	nkeys  = 1_000_000
	ibits  = 18 // buckets of 8 cells: 2M cells
	nbuck  = 1 << ibits
	recLen = 48 // 16 header + 16 key + 16 value
)

type offheap struct {
	idx   []uint64 // cell: tag<<48 | offset
	arena []byte
	next  uint64
}

func mapAnon(n int, huge bool) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(err)
	}
	adv := 15 // MADV_NOHUGEPAGE
	if huge {
		adv = 14 // MADV_HUGEPAGE
	}
	if err := syscall.Madvise(b, adv); err != nil {
		panic(err)
	}
	return b
}

func newOffheap(huge bool) *offheap {
	ib := mapAnon(nbuck*64, huge)
	return &offheap{
		idx:   unsafe.Slice((*uint64)(unsafe.Pointer(&ib[0])), nbuck*8),
		arena: mapAnon(1<<30, huge),
		next:  64,
	}
}

func (o *offheap) put(key, val string, h uint64, off uint64) {
	rec := o.arena[off : off+recLen]
	binary.LittleEndian.PutUint32(rec[0:], 2) // seq
	rec[4] = byte(len(key))
	binary.LittleEndian.PutUint16(rec[6:], uint16(len(val)))
	copy(rec[16:], key)
	copy(rec[32:], val)
	m := h * 0x9E3779B97F4A7C15
	b := m >> (64 - ibits)
	tag := (m & 0xffff) | 1
	for {
		for i := uint64(0); i < 8; i++ {
			c := &o.idx[b*8+i]
			if *c == 0 {
				*c = tag<<48 | off
				return
			}
		}
		b = (b + 1) & (nbuck - 1)
	}
}

func (o *offheap) get(key string, h uint64, dst []byte) int {
	m := h * 0x9E3779B97F4A7C15
	b := m >> (64 - ibits)
	tag := (m & 0xffff) | 1
	for {
		base := unsafe.Pointer(&o.idx[b*8])
		for i := uintptr(0); i < 8; i++ {
			c := *(*uint64)(unsafe.Add(base, i*8))
			if c == 0 {
				return -1
			}
			if c>>48 != tag {
				continue
			}
			rec := unsafe.Pointer(&o.arena[c&(1<<48-1)])
			seq := *(*uint32)(rec)
			kl := int(*(*uint8)(unsafe.Add(rec, 4)))
			if kl != len(key) || unsafe.String((*byte)(unsafe.Add(rec, 16)), kl) != key {
				continue
			}
			vl := int(*(*uint16)(unsafe.Add(rec, 6)))
			copy(dst, unsafe.Slice((*byte)(unsafe.Add(rec, 16+kl)), vl))
			if *(*uint32)(rec) != seq {
				return -2
			}
			return vl
		}
		b = (b + 1) & (nbuck - 1)
	}
}

// lines: a record of a small key and value kept in the index's own
// 64-byte line (hash, seq, lengths, 48 bytes of key and value), probed
// line by line: one dependent miss per read instead of two.
type lines struct {
	t []byte
	n uint64
}

const lineCount = 1_400_000 // load 0.71: 90 bytes per key

func newLines(huge bool) *lines {
	return &lines{t: mapAnon(lineCount*64, huge), n: lineCount}
}

func (l *lines) home(h uint64) uint64 {
	m := h * 0x9E3779B97F4A7C15
	return (m >> 32) * l.n >> 32
}

func (l *lines) put(key, val string, h uint64) {
	for i := l.home(h); ; i = (i + 1) % l.n {
		rec := l.t[i*64 : i*64+64]
		if binary.LittleEndian.Uint64(rec) == 0 {
			binary.LittleEndian.PutUint64(rec, h|1)
			binary.LittleEndian.PutUint32(rec[8:], 2)
			rec[12] = byte(len(key))
			rec[13] = byte(len(val))
			copy(rec[16:], key)
			copy(rec[16+len(key):], val)
			return
		}
	}
}

func (l *lines) get(key string, h uint64, dst []byte) int {
	for i := l.home(h); ; i = (i + 1) % l.n {
		rec := unsafe.Pointer(&l.t[i*64])
		hh := *(*uint64)(rec)
		if hh == 0 {
			return -1
		}
		if hh != h|1 {
			continue
		}
		seq := *(*uint32)(unsafe.Add(rec, 8))
		kl := int(*(*uint8)(unsafe.Add(rec, 12)))
		if kl != len(key) || unsafe.String((*byte)(unsafe.Add(rec, 16)), kl) != key {
			continue
		}
		vl := int(*(*uint8)(unsafe.Add(rec, 13)))
		copy(dst, unsafe.Slice((*byte)(unsafe.Add(rec, 16+kl)), vl))
		if *(*uint32)(unsafe.Add(rec, 8)) != seq {
			return -2
		}
		return vl
	}
}

func main() {
	rounds := flag.Int("rounds", 6, "interleaved rounds")
	flag.Parse()
	s, _ := kv.New(kv.Options{})
	s.EnablePublishing()
	keys := make([]string, nkeys)
	hashes := make([]uint64, nkeys)
	v := strings.Repeat("v", 16)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench:k:%08d", i)
	}
	hp, nohp := newOffheap(true), newOffheap(false)
	ln := newLines(true)
	// records in insertion order, reads shuffled (as the store's)
	for i, k := range keys {
		hashes[i] = kv.FilterHash(k)
		s.Set(k, v, 0)
		hp.put(k, v, hashes[i], 64+uint64(i)*recLen)
		nohp.put(k, v, hashes[i], 64+uint64(i)*recLen)
		ln.put(k, v, hashes[i])
	}
	r := rand.New(rand.NewPCG(42, 42))
	perm := r.Perm(nkeys)
	sk := make([]string, nkeys)
	sh := make([]uint64, nkeys)
	all := make([]byte, 0, 16*nkeys)
	for _, p := range perm {
		all = append(all, keys[p]...)
	}
	for i, p := range perm {
		sk[i] = unsafe.String(&all[16*i], 16)
		sh[i] = hashes[p]
	}
	scratch := make([]byte, 1024)
	const n = 2_000_000
	run := map[string]func() int64{
		"peek": func() int64 {
			x := 0
			t := cpuNanos()
			for i := 0; i < n; i++ {
				j := (i + x) % nkeys
				v, ok := s.Peek(sk[j], sh[j], scratch)
				if !ok {
					panic("miss")
				}
				x = int(v[0] >> 7)
			}
			return (cpuNanos() - t) / n
		},
	}
	for name, o := range map[string]*offheap{"offheap-huge": hp, "offheap-4k": nohp} {
		o := o
		run[name] = func() int64 {
			x := 0
			t := cpuNanos()
			for i := 0; i < n; i++ {
				j := (i + x) % nkeys
				l := o.get(sk[j], sh[j], scratch)
				if l != 16 {
					panic("miss")
				}
				x = int(scratch[0] >> 7)
			}
			return (cpuNanos() - t) / n
		}
	}
	run["lines-huge"] = func() int64 {
		x := 0
		t := cpuNanos()
		for i := 0; i < n; i++ {
			j := (i + x) % nkeys
			if ln.get(sk[j], sh[j], scratch) != 16 {
				panic("miss")
			}
			x = int(scratch[0] >> 7)
		}
		return (cpuNanos() - t) / n
	}
	names := []string{"peek", "offheap-huge", "offheap-4k", "lines-huge"}
	res := map[string][]int64{}
	for r := 0; r < *rounds; r++ {
		for k := range names {
			nm := names[(k+r)%len(names)]
			res[nm] = append(res[nm], run[nm]())
		}
	}
	for _, nm := range names {
		fmt.Println(nm, res[nm])
	}
	// AnonHugePages of the process
	fmt.Println("see /proc/self/smaps_rollup for huge pages")
	b, _ := readFile("/proc/self/smaps_rollup")
	fmt.Print(b)
}

func readFile(p string) (string, error) {
	fd, err := syscall.Open(p, syscall.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 8192)
	n, _ := syscall.Read(fd, buf)
	return string(buf[:n]), nil
}
