// Command httputilproxy is the floor of any net/http-based gateway: a bare
// httputil.ReverseProxy with a sync.Pool BufferPool and a keep-alive upstream
// transport. It does no routing, no header work beyond what ReverseProxy does
// itself, and no logging.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

type bufferPool struct{ p sync.Pool }

func newBufferPool(size int) *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, size); return &b }}}
}

func (b *bufferPool) Get() []byte  { return *(b.p.Get().(*[]byte)) }
func (b *bufferPool) Put(s []byte) { b.p.Put(&s) }

func main() {
	listen := flag.String("listen", "127.0.0.1:9005", "listen address")
	upstream := flag.String("upstream", "http://127.0.0.1:9001", "origin URL")
	flag.Parse()

	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatalf("bad --upstream: %v", err)
	}
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
		Transport:  transport,
		BufferPool: newBufferPool(32 * 1024),
		ErrorLog:   log.New(io.Discard, "", 0),
	}
	srv := &http.Server{
		Addr:              *listen,
		Handler:           rp,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Printf("httputilproxy listening on %s -> %s", *listen, target)
	log.Fatal(srv.ListenAndServe())
}
