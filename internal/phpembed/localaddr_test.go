package phpembed

import (
	"net"
	"testing"
)

// localAddrText must answer exactly what SplitHostPort(la.String()) does,
// for the address it remembers and for one that differs from it in any
// part (a different listener's).
func TestLocalAddrTextMatchesSplit(t *testing.T) {
	addrs := []net.Addr{
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080},
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 8080},
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8081},
		&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 8080},
		&net.TCPAddr{IP: net.ParseIP("::1"), Port: 443},
		&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 443, Zone: "eth0"},
		&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 443, Zone: "eth1"},
		&net.TCPAddr{IP: nil, Port: 80},
		&net.UnixAddr{Name: "/run/ephpm.sock", Net: "unix"},
	}
	// Each twice in a row (the remembered answer), then in another order.
	for round := 0; round < 2; round++ {
		for i := range addrs {
			la := addrs[i]
			if round == 1 {
				la = addrs[len(addrs)-1-i]
			}
			wantHost, wantPort, _ := net.SplitHostPort(la.String())
			for k := 0; k < 2; k++ {
				host, port := localAddrText(la)
				if host != wantHost || port != wantPort {
					t.Fatalf("localAddrText(%v) = %q, %q; want %q, %q", la, host, port, wantHost, wantPort)
				}
			}
		}
	}
}
