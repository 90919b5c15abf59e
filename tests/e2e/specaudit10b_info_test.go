package e2e

// Spec audit (session 10, B): INFO server (SPEC 7) has the fields Redis 7
// documents, in Redis's order: run_id (clients compare it to tell a
// restarted server), hz, configured_hz, lru_clock, config_file,
// monotonic_clock, atomicvar_api, process_supervised, redis_build_id and
// io_threads_active were missing. ephpm_version is ours. Compared with
// redis-server.

import (
	"regexp"
	"strings"
	"testing"
)

// infoSectionFields are the field names of one INFO section, in order.
func infoSectionFields(reply, section string) (names []string, vals map[string]string) {
	vals = map[string]string{}
	in := false
	for _, l := range strings.Split(reply, "\r\n") {
		switch {
		case strings.HasPrefix(l, "# "):
			in = l == "# "+section
		case in && l != "":
			name, v, _ := strings.Cut(l, ":")
			names = append(names, name)
			vals[name] = v
		}
	}
	return names, vals
}

func TestSpecAudit10bInfoServerFields(t *testing.T) {
	oursAddr, redisAddr := startRESPAndRedis(t)
	for _, proto := range []string{"2", "3"} {
		ours, theirs := dialRESPPeer(t, oursAddr, proto), dialRESPPeer(t, redisAddr, proto)
		got, want := ours.do(t, "INFO", "server"), theirs.do(t, "INFO", "server")
		// (RESP3 sends INFO as a verbatim string: "txt:" before the text.)
		gotNames, gotVals := infoSectionFields(strings.Replace(got.raw, "txt:", "", 1), "Server")
		wantNames, _ := infoSectionFields(strings.Replace(want.raw, "txt:", "", 1), "Server")
		var kept []string
		for _, n := range gotNames {
			if n != "ephpm_version" {
				kept = append(kept, n)
			}
		}
		if g, w := strings.Join(kept, ","), strings.Join(wantNames, ","); g != w {
			t.Errorf("RESP%s INFO server fields:\n got %s\nwant %s", proto, g, w)
		}
		if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(gotVals["run_id"]) || gotVals["hz"] != "10" {
			t.Errorf("RESP%s run_id %q hz %q", proto, gotVals["run_id"], gotVals["hz"])
		}
		// run_id stays the same for the process.
		_, v2 := infoSectionFields(strings.Replace(ours.do(t, "INFO").raw, "txt:", "", 1), "Server")
		if v2["run_id"] != gotVals["run_id"] {
			t.Errorf("run_id changed: %q then %q", gotVals["run_id"], v2["run_id"])
		}
	}
}
