package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tether-dev/tether/internal/jsonsafe"
	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// HeadlessOptions configure one prompt run without a screen.
type HeadlessOptions struct {
	Prompt   string
	Provider sandbox.Provider
	Spec     sandbox.Spec
	Registry *sandbox.Registry
	Session  session.Options // Model, limits, recording; Sandbox is created
	Timeout  time.Duration
	// Events, when set, receives every event as one JSON object per line.
	Events io.Writer
	// Progress, when set, receives a readable line per event, with
	// sandbox output made inert (it may be a terminal).
	Progress io.Writer
	// From, when set, continues or forks a recording (Prompt may be "").
	From *session.Branch
}

// HeadlessResult is what `tether run --json` prints.
type HeadlessResult struct {
	session.Result
	// Isolation is how the sandbox confined the agent's commands (local
	// provider), and Warning says so plainly when it did not.
	Isolation string `json:"isolation,omitempty"`
	// Network is what the sandbox's commands could reach (local provider:
	// "egress only (...)", "off (...)", "host (...)").
	Network string `json:"network,omitempty"`
	Warning string `json:"warning,omitempty"`
	Error   string `json:"error,omitempty"`
	// Parent and ForkAt name the recording and event a --resume run went
	// on from; Unrestored says in words what of the workspace it could
	// not restore (Workspace has the details).
	Parent     string `json:"parent,omitempty"`
	ForkAt     int64  `json:"fork_at,omitempty"`
	Unrestored string `json:"unrestored,omitempty"`
}

// unconfinedProvider is a provider that may run commands without isolation.
type unconfinedProvider interface {
	Unconfined() bool
}

// UnconfinedWarning returns the warning to show for p, "" when its
// sandboxes are confined (or it cannot tell).
func UnconfinedWarning(p sandbox.Provider) string {
	if u, ok := p.(unconfinedProvider); ok && u.Unconfined() {
		return local.UnconfinedWarning
	}
	if n, ok := p.(sharedNetworkProvider); ok && n.SharedNetwork() {
		return local.HostNetworkWarning
	}
	return ""
}

// sharedNetworkProvider is a provider whose confined sandboxes may share
// the host's network (local network "host").
type sharedNetworkProvider interface {
	SharedNetwork() bool
}

// RunHeadless runs one prompt in a fresh sandbox, deletes the sandbox, and
// returns the result. It never waits for a person: step mode is off.
func RunHeadless(ctx context.Context, opts HeadlessOptions) (HeadlessResult, error) {
	var mu sync.Mutex // OnEvent may be called from the session's goroutine
	midLine := false  // the last progress write was output without its newline
	isolation, network := "", ""
	enc := (*json.Encoder)(nil)
	if opts.Events != nil {
		enc = json.NewEncoder(jsonsafe.Writer(opts.Events)) // it may be a terminal
	}
	ex := session.NewExecutor(session.ExecutorOptions{
		Options:  headlessSession(opts.Session),
		Provider: Tracking(opts.Provider, opts.Registry),
		Spec:     opts.Spec,
		Timeout:  opts.Timeout,
		From:     opts.From,
		OnEvent: func(ev session.Event) {
			mu.Lock()
			defer mu.Unlock()
			if ev.Sandbox != nil && ev.Sandbox.Isolation != "" {
				isolation = ev.Sandbox.Isolation
			}
			if ev.Sandbox != nil && ev.Sandbox.Network != "" {
				network = ev.Sandbox.Network
			}
			if enc != nil {
				_ = enc.Encode(ev)
			}
			if opts.Progress != nil {
				writeProgress(opts.Progress, ev, &midLine)
			}
		},
	})
	res, err := ex.Execute(ctx, opts.Prompt)
	// The error may quote a provider or the sandbox: it is printed and
	// put in --json, so it is redacted like events.
	err = redact.New(opts.Session.Secrets...).Error(err)
	mu.Lock()
	out := HeadlessResult{Result: res, Isolation: isolation, Network: network, Warning: UnconfinedWarning(opts.Provider)}
	mu.Unlock()
	if b := opts.From; b != nil {
		out.Parent, out.ForkAt = b.Recording, b.At
		if w := res.Workspace; w != nil && !w.Exact() {
			out.Unrestored = w.Summary()
		}
	}
	if err != nil {
		out.Error = err.Error()
	}
	return out, err
}

// writeProgress writes ev to w. Output is written as it comes, not a line
// per chunk: a chunk can end mid-line (a slow printf, a pipe boundary), and
// a newline there would break the line in two. The next non-output line
// first ends a line the output left open.
func writeProgress(w io.Writer, ev session.Event, midLine *bool) {
	if ev.Kind == session.KindOutput {
		data := termsafe.Sanitize(ev.Output.Data)
		if data != "" {
			_, _ = io.WriteString(w, data)
			*midLine = !strings.HasSuffix(data, "\n")
		}
		return
	}
	line := ProgressLine(ev)
	if line == "" {
		return
	}
	if *midLine {
		fmt.Fprintln(w)
		*midLine = false
	}
	fmt.Fprintln(w, line)
}

