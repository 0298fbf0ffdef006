package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tether-dev/tether/llm"
)

// Send starts a run in the background. After a previous run ended (in any
// terminal state) it continues the same conversation; while a run is
// active the prompt is queued and sent when it ends.
func (s *Session) Send(prompt string) error {
	if strings.TrimSpace(prompt) == "" {
		return ErrEmptyPrompt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.model == nil {
		return ErrNoModel
	}
	if s.active {
		s.queue = append(s.queue, prompt)
		return nil
	}
	if pending := s.pendingCalls; len(pending) > 0 {
		// A fork at a tool call: it runs first, then the prompt.
		s.pendingCalls = nil
		s.queue = append(s.queue, prompt)
		s.startLocked(runItem{pending: pending})
		return nil
	}
	s.ended = false
	s.startLocked(runItem{prompt: prompt})
	return nil
}

// runItem is what one run starts from: a prompt, or tool calls of the
// last assistant message still to run (a fork at a tool call).
type runItem struct {
	prompt  string
	pending []llm.ToolCall
}

// startLocked starts the run loop. s.mu held; no run active.
func (s *Session) startLocked(it runItem) {
	s.active = true
	s.idle = make(chan struct{})
	ctx, cancel := context.WithCancel(s.base)
	s.runCancel = cancel
	s.cancelReason = ""
	s.wg.Add(1)
	go s.runLoop(ctx, cancel, it)
}

// Run sends prompt and waits for the run (and any prompts queued behind
// it) to end. Cancelling ctx cancels the run; the result is then returned
// with ctx's error.
func (s *Session) Run(ctx context.Context, prompt string) (Result, error) {
	if err := s.Send(prompt); err != nil {
		return s.Result(), err
	}
	return s.waitRun(ctx)
}

// ContinueRun is Run for a forked or resumed session: with a prompt it is
// Run; without one it Continues the rebuilt run and waits for it.
func (s *Session) ContinueRun(ctx context.Context, prompt string) (Result, error) {
	if prompt != "" {
		return s.Run(ctx, prompt)
	}
	if err := s.Continue(); err != nil {
		return s.Result(), err
	}
	return s.waitRun(ctx)
}

// waitRun waits for the run, cancelling it when ctx ends.
func (s *Session) waitRun(ctx context.Context) (Result, error) {
	res, err := s.Wait(ctx)
	if err != nil {
		reason := "cancelled: " + context.Cause(ctx).Error() // names the signal when there was one
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			reason = "timed out"
		}
		s.cancelWith(reason)
		res, _ = s.Wait(context.Background()) // cancel ends the run promptly
		return res, err
	}
	return res, nil
}

// Wait waits until no run is active and returns the last run's result.
func (s *Session) Wait(ctx context.Context) (Result, error) {
	s.mu.Lock()
	if !s.active {
		defer s.mu.Unlock()
		return s.result, nil
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return s.Result(), nil
	case <-ctx.Done():
		return s.Result(), fmt.Errorf("waiting for the run: %w", ctx.Err())
	}
}

func (s *Session) runLoop(ctx context.Context, cancel context.CancelFunc, it runItem) {
	defer s.wg.Done()
	for {
		start := time.Now()
		st, reason, final := s.runOnce(ctx, it)
		// Its result says how the workspace was put back, also when the
		// run needed no tool; a cancelled run does not wait for it.
		_ = s.awaitWorkspace(ctx)
		s.logger.Info("run ended", "status", st, "reason", reason)
		s.mu.Lock()
		s.result = s.resultLocked(st, reason, final, time.Since(start))
		if len(s.queue) == 0 || s.closed {
			s.active, s.queue, s.runCancel = false, nil, nil
			s.pauseReq, s.pauseWhy = false, ""
			// A wheel note the run never got to goes with the next prompt.
			s.notes, s.runNotes = append(s.notes, s.runNotes...), nil
			close(s.idle)
			s.mu.Unlock()
			cancel()
			return
		}
		it, s.queue = runItem{prompt: s.queue[0]}, s.queue[1:]
		if ctx.Err() != nil {
			// Cancel drops the queue, so this prompt came after it: it
			// gets a fresh run.
			cancel()
			ctx, cancel = context.WithCancel(s.base)
			s.runCancel, s.cancelReason = cancel, ""
		}
		s.mu.Unlock()
	}
}

