package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Kind says which RESP2 type a reply is.
type Kind int

const (
	KindSimple Kind = iota // +OK
	KindError              // -ERR ...
	KindInt                // :1
	KindBulk               // $3\r\nabc
	KindNil                // $-1 or *-1
	KindArray              // *2 ...
)

// Reply is one RESP2 reply. Str holds a simple string, an error's text
// (without the leading '-') or a bulk string; Int an integer; Array the
// elements of an array.
type Reply struct {
	Kind  Kind
	Str   string
	Int   int64
	Array []Reply
}

// Err returns the server's error as a *ServerError when the reply is one.
func (r Reply) Err() error {
	if r.Kind == KindError {
		return &ServerError{Msg: r.Str}
	}
	return nil
}

// ServerError is an error reply: the server understood the request and
// refused it (-ERR, -OOM, -NOAUTH, ...). The connection stays usable.
type ServerError struct{ Msg string }

func (e *ServerError) Error() string { return e.Msg }

// errProtocol marks a reply the client cannot parse: the connection is out
// of step with the server and is closed.
var errProtocol = errors.New("wire: protocol error in the server's reply")

// Limits on what a reply may claim, so a broken or hostile server cannot
// make the client allocate without bound. The server's own max_bulk_len
// is at most this size by default.
const (
	maxBulkLen   = 512 << 20
	maxArrayLen  = 1 << 24
	maxReplyNest = 8
)

// WriteCommand encodes args as a RESP array of bulk strings (what every
// Redis server accepts; binary-safe).
func WriteCommand(w *bufio.Writer, args []string) error {
	var num [24]byte
	w.WriteByte('*')
	w.Write(strconv.AppendInt(num[:0], int64(len(args)), 10))
	w.WriteString("\r\n")
	for _, a := range args {
		w.WriteByte('$')
		w.Write(strconv.AppendInt(num[:0], int64(len(a)), 10))
		w.WriteString("\r\n")
		w.WriteString(a)
		if _, err := w.WriteString("\r\n"); err != nil {
			return err
		}
	}
	return w.Flush()
}

// ReadReply reads one reply. A RESP3 type (which a RESP2 connection never
// gets) is a protocol error.
func ReadReply(r *bufio.Reader) (Reply, error) { return readNested(r, 0) }

func readNested(r *bufio.Reader, depth int) (Reply, error) {
	line, err := readLine(r)
	if err != nil {
		return Reply{}, err
	}
	if len(line) == 0 {
		return Reply{}, errProtocol
	}
	body := string(line[1:])
	switch line[0] {
	case '+':
		return Reply{Kind: KindSimple, Str: body}, nil
	case '-':
		return Reply{Kind: KindError, Str: body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return Reply{}, errProtocol
		}
		return Reply{Kind: KindInt, Int: n}, nil
	case '$':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil || n < -1 || n > maxBulkLen {
			return Reply{}, errProtocol
		}
		if n == -1 {
			return Reply{Kind: KindNil}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Reply{}, unexpectedEOF(err)
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Reply{}, errProtocol
		}
		return Reply{Kind: KindBulk, Str: string(buf[:n])}, nil
	case '*':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil || n < -1 || n > maxArrayLen || depth >= maxReplyNest {
			return Reply{}, errProtocol
		}
		if n == -1 {
			return Reply{Kind: KindNil}, nil
		}
		arr := make([]Reply, 0, min(n, 1024))
		for i := int64(0); i < n; i++ {
			e, err := readNested(r, depth+1)
			if err != nil {
				return Reply{}, unexpectedEOF(err)
			}
			arr = append(arr, e)
		}
		return Reply{Kind: KindArray, Array: arr}, nil
	}
	return Reply{}, fmt.Errorf("%w: unexpected type byte %q", errProtocol, line[0])
}

// readLine returns one CRLF-terminated line without its CRLF.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, errProtocol
	}
	if err != nil {
		if len(line) > 0 {
			return nil, unexpectedEOF(err)
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errProtocol
	}
	return line[:len(line)-2], nil
}

// unexpectedEOF turns an EOF in the middle of a reply into
// io.ErrUnexpectedEOF: only a clean EOF before a reply's first byte means
// the server closed the connection before reading the command.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
