package resp

import (
	"math"
	"strconv"
)

// writer appends replies to one connection's output buffer in the
// connection's protocol (2 or 3). Nothing is written to the socket here:
// the connection flushes the buffer once its input is drained, so a
// pipeline of commands costs one write.
type writer struct {
	b     []byte
	proto int
}

func (w *writer) simple(s string) {
	w.b = append(w.b, '+')
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

func (w *writer) ok() { w.b = append(w.b, "+OK\r\n"...) }

// err writes an error reply; msg carries its code ("ERR ...",
// "WRONGPASS ..."), as Redis's addReplyError does with a leading '-'.
func (w *writer) err(msg string) {
	w.b = append(w.b, '-')
	w.b = append(w.b, msg...)
	w.b = append(w.b, '\r', '\n')
}

func (w *writer) int(n int64) {
	w.b = append(w.b, ':')
	w.b = strconv.AppendInt(w.b, n, 10)
	w.b = append(w.b, '\r', '\n')
}

func (w *writer) header(c byte, n int) {
	w.b = append(w.b, c)
	w.b = strconv.AppendInt(w.b, int64(n), 10)
	w.b = append(w.b, '\r', '\n')
}

func (w *writer) bulk(s string) {
	w.header('$', len(s))
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

func (w *writer) bulkBytes(s []byte) {
	w.header('$', len(s))
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

func (w *writer) bulkInt(n int64) {
	var tmp [20]byte
	w.bulkBytes(strconv.AppendInt(tmp[:0], n, 10))
}

// null is a missing bulk string: $-1 in RESP2, _ in RESP3.
func (w *writer) null() {
	if w.proto == 3 {
		w.b = append(w.b, "_\r\n"...)
	} else {
		w.b = append(w.b, "$-1\r\n"...)
	}
}

// nullArray is a missing array: *-1 in RESP2, _ in RESP3.
func (w *writer) nullArray() {
	if w.proto == 3 {
		w.b = append(w.b, "_\r\n"...)
	} else {
		w.b = append(w.b, "*-1\r\n"...)
	}
}

func (w *writer) array(n int) { w.header('*', n) }

// mapLen starts a map of n pairs: %n in RESP3, an array of 2n in RESP2.
func (w *writer) mapLen(n int) {
	if w.proto == 3 {
		w.header('%', n)
	} else {
		w.header('*', 2*n)
	}
}

// setLen starts a set: ~n in RESP3, an array in RESP2.
func (w *writer) setLen(n int) {
	if w.proto == 3 {
		w.header('~', n)
	} else {
		w.header('*', n)
	}
}

// verbatim is a verbatim string of format ext ("txt") in RESP3 and a
// bulk string in RESP2 (Redis's addReplyVerbatim).
func (w *writer) verbatim(s, ext string) {
	if w.proto != 3 {
		w.bulk(s)
		return
	}
	w.header('=', len(s)+4)
	w.b = append(w.b, ext...)
	w.b = append(w.b, ':')
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

// double is a RESP3 double (",1.5") or, in RESP2, its text as a bulk
// string, formatted as Redis's d2string does (%.17g shortest form).
func (w *writer) double(d float64) {
	var tmp [32]byte
	s := formatDouble(tmp[:0], d)
	if w.proto == 3 {
		w.b = append(w.b, ',')
		w.b = append(w.b, s...)
		w.b = append(w.b, '\r', '\n')
		return
	}
	w.bulkBytes(s)
}

func formatDouble(b []byte, d float64) []byte {
	switch {
	case math.IsInf(d, 1):
		return append(b, "inf"...)
	case math.IsInf(d, -1):
		return append(b, "-inf"...)
	case math.IsNaN(d):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, d, 'g', -1, 64)
}
