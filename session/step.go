package session

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/llm"
)

// callOutcome is what one tool call did to the run.
type callOutcome struct {
	key       string // the action, normalised, for stuck detection
	obs       Observation
	finish    bool
	finishMsg string
	cancelled bool
}

// runCall handles one tool call of the model: action event, approval in
// step mode, execution with live output, observation event and the tool
// message. Malformed calls become error observations: the model can fix
// them on its next turn.
func (s *Session) runCall(ctx context.Context, call llm.ToolCall) callOutcome {
	args, valid := normalizeArgs(call.Arguments)
	tool, known := s.tools[call.Name]
	act := Action{ToolCallID: call.ID, Tool: call.Name, Args: args}
	if known && valid {
		act.Command, act.Summary = describe(tool, args)
	}
	s.snapshotStep(ctx, "", true) // the files before the first call, for a fork there
	s.mu.Lock()
	act.NeedsApproval = known && valid && s.needsApproval(call.Name, args)
	s.openAction = call.ID
	delete(s.queued, call.ID)
	if act.NeedsApproval {
		// Pending before the event goes out: a reader may approve at once.
		a := act
		s.pending, s.decision = &a, nil
	}
	// A copy: an edit changes act later, not the event already out.
	first := act
	s.publish(Event{Kind: KindAction, Action: &first})
	if act.NeedsApproval {
		s.setStateLocked(StateWaiting, "waiting for approval: "+act.Tool)
	}
	s.mu.Unlock()

	out := callOutcome{key: actionKey(call.Name, args)}
	var obs obsResult
	switch {
	case !known:
		obs.IsError = true
		obs.Content = fmt.Sprintf("Error: there is no tool named %q. Available tools: %s. Call one of those.",
			call.Name, strings.Join(s.toolNames(), ", "))
	case !valid:
		obs.IsError = true
		obs.Content = fmt.Sprintf("Error: the arguments of this %s call are not valid JSON: %s. Call the tool again with a JSON object that matches its parameters.",
			call.Name, jsonError(call.Arguments))
	default:
		run := true
		var proposed json.RawMessage // the model's arguments, when the user edited them
		if act.NeedsApproval {
			d, err := s.awaitDecision(ctx)
			if err != nil {
				out.cancelled = true // closeDangling answers the call
				return out
			}
			switch d.kind {
			case decisionReject:
				run = false
				obs.Rejected, obs.Content = true, rejectionText(d.reason)
			case decisionEdit:
				proposed = act.Args
				args = d.args
				out.key = actionKey(call.Name, args)
				act.Args, act.NeedsApproval, act.Edited = args, false, true
				act.Command, act.Summary = describe(tool, args)
				s.replaceArgs(call.ID, args)
				s.publish(Event{Kind: KindAction, Action: &act})
			}
		}
		if run {
			obs = s.execute(ctx, tool, call.ID, args)
			out.finish, out.finishMsg = obs.finish, obs.finishMsg
			s.snapshotStep(ctx, call.ID, false) // before the observation: a fork there gets these files
			s.providerSnapshotStep(ctx, call.Name, args, call.ID)
		}
		if proposed != nil {
			// The history shows the call as it ran; the model must not
			// take the change for its own.
			obs.Content = strings.TrimRight(obs.Content, "\n") + "\n" + editedNote(proposed)
		}
	}
	obs.ToolCallID, obs.Tool = call.ID, call.Name
	out.obs = obs.Observation
	s.mu.Lock()
	// Redacted for the model too: a sandbox that prints a key (a Daytona
	// key, say) must not send it to the LLM provider.
	s.conv = append(s.conv, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Name: call.Name, Content: s.bus.redact.text(obs.Content)})
	s.openAction = ""
	s.mu.Unlock()
	s.publish(Event{Kind: KindObservation, Observation: &out.obs})
	out.cancelled = ctx.Err() != nil
	return out
}

// obsResult is an observation plus the finish request of the tool result.
type obsResult struct {
	Observation
	finish    bool
	finishMsg string
}

// execute runs a tool with writers that publish its output, and turns
// what it returns (or a panic) into an observation.
func (s *Session) execute(ctx context.Context, tool Tool, id string, args json.RawMessage) obsResult {
	start := time.Now()
	stdout, stderr := s.newOutWriter(id, "stdout"), s.newOutWriter(id, "stderr")
	var res ToolResult
	err := s.awaitWorkspace(ctx) // a fork's files are put back first
	if err == nil {
		res, err = safeRun(ctx, tool, ToolCall{ID: id, Args: args, Sandbox: s.sb, Stdout: stdout, Stderr: stderr, Cwd: s.shellCwd()})
	}
	stdout.flush()
	stderr.flush()
	o := obsResult{Observation: Observation{
		Content: res.Content, ExitCode: res.ExitCode, Duration: time.Since(start), IsError: res.IsError,
		Diff: res.Diff, FullOutputPath: res.FullOutputPath, OutputBytes: res.OutputBytes,
		Output: res.Output, TimedOut: res.TimedOut, Interrupted: res.Interrupted, Running: res.Running, Cwd: res.Cwd,
	}}
	if err != nil {
		o.IsError = true
		o.Content = joinNonEmpty(o.Content, "Error: "+err.Error())
	}
	if ctx.Err() != nil {
		o.IsError, o.Interrupted = true, true
		o.Content = joinNonEmpty(o.Content, "[cancelled by user]")
	} else if res.Finish {
		o.finish = true
		o.finishMsg = res.FinishMessage
		if o.finishMsg == "" {
			o.finishMsg = res.Content
		}
	}
	if o.Content == "" {
		o.Content = "(no output)"
	}
	return o
}

