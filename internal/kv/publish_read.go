package kv

// ReadPublished reads key from the published table as kvfuncs.c's
// kv_get_published does (its copying path, the real clock): ok=false is
// where C would ask Go. For tests of packages whose stores publish
// (kvredis's near cache): what PHP would be answered without Go.
func (s *Store) ReadPublished(key string) (string, bool) {
	p := s.pub.Load()
	if p == nil {
		return "", false
	}
	h := FilterHash(key)
	i := pubIndex(h)
	if p.hints[i/64].Load()&(1<<(i%64)) == 0 {
		return "", false
	}
	e := &p.e[i]
	q := e.seq.Load()
	if q&1 != 0 || e.live.Load() != 1 || e.hash.Load() != h || e.klen.Load() != uint32(len(key)) {
		return "", false
	}
	off, vlen, dl := e.off.Load(), uint64(e.vlen.Load()), e.deadline.Load()
	n := uint64(len(key))
	if e.seq.Load() != q || off > p.hdr.arenaSize || uint64(bufSize(int(n), int(vlen))) > p.hdr.arenaSize-off {
		return "", false
	}
	if dl != 0 && (p.hdr.cbase == 0 || coarseNow(p.hdr.cbase) >= dl) {
		return "", false
	}
	buf := p.arena[off:]
	if string(buf[:n]) != key {
		return "", false
	}
	z := buf[(n+7)&^7:]
	v := string(z[zstrHeader : zstrHeader+vlen])
	if e.seq.Load() != q {
		return "", false
	}
	return v, true
}
