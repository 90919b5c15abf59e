package e2e

// Spec audit (session 10, B): KEYS and SCAN MATCH (SPEC 7) select the same
// keys as redis-server for Redis's glob syntax and its corners: ranges
// written backwards, escapes inside brackets, unclosed brackets, a
// trailing backslash, and bytes past 0x7f, which Redis compares as C
// chars (signed on x86-64, so "[\x00-\xff]" matches only \x00 and \xff).
// Before, that last range matched every key.

import (
	"sort"
	"strings"
	"testing"
)

var globKeys = []string{"a", "b", "ab", "abc", "a-b", "a]b", "a[b", "a\\b", "a*b", "a?b", "-", "]", "[", "\\", "^",
	"a^b", "z", "A", "B", "hello", "hallo", "hxllo", "hllo", "heeeello", "\xff", "\x00x", "a\nb", "\xe4", "\x7f", "\x80", "~"}

var globPatterns = []string{"*", "?", "a*", "*b", "a?b", "[ab]", "[a-b]", "[b-a]", "[a-]", "[-a]", "[]]", "[]a]", "[\\]]",
	"[\\\\]", "[^a]", "[^ab]*", "[!a]", "a[", "a[b", "a\\", "\\", "\\*", "\\?", "a\\*b", "[", "[^", "[a-", "*[", "h[ae]llo",
	"h[^e]llo", "h[a-b]llo", "h*llo", "h?llo", "*?*?*?", "[z-a]", "[Z-a]", "a[]]b", "a[\\]b", "[\\-]", "[a\\-c]", "***",
	"**a", "[[]", "[]-a]", "[*]", "[?]", "[-]", "[--]", "[a-a]", "\xff", "[\x00-\xff]*", "[\x7f-\x80]", "[\x80-\xff]",
	"[^\x00-\xff]", "[a-\xe4]", "*\n*", "[^]]", "[^\\]]", "?\\", "*\\"}

// bulkStrings are the bulk strings of a flat array reply, sorted.
func bulkStrings(n respNode) []string {
	var out []string
	for _, k := range n.kids {
		out = append(out, k.bulkText())
	}
	sort.Strings(out)
	return out
}

func TestSpecAudit10bGlobMatchesRedis(t *testing.T) {
	oursAddr, redisAddr := startRESPAndRedis(t)
	ours, theirs := dialRESPPeer(t, oursAddr, "2"), dialRESPPeer(t, redisAddr, "2")
	mset := []string{"MSET"}
	for _, k := range globKeys {
		mset = append(mset, k, "1")
	}
	for _, p := range []*respPeer{ours, theirs} {
		p.do(t, "FLUSHALL")
		p.do(t, mset...)
	}
	for _, pat := range globPatterns {
		got, want := bulkStrings(ours.do(t, "KEYS", pat)), bulkStrings(theirs.do(t, "KEYS", pat))
		if strings.Join(got, "\x01") != strings.Join(want, "\x01") {
			t.Errorf("KEYS %q:\n got %q\nwant %q", pat, got, want)
		}
		// SCAN MATCH filters with the same matcher: a whole iteration
		// returns what KEYS does.
		var scanned []string
		cursor := "0"
		for i := 0; i < 1000; i++ {
			r := ours.do(t, "SCAN", cursor, "MATCH", pat, "COUNT", "7")
			if len(r.kids) != 2 {
				t.Fatalf("SCAN reply %q", r.raw)
			}
			scanned = append(scanned, bulkStrings(r.kids[1])...)
			cursor = r.kids[0].bulkText()
			if cursor == "0" {
				break
			}
		}
		sort.Strings(scanned)
		if strings.Join(scanned, "\x01") != strings.Join(want, "\x01") {
			t.Errorf("SCAN MATCH %q:\n got %q\nwant %q", pat, scanned, want)
		}
	}
}
