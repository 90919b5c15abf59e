// Command kvrt shows where the time of one Redis round trip goes when the
// caller is a thread locked to its goroutine, as a PHP thread calling
// ephpm_kv_* is (a cgo callback runs on a locked thread). It times, on
// one goroutine, unlocked and locked to its thread:
//
//   - kvredis Set / IncrBy / Del+Get (rueidis, client cache on and off);
//
//   - SET through rueidis alone: its pipe synchronous, in the background
//     (as client tracking makes it), and a Dedicated connection;
//
//   - SET over a plain net.Conn (Go's netpoller: a read that waits parks
//     the goroutine, and a locked one must then be handed back to its own
//     thread, a futex wake more);
//
//   - SET with blocking write/read system calls on the calling thread (as
//     phpredis does from PHP).
//
//     go run ./bench/kvrt 127.0.0.1:6379
//
// Writes keys "kvrt:*" and "raw" in that Redis.
package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/ephpm/ephpm/internal/kvredis"
	"github.com/redis/rueidis"
)

const n = 20000

var setCmd = []byte("*3\r\n$3\r\nSET\r\n$3\r\nraw\r\n$32\r\nvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\r\n")

// onThread runs fn on a new goroutine, locked to its thread if locked.
func onThread(locked bool, fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if locked {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		fn()
	}()
	<-done
}

// best is the fastest of 5 rounds of n calls, per call.
func best(call func()) time.Duration {
	b := time.Duration(1 << 62)
	for r := 0; r < 5; r++ {
		t := time.Now()
		for i := 0; i < n; i++ {
			call()
		}
		b = min(b, time.Since(t)/n)
	}
	return b
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kvrt HOST:PORT")
		os.Exit(2)
	}
	addr := os.Args[1]
	for _, cc := range []int64{64 << 20, 0} {
		s, err := kvredis.New(kvredis.Options{Addresses: []string{addr}, KeyPrefix: "kvrt:", ClientCache: cc, CommandTimeout: time.Second})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, locked := range []bool{false, true} {
			onThread(locked, func() {
				set := best(func() { s.Set("k", "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", 0) })
				incr := best(func() { s.IncrBy("c", 1) })
				get := best(func() { s.Get("k") })
				fmt.Printf("kvredis client_cache=%-9d locked=%-5v set %-10v incr_by %-10v get %v\n", cc, locked, set, incr, get)
			})
		}
		s.Close()
	}
	// rueidis alone. A pipe with one caller and nothing to listen for does
	// each command on the caller's goroutine (write, then read). Once it
	// runs in the background (invalidations to read: client tracking or an
	// OnInvalidations hook; or two callers at once on the shared
	// connection) every command is handed to its writer goroutine and the
	// reply back from its reader goroutine. A dedicated connection (from
	// rueidis's pool, Dedicated/Dedicate) is synchronous again.
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, PipelineMultiplex: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	set := func(c rueidis.CoreClient) {
		c.Do(ctx, c.B().Set().Key("kvrt:raw").Value("vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv").Build())
	}
	for _, locked := range []bool{false, true} {
		onThread(locked, func() {
			fmt.Printf("rueidis SET, locked=%-5v synchronous pipe %v\n", locked, best(func() { set(rc) }))
		})
	}
	rc.DoCache(ctx, rc.B().Get().Key("kvrt:raw").Cache(), time.Minute) // starts tracking: background pipe
	for _, locked := range []bool{false, true} {
		onThread(locked, func() {
			bg := best(func() { set(rc) })
			ded := best(func() {
				rc.Dedicated(func(dc rueidis.DedicatedClient) error { set(dc); return nil })
			})
			fmt.Printf("rueidis SET, locked=%-5v background pipe %-10v Dedicated per call %v\n", locked, bg, ded)
		})
	}
	cancel()
	rc.Close()
	for _, locked := range []bool{false, true} {
		onThread(locked, func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			netpoll := best(func() {
				c.Write(setCmd)
				br.ReadString('\n')
			})
			f, err := c.(*net.TCPConn).File()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			defer f.Close()
			fd := int(f.Fd())
			syscall.SetNonblock(fd, false)
			buf := make([]byte, 512)
			blocking := best(func() {
				syscall.Write(fd, setCmd)
				syscall.Read(fd, buf)
			})
			fmt.Printf("plain SET, locked=%-5v net.Conn %-10v blocking syscalls %v\n", locked, netpoll, blocking)
		})
	}
}
