package kv

import "testing"

// TestSameKeyTellsKeysApart: keys of 8 to 16 bytes are compared as two
// words; "key:1397" contains every bit of "key:1314", which an
// unbracketed a^b|c^d (((a^b)|c)^d in Go) called equal. Through the
// lookup cache: both keys given one hash share its entry, so a read of
// the absent key found the present one's slot and answered its value.
func TestSameKeyTellsKeysApart(t *testing.T) {
	s, _ := newStore(t, Options{})
	if !s.SetHashed("key:1314", 7, "a", 0) {
		t.Fatal("set refused")
	}
	for i := 0; i < 20; i++ { // the cache fills an entry on a miss now and then
		if v, ok := s.GetTo("key:1314", 7, nil); !ok || v != "a" {
			t.Fatalf("key:1314 = %q, %v", v, ok)
		}
	}
	for _, k := range []string{"key:1397", "key:1314:0000077", "kez:1314"} {
		if v, ok := s.GetTo(k, 7, nil); ok {
			t.Fatalf("%q read as present (%q): another key's slot", k, v)
		}
	}
	long := "key:1314:0000000"
	s.SetHashed(long, 9, "b", 0)
	s.GetTo(long, 9, nil)
	if v, ok := s.GetTo("key:1314:0000077", 9, nil); ok {
		t.Fatalf("key:1314:0000077 read as present (%q)", v)
	}
}
