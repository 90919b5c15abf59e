package wire

import (
	"math"
	"strconv"
	"time"
)

// SecondsExpiry is the expiry arguments of a SET for a TTL of sec seconds
// (> 0), as PHP's functions give it (PHP code passes e.g. 9999999999 or
// PHP_INT_MAX for "long", more than a time.Duration holds): "EX sec", or
// "PXAT <int64 max>" when now+sec is within a day (of clock skew between
// this process and the server) of int64's last ms, which a Redis server
// would refuse and a PHP function has no error to give for: the key then
// lives until that last ms, as on the server's own store. For EXPIRE,
// ExpireSeconds.
func SecondsExpiry(sec int64) (opt, n string) {
	nowMs := time.Now().UnixMilli()
	if sec > (math.MaxInt64-nowMs)/1000-86400 {
		return "PXAT", strconv.FormatInt(math.MaxInt64, 10)
	}
	return "EX", strconv.FormatInt(sec, 10)
}

// ExpireSeconds is SecondsExpiry for the expire command: "EXPIRE sec" or
// "PEXPIREAT <int64 max>".
func ExpireSeconds(sec int64) (cmd, n string) {
	if opt, at := SecondsExpiry(sec); opt == "PXAT" {
		return "PEXPIREAT", at
	}
	return "EXPIRE", strconv.FormatInt(sec, 10)
}
