package session

import (
	"strconv"
	"time"

	"github.com/tether-dev/tether/internal/jsonsafe"
)

// appendChunkHead appends the start of the recording line of a chunk
// event (output or assistant text), up to where its text goes: the same
// bytes the recorder's json.Encoder writes through jsonsafe (the line is
// ended with the text, by jsonsafe.AppendString, and "}}\n"). A flood
// writes 100 MB of such lines; reflection and a second pass over the text
// to make it inert cost more than the rest of the way from the shell.
// ok is false when ev carries anything this encoder does not write (a
// field added later, a time RFC 3339 cannot hold): the caller encodes it
// as any other event.
func appendChunkHead(dst []byte, ev *Event) (_ []byte, ok bool) {
	rest := *ev
	rest.ID, rest.Seq, rest.Time, rest.Kind = "", 0, time.Time{}, ""
	switch {
	case ev.Kind == KindOutput && ev.Output != nil:
		o := *ev.Output
		o.ToolCallID, o.Stream, o.Data = "", "", ""
		if o != (Output{}) {
			return dst, false
		}
		rest.Output = nil
	case ev.Kind == KindAssistantDelta && ev.Message != nil:
		m := *ev.Message
		m.Text = ""
		if m != (Message{}) {
			return dst, false
		}
		rest.Message = nil
	default:
		return dst, false
	}
	if rest != (Event{}) {
		return dst, false
	}
	start := len(dst)
	dst = append(dst, `{"id":`...)
	dst = jsonsafe.AppendString(dst, ev.ID)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, ev.Seq, 10)
	dst = append(dst, `,"time":"`...)
	t, err := ev.Time.AppendText(dst)
	if err != nil {
		return dst[:start], false
	}
	dst = append(t, `","kind":`...)
	dst = jsonsafe.AppendString(dst, string(ev.Kind))
	if o := ev.Output; o != nil {
		dst = append(dst, `,"output":{"tool_call_id":`...)
		dst = jsonsafe.AppendString(dst, o.ToolCallID)
		dst = append(dst, `,"stream":`...)
		dst = jsonsafe.AppendString(dst, o.Stream)
		return append(dst, `,"data":`...), true
	}
	return append(dst, `,"message":{"text":`...), true
}
