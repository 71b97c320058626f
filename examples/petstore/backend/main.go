// Command backend is a small pet store HTTP service for the petstore example
// and the end-to-end tests: GET/POST /petstore/pets and GET /petstore/pets/{id},
// like the demo endpoint the AWS PetStore sample calls.
package main

import (
	"encoding/json"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type pet struct {
	ID    int     `json:"id"`
	Type  string  `json:"type"`
	Price float64 `json:"price"`
}

type store struct {
	mu   sync.Mutex
	pets []pet
}

func (s *store) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	typ := r.URL.Query().Get("type")
	out := []pet{}
	for _, p := range s.pets {
		if typ == "" || p.Type == typ {
			out = append(out, p)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *store) create(w http.ResponseWriter, r *http.Request) {
	var p pet
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.Type == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "body must be {\"type\": ..., \"price\": ...}"})
		return
	}
	s.mu.Lock()
	p.ID = len(s.pets) + 1
	s.pets = append(s.pets, p)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"pet": p, "message": "success"})
}

func (s *store) get(w http.ResponseWriter, id string) {
	n, err := strconv.Atoi(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || n < 1 || n > len(s.pets) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "no pet " + id})
		return
	}
	writeJSON(w, http.StatusOK, s.pets[n-1])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	s := &store{pets: []pet{{1, "dog", 249.99}, {2, "cat", 124.99}, {3, "fish", 0.99}}}
	mux := http.NewServeMux()
	mux.HandleFunc("/petstore/pets", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			s.create(w, r)
			return
		}
		s.list(w, r)
	})
	mux.HandleFunc("/petstore/pets/", func(w http.ResponseWriter, r *http.Request) {
		s.get(w, strings.TrimPrefix(r.URL.Path, "/petstore/pets/"))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "slow"})
	})
	mux.HandleFunc("/echo/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "headers": r.Header})
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		slog.Error("listen", "error", err)
		os.Exit(1)
	}
	slog.Info("pet store backend listening", "addr", ln.Addr().String())
	if err := http.Serve(ln, mux); err != nil {
		slog.Error("serve", "error", err)
		os.Exit(1)
	}
}
