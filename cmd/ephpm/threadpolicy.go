package main

import (
	"log/slog"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/threadpolicy"
)

// applyThreadPolicy gives the process's threads server.thread_policy
// before PHP's threads start (they inherit it from the thread that makes
// them), and returns the policy they run with, for the startup line. A
// kernel or sandbox that refuses it (seccomp) is not a reason to stay
// down: the server runs with the policy it has, and says so.
func applyThreadPolicy(cfg *config.Config, logger *slog.Logger) string {
	p, err := threadpolicy.Parse(cfg.Server.ThreadPolicy)
	if err != nil { // Validate has refused this already
		logger.Warn("server.thread_policy: " + err.Error())
		return "normal"
	}
	if p == threadpolicy.Normal {
		// The policy the server was started with (the kernel's default,
		// or what `chrt` gave it): nothing to change.
		return p.String()
	}
	n, err := threadpolicy.Apply(p)
	if err != nil {
		logger.Warn("server.thread_policy not applied; the threads keep the system's default", "policy", p.String(), "err", err)
		return "normal"
	}
	logger.Debug("thread policy applied", "policy", p.String(), "threads_changed", n)
	return p.String()
}
