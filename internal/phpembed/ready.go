package phpembed

import "errors"

// Ready reports whether the runtime takes requests now, for the server's
// readiness probe: PHP started and not shutting down, and in worker mode a
// worker script got as far as asking for its first request and the
// workers are not all failing before they do (a broken script or release).
func (rt *Runtime) Ready() error {
	if rt.closed.Load() {
		return errors.New("php: shutting down")
	}
	if rt.direct {
		return nil
	}
	if rt.workersBroken() {
		return errors.New("php: " + workersBrokenMsg)
	}
	if !rt.workerUp.Load() {
		return errors.New("php: no worker has booted yet")
	}
	return nil
}
