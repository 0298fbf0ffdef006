package eventlist

import (
	"fmt"
	"strings"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
)

// How a fork's or resume's workspace was put back (the KindWorkspace
// event with Restored set): what was restored exactly, which recorded
// calls were replayed, and which events could not be restored and why.

// RestoreHeadline is one line on how the workspace was put back.
func RestoreHeadline(r *session.Restore) string {
	if r == nil {
		return "workspace not restored"
	}
	var h string
	switch r.Method {
	case session.RestoreFork:
		h = fmt.Sprintf("workspace restored exactly: a fork of the live sandbox %s (its state at event %d)", r.Snapshot, r.From)
	case session.RestoreProviderSnapshot:
		h = fmt.Sprintf("workspace restored exactly up to event %d from the sandbox snapshot %s", r.From, r.Snapshot)
	case session.RestoreSnapshot:
		h = fmt.Sprintf("workspace restored exactly from the snapshot at event %d", r.From)
	case session.RestoreSameSandbox:
		h = "workspace: the session's own sandbox, as it was left"
	case session.RestoreFresh:
		h = "workspace: a fresh sandbox (no recorded call had changed the files)"
	case session.RestoreReplay:
		h = "workspace rebuilt by replay"
	default:
		h = "workspace not restored"
	}
	if r.Replayed > 0 {
		h += "; replayed " + EventList(r.ReplayedEvents, r.Replayed)
	}
	if len(r.Unrestored) == 0 && r.Replayed > 0 {
		h += " (each as recorded)"
	}
	return h
}

// EventList names events "event 5" or "events 5, 9, 12" (at most 8, then
// how many more); n is the count when the seqs are not known.
func EventList(seqs []int64, n int) string {
	if len(seqs) == 0 {
		if n == 1 {
			return "1 recorded call"
		}
		return fmt.Sprintf("%d recorded calls", n)
	}
	const most = 8
	parts := make([]string, 0, min(len(seqs), most))
	for i, s := range seqs {
		if i == most {
			break
		}
		parts = append(parts, fmt.Sprint(s))
	}
	out := "event " + parts[0]
	if len(seqs) > 1 {
		out = "events " + strings.Join(parts, ", ")
	}
	if len(seqs) > most {
		out += fmt.Sprintf(" and %d more", len(seqs)-most)
	}
	return out
}

// UnrestoredLine says which event could not be restored and why.
func UnrestoredLine(u session.Unrestored) string {
	s := fmt.Sprintf("not restored: event %d", u.Event)
	if u.Tool != "" {
		s += " (" + u.Tool + ")"
	}
	return s + ": " + u.Reason
}

// RestoreText is the whole summary, one line per item (what copy takes).
func RestoreText(r *session.Restore) string {
	lines := []string{RestoreHeadline(r)}
	if r != nil {
		for _, u := range r.Unrestored {
			lines = append(lines, UnrestoredLine(u))
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Model) onRestore(r *session.Restore) {
	m.closeAssistant()
	e := m.push(kindNote)
	c := *r
	e.restore = &c
	e.text.WriteString(RestoreText(r))
	e.done = true
}

// renderRestore shows the headline as a note and each event not
// restored as a warning under it.
func (m *Model) renderRestore(e *entry, w int) []string {
	st := &m.pal
	lines := prefixed(wrap(termsafe.Sanitize(RestoreHeadline(e.restore)), w-2), "· ", "  ", st.Dim)
	for _, u := range e.restore.Unrestored {
		lines = append(lines, prefixed(wrap(termsafe.Sanitize(UnrestoredLine(u)), w-4), "  ✗ ", "    ", st.Error)...)
	}
	return lines
}
