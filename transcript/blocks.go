package transcript

import (
	"fmt"
	"strings"
	"time"

	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
)

// block is one entry of a transcript, already redacted and made inert;
// the Markdown and HTML writers only lay it out.
type block struct {
	seq   int64
	role  string // "you", "assistant", "thinking", "tool", "error", "note"
	title string
	text  string // prose (prompts, answers)
	code  string // a command, output or diff, shown verbatim
	lang  string // "diff", "sh" or ""
	fold  bool   // long: collapsed by default
	lines int    // of code, before it was cut
}

const (
	foldLines = 30  // outputs longer than this are folded
	keepLines = 100 // of a huge output, this many from each end are kept
)

// queuedCall is a call announced with its reply (KindQueued).
type queuedCall struct {
	seq int64
	act session.Action
}

// actionBlock is the entry of one tool call.
func actionBlock(seq int64, a *session.Action, red *redact.Set, clean func(string) string) block {
	title := "Tool call: " + termsafe.SanitizeLine(red.Text(a.Tool))
	if a.Direct {
		title = "Your command"
	}
	if a.Summary != "" && a.Command == "" {
		title += " — " + termsafe.SanitizeLine(red.Text(a.Summary))
	}
	b := block{seq: seq, role: "tool", title: title}
	if a.Command != "" {
		b.code, b.lang = "$ "+clean(a.Command), "sh"
	} else {
		b.code = clean(string(a.Args))
	}
	return b
}

// blocks turns a recording into transcript entries.
func blocks(evs []session.Event, red *redact.Set) []block {
	clean := func(s string) string { return termsafe.Sanitize(red.Text(s)) }
	var out []block
	calls := map[string]int{} // tool call id -> index in out
	outputs := map[string]*strings.Builder{}
	queued := map[string]queuedCall{}
	partial, partialSeq := "", int64(0) // assistant text streamed without its final message
	flushPartial := func() {
		if strings.TrimSpace(partial) != "" {
			out = append(out, block{seq: partialSeq, role: "assistant", title: "Assistant (cut off)", text: clean(partial)})
		}
		partial = ""
	}
	for _, ev := range evs {
		if !hasPayload(ev) {
			continue // a damaged line: nothing to show
		}
		switch ev.Kind {
		case session.KindUserMessage:
			flushPartial()
			out = append(out, block{seq: ev.Seq, role: "you", title: "You", text: clean(ev.Message.Text)})
		case session.KindAssistantDelta:
			if partial == "" {
				partialSeq = ev.Seq
			}
			partial += ev.Message.Text
		case session.KindReasoning:
			if t := strings.TrimSpace(ev.Message.Text); t != "" {
				out = append(out, block{seq: ev.Seq, role: "thinking", title: "Thinking", text: clean(t), fold: true})
			}
		case session.KindAssistantMessage:
			partial = ""
			if t := strings.TrimSpace(ev.Message.Text); t != "" {
				out = append(out, block{seq: ev.Seq, role: "assistant", title: "Assistant", text: clean(t)})
			}
		case session.KindQueued:
			for _, a := range ev.Queued.Actions {
				queued[a.ToolCallID] = queuedCall{seq: ev.Seq, act: a}
			}
		case session.KindAction:
			flushPartial()
			a := ev.Action
			b := actionBlock(ev.Seq, a, red, clean)
			if i, ok := calls[a.ToolCallID]; ok { // approved with an edit: the edited call
				out[i] = b
				continue
			}
			calls[a.ToolCallID] = len(out)
			out = append(out, b)
		case session.KindOutput:
			sb := outputs[ev.Output.ToolCallID]
			if sb == nil {
				sb = &strings.Builder{}
				outputs[ev.Output.ToolCallID] = sb
			}
			sb.WriteString(ev.Output.Data)
		case session.KindObservation:
			if q, ok := queued[ev.Observation.ToolCallID]; ok && ev.Observation.NotRun {
				if _, seen := calls[q.act.ToolCallID]; !seen { // announced, never started
					out = append(out, actionBlock(q.seq, &q.act, red, clean))
				}
			}
			out = append(out, observationBlocks(ev, outputs[ev.Observation.ToolCallID], clean)...)
			delete(outputs, ev.Observation.ToolCallID)
		case session.KindError:
			out = append(out, block{seq: ev.Seq, role: "error", title: "Error", text: clean(ev.Error.Message)})
		case session.KindWheel:
			flushPartial()
			out = append(out, block{seq: ev.Seq, role: "you", title: "You took the wheel", text: clean(wheelText(ev.Wheel))})
		case session.KindWorkspace:
			if r := ev.Workspace.Restored; r != nil {
				out = append(out, block{seq: ev.Seq, role: "note", title: "Workspace", text: clean(r.Summary())})
			}
		case session.KindState:
			if st := ev.State; st != nil && st.To.Terminal() && st.To != session.StateFinished {
				t := string(st.To)
				if st.Reason != "" {
					t += ": " + st.Reason
				}
				out = append(out, block{seq: ev.Seq, role: "note", title: "Run ended", text: clean(t)})
			}
		}
	}
	flushPartial()
	return out
}

