package suite

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/tether-dev/tether/internal/ctxwait"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// teardownTimeout bounds deleting a sandbox, which happens even when the
// run was cancelled.
const teardownTimeout = 2 * time.Minute

// runCase runs one case from start to end and never returns without its
// sandbox deleted (or deliberately kept).
func (r *runner) runCase(ctx context.Context, c Case, tr *tracker) (res CaseResult) {
	start := time.Now()
	res = CaseResult{ID: c.ID, Case: c.Name, Variant: c.Variant, Model: r.modelName(c), Run: c.Run, Started: start}
	defer func() {
		res.Duration = time.Since(start)
		r.redactResult(&res)
		final := res
		tr.update(func(st *CaseStatus) {
			st.State, st.Detail, st.Result = final.Status, oneLine(final.Reason, 200), &final
		})
	}()
	if ctx.Err() != nil {
		res.Status, res.Reason = StateCancelled, "not started: the suite was interrupted"
		res.Started = time.Time{}
		return res
	}
	tr.update(func(st *CaseStatus) { st.Started = start; st.State = StateCreating })

	p, err := r.provider(c.Sandbox.Provider)
	if err != nil {
		res.Status, res.Reason = StateError, fmt.Sprintf("sandbox provider %q: %v", c.Sandbox.Provider, err)
		return res
	}
	// The model is resolved first so a case that cannot run costs no sandbox.
	name := r.modelName(c)
	if name == "" {
		res.Status, res.Reason = StateError, "no model: set model in the suite ([defaults] or the case) or pass --model"
		return res
	}
	model, err := r.model(name)
	if err != nil {
		res.Status, res.Reason = StateError, fmt.Sprintf("model %s: %v", name, err)
		return res
	}
	raw, err := r.create(ctx, p, c, tr)
	if err != nil {
		res.Status, res.Reason = StateError, "create sandbox: "+err.Error()
		if ctx.Err() != nil {
			res.Status, res.Reason = StateCancelled, "cancelled while creating the sandbox"
		}
		return res
	}
	defer r.gate.release()
	res.SandboxID = raw.ID()
	tr.update(func(st *CaseStatus) { st.SandboxID = raw.ID() })

	kp := &keepable{Sandbox: raw}
	var sb sandbox.Sandbox = kp
	if r.opts.Registry != nil {
		sb = r.opts.Registry.Track(kp)
	}
	defer func() { r.teardown(ctx, c, sb, kp, &res, tr) }()

	tr.state(StateSetup, "")
	if err := r.setup(ctx, sb, c, tr); err != nil {
		res.Status, res.Reason = StateError, err.Error()
		if ctx.Err() != nil {
			res.Status, res.Reason = StateCancelled, "cancelled during setup"
		}
		return res
	}
	if err := r.agent(ctx, sb, c, model, tr, &res); err != nil {
		res.Status, res.Reason = StateError, err.Error()
		return res
	}
	if ctx.Err() != nil {
		res.Status, res.Reason = StateCancelled, "cancelled while the agent was running"
		return res
	}
	tr.state(StateChecking, "")
	res.Checks = runChecks(ctx, sb, c, res.AgentStatus, res.AgentReason)
	if ctx.Err() != nil {
		res.Status, res.Reason = StateCancelled, "cancelled during the checks"
		return res
	}
	res.Status = StatePassed
	for _, ch := range res.Checks {
		if !ch.Passed {
			res.Status = StateFailed
			res.Reason = "check failed: " + ch.Name + ": " + oneLine(ch.Message, 200)
			break
		}
	}
	return res
}

