// Package daytonatest is an in-process fake of the Daytona control plane
// (create, list, get, start, stop, label, fork, snapshot and delete
// sandboxes; get and delete snapshots), speaking
// the JSON the Daytona Go SDK (v0.173.0) sends and expects, with fault
// injection. It lets tests drive the real SDK, and so tether's Daytona
// provider, without a network or an account.
//
// The toolbox (commands, files, git, PTYs) is not faked: a fake of our own
// hid the real daemon's behaviour (line-labelled session output, a log
// stream that closes a second late, U+FFFD in JSON logs). With WithToolbox
// each sandbox gets a real toolbox and every toolbox request is forwarded
// to it; sandbox/daytona/daytonatest/realdaemon starts Daytona's real
// daemon per sandbox this way. Without it the fake answers only the
// toolbox's work-dir and home-dir queries (with the sandbox's directory),
// enough to create and delete sandboxes, and 501 to everything else.
//
// Usage:
//
//	env := realdaemon.New(t)          // a Server with real toolboxes
//	srv := daytonatest.NewServer(t)   // control plane only
//	p, _ := daytona.NewProvider(daytona.Options{APIKey: srv.APIKey(), APIURL: srv.URL})
//	srv.Live()            // ids of sandboxes not deleted
//	srv.Sandboxes()       // what the server received for each sandbox
//	srv.FailNext("POST", "/api/sandbox", 429, 2) // inject faults
//
// Every request must carry "Authorization: Bearer <key>" (401 otherwise).
// The server is safe for concurrent use. Its cleanup, registered with
// t.Cleanup (or Close after Start), stops every toolbox and removes the
// sandbox directories.
//
// This package is for tests only: production code must not import it.
package daytonatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// DefaultAPIKey is the key the server accepts when WithAPIKey is not given.
const DefaultAPIKey = "sandboxtest-key"