func safeRun(ctx context.Context, tool Tool, call ToolCall) (res ToolResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("tool %s crashed: %v", tool.Definition().Name, p)
		}
	}()
	return tool.Run(ctx, call)
}

func describe(tool Tool, args json.RawMessage) (command, summary string) {
	d, ok := tool.(Describer)
	if !ok {
		return "", ""
	}
	defer func() {
		if recover() != nil {
			command, summary = "", ""
		}
	}()
	return d.Describe(args)
}

// replaceArgs makes the conversation show the arguments the user edited,
// so the model knows what actually ran.
func (s *Session) replaceArgs(id string, args json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.conv) - 1; i >= 0; i-- {
		m := &s.conv[i]
		if m.Role != llm.RoleAssistant {
			continue
		}
		for j := range m.ToolCalls {
			if m.ToolCalls[j].ID == id {
				m.ToolCalls = slices.Clone(m.ToolCalls)
				m.ToolCalls[j].Arguments = string(args)
				return
			}
		}
		return
	}
}

func (s *Session) toolNames() []string {
	names := make([]string, 0, len(s.defs))
	for _, d := range s.defs {
		names = append(names, d.Name)
	}
	return names
}

func rejectionText(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return "The user rejected this action without giving a reason. Do not run it again as is; choose another approach or ask the user."
	}
	return "The user rejected this action. Reason: " + reason
}

// normalizeArgs returns the arguments as JSON. Empty arguments mean {}.
// Malformed ones come back as a JSON string holding the raw text, so that
// events stay valid JSON, with ok false.
func normalizeArgs(raw string) (json.RawMessage, bool) {
	t := strings.TrimSpace(raw)
	if t == "" {
		return json.RawMessage("{}"), true
	}
	if json.Valid([]byte(t)) {
		return json.RawMessage(t), true
	}
	q, _ := json.Marshal(raw)
	return q, false
}

func jsonError(raw string) string {
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return err.Error()
	}
	return "unknown error"
}

// actionKey identifies an action regardless of whitespace in its
// arguments (Compact is several times cheaper than a decode/encode round
// trip and models repeat themselves verbatim, key order included).
func actionKey(name string, args json.RawMessage) string {
	var b bytes.Buffer
	b.Grow(len(name) + 1 + len(args))
	b.WriteString(name)
	b.WriteByte(0)
	if json.Compact(&b, args) != nil {
		b.Truncate(len(name) + 1)
		b.Write(args)
	}
	return b.String()
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// outWriter publishes a tool's output as Output events. It holds back an
// incomplete UTF-8 sequence at the end of a write so a character split
// across writes is not mangled in the JSON of events and recordings.
type outWriter struct {
	mu     sync.Mutex
	s      *Session
	id     string
	stream string
	carry  []byte // incomplete UTF-8 sequence
	joined []byte // carry + the next write, reused
	red    *redact.Stream
}

func (s *Session) newOutWriter(id, stream string) *outWriter {
	return &outWriter{s: s, id: id, stream: stream, red: s.bus.redact.stream()}
}

func (w *outWriter) emit(data string) {
	if data != "" {
		w.s.publish(Event{Kind: KindOutput, Output: &Output{ToolCallID: w.id, Stream: w.stream, Data: data}})
	}
}

func (w *outWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if len(w.carry) > 0 {
		w.joined = append(append(w.joined[:0], w.carry...), p...)
		p, w.carry = w.joined, w.carry[:0]
	}
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				cut = i
			}
			break
		}
	}
	if cut < len(p) {
		w.carry = append(w.carry, p[cut:]...)
		p = p[:cut]
	}
	if len(p) > 0 {
		w.emit(w.red.WriteBytes(p)) // the one copy of p
	}
	if cap(w.joined) > 1<<20 {
		w.joined = nil // don't keep a huge write's buffer
	}
	return n, nil
}

func (w *outWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit(w.red.WriteBytes(w.carry) + w.red.Flush())
	w.carry = nil
}

// shellCwd is the terminal tool's working directory, "" when it has none
// (or no command has moved it).
func (s *Session) shellCwd() string {
	if t, ok := s.tools[ToolTerminal].(interface{ Cwd() string }); ok {
		return t.Cwd()
	}
	return ""
}

// editedNote ends the result of a call the user changed before it ran.
func editedNote(proposed json.RawMessage) string {
	p := string(proposed)
	if len(p) > 2000 {
		p = p[:2000] + "…"
	}
	return "[The user edited this tool call before it ran. You proposed the arguments " + p +
		"; it ran with the arguments shown in your call above. Take the user's change into account.]"
}
