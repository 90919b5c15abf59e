// Command thp measures what transparent huge pages do to a chain of
// dependent cache misses on this machine (issue 16: a 1M-key get from PHP
// is one such chain over ~150 MB of Go heap). Four buffers of -mb MB
// each, filled: one kept on 4 KB pages (MADV_NOHUGEPAGE), one collapsed
// into 2 MB pages (MADV_COLLAPSE, Linux 6.1+), one collapsed and then
// split again by MADV_DONTNEED of one 4 KB page per 2 MB range, as Go's
// scavenger does when it returns a free page inside a huge page, and one
// split so and then refilled (every page resident again, the mapping
// still split). Each round walks the same million random 64-byte-aligned
// offsets in each buffer, each load's address depending on the one
// before, and then the 4 KB and 2 MB buffers page by page (random pages,
// the 64 lines of each in random order: 63 of 64 loads miss the caches
// but not the TLB, about a load without its page walk). It prints CPU ns
// per load (getrusage, so time waiting for a core on a shared machine is
// not counted; a VM's stolen time still is).
//
//	go run ./bench/kv/thp [-mb 256] [-rounds 6]
//
// Measured 2026-12-02 00:05 UTC on the 2-core VM (load 14-16), 256 MB,
// 8 rounds: 4 KB 452-667 ns, 2 MB 0.67-0.87x of that (median 0.79),
// split 2,881-8,646 ns (5-15x the 4 KB pages, in every round): a split
// huge page here costs far more than it ever saved (likely the
// hypervisor's handling of a huge page mapped by 4 KB entries).
// Session 12 (16:10 UTC, load 17, 64 MB, 3 rounds): 4 KB 335-727 ns,
// 2 MB 297-424 (0.58-1.01x), split 459-8,183, split and refilled
// 820-6,221; page by page 4 KB 142-157, 2 MB 92-114. With 32 huge pages,
// which any TLB holds if its entries are 2 MB, a random load still costs
// about 3x a page-by-page one: the translation stays 4 KB-grained (the
// host's side of the nested walk), so huge pages in the guest only
// shorten the guest's side. More in bench/kv/TLB.md.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

const (
	hugePage       = 2 << 20
	madvNoHugepage = 15 // MADV_NOHUGEPAGE
	madvCollapse   = 25 // MADV_COLLAPSE
)

func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func anonHugeKB() string {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "AnonHugePages:" {
			return f[1]
		}
	}
	return "?"
}

func madvise(b []byte, off, n int, advice uintptr) error {
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(&b[off])), uintptr(n), advice)
	if e != 0 {
		return e
	}
	return nil
}

// buffer maps size bytes aligned to 2 MB and fills them (every page
// resident); kind is "4k", "2m" or "split".
func buffer(size int, kind string) ([]byte, error) {
	m, err := syscall.Mmap(-1, 0, size+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	base := uintptr(unsafe.Pointer(&m[0]))
	off := int((base+hugePage-1)&^(hugePage-1) - base)
	b := m[off : off+size]
	if kind == "4k" {
		if err := madvise(b, 0, size, madvNoHugepage); err != nil {
			return nil, fmt.Errorf("MADV_NOHUGEPAGE: %w", err)
		}
	}
	for i := range b {
		b[i] = 1 // every load below reads 1: the next offset adds 1>>1 = 0
	}
	if kind == "4k" {
		return b, nil
	}
	for p := 0; p < size; p += hugePage {
		if err := madvise(b, p, hugePage, madvCollapse); err != nil {
			return nil, fmt.Errorf("MADV_COLLAPSE: %w", err)
		}
	}
	if kind == "split" || kind == "refill" {
		for p := 0; p < size; p += hugePage {
			if err := madvise(b, p+8192, 4096, syscall.MADV_DONTNEED); err != nil {
				return nil, fmt.Errorf("MADV_DONTNEED: %w", err)
			}
			if kind == "refill" { // the hole made resident again: no page is missing
				for i := p + 8192; i < p+8192+4096; i++ {
					b[i] = 1
				}
			}
		}
	}
	return b, nil
}

func main() {
	mb := flag.Int("mb", 256, "size of each buffer in MB (a multiple of 2)")
	rounds := flag.Int("rounds", 6, "rounds (each walks every buffer once)")
	flag.Parse()
	size := *mb << 20 &^ (hugePage - 1)
	if size <= 0 || *rounds <= 0 {
		fmt.Fprintln(os.Stderr, "thp: -mb must be >= 2 and -rounds >= 1")
		os.Exit(2)
	}
	kinds := []string{"4k", "2m", "split", "refill"}
	bufs := make([][]byte, len(kinds))
	for i, k := range kinds {
		b, err := buffer(size, k)
		if err != nil {
			fmt.Fprintf(os.Stderr, "thp: %s buffer: %v\n", k, err)
			os.Exit(1)
		}
		bufs[i] = b
	}
	fmt.Printf("4 buffers of %d MB; AnonHugePages %s kB (the 2 MB buffer's, if collapsed and nothing else is huge)\n", size>>20, anonHugeKB())
	r := rand.New(rand.NewPCG(1, 1))
	offs := make([]uint32, 1<<20)
	for i := range offs {
		offs[i] = uint32(r.IntN(size/64)) * 64
	}
	// The same number of loads, page by page: pages in a random order,
	// the 64 lines of each in a random order, so 63 of 64 loads miss the
	// caches but not the TLB: about what a load costs without its page walk.
	local := make([]uint32, 0, len(offs))
	for len(local) < len(offs) {
		pg := uint32(r.IntN(size / 4096))
		for _, l := range r.Perm(64) {
			local = append(local, pg*4096+uint32(l)*64)
		}
	}
	walk := func(b []byte, offs []uint32) float64 {
		x := 0
		t := cpuNanos()
		for _, o := range offs {
			x = int(b[int(o)+x]) >> 1
		}
		return float64(cpuNanos()-t) / float64(len(offs))
	}
	for c := 0; c < *rounds; c++ {
		a, h, s, f := walk(bufs[0], offs), walk(bufs[1], offs), walk(bufs[2], offs), walk(bufs[3], offs)
		la, lh := walk(bufs[0], local), walk(bufs[1], local)
		fmt.Printf("round %d: 4 KB %.0f ns, 2 MB %.0f ns (%.2fx), split %.0f ns (%.2fx), split+refilled %.0f ns (%.2fx); page by page: 4 KB %.0f ns, 2 MB %.0f ns\n",
			c+1, a, h, h/a, s, s/a, f, f/a, la, lh)
	}
}