// ProgressLine renders an event as one readable line for a log or a
// terminal; "" for events not worth a line. Sandbox output is sanitised.
func ProgressLine(ev session.Event) string {
	safe := termsafe.Sanitize
	switch ev.Kind {
	case session.KindUserMessage:
		return "> " + safe(oneLine(ev.Message.Text, 200))
	case session.KindAssistantMessage:
		if strings.TrimSpace(ev.Message.Text) == "" {
			return ""
		}
		return "assistant: " + safe(ev.Message.Text)
	case session.KindAction:
		if ev.Action.Command != "" {
			return "$ " + safe(ev.Action.Command)
		}
		if sum := ev.Action.Summary; sum != "" {
			// Summaries may already name the tool ("finish: done").
			if sum == ev.Action.Tool || strings.HasPrefix(sum, ev.Action.Tool+":") {
				return "* " + safe(sum)
			}
			return "* " + safe(ev.Action.Tool) + ": " + safe(sum)
		}
		return "* " + safe(ev.Action.Tool) + " " + safe(oneLine(string(ev.Action.Args), 200))
	case session.KindOutput:
		return strings.TrimRight(safe(ev.Output.Data), "\n")
	case session.KindObservation:
		o := ev.Observation
		switch {
		case o.Rejected:
			return "  rejected: " + safe(oneLine(o.Content, 200))
		case o.ExitCode != nil:
			return fmt.Sprintf("  [exit %d, %s]", *o.ExitCode, o.Duration.Round(time.Millisecond))
		case o.IsError:
			return "  error: " + safe(oneLine(o.Content, 300))
		}
		return ""
	case session.KindError:
		return "error: " + safe(ev.Error.Message)
	case session.KindRetry:
		return RetryLine(ev.Retry, ev.Retry.Wait)
	case session.KindReasoning:
		if strings.TrimSpace(ev.Message.Text) == "" {
			return ""
		}
		return "thinking: " + safe(oneLine(ev.Message.Text, 200))
	case session.KindState:
		line := "[" + string(ev.State.To) + "]"
		if ev.State.Reason != "" {
			line += " " + safe(ev.State.Reason)
		}
		return line
	case session.KindWheel:
		return "[" + safe(ev.Wheel.Summary()) + "]"
	case session.KindWorkspace:
		if r := ev.Workspace.Restored; r != nil {
			return "[" + safe(r.Summary()) + "]"
		}
		return ""
	case session.KindSandbox:
		if ev.Sandbox.ID == "" {
			return "[sandbox " + ev.Sandbox.State + "]"
		}
		return "[sandbox " + ev.Sandbox.ID + " " + ev.Sandbox.State + "]"
	}
	return ""
}

// RetryLine says why an LLM call is retried and when:
// "rate limited · retry 2/5 in 41 s".
func RetryLine(r *session.Retry, left time.Duration) string {
	secs := int((left + time.Second - 1) / time.Second)
	line := fmt.Sprintf("%s · retry %d/%d in %d s", termsafe.SanitizeLine(r.Reason), r.Attempt, r.Max, max(secs, 0))
	if r.Discard {
		line += " (the partial reply is discarded)"
	}
	return line
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

// Tracking wraps a provider so every sandbox it creates is tracked in reg
// (nil reg: p unchanged), for teardown on any exit path.
func Tracking(p sandbox.Provider, reg *sandbox.Registry) sandbox.Provider {
	if reg == nil {
		return p
	}
	t := trackingProvider{Provider: p, reg: reg}
	if _, ok := p.(sandbox.Forker); ok {
		return trackingForker{t}
	}
	return t
}

// trackingForker is a trackingProvider whose provider can fork sandboxes
// (Daytona): forks are tracked too.
type trackingForker struct{ trackingProvider }

func (t trackingForker) Fork(ctx context.Context, sourceID string, spec sandbox.Spec) (sandbox.Sandbox, error) {
	sb, err := t.Provider.(sandbox.Forker).Fork(ctx, sourceID, spec)
	if err != nil {
		return nil, err
	}
	return t.reg.Track(sb), nil
}

type trackingProvider struct {
	sandbox.Provider
	reg *sandbox.Registry
}

func (t trackingProvider) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	sb, err := t.Provider.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	return t.reg.Track(sb), nil
}

// headlessSession is the session's settings for a run nobody watches:
// never step mode or a confirmation policy, since no one could answer.
func headlessSession(o session.Options) session.Options {
	o.StepMode, o.Confirm = false, session.ConfirmNever
	return o
}
