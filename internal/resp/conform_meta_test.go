package resp

import (
	"strings"
	"testing"
)

// TestConformCommandInfo compares COMMAND INFO of every Redis command
// served here with redis-server's, in RESP2 and RESP3: name, arity, key
// positions and ACL categories, what clients use (a cluster client finds
// the keys by first/last/step), flags and key specs (a cluster client of
// Redis 7 finds them there). Tips (commands_meta.go is generated from Redis
// 7.2's JSON, which changed some request policies) and the subcommand lists
// (Redis's in its dict's order, with subcommands not served here) are left
// out.
func TestConformCommandInfo(t *testing.T) {
	redisAddr := startRedis(t)
	s, _ := startServer(t, Config{Goroutines: true})
	var names []string
	for _, cmd := range cmdByID {
		if strings.HasPrefix(cmd.name, "ephpm.") || cmd.name == "client|setinfo" {
			continue
		}
		names = append(names, cmd.name)
	}
	for _, proto := range []string{"2", "3"} {
		for _, name := range names {
			seq := [][]string{{"HELLO", proto}, {"COMMAND", "INFO", name}}
			a := pipeline(t, s.Addr().String(), seq)
			b := pipeline(t, redisAddr, seq)
			if len(a) != 2 || len(b) != 2 {
				t.Fatalf("%s: %d and %d replies", name, len(a), len(b))
			}
			if got, want := infoNorm(a[1]), infoNorm(b[1]); got != want {
				t.Errorf("RESP%s COMMAND INFO %s:\n got %q\nwant %q", proto, name, got, want)
			}
		}
	}
}

// infoNorm is a COMMAND INFO reply with each entry's tips and
// subcommands left out.
func infoNorm(r reply) string {
	var b strings.Builder
	b.WriteByte(r.typ)
	b.WriteString(r.head)
	for _, e := range r.kids {
		b.WriteString(entryNorm(e))
	}
	return b.String()
}

func entryNorm(e reply) string {
	if len(e.kids) != 10 {
		return e.raw
	}
	var b strings.Builder
	for i, k := range e.kids {
		switch i {
		case 0, 1, 2, 3, 4, 5, 6, 8:
			b.WriteString(k.raw)
		default:
			b.WriteString("<skipped>")
		}
	}
	return b.String()
}