func observationBlocks(ev session.Event, streamed *strings.Builder, clean func(string) string) []block {
	o := ev.Observation
	status := "result"
	switch {
	case o.Rejected:
		status = "rejected"
	case o.NotRun:
		status = "not run"
	case o.TimedOut:
		status = "timed out"
	case o.Interrupted:
		status = "interrupted"
	case o.ExitCode != nil:
		status = fmt.Sprintf("exit %d", *o.ExitCode)
	case o.IsError:
		status = "failed"
	}
	if o.Duration > 0 {
		status += ", " + o.Duration.Round(time.Millisecond).String()
	}
	text := o.Output
	if text == "" && streamed != nil {
		text = streamed.String()
	}
	if text == "" {
		text = o.Content
	}
	code, lines := cutLines(clean(text))
	bs := []block{{seq: ev.Seq, role: "tool", title: "Output (" + status + ")", code: code, lines: lines, fold: lines > foldLines}}
	if o.Diff != "" {
		d, n := cutLines(clean(o.Diff))
		bs = append(bs, block{seq: ev.Seq, role: "tool", title: "Diff", code: d, lang: "diff", lines: n, fold: n > foldLines})
	}
	return bs
}

// cutLines keeps the head and tail of a huge text; lines counts all.
func cutLines(s string) (string, int) {
	s = strings.TrimRight(s, "\n")
	ls := strings.Split(s, "\n")
	if len(ls) <= 2*keepLines {
		return s, len(ls)
	}
	cut := fmt.Sprintf("… %d lines omitted …", len(ls)-2*keepLines)
	return strings.Join(ls[:keepLines], "\n") + "\n" + cut + "\n" + strings.Join(ls[len(ls)-keepLines:], "\n"), len(ls)
}

// hasPayload reports whether ev carries the payload its kind needs.
func hasPayload(ev session.Event) bool {
	switch ev.Kind {
	case session.KindUserMessage, session.KindAssistantDelta, session.KindReasoning, session.KindAssistantMessage:
		return ev.Message != nil
	case session.KindAction:
		return ev.Action != nil
	case session.KindQueued:
		return ev.Queued != nil
	case session.KindOutput:
		return ev.Output != nil
	case session.KindObservation:
		return ev.Observation != nil
	case session.KindError:
		return ev.Error != nil
	case session.KindWorkspace:
		return ev.Workspace != nil
	case session.KindWheel:
		return ev.Wheel != nil
	case session.KindState:
		return ev.State != nil
	}
	return true
}

// wheelText lists what the user did with the sandbox's shell: each
// command with its exit code, then the files changed.
func wheelText(w *session.WheelInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "For %s, in a shell of their own while the agent waited.\n", w.Duration.Round(time.Second))
	switch {
	case w.CommandsUnknown != "":
		b.WriteString("Commands: unknown (" + w.CommandsUnknown + ")\n")
	case len(w.Commands) == 0:
		b.WriteString("Commands: none\n")
	}
	for _, c := range w.Commands {
		status := "still running at hand-back"
		if c.ExitCode != nil {
			status = fmt.Sprintf("exit %d", *c.ExitCode)
		}
		fmt.Fprintf(&b, "$ %s   (%s)\n", c.Command, status)
	}
	if w.CommandsDropped > 0 {
		fmt.Fprintf(&b, "… and %d more commands\n", w.CommandsDropped)
	}
	switch {
	case w.FilesUnknown != "":
		b.WriteString("Files changed: unknown (" + w.FilesUnknown + ")")
	case len(w.Files) == 0:
		b.WriteString("Files changed: none")
	default:
		b.WriteString("Files changed:")
		for _, f := range w.Files {
			b.WriteString("\n  " + f.Change + " " + f.Path)
		}
		if w.FilesDropped > 0 {
			fmt.Fprintf(&b, "\n  … and %d more", w.FilesDropped)
		}
	}
	return b.String()
}
