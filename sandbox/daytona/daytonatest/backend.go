package daytonatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ToolboxSpec describes the sandbox a Toolbox is started for.
type ToolboxSpec struct {
	ID  string
	Dir string            // the sandbox's directory: the toolbox's work dir
	Env map[string]string // the env vars the sandbox was created with
}

// Toolbox is a per-sandbox toolbox API the server forwards to instead of
// serving its own (see WithToolbox): for example Daytona's real daemon.
// ServeHTTP gets the request with the /toolbox/{id} prefix removed.
type Toolbox interface {
	http.Handler
	// Close stops the toolbox and everything it started.
	Close() error
}

// WithToolbox makes the server start a toolbox with start for every
// sandbox it creates (and again when a stopped sandbox is started), stop it
// when the sandbox is stopped or deleted, and forward every toolbox request
// to it. The server's own toolbox is then not served at all: only the
// control plane stays fake.
func WithToolbox(start func(ToolboxSpec) (Toolbox, error)) Option {
	return func(s *Server) { s.newToolbox = start }
}

// startToolbox starts sb's toolbox if the server has a backend.
func (s *Server) startToolbox(sb *fakeSandbox) error {
	if s.newToolbox == nil {
		return nil
	}
	s.mu.Lock()
	env := make(map[string]string, len(sb.Env))
	for k, v := range sb.Env {
		env[k] = v
	}
	s.mu.Unlock()
	tb, err := s.newToolbox(ToolboxSpec{ID: sb.ID, Dir: sb.Dir, Env: env})
	if err != nil {
		return fmt.Errorf("start the toolbox of %s: %w", sb.ID, err)
	}
	sb.procMu.Lock()
	old := sb.toolbox
	sb.toolbox = tb
	sb.procMu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return nil
}

// stopToolbox stops sb's toolbox, if it has one.
func (sb *fakeSandbox) stopToolbox() {
	sb.procMu.Lock()
	tb := sb.toolbox
	sb.toolbox = nil
	sb.procMu.Unlock()
	if tb != nil {
		_ = tb.Close()
	}
}

// handleForward passes a toolbox request to the sandbox's backend.
func (s *Server) handleForward(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	sb.procMu.Lock()
	tb := sb.toolbox
	sb.procMu.Unlock()
	if tb == nil {
		writeError(w, http.StatusBadGateway, "the toolbox of "+sb.ID+" is not running")
		return
	}
	r2 := r.Clone(r.Context())
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git/clone") {
		// Record what the client asked for (Sandbox().Clones), as the
		// fake's own toolbox does, then pass the request on unchanged.
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var b cloneBody
		if json.Unmarshal(body, &b) == nil {
			sb.recordClone(b.URL, b.Path, b.Branch, b.Commit, b.Username, b.Password)
		}
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
	}
	prefix := "/toolbox/" + r.PathValue("id")
	r2.URL.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, prefix), "/")
	r2.URL.RawPath = ""
	tb.ServeHTTP(w, r2)
}

// withStartedSandbox is withSandbox plus the real toolbox's refusal to serve
// a sandbox that is not running.
func (s *Server) withStartedSandbox(h func(http.ResponseWriter, *http.Request, *fakeSandbox)) http.HandlerFunc {
	return s.withSandbox(func(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
		s.mu.Lock()
		s.sandboxJSONLocked(sb) // advances a finished "creating"
		state := sb.state
		s.mu.Unlock()
		if state != "started" {
			writeError(w, http.StatusBadGateway, "sandbox is "+state+", not started")
			return
		}
		h(w, r, sb)
	})
}

// routeBareToolbox serves what creating a sandbox asks of the toolbox (its
// work and home directory) when there is no real one, and refuses the rest.
func (s *Server) routeBareToolbox(mux *http.ServeMux) {
	dir := func(w http.ResponseWriter, _ *http.Request, sb *fakeSandbox) {
		writeJSON(w, http.StatusOK, map[string]string{"dir": sb.Dir})
	}
	mux.HandleFunc("GET /toolbox/{id}/work-dir", s.withStartedSandbox(dir))
	mux.HandleFunc("GET /toolbox/{id}/user-home-dir", s.withStartedSandbox(dir))
	mux.HandleFunc("/toolbox/{id}/{rest...}", s.withStartedSandbox(func(w http.ResponseWriter, r *http.Request, _ *fakeSandbox) {
		writeError(w, http.StatusNotImplemented, "daytonatest has no toolbox of its own: run the real daemon (realdaemon.New, or daytonatest.WithToolbox)")
	}))
}

// cloneBody is the toolbox's git clone request.
type cloneBody struct {
	URL      string  `json:"url"`
	Path     string  `json:"path"`
	Branch   *string `json:"branch"`
	Commit   *string `json:"commit_id"`
	Username *string `json:"username"`
	Password *string `json:"password"`
}

func (sb *fakeSandbox) recordClone(url, path string, branch, commit, user, pass *string) {
	sb.procMu.Lock()
	sb.Clones = append(sb.Clones, Clone{URL: url, Path: path, Branch: deref(branch, ""), Commit: deref(commit, ""),
		Username: deref(user, ""), PasswordSet: deref(pass, "") != ""})
	sb.procMu.Unlock()
}