// Server is a running fake Daytona. URL is the API base URL to give the SDK
// (for example http://127.0.0.1:PORT/api).
type Server struct {
	URL string

	closeOnce sync.Once
	http      *httptest.Server
	apiKey    string
	root      string // parent of the per-sandbox directories
	nextID    atomic.Int64
	toolbox   string // toolboxProxyUrl handed to the SDK
	// newToolbox, when set, starts a real toolbox per sandbox (WithToolbox).
	newToolbox func(ToolboxSpec) (Toolbox, error)

	mu          sync.Mutex
	sandboxes   map[string]*fakeSandbox
	order       []string // creation order, for stable paging
	createDelay time.Duration
	faults      []*fault
	requests    []Request

	forkDelay, snapshotDelay time.Duration
	okSnapshots              int // before failSnapshots start
	failSnapshots            int
	snapshots                map[string]*fakeSnapshot // by name
	removedSnapshots         map[string]bool
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the API key the server accepts.
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithCreateDelay keeps new sandboxes in state "creating" for d.
func WithCreateDelay(d time.Duration) Option { return func(s *Server) { s.createDelay = d } }

// Request is one logged request: no header values, so no secrets.
type Request struct {
	Method string
	Path   string
	Query  string
}

type fault struct {
	method, prefix string
	status, left   int
	retryAfter     string
	after          bool // handle the request, then answer status
}

// NewServer starts a fake Daytona for the duration of the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake Daytona outside a test's lifetime (a TestMain, an
// example, a benchmark harness); Close stops it and removes what it made.
func Start(opts ...Option) (*Server, error) {
	root, err := os.MkdirTemp("", "daytonatest-")
	if err != nil {
		return nil, fmt.Errorf("daytonatest: a directory for the sandboxes: %w", err)
	}
	s := &Server{
		apiKey:    DefaultAPIKey,
		root:      root,
		sandboxes: map[string]*fakeSandbox{},
		snapshots: map[string]*fakeSnapshot{},

		removedSnapshots: map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	s.routeAPI(mux)
	if s.newToolbox != nil {
		mux.HandleFunc("/toolbox/{id}/{rest...}", s.withStartedSandbox(s.handleForward))
	} else {
		s.routeBareToolbox(mux)
	}
	s.http = httptest.NewServer(s.middleware(mux))
	s.URL = s.http.URL + "/api"
	s.toolbox = s.http.URL + "/toolbox"
	return s, nil
}

// Close kills every process the server started, stops it and removes the
// sandbox directories. Safe to call twice.
func (s *Server) Close() { s.closeOnce.Do(s.close) }

func (s *Server) close() {
	s.http.CloseClientConnections()
	s.mu.Lock()
	all := make([]*fakeSandbox, 0, len(s.sandboxes))
	for _, sb := range s.sandboxes {
		all = append(all, sb)
	}
	s.mu.Unlock()
	for _, sb := range all {
		sb.stopToolbox()
	}
	s.http.Close()
	os.RemoveAll(s.root)
}

// APIKey is the key the server accepts.
func (s *Server) APIKey() string { return s.apiKey }

// SetCreateDelay keeps sandboxes created from now on in state "creating"
// for d before they become "started".
func (s *Server) SetCreateDelay(d time.Duration) {
	s.mu.Lock()
	s.createDelay = d
	s.mu.Unlock()
}

// FailNext makes the next n requests whose method matches (empty matches
// any) and whose path starts with pathPrefix answer status with a JSON error
// body. A 429 carries "Retry-After: 0".
func (s *Server) FailNext(method, pathPrefix string, status, n int) {
	ra := ""
	if status == http.StatusTooManyRequests {
		ra = "0"
	}
	s.FailNextRetryAfter(method, pathPrefix, status, n, ra)
}

// FailNextRetryAfter is FailNext with an explicit Retry-After header value
// ("" sends none).
func (s *Server) FailNextRetryAfter(method, pathPrefix string, status, n int, retryAfter string) {
	s.mu.Lock()
	s.faults = append(s.faults, &fault{method: method, prefix: pathPrefix, status: status, left: n, retryAfter: retryAfter})
	s.mu.Unlock()
}

// FailNextAfterHandling makes the next n matching requests take effect
// and then answer status, as when a server or proxy fails after the work
// is done: a create that "failed" this way has made a sandbox.
func (s *Server) FailNextAfterHandling(method, pathPrefix string, status, n int) {
	s.mu.Lock()
	s.faults = append(s.faults, &fault{method: method, prefix: pathPrefix, status: status, left: n, after: true})
	s.mu.Unlock()
}

// Requests returns the log of requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// CountRequests counts logged requests with this method (empty: any) whose
// path starts with prefix.
func (s *Server) CountRequests(method, prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// Live returns the ids of sandboxes that were created and not deleted, in
// creation order.
func (s *Server) Live() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, id := range s.order {
		if !s.sandboxes[id].deleted {
			ids = append(ids, id)
		}
	}
	return ids
}

// Sandboxes returns a copy of what the server knows of every sandbox ever
// created (deleted ones included, with Deleted set), in creation order.
func (s *Server) Sandboxes() []FakeSandbox {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FakeSandbox, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.sandboxes[id].snapshotLocked())
	}
	return out
}

// Sandbox returns one sandbox's record and whether it exists.
func (s *Server) Sandbox(id string) (FakeSandbox, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sb, ok := s.sandboxes[id]
	if !ok {
		return FakeSandbox{}, false
	}
	return sb.snapshotLocked(), true
}

// SetState forces a sandbox into a state (for example "error").
func (s *Server) SetState(id, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sb, ok := s.sandboxes[id]; ok {
		sb.state = state
		sb.readyAt = time.Time{}
	}
}

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery})
		if r.Header.Get("Authorization") != "Bearer "+s.apiKey {
			s.mu.Unlock()
			writeError(w, http.StatusUnauthorized, "Unauthorized: invalid API key")
			return
		}
		var hit *fault
		for _, f := range s.faults {
			if f.left > 0 && (f.method == "" || f.method == r.Method) && strings.HasPrefix(r.URL.Path, f.prefix) {
				f.left--
				hit = f
				break
			}
		}
		s.mu.Unlock()
		if hit != nil && hit.after {
			next.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		}
		if hit != nil {
			if hit.retryAfter != "" {
				w.Header().Set("Retry-After", hit.retryAfter)
			}
			writeError(w, hit.status, "injected failure: "+http.StatusText(hit.status))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// discardWriter swallows a response.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{
		"statusCode": status,
		"message":    msg,
		"error":      http.StatusText(status),
	})
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return int(f)
	}
	return def
}
