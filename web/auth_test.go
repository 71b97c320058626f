package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/archway-gw/archway/internal/admin"
)

// TestAuthenticate runs the dashboard behind the real admin handler with a
// token, the way serve mounts it.
func TestAuthenticate(t *testing.T) {
	const token = "s3cret-token"
	h := Authenticate(token, admin.Handler(admin.Options{Token: token, Dashboard: Handler(Options{})}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookie := "; " + TokenCookie + "=" + token
	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		location           string // expected redirect
		setsCookie         bool
		page               string // substring of the body
	}{
		{name: "no token", method: "GET", path: "/", status: 401},
		{name: "bearer", method: "GET", path: "/causes", header: map[string]string{"Authorization": "Bearer " + token}, status: 200},
		{name: "wrong bearer", method: "GET", path: "/", header: map[string]string{"Authorization": "Bearer nope"}, status: 401},
		{name: "token in the URL sets the cookie", method: "GET", path: "/requests?cause=X&token=" + token, status: 303, location: "/requests?cause=X", setsCookie: true},
		{name: "token on the root", method: "GET", path: "/?token=" + token, status: 303, location: "/", setsCookie: true},
		{name: "wrong token in the URL", method: "GET", path: "/?token=nope", status: 401},
		{name: "cookie lets pages in", method: "GET", path: "/requests", header: map[string]string{"Cookie": "a=b" + cookie}, status: 200},
		{name: "cookie lets the API in", method: "GET", path: "/api/causes", header: map[string]string{"Cookie": "a=b" + cookie}, status: 200},
		{name: "wrong cookie", method: "GET", path: "/", header: map[string]string{"Cookie": TokenCookie + "=nope"}, status: 401},
		{name: "same-origin POST with the cookie", method: "POST", path: "/api/test-invoke", header: map[string]string{"Cookie": "a=b" + cookie, "Origin": "ORIGIN"}, status: 400},
		{name: "cross-origin POST with the cookie", method: "POST", path: "/api/test-invoke", header: map[string]string{"Cookie": "a=b" + cookie, "Origin": "http://evil.example"}, status: 403},
		{name: "healthz needs nothing", method: "GET", path: "/healthz", status: 200},
		{name: "a browser without the token gets the form", method: "GET", path: "/requests", header: map[string]string{"Accept": "text/html,application/xhtml+xml"}, status: 401, page: "needs the admin token"},
		{name: "a browser with a stale cookie gets the form", method: "GET", path: "/", header: map[string]string{"Accept": "text/html", "Cookie": TokenCookie + "=old"}, status: 401, page: "needs the admin token"},
		{name: "a script without the token gets the admin's answer", method: "GET", path: "/api/apis", status: 401, page: "Authorization: Bearer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("{"))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, strings.ReplaceAll(v, "ORIGIN", srv.URL))
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), tc.page) {
				t.Errorf("body lacks %q:\n%s", tc.page, b)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			var set *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == TokenCookie {
					set = c
				}
			}
			if (set != nil) != tc.setsCookie {
				t.Fatalf("cookie set: %v, want %v", set != nil, tc.setsCookie)
			}
			if set != nil && (!set.HttpOnly || set.SameSite != http.SameSiteStrictMode || set.Value != token || set.Path != "/") {
				t.Errorf("cookie %+v", set)
			}
		})
	}
}

func TestAuthenticateWithoutToken(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	rec := httptest.NewRecorder()
	Authenticate("", next).ServeHTTP(rec, httptest.NewRequest("GET", "/?token=x", nil))
	if rec.Code != 204 {
		t.Errorf("status %d: without a token the wrapper must pass everything through", rec.Code)
	}
}
