package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// static is the chat page: plain HTML, CSS and JavaScript modules, served
// as they are (no build step).
//
//go:embed static
var static embed.FS

// pageHandler serves the page's files with headers that keep it to
// itself: nothing is loaded from elsewhere (no CDN, no inline script), the
// page cannot be framed, and the browser never guesses a file's type.
func pageHandler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
