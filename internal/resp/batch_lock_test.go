package resp

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

// An event loop runs one read's one-key commands under a single take of
// its reader stripe (beginBatch). Pipelines that mix those with commands
// needing the write lock (MSET, EXEC), on two loops at once, must neither
// deadlock nor let a reader see half of an MSET.
func TestBatchLockPipelines(t *testing.T) {
	s, _ := startServer(t, Config{Loops: 2})
	const rounds = 150
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, s)
			k, ctr := "k"+strconv.Itoa(w), "ctr"+strconv.Itoa(w)
			n := 0
			for i := 0; i < rounds; i++ {
				var b strings.Builder
				for j := 0; j < 8; j++ {
					b.WriteString(encode("SET", k, "v") + encode("INCR", ctr))
				}
				v := strconv.Itoa(i)
				b.WriteString(encode("MSET", "a", v, "b", v) + encode("GET", k))
				b.WriteString(encode("MULTI") + encode("INCR", ctr) + encode("EXEC"))
				c.send(b.String())
				for j := 0; j < 8; j++ {
					n++
					c.expect("+OK\r\n")
					c.expect(":" + strconv.Itoa(n) + "\r\n")
				}
				n++
				c.expect("+OK\r\n")
				c.expect("$1\r\nv\r\n")
				c.expect("+OK\r\n")
				c.expect("+QUEUED\r\n")
				c.expect("*1\r\n:" + strconv.Itoa(n) + "\r\n")
			}
		}()
	}
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dial(t, s)
			for i := 0; i < rounds; i++ {
				c.send(strings.Repeat(encode("MGET", "a", "b"), 8))
				for j := 0; j < 8; j++ {
					got := c.reply()
					if !strings.HasPrefix(got, "*2\r\n") {
						t.Errorf("MGET: %q", got)
						return
					}
					rest := got[len("*2\r\n"):] // two bulk strings (or nulls): equal values, equal halves
					if rest[:len(rest)/2] != rest[len(rest)/2:] {
						t.Errorf("MGET saw half of an MSET: %q", got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
