package suite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// RunOptions configures Run.
type RunOptions struct {
	// Concurrency is how many cases (and so sandboxes) run at once (-j);
	// 0 = DefaultConcurrency. When the provider rate-limits sandbox
	// creation the effective concurrency drops, then climbs back.
	Concurrency int
	// KeepFailed keeps the sandboxes of cases that did not pass, labelled
	// tether-kept=true and tether-suite=<name>, for inspection (`tether
	// cleanup --all` removes them later). Sandboxes of an interrupted run
	// are always deleted.
	KeepFailed bool
	// Providers returns the sandbox provider for a suite's provider name
	// ("" = the configured default). Required. Called once per name.
	Providers func(name string) (sandbox.Provider, error)
	// Models returns the model client for a model name. Required. Called
	// once per name.
	Models func(name string) (session.Model, error)
	// DefaultModel is used for cases whose suite names no model.
	DefaultModel string
	// RecordDir, when set, keeps every case's JSONL recording under
	// RecordDir/<suite>-<start time>/<case id>.jsonl (open one with
	// `tether replay`). "" = no recordings.
	RecordDir string
	// OnUpdate, when set, receives every case's progress. It is called
	// from many goroutines at once (one per running case), but each
	// case's updates arrive in order, one at a time. It must be quick and
	// must not block: a slow OnUpdate slows that case.
	OnUpdate func(CaseStatus)
	// OnEvent, when set, receives every event of every case's agent
	// session (prompts, streamed text, tool calls and their output,
	// results, state changes, errors), with the case's ID (CaseStatus.ID).
	// Like OnUpdate it is called from many goroutines at once, one per
	// running case, but each case's events arrive in order (by Seq), one
	// at a time. It must be quick and must not block: while it lags the
	// session's events pile up (output beyond 64 KiB is elided from the
	// live stream, not from the recording) and the case cannot end until
	// every event has been delivered. Setup and checks run outside the
	// session and produce no events; their progress is in OnUpdate.
	OnEvent func(caseID string, ev session.Event)
	// ToolSources add tools to every case's agent once its sandbox exists
	// (the config's [[mcp]] servers, started in each case's own sandbox).
	ToolSources []session.ToolSource
	// Registry, when set, tracks every sandbox while its case runs, so a
	// signal handler's CloseAll can tear them down.
	Registry *sandbox.Registry
	// Logger receives progress and clean-up problems; nil discards.
	Logger *slog.Logger
	// Secrets (API keys, tokens), and any long fragment of one, are
	// replaced by "[REDACTED]" in every event, recording and case result
	// (check and setup output included), as session.Options.Secrets.
	Secrets []string

	// Tests shorten the rate-limit back-off.
	backoffBase, backoffCap, rateLimitPatience time.Duration
}

// Labels Run puts on every sandbox it creates.
const (
	LabelSuite = "tether-suite"
	LabelCase  = "tether-case"
	LabelKept  = "tether-kept"
)

// Run runs every case of the suite and reports how each ended. Cases run
// in their own sandboxes, at most opts.Concurrency at once; every sandbox
// is deleted when its case ends (or kept, see KeepFailed). Cancelling ctx
// stops all cases and deletes every sandbox before Run returns; the report
// then has the cases that ended and the rest as cancelled, and the error
// says the run was interrupted. Case failures are in the report, not in
// the error: check Report.Failed.
func Run(ctx context.Context, s *Suite, opts RunOptions) (*Report, error) {
	if s == nil {
		return nil, errors.New("suite: no suite to run: load one with suite.Load")
	}
	if opts.Providers == nil || opts.Models == nil {
		return nil, errors.New("suite: RunOptions.Providers and RunOptions.Models are required")
	}
	total := s.Len()
	if total == 0 {
		return nil, fmt.Errorf("suite %s has no cases to run: add a [[case]]", s.Name)
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	conc = min(conc, total)
	if opts.backoffBase <= 0 {
		opts.backoffBase = time.Second
	}
	if opts.backoffCap <= 0 {
		opts.backoffCap = 30 * time.Second
	}
	if opts.rateLimitPatience <= 0 {
		opts.rateLimitPatience = 10 * time.Minute
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	r := &runner{
		suite: s, opts: opts, log: log, gate: newGate(conc), redact: redact.New(opts.Secrets...),
		providers: map[string]*lazy[sandbox.Provider]{},
		models:    map[string]*lazy[session.Model]{},
	}
	if opts.RecordDir != "" {
		r.recordDir = filepath.Join(opts.RecordDir, fileSafe(s.Name)+"-"+start.Format("20060102-150405"))
	}

	// Cases are built one at a time, when announced and when run: only
	// the running ones and the results are held.
	status := func(i int, c Case) CaseStatus {
		return CaseStatus{Index: i, Total: total, ID: c.ID, Case: c.Name, Variant: c.Variant,
			Model: r.modelName(c), Run: c.Run, State: StateQueued}
	}
	if opts.OnUpdate != nil {
		i := 0
		for c := range s.Cases() {
			opts.OnUpdate(status(i, c))
			i++
		}
	}
	results := make([]CaseResult, total)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				c, ok := s.Case(i)
				if !ok {
					return
				}
				results[i] = r.runCase(ctx, c, &tracker{on: opts.OnUpdate, st: status(i, c)})
			}
		})
	}
	wg.Wait()

	rep := &Report{Suite: s.Name, File: s.Path, Started: start, Duration: time.Since(start),
		Concurrency: conc, RecordDir: r.recordDir, Cases: results, Interrupted: ctx.Err() != nil}
	rep.summarize()
	if limit, peak, cuts := r.gate.stats(); cuts > 0 {
		log.Info("sandbox creation was rate limited", "cuts", cuts, "final_concurrency", limit, "peak", peak)
	}
	if rep.Interrupted {
		return rep, fmt.Errorf("suite %s interrupted: %w", s.Name, context.Cause(ctx))
	}
	return rep, nil
}

// runner is the state shared by a run's cases.
type runner struct {
	suite     *Suite
	opts      RunOptions
	log       *slog.Logger
	gate      *gate
	recordDir string
	redact    *redact.Set // opts.Secrets

	mu        sync.Mutex
	providers map[string]*lazy[sandbox.Provider]
	models    map[string]*lazy[session.Model]
}

// lazy builds a value once, on first use, remembering a failure too so
// every case using it reports the same reason.
type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func getLazy[T any](mu *sync.Mutex, m map[string]*lazy[T], name string, build func(string) (T, error)) (T, error) {
	mu.Lock()
	l, ok := m[name]
	if !ok {
		l = &lazy[T]{}
		m[name] = l
	}
	mu.Unlock()
	l.once.Do(func() { l.v, l.err = build(name) })
	return l.v, l.err
}

func (r *runner) provider(name string) (sandbox.Provider, error) {
	p, err := getLazy(&r.mu, r.providers, name, r.opts.Providers)
	if err == nil && p == nil {
		err = fmt.Errorf("no sandbox provider named %q", name)
	}
	return p, err
}

func (r *runner) model(name string) (session.Model, error) {
	m, err := getLazy(&r.mu, r.models, name, r.opts.Models)
	if err == nil && m == nil {
		err = fmt.Errorf("no model client for %q", name)
	}
	return m, err
}

func (r *runner) modelName(c Case) string {
	if c.Model != "" {
		return c.Model
	}
	return r.opts.DefaultModel
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// fileSafe makes a case id usable as a file name and label value.
func fileSafe(s string) string {
	s = unsafeChars.ReplaceAllString(s, "_")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}
