package realdaemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
)

// APIKey is the key the harness's control plane accepts.
const APIKey = "realdaemon-test-key"

// Env is a fake Daytona control plane whose sandboxes each get a real
// toolbox daemon.
type Env struct {
	Server *daytonatest.Server

	bin     string
	mu      sync.Mutex
	wrap    func(*Daemon) http.Handler
	daemons map[string]*Daemon // by sandbox id, while running
	errs    []error            // from daemons' Close
}

// Start starts a control-plane fake (with opts; the API key is APIKey
// unless opts say otherwise) whose sandboxes run on real daemons. It returns an error wrapping
// ErrUnavailable where the daemon cannot run. Close stops it all.
func Start(opts ...daytonatest.Option) (*Env, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if err := checkNamespaces(); err != nil {
		return nil, err
	}
	e := &Env{bin: bin, daemons: map[string]*Daemon{}}
	// APIKey unless the caller chose one.
	opts = append(append([]daytonatest.Option{daytonatest.WithAPIKey(APIKey)}, opts...), daytonatest.WithToolbox(e.startToolbox))
	srv, err := daytonatest.Start(opts...)
	if err != nil {
		return nil, err
	}
	e.Server = srv
	return e, nil
}

// New is Start for a test: it skips the test (saying why) where the daemon
// cannot run, and at the end of the test stops everything and fails it if
// a process of any of its sandboxes is left.
func New(t testing.TB, opts ...daytonatest.Option) *Env {
	t.Helper()
	e, err := Start(opts...)
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// Provider starts an Env for the test and returns a Daytona provider on it.
func Provider(t testing.TB) *daytona.Provider {
	t.Helper()
	p, err := New(t).NewProvider(daytona.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Sandbox starts an Env for the test and creates a Daytona sandbox on it,
// closed when the test ends, with its daemon for leak checks.
func Sandbox(t testing.TB) (sandbox.Sandbox, *Daemon) {
	t.Helper()
	env := New(t)
	p, err := env.NewProvider(daytona.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close(context.Background()) })
	d, ok := env.Daemon(sb.ID())
	if !ok {
		t.Fatal("realdaemon: no daemon for the sandbox just created")
	}
	return sb, d
}

// NewProvider builds a Daytona provider on the Env: opts as given, with the
// API key and URL filled in.
func (e *Env) NewProvider(opts daytona.Options) (*daytona.Provider, error) {
	opts.APIKey, opts.APIURL = e.Server.APIKey(), e.Server.URL
	return daytona.NewProvider(opts)
}

// Daemon returns the running daemon of a sandbox.
func (e *Env) Daemon(sandboxID string) (*Daemon, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.daemons[sandboxID]
	return d, ok
}

// Close stops the control plane and every daemon, and reports processes
// that outlived them.
func (e *Env) Close() error {
	e.Server.Close()
	e.mu.Lock()
	left := make([]*Daemon, 0, len(e.daemons))
	for _, d := range e.daemons {
		left = append(left, d)
	}
	e.mu.Unlock()
	for _, d := range left {
		_ = d.Close()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return errors.Join(e.errs...)
}

// Wrap puts wrap(d) between the control plane and the daemon d of every
// sandbox created from now on: a test's way to make the wire do what the
// real one may (reorder or delay frames) at will rather than by chance.
func (e *Env) Wrap(wrap func(d *Daemon) http.Handler) {
	e.mu.Lock()
	e.wrap = wrap
	e.mu.Unlock()
}

// startToolbox is the fake's toolbox backend: a daemon per sandbox.
func (e *Env) startToolbox(spec daytonatest.ToolboxSpec) (daytonatest.Toolbox, error) {
	d, err := StartDaemon(e.bin, spec.Dir, spec.Env)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.daemons[spec.ID] = d
	var h http.Handler = d
	if e.wrap != nil {
		h = e.wrap(d)
	}
	e.mu.Unlock()
	return &sandboxDaemon{Daemon: d, e: e, id: spec.ID, h: h}, nil
}

type sandboxDaemon struct {
	*Daemon
	e  *Env
	id string
	h  http.Handler // the daemon, or what Wrap put in front of it
}

func (s *sandboxDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

func (s *sandboxDaemon) Close() error {
	err := s.Daemon.Close()
	s.e.mu.Lock()
	if s.e.daemons[s.id] == s.Daemon {
		delete(s.e.daemons, s.id)
	}
	if err != nil {
		s.e.errs = append(s.e.errs, fmt.Errorf("sandbox %s: %w", s.id, err))
	}
	s.e.mu.Unlock()
	return err
}

// WaitIdle waits up to d until the sandbox has no process but the daemon's
// own, no toolbox session and no PTY session (listed as "pty:ID"), and
// returns what is left if it does not become
// idle: the leak check after a command or a session.
func (d *Daemon) WaitIdle(ctx context.Context, timeout time.Duration) (procs []Process, sessions []string, err error) {
	deadline := time.Now().Add(timeout)
	for {
		procs, err = d.Processes()
		if err != nil {
			return nil, nil, err
		}
		procs = dropZombies(procs)
		sessions, err = d.Sessions(ctx)
		if err != nil {
			return nil, nil, err
		}
		ptys, err := d.PtySessions(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range ptys {
			sessions = append(sessions, "pty:"+id)
		}
		if (len(procs) == 0 && len(sessions) == 0) || time.Now().After(deadline) {
			return procs, sessions, nil
		}
		select {
		case <-ctx.Done():
			return procs, sessions, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func dropZombies(ps []Process) []Process {
	out := ps[:0:0]
	for _, p := range ps {
		if p.State != "Z" {
			out = append(out, p)
		}
	}
	return out
}
