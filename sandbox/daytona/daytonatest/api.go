package daytonatest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FakeSandbox is what the fake received for one sandbox and what became of
// it. Numeric resources and intervals are as received: zero or nil when the
// client did not send them.
type FakeSandbox struct {
	ID, Name, State string
	Snapshot        string
	Dockerfile      string // buildInfo.dockerfileContent, for image sandboxes
	Target          string
	User            string
	Labels          map[string]string
	Env             map[string]string
	CPU, GPU        int
	MemoryGB        int
	DiskGB          int

	AutoStopInterval    *int
	AutoArchiveInterval *int
	AutoDeleteInterval  *int
	NetworkBlockAll     bool
	Public              bool

	Dir        string // real directory backing the sandbox
	ForkedFrom string // the sandbox this one is a fork of
	Deleted    bool
	CreatedAt  time.Time
	Clones     []Clone // git clones asked of the toolbox
}

// Clone records one git clone request (the password only as a flag).
type Clone struct {
	URL, Path, Branch, Commit, Username string
	PasswordSet                         bool
}

type fakeSandbox struct {
	FakeSandbox
	state   string
	readyAt time.Time // zero: no pending transition
	deleted bool

	procMu  sync.Mutex
	toolbox Toolbox // the real toolbox, with WithToolbox
}

// createBody mirrors the api-client-go CreateSandbox JSON.
type createBody struct {
	Name                *string           `json:"name"`
	Snapshot            *string           `json:"snapshot"`
	User                *string           `json:"user"`
	Env                 map[string]string `json:"env"`
	Labels              map[string]string `json:"labels"`
	Public              *bool             `json:"public"`
	NetworkBlockAll     *bool             `json:"networkBlockAll"`
	Target              *string           `json:"target"`
	CPU                 *int              `json:"cpu"`
	GPU                 *int              `json:"gpu"`
	Memory              *int              `json:"memory"`
	Disk                *int              `json:"disk"`
	AutoStopInterval    *int              `json:"autoStopInterval"`
	AutoArchiveInterval *int              `json:"autoArchiveInterval"`
	AutoDeleteInterval  *int              `json:"autoDeleteInterval"`
	BuildInfo           *struct {
		Dockerfile string `json:"dockerfileContent"`
	} `json:"buildInfo"`
}

func (s *Server) routeAPI(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/sandbox", s.handleCreate)
	mux.HandleFunc("GET /api/sandbox/paginated", s.handleList)
	mux.HandleFunc("GET /api/sandbox/{id}", s.withSandbox(s.handleGet))
	mux.HandleFunc("DELETE /api/sandbox/{id}", s.withSandbox(s.handleDelete))
	mux.HandleFunc("POST /api/sandbox/{id}/start", s.withSandbox(s.handleSetState("started")))
	mux.HandleFunc("POST /api/sandbox/{id}/stop", s.withSandbox(s.handleSetState("stopped")))
	mux.HandleFunc("PUT /api/sandbox/{id}/labels", s.withSandbox(s.handleLabels))
	s.routeForkAPI(mux)
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var b createBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	id := fmt.Sprintf("sb-%06d", s.nextID.Add(1))
	dir := filepath.Join(s.root, id)
	if err := os.MkdirAll(filepath.Join(dir, ".tmp"), 0o755); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	sb := &fakeSandbox{}
	sb.ID, sb.Dir, sb.CreatedAt = id, dir, time.Now().UTC()
	sb.Name = deref(b.Name, id)
	sb.Snapshot = deref(b.Snapshot, "")
	sb.User = deref(b.User, "daytona")
	sb.Target = deref(b.Target, "us")
	sb.Labels = nonNil(b.Labels)
	sb.Env = nonNil(b.Env)
	sb.CPU, sb.GPU = deref(b.CPU, 0), deref(b.GPU, 0)
	sb.MemoryGB, sb.DiskGB = deref(b.Memory, 0), deref(b.Disk, 0)
	sb.AutoStopInterval, sb.AutoArchiveInterval, sb.AutoDeleteInterval = b.AutoStopInterval, b.AutoArchiveInterval, b.AutoDeleteInterval
	sb.NetworkBlockAll, sb.Public = deref(b.NetworkBlockAll, false), deref(b.Public, false)
	if b.BuildInfo != nil {
		sb.Dockerfile = b.BuildInfo.Dockerfile
	}
	if _, err := s.filesFromSnapshot(sb.Snapshot, dir); err != nil {
		os.RemoveAll(dir)
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	s.mu.Lock()
	delay := s.createDelay
	s.mu.Unlock()
	s.launch(w, sb, "creating", delay)
}

// launch starts a new sandbox's toolbox, registers it in state pending
// for delay (then "started"; at once without a delay) and answers with
// it; a toolbox that does not start removes its directory.
func (s *Server) launch(w http.ResponseWriter, sb *fakeSandbox, pending string, delay time.Duration) {
	if err := s.startToolbox(sb); err != nil {
		os.RemoveAll(sb.Dir)
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.mu.Lock()
	if delay > 0 {
		sb.state, sb.readyAt = pending, time.Now().Add(delay)
	} else {
		sb.state = "started"
	}
	s.sandboxes[sb.ID] = sb
	s.order = append(s.order, sb.ID)
	body := s.sandboxJSONLocked(sb)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// withSandbox resolves {id} (id or name) to a live sandbox or answers 404.
func (s *Server) withSandbox(h func(http.ResponseWriter, *http.Request, *fakeSandbox)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("id")
		s.mu.Lock()
		sb, ok := s.sandboxes[key]
		if !ok {
			for _, c := range s.sandboxes {
				if c.Name == key && !c.deleted {
					sb, ok = c, true
					break
				}
			}
		}
		s.mu.Unlock()
		if !ok || sb.isDeleted(s) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("Sandbox with ID or name %s not found", key))
			return
		}
		h(w, r, sb)
	}
}

