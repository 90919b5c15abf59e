package kvclient

import "github.com/ephpm/ephpm/internal/kvclient/wire"

// The RESP2 types live in package wire (shared with kvredis's pooled
// connections, which cannot import this package: its tests import the
// RESP server, which imports kvredis).

// Reply is one RESP2 reply (see wire.Reply).
type Reply = wire.Reply

// Kind says which RESP2 type a reply is.
type Kind = wire.Kind

// ServerError is an error reply (see wire.ServerError).
type ServerError = wire.ServerError

// The kinds of reply.
const (
	KindSimple = wire.KindSimple
	KindError  = wire.KindError
	KindInt    = wire.KindInt
	KindBulk   = wire.KindBulk
	KindNil    = wire.KindNil
	KindArray  = wire.KindArray
)
