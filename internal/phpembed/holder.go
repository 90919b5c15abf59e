package phpembed

// Request mode runs each request's PHP on a token holder: a goroutine of
// its own (not net/http's, see runDirect) that holds a worker token,
// runs the request and then the queued ones (runOnToken). Holders are
// kept between jobs instead of started anew for every request.
//
// A goroutine starts on a 2 KB stack, and the calls from PHP into Go
// (the output into net/http, the header map) need several times that: a
// new goroutine per request grew its stack, copying it each time, two or
// three times per request, and gave the grown stack back when it ended
// (runtime.morestack and copystack were 2.5% of a request-mode hello
// world's server CPU). A parked holder keeps its stack. Handing a job to
// it costs what the go statement did: the holder is made ready on the
// sender's P as the next goroutine to run, so it runs on the sender's
// thread once the sender parks in Serve.
//
// At most as many holders exist as tokens are held at once (a new one is
// started only when no parked one takes the job, and every job holds a
// token), so they are bounded by the PHP threads. They end at shutdown.

// holderJob is a token and the request to start with (nil: the queue).
type holderJob struct {
	w   *worker
	req *Request
}

// startHolder runs req (nil: the queue) holding token w on a parked
// holder, or on a new one if none is parked.
func (rt *Runtime) startHolder(w *worker, req *Request) {
	select {
	case rt.holders <- holderJob{w, req}:
	default:
		go rt.holderLoop(w, req)
	}
}

// holderLoop runs jobs until the runtime shuts down.
func (rt *Runtime) holderLoop(w *worker, req *Request) {
	for {
		rt.runOnToken(w, req)
		select {
		case j := <-rt.holders:
			w, req = j.w, j.req
		case <-rt.stopMain:
			return
		}
	}
}
