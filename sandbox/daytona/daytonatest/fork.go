package daytonatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Daytona's fork and snapshot calls, as api-client-go v0.173.0 sends them:
//
//	POST /api/sandbox/{id}/fork {"name"}      → the new sandbox
//	POST /api/sandbox/{id}/snapshot {"name"}  → the source sandbox
//	GET|DELETE /api/snapshots/{idOrName}
//
// A fork copies the source's directory (its whole filesystem here) into
// the new sandbox's before that one's toolbox starts; the new sandbox
// reports "forking" until the fork delay has passed, then "started" (the
// source stays started and serves its toolbox throughout). A snapshot copies the directory aside; the source
// reports "snapshotting" and the snapshot "pending" for the snapshot
// delay, then "started" and "active" (or "error", see FailSnapshots). A
// sandbox created with that snapshot's name starts with its files. Only a
// started sandbox can be forked or snapshotted (400 otherwise): what the
// real API does with a stopped one is not known here.

// WithForkDelay keeps a new fork in state "forking" for d.
func WithForkDelay(d time.Duration) Option { return func(s *Server) { s.forkDelay = d } }

// WithSnapshotDelay keeps a sandbox in "snapshotting" and its new
// snapshot "pending" for d.
func WithSnapshotDelay(d time.Duration) Option { return func(s *Server) { s.snapshotDelay = d } }

// FailSnapshots makes the next n snapshots end in state "error" (the
// sandbox goes back to "started", as after a snapshot that failed).
func (s *Server) FailSnapshots(n int) { s.FailSnapshotsAfter(0, n) }

// FailSnapshotsAfter lets the next ok snapshots succeed, then fails n.
func (s *Server) FailSnapshotsAfter(ok, n int) {
	s.mu.Lock()
	s.okSnapshots, s.failSnapshots = ok, n
	s.mu.Unlock()
}

// DeleteSnapshot removes a snapshot, as a user could in the dashboard.
func (s *Server) DeleteSnapshot(name string) {
	s.mu.Lock()
	sn := s.snapshots[name]
	delete(s.snapshots, name)
	if sn != nil {
		s.removedSnapshots[name] = true
	}
	s.mu.Unlock()
	if sn != nil {
		os.RemoveAll(sn.Dir)
	}
}

// FakeSnapshot is a snapshot the fake holds.
type FakeSnapshot struct {
	ID, Name, State string
	Source          string // the sandbox it was taken of
	Dir             string // its files
	ErrorReason     string
	CreatedAt       time.Time
}

type fakeSnapshot struct {
	FakeSnapshot
	readyAt time.Time
	fails   bool
}

// Snapshots returns the snapshots the fake holds, by name.
func (s *Server) Snapshots() map[string]FakeSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]FakeSnapshot, len(s.snapshots))
	for n, sn := range s.snapshots {
		sn.advanceLocked()
		out[n] = sn.FakeSnapshot
	}
	return out
}

func (sn *fakeSnapshot) advanceLocked() {
	if sn.readyAt.IsZero() || time.Now().Before(sn.readyAt) {
		return
	}
	sn.readyAt = time.Time{}
	if sn.fails {
		sn.State, sn.ErrorReason = "error", "injected failure: the snapshot could not be taken"
		return
	}
	sn.State = "active"
}

func (s *Server) routeForkAPI(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/sandbox/{id}/fork", s.withSandbox(s.handleFork))
	mux.HandleFunc("POST /api/sandbox/{id}/snapshot", s.withSandbox(s.handleSnapshot))
	mux.HandleFunc("GET /api/snapshots/{id}", s.handleGetSnapshot)
	mux.HandleFunc("DELETE /api/snapshots/{id}", s.handleDeleteSnapshot)
}

// startedLocked advances sb's pending transition and says whether it is
// started; when it is not, it unlocks s.mu and answers 400 (only a
// started sandbox can be what).
func (s *Server) startedLocked(w http.ResponseWriter, sb *fakeSandbox, what string) bool {
	s.sandboxJSONLocked(sb)
	if sb.state == "started" {
		return true
	}
	state := sb.state
	s.mu.Unlock()
	writeError(w, http.StatusBadRequest, fmt.Sprintf("Sandbox %s is %s: only a started sandbox can be %s", sb.ID, state, what))
	return false
}

