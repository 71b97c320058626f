package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// TokenCookie is the cookie in which a browser keeps the admin token.
const TokenCookie = "archway_admin_token"

// Authenticate lets a browser into an admin listener that requires
// `Authorization: Bearer TOKEN`, which a browser cannot send on page loads:
//
//   - GET any page with ?token=TOKEN: a correct token is stored in an
//     HttpOnly, SameSite=Strict cookie and the browser is redirected to the
//     same URL without it (so the token leaves the address bar and the
//     history); a wrong one is refused with 401.
//   - A request without an Authorization header but with the right cookie
//     is passed on with the token as its bearer token. Unsafe methods (the
//     test-invoke POST) must also come from this origin: a request whose
//     Origin header names another one is refused with 403.
//   - A browser page load (GET accepting text/html) with neither gets a 401
//     page with a form asking for the token; other requests go on to the
//     admin handler, which refuses them.
//
// Requests that carry an Authorization header pass through untouched, and
// so does everything when token is empty (a loopback listener without a
// token).
func Authenticate(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Has("token") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			if subtle.ConstantTimeCompare([]byte(q.Get("token")), want) != 1 {
				w.Header().Set("Referrer-Policy", "no-referrer")
				http.Error(w, "wrong admin token", http.StatusUnauthorized)
				return
			}
			http.SetCookie(w, &http.Cookie{
				Name: TokenCookie, Value: token, Path: "/",
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
			})
			q.Del("token")
			u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
			w.Header().Set("Referrer-Policy", "no-referrer")
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
		if r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(TokenCookie); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), want) == 1 {
			if !safeMethod(r.Method) && !sameOrigin(r) {
				http.Error(w, "cross-origin request refused", http.StatusForbidden)
				return
			}
			r2 := r.Clone(r.Context())
			r2.Header.Set("Authorization", "Bearer "+c.Value)
			next.ServeHTTP(w, r2)
			return
		}
		if r.Method == http.MethodGet && r.URL.Path != "/healthz" && strings.Contains(r.Header.Get("Accept"), "text/html") {
			// A browser without the token: say how to get in.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
			w.Header().Set("Referrer-Policy", "no-referrer")
			w.Header().Set("WWW-Authenticate", `Bearer realm="archway-admin"`)
			w.WriteHeader(http.StatusUnauthorized)
			w.Write(loginPage)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loginPage asks a browser for the admin token; the form sends it as
// ?token=, which sets the cookie.
var loginPage = []byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Archway admin token</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;color:#1d232b}code{font-size:13px}
input,button{font:inherit;padding:5px 8px;margin:4px 0}button{background:#1f4e79;color:#fff;border:0;border-radius:4px}</style></head>
<body><main><div id="login">
<h1>This dashboard needs the admin token</h1>
<p>It is <code>admin.token</code> in archway.yaml or <code>ARCHWAY_ADMIN_TOKEN</code>. You can also open <code>/?token=TOKEN</code>.</p>
<form method="get"><label>Token <input type="password" name="token" autocomplete="off" required autofocus></label>
<button type="submit">Open the dashboard</button></form>
</div></main></body></html>
`)

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin is true when the request's Origin (if any) is this host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true // not a browser's cross-site request: SameSite=Strict kept the cookie home
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host && (u.Scheme == "http" || u.Scheme == "https")
}