func (sb *fakeSandbox) isDeleted(s *Server) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sb.deleted
}

func (s *Server) handleGet(w http.ResponseWriter, _ *http.Request, sb *fakeSandbox) {
	s.mu.Lock()
	body := s.sandboxJSONLocked(sb)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleDelete(w http.ResponseWriter, _ *http.Request, sb *fakeSandbox) {
	s.mu.Lock()
	sb.deleted, sb.state, sb.readyAt = true, "destroyed", time.Time{}
	body := s.sandboxJSONLocked(sb)
	s.mu.Unlock()
	sb.stopToolbox()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleSetState(state string) func(http.ResponseWriter, *http.Request, *fakeSandbox) {
	return func(w http.ResponseWriter, _ *http.Request, sb *fakeSandbox) {
		if state == "started" {
			sb.procMu.Lock()
			running := sb.toolbox != nil
			sb.procMu.Unlock()
			if !running {
				if err := s.startToolbox(sb); err != nil {
					writeError(w, http.StatusInternalServerError, err.Error())
					return
				}
			}
		}
		s.mu.Lock()
		sb.state, sb.readyAt = state, time.Time{}
		body := s.sandboxJSONLocked(sb)
		s.mu.Unlock()
		if state == "stopped" {
			sb.stopToolbox()
		}
		writeJSON(w, http.StatusOK, body)
	}
}

func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	var b struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	s.mu.Lock()
	sb.Labels = nonNil(b.Labels)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"labels": b.Labels})
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var want map[string]string
	if l := q.Get("labels"); l != "" {
		if err := json.Unmarshal([]byte(l), &want); err != nil {
			writeError(w, http.StatusBadRequest, "labels must be a JSON object: "+err.Error())
			return
		}
	}
	page, limit := atoiDefault(q.Get("page"), 1), atoiDefault(q.Get("limit"), 100)
	if page < 1 || limit < 1 {
		writeError(w, http.StatusBadRequest, "page and limit must be positive")
		return
	}
	s.mu.Lock()
	var match []map[string]any
	for _, id := range s.order {
		sb := s.sandboxes[id]
		if sb.deleted || !hasLabels(sb.Labels, want) {
			continue
		}
		match = append(match, s.sandboxJSONLocked(sb))
	}
	s.mu.Unlock()
	total := len(match)
	pages := (total + limit - 1) / limit
	lo := min((page-1)*limit, total)
	hi := min(lo+limit, total)
	writeJSON(w, http.StatusOK, map[string]any{
		"items": append([]map[string]any{}, match[lo:hi]...), "total": total, "page": page, "totalPages": pages,
	})
}

// sandboxJSONLocked renders a sandbox with every key the SDK requires,
// advancing "creating" to "started" once the create delay has passed.
func (s *Server) sandboxJSONLocked(sb *fakeSandbox) map[string]any {
	if !sb.readyAt.IsZero() && !time.Now().Before(sb.readyAt) {
		sb.state, sb.readyAt = "started", time.Time{}
	}
	m := map[string]any{
		"id": sb.ID, "organizationId": "org-sandboxtest", "name": sb.Name, "user": sb.User,
		"env": sb.Env, "labels": sb.Labels, "public": sb.Public, "networkBlockAll": sb.NetworkBlockAll,
		"target": sb.Target, "cpu": orDefault(sb.CPU, 1), "gpu": sb.GPU,
		"memory": orDefault(sb.MemoryGB, 1), "disk": orDefault(sb.DiskGB, 3),
		"state": sb.state, "toolboxProxyUrl": s.toolbox,
		"createdAt": sb.CreatedAt.Format(time.RFC3339Nano), "updatedAt": time.Now().UTC().Format(time.RFC3339Nano),
	}
	if sb.Snapshot != "" {
		m["snapshot"] = sb.Snapshot
	}
	for k, v := range map[string]*int{"autoStopInterval": sb.AutoStopInterval, "autoArchiveInterval": sb.AutoArchiveInterval, "autoDeleteInterval": sb.AutoDeleteInterval} {
		if v != nil {
			m[k] = *v
		}
	}
	if sb.Dockerfile != "" {
		m["buildInfo"] = map[string]any{"dockerfileContent": sb.Dockerfile, "snapshotRef": "",
			"createdAt": sb.CreatedAt.Format(time.RFC3339), "updatedAt": sb.CreatedAt.Format(time.RFC3339)}
	}
	return m
}

func (sb *fakeSandbox) snapshotLocked() FakeSandbox {
	c := sb.FakeSandbox
	c.State, c.Deleted = sb.state, sb.deleted
	c.Labels, c.Env = maps.Clone(sb.Labels), maps.Clone(sb.Env)
	sb.procMu.Lock()
	c.Clones = append([]Clone(nil), sb.Clones...)
	sb.procMu.Unlock()
	return c
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