func (s *Server) handleFork(w http.ResponseWriter, r *http.Request, src *fakeSandbox) {
	var b struct {
		Name *string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	s.mu.Lock()
	if !s.startedLocked(w, src, "forked") {
		return
	}
	id := fmt.Sprintf("sb-%06d", s.nextID.Add(1))
	name := deref(b.Name, id)
	for _, o := range s.sandboxes {
		if o.Name == name && !o.deleted {
			s.mu.Unlock()
			writeError(w, http.StatusConflict, fmt.Sprintf("Sandbox with name %s already exists", name))
			return
		}
	}
	sb := &fakeSandbox{}
	sb.FakeSandbox = src.FakeSandbox
	sb.ID, sb.Name, sb.Dir, sb.CreatedAt = id, name, filepath.Join(s.root, id), time.Now().UTC()
	sb.Labels, sb.Env, sb.Clones = cloneMap(src.Labels), cloneMap(src.Env), nil
	sb.ForkedFrom = src.ID
	s.mu.Unlock()

	if err := copyTree(src.Dir, sb.Dir); err != nil {
		os.RemoveAll(sb.Dir)
		writeError(w, http.StatusInternalServerError, "fork: "+err.Error())
		return
	}
	s.mu.Lock()
	delay := s.forkDelay
	s.mu.Unlock()
	s.launch(w, sb, "forking", delay)
}

func (s *Server) handleSnapshot(w http.ResponseWriter, r *http.Request, src *fakeSandbox) {
	var b struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || strings.TrimSpace(b.Name) == "" {
		writeError(w, http.StatusBadRequest, "a snapshot needs a name")
		return
	}
	s.mu.Lock()
	if !s.startedLocked(w, src, "snapshotted") {
		return
	}
	if _, taken := s.snapshots[b.Name]; taken {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, fmt.Sprintf("Snapshot with name %s already exists", b.Name))
		return
	}
	sn := &fakeSnapshot{FakeSnapshot: FakeSnapshot{ID: fmt.Sprintf("snap-%06d", s.nextID.Add(1)), Name: b.Name,
		State: "pending", Source: src.ID, CreatedAt: time.Now().UTC()}}
	sn.Dir = filepath.Join(s.root, "snapshots", sn.ID)
	switch {
	case s.okSnapshots > 0:
		s.okSnapshots--
	case s.failSnapshots > 0:
		s.failSnapshots--
		sn.fails = true
	}
	s.snapshots[b.Name] = sn
	s.mu.Unlock()

	err := os.MkdirAll(filepath.Dir(sn.Dir), 0o755)
	if err == nil && !sn.fails {
		err = copyTree(src.Dir, sn.Dir)
	}
	s.mu.Lock()
	if err != nil {
		delete(s.snapshots, b.Name)
		s.mu.Unlock()
		writeError(w, http.StatusInternalServerError, "snapshot: "+err.Error())
		return
	}
	ready := time.Now().Add(s.snapshotDelay)
	sn.readyAt = ready
	if s.snapshotDelay > 0 {
		src.state, src.readyAt = "snapshotting", ready
	}
	sn.advanceLocked()
	body := s.sandboxJSONLocked(src)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// snapshotLocked finds a snapshot by id or name.
func (s *Server) snapshotLocked(key string) *fakeSnapshot {
	if sn, ok := s.snapshots[key]; ok {
		return sn
	}
	for _, sn := range s.snapshots {
		if sn.ID == key {
			return sn
		}
	}
	return nil
}

func (s *Server) handleGetSnapshot(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sn := s.snapshotLocked(r.PathValue("id"))
	if sn == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Snapshot "+r.PathValue("id")+" not found")
		return
	}
	sn.advanceLocked()
	c := sn.FakeSnapshot
	s.mu.Unlock()
	var reason any
	if c.ErrorReason != "" {
		reason = c.ErrorReason
	}
	ts := c.CreatedAt.Format(time.RFC3339Nano)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": c.ID, "general": false, "name": c.Name, "state": c.State, "size": nil, "entrypoint": nil,
		"cpu": 1, "gpu": 0, "mem": 1, "disk": 3, "errorReason": reason,
		"createdAt": ts, "updatedAt": ts, "lastUsedAt": nil,
	})
}

func (s *Server) handleDeleteSnapshot(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sn := s.snapshotLocked(r.PathValue("id"))
	if sn != nil {
		delete(s.snapshots, sn.Name)
		s.removedSnapshots[sn.Name] = true
	}
	s.mu.Unlock()
	if sn == nil {
		writeError(w, http.StatusNotFound, "Snapshot "+r.PathValue("id")+" not found")
		return
	}
	os.RemoveAll(sn.Dir)
	w.WriteHeader(http.StatusOK)
}

// filesFromSnapshot fills a new sandbox's directory from the fake snapshot
// it is created with; ok is false when name is no snapshot of the fake's
// (an image or a snapshot the fake does not hold, created empty); one the
// fake held and removed is an error, as it is for Daytona.
func (s *Server) filesFromSnapshot(name, dir string) (ok bool, err error) {
	s.mu.Lock()
	sn := s.snapshots[name]
	removed := s.removedSnapshots[name]
	var state, from string
	if sn != nil {
		sn.advanceLocked()
		state, from = sn.State, sn.Dir
	}
	s.mu.Unlock()
	switch {
	case removed && sn == nil:
		return true, fmt.Errorf("Snapshot %s not found", name)
	case sn == nil:
		return false, nil
	case state != "active":
		return true, fmt.Errorf("Snapshot %s is %s, not active", name, state)
	}
	return true, copyTree(from, dir)
}

// copyTree copies src's contents into dst (made if missing), keeping
// modes, owners, times and symlinks.
func copyTree(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	out, err := exec.Command("cp", "-a", "--", src+"/.", dst+"/").CombinedOutput()
	if err != nil {
		return fmt.Errorf("copy %s: %v: %s", src, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
