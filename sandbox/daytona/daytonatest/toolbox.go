package daytonatest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Output markers of the toolbox log stream (the SDK demultiplexes on them).
var (
	stdoutMarker = []byte{1, 1, 1}
	stderrMarker = []byte{2, 2, 2}
)

type fakeSession struct {
	id   string
	cmds map[string]*runningProc
	seq  int
}

func (s *Server) routeToolbox(mux *http.ServeMux) {
	tb := func(pattern string, h func(http.ResponseWriter, *http.Request, *fakeSandbox)) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" /toolbox/{id}"+path, s.withStartedSandbox(h))
	}
	tb("POST /process/execute", s.handleExecute)
	tb("POST /process/session", s.handleCreateSession)
	tb("GET /process/session/{session}", s.handleGetSession)
	tb("DELETE /process/session/{session}", s.handleDeleteSession)
	tb("POST /process/session/{session}/exec", s.handleSessionExec)
	tb("GET /process/session/{session}/command/{cmd}", s.handleGetCommand)
	tb("GET /process/session/{session}/command/{cmd}/logs", s.handleLogs)
	tb("POST /files/upload", s.handleUpload)
	tb("GET /files/download", s.handleDownload)
	tb("POST /files/bulk-download", s.handleBulkDownload)
	tb("POST /git/clone", s.handleClone)
	tb("GET /work-dir", s.handleDir)
	tb("GET /user-home-dir", s.handleDir)
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

func (s *Server) handleExecute(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	var b struct {
		Command string            `json:"command"`
		Cwd     *string           `json:"cwd"`
		Envs    map[string]string `json:"envs"`
		Timeout *int              `json:"timeout"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	argv, err := splitArgs(b.Command)
	if err != nil || len(argv) == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid command %q", b.Command))
		return
	}
	p, err := s.startProc(sb, argv, deref(b.Cwd, ""), b.Envs, "")
	if err != nil {
		// The daemon reports a command it cannot start as a failed run.
		writeJSON(w, http.StatusOK, map[string]any{"exitCode": 127, "result": err.Error()})
		return
	}
	sb.procMu.Lock()
	sb.execs[p] = struct{}{}
	sb.procMu.Unlock()
	defer func() {
		sb.procMu.Lock()
		delete(sb.execs, p)
		sb.procMu.Unlock()
	}()
	ctx := r.Context()
	if b.Timeout != nil && *b.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*b.Timeout)*time.Second)
		defer cancel()
	}
	if !p.wait(ctx) {
		p.kill()
		<-p.finished
	}
	code, _ := p.exit()
	_, _, all := p.outputs()
	writeJSON(w, http.StatusOK, map[string]any{"exitCode": code, "result": all})
}

func (s *Server) handleCreateSession(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	var b struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.SessionID == "" {
		writeError(w, http.StatusBadRequest, "sessionId is required")
		return
	}
	sb.procMu.Lock()
	defer sb.procMu.Unlock()
	if _, ok := sb.sessions[b.SessionID]; ok {
		writeError(w, http.StatusConflict, "session already exists")
		return
	}
	sb.sessions[b.SessionID] = &fakeSession{id: b.SessionID, cmds: map[string]*runningProc{}}
	w.WriteHeader(http.StatusCreated)
}

func (sb *fakeSandbox) session(id string) (*fakeSession, bool) {
	sb.procMu.Lock()
	defer sb.procMu.Unlock()
	ss, ok := sb.sessions[id]
	return ss, ok
}

func commandJSON(p *runningProc) map[string]any {
	m := map[string]any{"id": p.id, "command": p.command}
	if code, done := p.exit(); done {
		m["exitCode"] = code
	}
	return m
}

func (s *Server) handleGetSession(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	sb.procMu.Lock()
	ss, ok := sb.sessions[r.PathValue("session")]
	var ps []*runningProc
	if ok {
		for _, p := range ss.cmds {
			ps = append(ps, p)
		}
	}
	sb.procMu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "session not found")
		return
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].id < ps[j].id })
	cmds := make([]map[string]any, 0, len(ps))
	for _, p := range ps {
		cmds = append(cmds, commandJSON(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessionId": ss.id, "commands": cmds})
}

func (s *Server) handleDeleteSession(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	sb.procMu.Lock()
	ss, ok := sb.sessions[r.PathValue("session")]
	delete(sb.sessions, r.PathValue("session"))
	sb.procMu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "session not found")
		return
	}
	// Like the daemon killing the session's shell: its own process groups
	// die; processes that moved to their own session survive.
	for _, p := range ss.cmds {
		p.kill()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleSessionExec(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	var b struct {
		Command  string `json:"command"`
		RunAsync *bool  `json:"runAsync"`
		Async    *bool  `json:"async"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Command == "" {
		writeError(w, http.StatusBadRequest, "command is required")
		return
	}
	sb.procMu.Lock()
	ss, ok := sb.sessions[r.PathValue("session")]
	var id string
	if ok {
		ss.seq++
		id = fmt.Sprintf("cmd-%s-%d", ss.id, ss.seq)
	}
	sb.procMu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "session not found")
		return
	}
	p, err := s.startProc(sb, []string{"bash", "-c", b.Command}, "", nil, id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	p.command = b.Command
	sb.procMu.Lock()
	ss.cmds[id] = p
	sb.procMu.Unlock()
	if deref(b.RunAsync, false) || deref(b.Async, false) {
		writeJSON(w, http.StatusAccepted, map[string]any{"cmdId": id})
		return
	}
	if !p.wait(r.Context()) {
		return
	}
	code, _ := p.exit()
	out, errOut, all := p.outputs()
	writeJSON(w, http.StatusOK, map[string]any{"cmdId": id, "exitCode": code, "output": all, "stdout": out, "stderr": errOut})
}

func (s *Server) command(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) (*runningProc, bool) {
	ss, ok := sb.session(r.PathValue("session"))
	if !ok {
		writeError(w, http.StatusNotFound, "session not found")
		return nil, false
	}
	sb.procMu.Lock()
	p, ok := ss.cmds[r.PathValue("cmd")]
	sb.procMu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "command not found")
		return nil, false
	}
	return p, true
}

func (s *Server) handleGetCommand(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	if p, ok := s.command(w, r, sb); ok {
		writeJSON(w, http.StatusOK, commandJSON(p))
	}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request, sb *fakeSandbox) {
	p, ok := s.command(w, r, sb)
	if !ok {
		return
	}
	if r.URL.Query().Get("follow") != "true" || !websocket.IsWebSocketUpgrade(r) {
		out, errOut, all := p.outputs()
		writeJSON(w, http.StatusOK, map[string]any{"output": all, "stdout": out, "stderr": errOut})
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	// A reader notices the client going away, so a follower never outlives it.
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	next := 0
	for {
		chunks, done, changed := p.from(next)
		for _, c := range chunks {
			marker := stdoutMarker
			if c.stderr {
				marker = stderrMarker
			}
			frame := append(append(make([]byte, 0, len(marker)+len(c.data)), marker...), c.data...)
			if err := conn.WriteMessage(websocket.BinaryMessage, frame); err != nil {
				return
			}
		}
		next += len(chunks)
		if done {
			if len(chunks) == 0 {
				msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
				_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
				return
			}
			continue
		}
		select {
		case <-changed:
		case <-gone:
			return
		}
	}
}
