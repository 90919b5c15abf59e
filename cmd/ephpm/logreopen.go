package main

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ephpm/ephpm/internal/server"
)

// reopenAccessLogOnSIGUSR1 reopens the access log file on each SIGUSR1,
// as logrotate expects (move the file, then signal; nginx and php-fpm use
// the same signal). Its own signal.Notify channel: Go delivers a signal to
// every channel registered for it, so this never needs the reload's
// signal handling. Registered before serving, so a SIGUSR1 never kills
// the process (Go's default for an unhandled SIGUSR1). Call the returned
// func to stop.
func reopenAccessLogOnSIGUSR1(srv *server.Server, logger *slog.Logger) (stop func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				reopenAccessLog(srv, logger)
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}

func reopenAccessLog(srv *server.Server, logger *slog.Logger) {
	path := srv.AccessLogPath()
	if path == "" {
		logger.Info("SIGUSR1: the access log is not a file; nothing to reopen")
		return
	}
	if err := srv.ReopenAccessLog(); err != nil {
		// The old file stays in use: lines keep going somewhere.
		logger.Error("SIGUSR1: reopening the access log failed; still writing to the old file", "path", path, "err", err)
		return
	}
	logger.Info("SIGUSR1: access log reopened", "path", path)
}
