// Command gohello is the benchmark's reference point: Go's net/http
// answering "hello" with no PHP at all, the most any Go server can do for
// a hello world on the machine. Usage: gohello ADDR
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	log.Fatal(http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.Write([]byte("hello"))
	})))
}
