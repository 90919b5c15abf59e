package server

import (
	"io"
	"log/slog"
	"os"

	"github.com/ephpm/ephpm/internal/config"
)

// NewLogger builds the server's slog logger for level ("debug".."error"),
// in text format.
func NewLogger(level string, out io.Writer) *slog.Logger {
	return NewLoggerFor(config.LoggingConfig{Level: level, Format: "text"}, out)
}

// NewLoggerFor builds the server's slog logger from [server.logging]:
// level "debug".."error" (default info), format "text" (key=value) or
// "json" (one object per line with time, level, msg and the attributes;
// log lines about a request carry request_id).
func NewLoggerFor(c config.LoggingConfig, out io.Writer) *slog.Logger {
	var l slog.Level
	switch c.Level {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	if out == nil {
		out = os.Stderr
	}
	opts := &slog.HandlerOptions{Level: l}
	if c.Format == "json" {
		opts.ReplaceAttr = jsonAttr
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}

// jsonAttr writes times as the access log does (RFC 3339 with
// milliseconds; slog's JSON default has nanoseconds) and durations as
// "1.5s" rather than a count of nanoseconds nobody reads as such.
func jsonAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindTime:
		a.Value = slog.StringValue(a.Value.Time().Format(jsonTimeLayout))
	case slog.KindDuration:
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

// jsonTimeLayout is RFC 3339 with milliseconds, the time of JSON lines.
const jsonTimeLayout = "2006-01-02T15:04:05.000Z07:00"
