package main

import (
	"encoding/json"
	"net/http"
	"path"

	"github.com/ephpm/ephpm/internal/phpembed"
	"github.com/ephpm/ephpm/internal/server"
)

// threadsPage is the JSON of GET /_ephpm/threads.
type threadsPage struct {
	Threads []phpembed.ThreadInfo `json:"threads"`
	// Requests waiting for a PHP thread now.
	Queued int64 `json:"queued"`
	// Requests on the threads above that are stuck past their deadline.
	Stuck int `json:"stuck"`
}

// threadsHandler answers GET /_ephpm/threads on the metrics listener
// only: each PHP thread's state, its current request (method, URI, for
// how long), its requests served and memory. The site's listeners answer
// that path with a 404 (internal/server), since URIs can carry what a
// visitor must not see. Other paths are 404.
func threadsHandler(rt *phpembed.Runtime) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path.Clean(r.URL.Path) != server.ThreadsPath {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		page := threadsPage{Threads: rt.Threads(), Queued: rt.Stats().Queued}
		for _, t := range page.Threads {
			if t.Stuck {
				page.Stuck++
			}
		}
		body, err := json.MarshalIndent(page, "", "  ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", "application/json")
		if r.Method != http.MethodHead {
			w.Write(append(body, '\n'))
		}
	})
}
