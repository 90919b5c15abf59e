// Package testloop holds the load loop the store's race tests run on
// goroutines of their own (internal/kv, internal/kvredis): one place for
// the stop check, so no test can forget it and leak a goroutine.
package testloop

import "sync"

// UntilStopped runs f(0), f(1), ... on a goroutine of its own, counted in
// wg, until stop is closed (checked before each call).
func UntilStopped(wg *sync.WaitGroup, stop <-chan struct{}, f func(i int)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f(i)
		}
	}()
}
