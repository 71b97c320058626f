// Command origin is the benchmark backend: a small net/http server that
// answers every method and path with the same fixed 64-byte JSON body. It is
// the "direct origin" baseline and the upstream of every proxy under test.
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
	"time"
)

// body is exactly 64 bytes.
var body = []byte(`{"ok":true,"service":"archway-bench-origin","pad":"xxxxxxxxxxx"}`)

func main() {
	listen := flag.String("listen", "127.0.0.1:9001", "listen address")
	flag.Parse()

	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Content-Type"] = []string{"application/json"}
		hd["Content-Length"] = []string{length}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	srv := &http.Server{
		Addr:              *listen,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Printf("origin listening on %s", *listen)
	log.Fatal(srv.ListenAndServe())
}
