package config

import (
	"fmt"
	"strings"
)

// Error is one configuration problem. Its message is always one line:
//
//	FILE:LINE: KEY: PROBLEM   the value was set at that line of the file
//	FILE: KEY: PROBLEM        set in the file, line not found
//	VAR: KEY: PROBLEM         the value came from the environment variable VAR
//	KEY: PROBLEM              a default, or a value set by the program (a flag)
//
// KEY is the full dotted key (server.request.max_body_size), with an index
// for an array entry (php.ini_overrides[1]). Problems that are not about
// one key's value have no KEY part:
//
//	FILE:LINE: unknown key server.requets.max_body_size (did you mean server.request.max_body_size?)
//	FILE:LINE: expected '.' or ']' to end table name, but got '\n' instead
//	EPHPM_PHP__WORKERS: "four" is not an integer
type Error struct {
	File string // file name as given to Load ("ephpm.toml" for LoadBytes); "" if none
	Line int    // 1-based line in File; 0 if unknown
	Env  string // EPHPM_ variable the value came from; "" if none
	Key  string // dotted key; "" for syntax errors, unknown keys and unparsable variables
	Msg  string // what is wrong
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Env != "":
		b.WriteString(e.Env + ": ")
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return oneLine(b.String())
}

// oneLine folds any line break (from a library message or a file name)
// into a space.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// keyErr is a problem with one key's value; Validate locates it.
func keyErr(key, format string, args ...any) *Error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}
