package kvredis

// FlushOK is Flush that says whether it got through: false when Redis
// could not be reached or failed midway (the failure is logged as every
// other). ephpm_kv_flush_all returns it, so that a flush that removed
// nothing because Redis was down returns false (SPEC section 9: a call
// that cannot reach Redis returns its failure value) instead of true.
func (s *Store) FlushOK() bool {
	c := s.rc()
	if c == nil {
		s.fail("flush_all", errNotConnected)
		return false
	}
	pattern := globEscape(s.prefix) + "*"
	for _, node := range c.Nodes() {
		if _, ok := s.delMatching(c, node, pattern); !ok {
			return false
		}
	}
	return true
}
