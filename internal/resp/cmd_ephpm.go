package resp

// EPHPM.DELIFEQ key value: 1 if key held exactly value and was deleted.
func cmdDelIfEq(c *conn, args [][]byte) {
	if c.s.store.DelIfEquals(str(args[1]), str(args[2])) {
		c.w.int(1)
	} else {
		c.w.int(0)
	}
}

// EPHPM.DELPREFIX prefix: the number of keys removed.
func cmdDelPrefix(c *conn, args [][]byte) {
	c.w.int(int64(c.s.store.DelPrefix(str(args[1]))))
}

// EPHPM.WAIT key last_version timeout_ms: [version, value or null] as soon
// as the key's version differs from last_version, null on timeout or
// shutdown. It blocks this connection only (no lock held); inside EXEC it
// does not block, as Redis's blocking commands inside MULTI.
func cmdWait(c *conn, args [][]byte) {
	last, ok1 := parseInt(args[2])
	ms, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.errReply(errValue, msgNotInteger)
		return
	}
	if last < 0 || ms < 0 {
		c.errReply(errValue, "ERR value is out of range, must be positive")
		return
	}
	timeout := msDuration(ms)
	if c.inExec {
		timeout = 0
	}
	key := string(args[1])
	st := c.s.store
	reply := func(ver uint64, val string, exists, ok bool) {
		if !ok {
			c.w.nullArray()
			return
		}
		c.w.array(2)
		c.w.int(int64(ver))
		c.bulkOrNull(val, exists)
	}
	if timeout == 0 {
		reply(st.Wait(key, uint64(last), 0, c.s.quit))
		return
	}
	c.s.waiting.Add(1)
	if c.l != nil {
		// Event loop: wait on a goroutine; the loop resumes this client.
		c.block(func(cancel <-chan struct{}) func() {
			ver, val, exists, ok := st.Wait(key, uint64(last), timeout, cancel)
			c.s.waiting.Add(-1)
			return func() { reply(ver, val, exists, ok) }
		})
		return
	}
	// Replies of earlier pipelined commands go out before we block.
	if len(c.w.b) > 0 && !c.flush() {
		c.s.waiting.Add(-1)
		return
	}
	ver, val, exists, ok := st.Wait(key, uint64(last), timeout, c.s.quit)
	c.s.waiting.Add(-1)
	reply(ver, val, exists, ok)
}
