// Package web serves Archway's dashboard: html/template pages and vanilla
// JavaScript and CSS assets, embedded in the binary (no Node build). The
// pages read the admin API (/api/stats, /api/requests, /api/apis,
// /api/test-invoke, /api/doctor) from the same origin, so the dashboard
// works over live data as requests flow; the cause pages are rendered on the
// server from the internal/diag catalog.
package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/doctor"
	"github.com/archway-gw/archway/internal/gateway/gatewayresponse"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures the dashboard.
type Options struct {
	// Doctor, when set, runs the doctor's static checks on the definitions
	// being served; the dashboard serves the findings at GET /api/doctor.
	// When nil, the doctor page tells the operator to run `archway doctor`.
	Doctor func(ctx context.Context) ([]doctor.Finding, error)
	// Logger receives rendering errors; nil means slog.Default().
	Logger *slog.Logger
}

// pages lists every page template with its navigation key and title.
var pages = map[string]struct{ nav, title string }{
	"overview": {"overview", "Overview"},
	"requests": {"requests", "Requests"},
	"request":  {"requests", "Request"},
	"invoke":   {"invoke", "Test invoke"},
	"doctor":   {"doctor", "Doctor"},
	"causes":   {"causes", "Causes"},
	"cause":    {"causes", "Cause"},
}

// handler is the dashboard's http.Handler.
type handler struct {
	opts Options
	tmpl map[string]*template.Template
	mux  *http.ServeMux
	log  *slog.Logger
}

// Handler returns the dashboard. It answers GET for its pages (/,
// /requests, /requests/{id}, /invoke, /doctor, /causes, /causes/{code}), its
// assets under /static/, GET /api/doctor (the doctor's findings) and GET
// /api/causes (the cause catalog). Mount it at / on the admin listener.
func Handler(opts Options) http.Handler {
	h := &handler{opts: opts, tmpl: parseTemplates(), log: opts.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(fmt.Errorf("web: embedded static assets: %w", err))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.page("overview", nil))
	mux.HandleFunc("GET /requests", h.page("requests", nil))
	mux.HandleFunc("GET /requests/{id}", h.page("request", func(r *http.Request) (any, int) {
		return map[string]string{"ID": r.PathValue("id")}, http.StatusOK
	}))
	mux.HandleFunc("GET /invoke", h.page("invoke", nil))
	mux.HandleFunc("GET /doctor", h.page("doctor", func(*http.Request) (any, int) {
		return map[string]bool{"Available": opts.Doctor != nil}, http.StatusOK
	}))
	mux.HandleFunc("GET /causes", h.page("causes", func(*http.Request) (any, int) {
		var out []causeView
		for _, c := range diag.Catalog() {
			out = append(out, viewOf(c))
		}
		return out, http.StatusOK
	}))
	mux.HandleFunc("GET /causes/{code}", h.page("cause", func(r *http.Request) (any, int) {
		code := diag.Cause(strings.ToUpper(r.PathValue("code")))
		for _, c := range diag.Catalog() {
			if c.Cause == code {
				return viewOf(c), http.StatusOK
			}
		}
		return causeView{Code: string(code)}, http.StatusNotFound
	}))
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /api/doctor", h.doctor)
	mux.HandleFunc("GET /api/causes", h.causes)
	h.mux = mux
	return h
}

// ServeHTTP adds the security headers every response carries: the pages
// load scripts and styles only from this origin, and the token that may be
// in a URL never leaves in a Referer.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	if strings.HasPrefix(r.URL.Path, "/static/") {
		hd.Set("Cache-Control", "no-cache")
	}
	h.mux.ServeHTTP(w, r)
}

func parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		"lower": strings.ToLower,
		"md":    inlineCode,
		"anchor": func(c string) string {
			return strings.ToLower(strings.ReplaceAll(c, "_", "-"))
		},
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := make(map[string]*template.Template, len(pages))
	for name := range pages {
		t := template.Must(base.Clone())
		template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
		out[name] = t
	}
	return out
}

// inlineCode renders catalog text, escaping it and turning Markdown
// `code` spans into <code> elements.
func inlineCode(s string) template.HTML {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unpaired backtick: keep it as text
		return template.HTML(template.HTMLEscapeString(s))
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p))
		}
	}
	return template.HTML(b.String())
}

// pageData is what the layout receives.
type pageData struct {
	Page  string
	Nav   string
	Title string
	Data  any
}

// page renders a page template with the data load returns.
func (h *handler) page(name string, load func(*http.Request) (any, int)) http.HandlerFunc {
	p := pages[name]
	return func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Page: name, Nav: p.nav, Title: p.title}
		status := http.StatusOK
		if load != nil {
			d.Data, status = load(r)
		}
		var b bytes.Buffer
		if err := h.tmpl[name].ExecuteTemplate(&b, "layout.html", d); err != nil {
			h.log.Error("dashboard: rendering page", "page", name, "error", err.Error())
			http.Error(w, "rendering the page failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		w.Write(b.Bytes())
	}
}

// causeView is one catalog entry as the pages show it.
type causeView struct {
	Code         string
	Known        bool
	Status       int
	Body         string
	ResponseType string
	LogLine      string
	Meaning      string
	AWS          string
	Fix          string
}

// viewOf computes what the client receives for a cause (the status AWS
// sends, or the gateway response type's default status) from the catalog.
func viewOf(c diag.CauseInfo) causeView {
	status := c.Status
	if status == 0 {
		if info, ok := apigw.LookupGatewayResponseType(c.ResponseType); ok {
			status, _ = strconv.Atoi(info.DefaultStatus)
		}
	}
	sep := ":"
	if c.Spaced {
		sep = ": "
	}
	msg := gatewayresponse.JSONQuote(c.Message)
	if c.Null {
		msg = "null"
	}
	return causeView{
		Code: string(c.Cause), Known: true, Status: status,
		Body:         `{"message"` + sep + msg + `}`,
		ResponseType: string(c.ResponseType), LogLine: c.LogLine,
		Meaning: c.Meaning, AWS: c.AWS, Fix: c.Fix,
	}
}

// causes serves the catalog as JSON, for the pages' cause links and hints.
func (h *handler) causes(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Code    string `json:"code"`
		Status  int    `json:"status"`
		Meaning string `json:"meaning"`
		Fix     string `json:"fix"`
	}
	var out []entry
	for _, c := range diag.Catalog() {
		v := viewOf(c)
		out = append(out, entry{v.Code, v.Status, v.Meaning, v.Fix})
	}
	writeJSON(w, http.StatusOK, map[string]any{"causes": out})
}

// doctor serves the doctor's findings on the live definitions.
func (h *handler) doctor(w http.ResponseWriter, r *http.Request) {
	if h.opts.Doctor == nil {
		writeJSON(w, http.StatusNotImplemented, map[string]string{
			"message": "the doctor is not available in this dashboard; run `archway doctor FILE_OR_DIR`",
		})
		return
	}
	findings, err := h.opts.Doctor(r.Context())
	if err != nil {
		h.log.Error("dashboard: doctor", "error", err.Error())
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "the doctor failed: " + err.Error()})
		return
	}
	var b bytes.Buffer
	if err := doctor.WriteJSON(&b, findings); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
