package kvredis

import (
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// scanCount is SCAN's COUNT hint: keys examined per round trip, and so
// the size of one batch of deletions.
const scanCount = 1000

// DelPrefix removes every key starting with prefix (under KeyPrefix) and
// returns how many it removed. It walks the keyspace of every node with
// SCAN MATCH (the prefix glob-escaped, so *?[]\ in it are literal) and
// deletes each batch found; in a cluster every node holds its own slots,
// so each is scanned. Replicas, if rueidis knows any, are scanned too but
// add nothing: deletions go through the cluster client to the key's
// primary and only what UNLINK removed is counted. When Redis fails
// midway it returns what was removed so far (the failure is logged).
func (s *Store) DelPrefix(prefix string) int {
	n, _ := s.delPrefix("del_prefix", prefix)
	return n
}

// Flush removes every key under KeyPrefix, and only those: a shared
// Redis keeps other applications' keys (never FLUSHDB).
func (s *Store) Flush() { s.FlushOK() }

// FlushOK is Flush that says whether it got through: false when Redis
// could not be reached or failed midway (the failure is logged as every
// other). ephpm_kv_flush_all returns it (phpembed asks a backend for
// FlushOK), so that a flush that removed nothing because Redis was down
// returns false (SPEC section 9: a call that cannot reach Redis returns
// its failure value) instead of true.
func (s *Store) FlushOK() bool {
	_, ok := s.delPrefix("flush_all", "")
	return ok
}

// delPrefix is DelPrefix with whether every node was walked to its end;
// op names the call in the failure logged when Redis is not connected.
func (s *Store) delPrefix(op, prefix string) (total int, ok bool) {
	c := s.rc()
	if c == nil {
		s.fail(op, errNotConnected)
		return 0, false
	}
	pattern := globEscape(s.prefix+prefix) + "*"
	for _, node := range c.Nodes() {
		n, ok := s.delMatching(c, node, pattern)
		total += n
		if !ok {
			return total, false
		}
	}
	return total, true
}

// delMatching scans node for pattern and deletes what it finds through c
// (which routes each key to its primary). ok is false after a failure.
func (s *Store) delMatching(c, node rueidis.Client, pattern string) (removed int, ok bool) {
	var cursor uint64
	for {
		entry, ok := s.scan("del_prefix", node, cursor, pattern)
		if !ok {
			return removed, false
		}
		if len(entry.Elements) > 0 {
			n, ok := s.unlink(c, entry.Elements)
			removed += n
			if !ok {
				return removed, false
			}
			if s.tracking.Load() && !s.fence(node) {
				return removed, false
			}
		}
		if cursor = entry.Cursor; cursor == 0 {
			return removed, true
		}
	}
}

// scan is one SCAN round trip on node, for op (a failure is logged as
// op's).
func (s *Store) scan(op string, node rueidis.Client, cursor uint64, pattern string) (rueidis.ScanEntry, bool) {
	ctx, cancel := s.ctx()
	defer cancel()
	start := time.Now()
	e, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(pattern).Count(scanCount).Build()).AsScanEntry()
	s.roundTrip(start)
	if err != nil {
		s.fail(op, err)
		return e, false
	}
	return e, true
}

// unlink deletes keys, one UNLINK each, pipelined in one round trip (in a
// cluster the keys of one batch lie in many slots), and counts those that
// existed.
func (s *Store) unlink(c rueidis.Client, keys []string) (int, bool) {
	cmds := make(rueidis.Commands, len(keys))
	for i, k := range keys {
		cmds[i] = c.B().Unlink().Key(k).Build()
	}
	ctx, cancel := s.ctx()
	defer cancel()
	start := time.Now()
	results := c.DoMulti(ctx, cmds...)
	s.roundTrip(start)
	n := 0
	for _, r := range results {
		d, err := r.AsInt64()
		if err != nil {
			s.fail("del_prefix", err)
			return n, false
		}
		n += int(d)
	}
	return n, true
}

// globEscape makes s match itself only in a Redis glob pattern (SCAN
// MATCH): *, ?, [, ] and \ get a backslash.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fence makes sure the invalidations Redis sent this node's connection to
// node for the keys just deleted have been handled (the caches no longer
// hold them): a PING's reply comes after them on the same connection.
func (s *Store) fence(node rueidis.Client) bool {
	ctx, cancel := s.ctx()
	defer cancel()
	if err := node.Do(ctx, node.B().Ping().Build()).Error(); err != nil {
		s.fail("del_prefix", err)
		return false
	}
	return true
}
