package main

import (
	"context"
	"log/slog"

	"github.com/ephpm/ephpm/internal/acme"
	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/server"
)

// setupACME wires automatic HTTPS ([server.tls] domains) into srv before
// it listens. The returned start begins obtaining certificates once the
// listeners are bound; stop ends renewal. Both are no-ops without
// domains.
func setupACME(cfg *config.Config, srv *server.Server, logger *slog.Logger) (start func(context.Context) error, stop func(), err error) {
	if !cfg.Server.TLS.ACME() {
		return func(context.Context) error { return nil }, func() {}, nil
	}
	m, err := acme.New(cfg.Server.TLS, logger)
	if err != nil {
		return nil, nil, err
	}
	srv.SetTLSConfig(m.TLSConfig())
	srv.SetHTTPChallengeHandler(m.HTTPChallengeHandler)
	start = func(ctx context.Context) error {
		// With server.tls.listen, server.listen is plain HTTP and takes
		// HTTP-01; without, it is the HTTPS listener and only
		// TLS-ALPN-01 can be answered.
		var plain = srv.Addr()
		if cfg.Server.TLS.Listen == "" {
			plain = nil
		}
		return m.Start(ctx, plain, srv.HTTPSAddr())
	}
	return start, m.Stop, nil
}