// create makes the case's sandbox, holding a gate slot on success. Rate
// limits release the slot, shrink the gate and retry after a back-off.
func (r *runner) create(ctx context.Context, p sandbox.Provider, c Case, tr *tracker) (sandbox.Sandbox, error) {
	labels := maps.Clone(c.Sandbox.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelSuite] = labelValue(r.suite.Name)
	labels[LabelCase] = labelValue(c.ID)
	spec := sandbox.Spec{
		Image: c.Sandbox.Image, Snapshot: c.Sandbox.Snapshot, Target: c.Sandbox.Target,
		CPU: c.Sandbox.CPU, MemoryGB: c.Sandbox.MemoryGB, DiskGB: c.Sandbox.DiskGB,
		Network: c.Sandbox.Network, Labels: labels, Env: maps.Clone(c.Sandbox.Env),
		Ephemeral: true,
	}
	giveUp := time.Now().Add(r.opts.rateLimitPatience)
	for attempt := 0; ; attempt++ {
		if err := r.gate.acquire(ctx); err != nil {
			return nil, err
		}
		tr.state(StateCreating, "creating a "+p.Name()+" sandbox")
		sb, err := p.Create(ctx, spec)
		if err == nil {
			r.gate.created()
			return sb, nil
		}
		r.gate.release()
		limited, hint := rateLimitInfo(err)
		if !limited || ctx.Err() != nil {
			return nil, err
		}
		r.gate.rateLimited()
		wait := backoff(attempt, r.opts.backoffBase, r.opts.backoffCap, hint)
		if time.Now().Add(wait).After(giveUp) {
			return nil, fmt.Errorf("%s kept answering with rate limits for %s: %w; lower the concurrency (-j) or try again later",
				p.Name(), r.opts.rateLimitPatience, err)
		}
		r.log.Info("sandbox creation rate limited; backing off", "case", c.ID, "wait", wait)
		tr.state(StateCreating, fmt.Sprintf("rate limited by %s; retrying in %s", p.Name(), wait.Round(time.Millisecond)))
		if !ctxwait.Sleep(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}

// labelValue keeps a label value within what providers accept.
func labelValue(s string) string {
	s = fileSafe(s)
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// agent runs the prompt (and follow-ups) in a session over sb. An error
// means the agent could not be started at all; how the run ended is in
// res.AgentStatus.
func (r *runner) agent(ctx context.Context, sb sandbox.Sandbox, c Case, model session.Model, tr *tracker, res *CaseResult) error {
	name := r.modelName(c)
	recPath := ""
	if r.recordDir != "" {
		recPath = filepath.Join(r.recordDir, fmt.Sprintf("%03d-%s.jsonl", tr.snapshot().Index+1, fileSafe(c.ID)))
	}
	onEvent := r.opts.OnEvent
	run, err := session.Start(ctx, session.Launch{
		Sandbox: sb, // the case's: setup ran in it, teardown deletes it
		OnEvent: func(ev session.Event) {
			tr.event(ev)
			if onEvent != nil {
				onEvent(c.ID, ev)
			}
		},
	}, session.Options{
		Model: model, ModelName: name, PlanningMode: c.Planning,
		MaxIterations: c.Limits.MaxIterations, MaxBudgetUSD: c.Limits.BudgetUSD,
		RecordPath: recPath, Logger: r.log.With("case", c.ID), Secrets: r.opts.Secrets,
		ToolSources: r.caseToolSources(c),
		// A suite reads only what a fleet view shows: keep little live text.
		LiveBufferBytes: 64 << 10,
	})
	if err != nil {
		return fmt.Errorf("start the agent: %w", err)
	}
	sess := run.Session
	res.RecordPath = sess.Result().RecordPath // "" when it could not be written (a full disk)
	res.ConversationID = sess.ConversationID()
	tr.state(StateRunning, "")

	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if c.Limits.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, c.Limits.Timeout)
	}
	result, runErr := sess.Run(runCtx, c.Prompt)
	for _, f := range c.Followups {
		if runErr != nil || result.Status != session.StateFinished {
			break
		}
		result, runErr = sess.Run(runCtx, f)
	}
	timedOut := runErr != nil && ctx.Err() == nil && errors.Is(runCtx.Err(), context.DeadlineExceeded)
	cancel()
	if err := run.Close(ctx); err != nil {
		r.log.Warn("closing the session", "case", c.ID, "err", err)
	}

	st := tr.snapshot()
	res.AgentStatus, res.AgentReason = result.Status, oneLine(result.Reason, 300)
	if timedOut {
		res.AgentReason = fmt.Sprintf("timed out after %s (limits.timeout)", c.Limits.Timeout)
	}
	res.FinalMessage = tail(sanitize(result.FinalMessage), 4000)
	if res.RecordError = result.RecordError; result.RecordError != "" && result.RecordPath == "" {
		res.RecordPath = ""
	}
	res.CostUSD, res.CostKnown = result.CostUSD, result.CostKnown
	res.PromptTokens, res.CompletionTokens = result.PromptTokens, result.CompletionTokens
	res.Steps, res.LLMCalls = st.Steps, st.LLMCalls
	return nil
}

// teardown deletes the sandbox, or keeps it when the case did not pass and
// KeepFailed is set (never for an interrupted run: Ctrl+C cleans all).
func (r *runner) teardown(ctx context.Context, c Case, sb sandbox.Sandbox, kp *keepable, res *CaseResult, tr *tracker) {
	tr.state(StateCleanup, "")
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	if r.opts.KeepFailed && ctx.Err() == nil && (res.Status == StateFailed || res.Status == StateError) {
		kp.keep.Store(true)
		res.Kept = true
		if ls, ok := sandbox.As[sandbox.LabelSetter](kp.Sandbox); ok {
			labels := map[string]string{LabelKept: "true", LabelSuite: labelValue(r.suite.Name), LabelCase: labelValue(c.ID)}
			if err := ls.SetLabels(cctx, labels); err != nil {
				r.log.Warn("could not label the kept sandbox", "case", c.ID, "sandbox", sb.ID(), "err", err)
			}
		}
		r.log.Info("kept the sandbox of a failed case", "case", c.ID, "sandbox", sb.ID())
	}
	// For a kept sandbox this only stops tracking it.
	if err := sb.Close(cctx); err != nil {
		r.log.Error("could not delete the sandbox; run `tether cleanup` to remove it", "case", c.ID, "sandbox", sb.ID(), "err", err)
		if res.Reason == "" {
			res.Reason = fmt.Sprintf("sandbox %s could not be deleted: %v; run `tether cleanup`", sb.ID(), err)
		}
	}
}

// keepable lets a sandbox be released from the registry without being
// deleted: once keep is set, Close does nothing.
type keepable struct {
	sandbox.Sandbox
	keep atomic.Bool
}

func (k *keepable) Close(ctx context.Context) error {
	if k.keep.Load() {
		return nil
	}
	return k.Sandbox.Close(ctx)
}

// redactResult masks secrets in every text of res that may quote the
// agent, the sandbox or a provider: reasons, the final message, check
// output.
func (r *runner) redactResult(res *CaseResult) {
	if r.redact.Empty() {
		return
	}
	r.redact.Strings(&res.Reason, &res.AgentReason, &res.FinalMessage)
	for i := range res.Checks {
		r.redact.Strings(&res.Checks[i].Message)
	}
}