// runOnce runs one prompt to a terminal state: the model is called until
// it answers without tools, calls finish, or a guard, error or cancel ends it.
func (s *Session) runOnce(ctx context.Context, it runItem) (State, string, string) {
	s.mu.Lock()
	s.loadProjectContext(ctx)
	if prompt := it.prompt; prompt != "" {
		text := prompt
		if len(s.notes) > 0 {
			text = strings.Join(s.notes, "\n\n") + "\n\n" + prompt
			s.notes = nil
		}
		s.conv = append(s.conv, llm.Message{Role: llm.RoleUser, Content: text})
		s.publish(Event{Kind: KindUserMessage, Message: &Message{Text: prompt}})
	}
	s.setStateLocked(StateRunning, "")
	s.mu.Unlock()

	maxIter := orDefault(s.opts.MaxIterations, DefaultMaxIterations)
	stuck := newStuckDetector()
	if done, st, reason, final := s.runCalls(ctx, it.pending, stuck); done {
		return st, reason, final
	}
	for iter := 0; ; iter++ {
		if err := s.boundary(ctx); err != nil {
			return s.endCancelled()
		}
		if iter >= maxIter {
			return s.end(StateError, fmt.Sprintf("reached the limit of %d LLM calls for one run; send a new prompt to continue, or raise --max-iterations (config session.max_iterations)", maxIter), "")
		}
		if b := s.opts.MaxBudgetUSD; b > 0 {
			if spent := s.knownCost(); spent >= b {
				return s.end(StateError, fmt.Sprintf("budget of $%.4f reached ($%.4f spent); raise --budget (config session.max_budget_usd) to continue", b, spent), "")
			}
		}
		s.deliverRunNotes()
		msg, truncated, err := s.callModel(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return s.endCancelled()
			}
			reason := fmt.Sprintf("LLM call failed: %v", err)
			s.publish(Event{Kind: KindError, Error: &ErrorInfo{Message: reason, Fatal: true}})
			return s.end(StateError, reason, "")
		}
		if len(msg.ToolCalls) == 0 && strings.TrimSpace(msg.Content) == "" {
			// Nothing to act on and nothing said: ask again, but not forever.
			if why := stuck.empty(); why != "" {
				return s.end(StateStuck, why, "")
			}
			continue
		}
		s.mu.Lock()
		s.conv = append(s.conv, msg)
		s.mu.Unlock()
		if truncated && len(msg.ToolCalls) > 0 {
			// Arguments cut at the token limit must not run: tell the
			// model so, and let it try again in smaller pieces.
			s.publish(Event{Kind: KindError, Error: &ErrorInfo{Message: "the reply hit the output token limit; its tool calls were cut off and not run (raise [llm] max_tokens, or the model retries in smaller steps)"}})
			s.closeDangling("Not run: your reply hit the output token limit and this call's arguments were cut off. Make smaller calls (e.g. write a large file in several edits).")
			continue
		}
		if len(msg.ToolCalls) == 0 {
			return s.end(StateFinished, "", msg.Content)
		}
		stuck.acted()
		if done, st, reason, final := s.runCalls(ctx, msg.ToolCalls, stuck); done {
			return st, reason, final
		}
	}
}

// runCalls runs the tool calls of one assistant message; done says the
// run ended (cancelled, stuck or finished) with that state.
func (s *Session) runCalls(ctx context.Context, calls []llm.ToolCall, stuck *stuckDetector) (done bool, st State, reason, final string) {
	s.announce(calls)
	for _, call := range calls {
		if err := s.boundary(ctx); err != nil {
			st, reason, final = s.endCancelled()
			return true, st, reason, final
		}
		out := s.runCall(ctx, call)
		if out.cancelled {
			st, reason, final = s.endCancelled()
			return true, st, reason, final
		}
		if why := stuck.observe(out.key, out.obs); why != "" {
			st, reason, final = s.end(StateStuck, why, "")
			return true, st, reason, final
		}
		if out.finish {
			st, reason, final = s.end(StateFinished, "", out.finishMsg)
			return true, st, reason, final
		}
	}
	return false, "", "", ""
}

