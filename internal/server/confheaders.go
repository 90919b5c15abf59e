package server

import "net/http"

// withConfiguredHeaders wraps a handler that answers on its own, outside
// the response writer (the probes, the redirect to HTTPS), so its answers
// carry the [server.response] headers too: README promises them on every
// response of the site, as nginx's `add_header ... always` does. A header
// the handler sets itself wins, as for PHP and static responses.
func (s *Server) withConfiguredHeaders(w http.ResponseWriter) http.ResponseWriter {
	if s.resp == nil || len(s.resp.headers) == 0 {
		return w
	}
	return &configuredHeaderWriter{ResponseWriter: w, headers: s.resp.headers}
}

type configuredHeaderWriter struct {
	http.ResponseWriter
	headers []configuredHeader
	done    bool
}

func (w *configuredHeaderWriter) WriteHeader(code int) {
	if !w.done && code >= 200 {
		w.done = true
		h := w.Header()
		for _, ch := range w.headers {
			if len(h[ch.name]) == 0 {
				h[ch.name] = append([]string(nil), ch.values...)
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *configuredHeaderWriter) Write(p []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *configuredHeaderWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