// callModel streams one completion, publishing deltas, the assistant's
// text and usage. The returned message is ready to append.
func (s *Session) callModel(ctx context.Context) (llm.Message, bool, error) {
	s.mu.Lock()
	req := llm.Request{Messages: slices.Clone(s.conv), Tools: s.defs}
	model := s.model // SetModel may switch it for the next call
	s.mu.Unlock()
	red := s.bus.redact.stream()
	redR := s.bus.redact.stream()
	delta := func(kind Kind, text string) {
		if text != "" {
			s.publish(Event{Kind: kind, Message: &Message{Text: text}})
		}
	}
	var mu sync.Mutex // in case a client calls onDelta from several goroutines
	resp, err := safeStream(ctx, model, req, func(d llm.Delta) {
		mu.Lock()
		defer mu.Unlock()
		if r := d.Retry; r != nil {
			delta(KindReasoningDelta, redR.Flush())
			delta(KindAssistantDelta, red.Flush())
			s.publish(Event{Kind: KindRetry, Retry: &Retry{Reason: r.Reason, Attempt: r.Attempt, Max: r.Max, Wait: r.Wait, Discard: r.Discard}})
			return
		}
		delta(KindReasoningDelta, redR.Write(d.Reasoning))
		delta(KindAssistantDelta, red.Write(d.Content))
	})
	mu.Lock()
	delta(KindReasoningDelta, redR.Flush())
	delta(KindAssistantDelta, red.Flush())
	mu.Unlock()
	if err != nil {
		return llm.Message{}, false, err
	}
	msg := resp.Message
	msg.Role = llm.RoleAssistant
	msg.ToolCalls = slices.Clone(msg.ToolCalls)
	s.mu.Lock()
	for i := range msg.ToolCalls {
		// A tool message must name its call; some servers omit ids.
		if msg.ToolCalls[i].ID == "" {
			msg.ToolCalls[i].ID = fmt.Sprintf("call_%d_%d", s.totals.calls, i)
		}
	}
	u := resp.Usage
	// A server's usage is not trusted: a negative count would lower the
	// totals (and a cost limit could never be reached).
	u.PromptTokens, u.CompletionTokens = max(0, u.PromptTokens), max(0, u.CompletionTokens)
	if u.CostUSD < 0 || u.CostUSD != u.CostUSD {
		u.CostUSD, u.CostKnown = 0, false
	}
	t := &s.totals
	t.calls++
	t.prompt += u.PromptTokens
	t.completion += u.CompletionTokens
	ev := Usage{
		PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens,
		TotalPromptTokens: t.prompt, TotalCompletionTokens: t.completion,
		CostKnown:          u.CostKnown,
		CachedPromptTokens: u.CachedPromptTokens,
		ReasoningTokens:    u.ReasoningTokens,
	}
	if u.CostKnown {
		t.knownCalls++
		t.cost += u.CostUSD
		ev.CostUSD = u.CostUSD
	}
	ev.TotalCostUSD = t.cost
	s.mu.Unlock()
	if msg.Reasoning != "" {
		s.publish(Event{Kind: KindReasoning, Message: &Message{Text: msg.Reasoning}})
	}
	if msg.Content != "" {
		s.publish(Event{Kind: KindAssistantMessage, Message: &Message{Text: msg.Content}})
	}
	s.publish(Event{Kind: KindUsage, Usage: &ev})
	return msg, resp.Truncated, nil
}

// safeStream calls the model, turning a panic in the client into an
// error, as safeRun does for tools: it runs on the session's goroutine,
// where no one else could recover it, and an unrecovered panic there would
// kill the process before its sandbox is deleted.
func safeStream(ctx context.Context, m Model, req llm.Request, onDelta func(llm.Delta)) (resp llm.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the model client crashed (a bug in tether: please report it): %v", p)
		}
	}()
	return m.Stream(ctx, req, onDelta)
}

func (s *Session) knownCost() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totals.cost
}

// end closes the run in a terminal state, first giving every tool call of
// the last assistant message a result so the next request is valid.
func (s *Session) end(st State, reason, final string) (State, string, string) {
	note := "Not run: the run ended"
	if reason != "" {
		note += " (" + reason + ")"
	}
	s.closeDangling(note + ".")
	s.setState(st, reason)
	return st, reason, final
}

func (s *Session) endCancelled() (State, string, string) {
	s.mu.Lock()
	reason := s.cancelReason
	s.mu.Unlock()
	if reason == "" {
		reason = "cancelled"
	}
	s.closeDangling("Cancelled by user: this tool call was not run (or was stopped).")
	s.setState(StateCancelled, reason)
	return StateCancelled, reason, ""
}

// closeDangling appends a tool message for each call of the last assistant
// message that has none. An action the user already saw gets an
// observation event too.
func (s *Session) closeDangling(content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := -1
	for i := len(s.conv) - 1; i >= 0; i-- {
		if m := s.conv[i]; m.Role == llm.RoleAssistant {
			last = i
			break
		} else if m.Role == llm.RoleUser {
			break
		}
	}
	if last < 0 {
		return
	}
	answered := map[string]bool{}
	for _, m := range s.conv[last+1:] {
		if m.Role == llm.RoleTool {
			answered[m.ToolCallID] = true
		}
	}
	for _, c := range s.conv[last].ToolCalls {
		if answered[c.ID] {
			continue
		}
		s.conv = append(s.conv, llm.Message{Role: llm.RoleTool, ToolCallID: c.ID, Name: c.Name, Content: content})
		if s.openAction == c.ID || s.queued[c.ID] {
			s.publish(Event{Kind: KindObservation, Observation: &Observation{
				ToolCallID: c.ID, Tool: c.Name, Content: content, IsError: true, NotRun: true,
			}})
			if s.openAction == c.ID {
				s.openAction = ""
			}
			delete(s.queued, c.ID)
		}
	}
}

// announce publishes the calls of a reply with more than one as queued,
// so a viewer sees them all, in order, before the first runs.
func (s *Session) announce(calls []llm.ToolCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued = nil
	if len(calls) < 2 {
		return
	}
	q := &Queued{Actions: make([]Action, 0, len(calls))}
	s.queued = make(map[string]bool, len(calls))
	for _, c := range calls {
		args, valid := normalizeArgs(c.Arguments)
		act := Action{ToolCallID: c.ID, Tool: c.Name, Args: args}
		if tool, known := s.tools[c.Name]; known && valid {
			act.Command, act.Summary = describe(tool, args)
		}
		q.Actions = append(q.Actions, act)
		s.queued[c.ID] = true
	}
	s.publish(Event{Kind: KindQueued, Queued: q})
}
