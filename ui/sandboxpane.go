package ui

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/eventlist"
)

// sandboxView is the latest sandbox description and its recent states.
type sandboxView struct {
	info      *session.SandboxInfo
	states    []string // distinct successive states, oldest first (capped)
	firstSeen time.Time
	goneAt    time.Time            // when it reached destroyed/deleted: uptime stops
	context   *session.ContextInfo // project instructions given to the agent
	sourced   []string             // tools from MCP servers (session.ToolsInfo.Sourced)
	restore   *session.Restore     // how a fork's or resume's files were put back
}

const maxSandboxStates = 6

func (a *model) onSandbox(ev session.Event) {
	in := *ev.Sandbox
	s := &a.sbx
	prevState := ""
	if s.info != nil {
		prevState = s.info.State
		// Later events may describe only what changed: keep what we knew.
		if in.ID == "" || in.ID == s.info.ID {
			in = mergeInfo(*s.info, in)
		}
	}
	if s.firstSeen.IsZero() {
		s.firstSeen = ev.Time
	}
	s.info = &in
	if in.State != "" && in.State != prevState {
		s.states = append(s.states, in.State)
		if len(s.states) > maxSandboxStates {
			s.states = s.states[len(s.states)-maxSandboxStates:]
		}
		if a.quit.active {
			a.quit.add(fmt.Sprintf("sandbox %s: %s", in.ID, in.State))
		}
	}
	if gone(in.State) && s.goneAt.IsZero() {
		s.goneAt = ev.Time
	}
}

func gone(state string) bool {
	return state == "destroyed" || state == "deleted"
}

// failed reports a sandbox that never came up: it has no uptime, and
// nothing can run until tether is started again.
func (a *model) sandboxFailed() bool {
	in := a.sbx.info
	return in != nil && in.State == "error" && in.ID == ""
}

func mergeInfo(old, in session.SandboxInfo) session.SandboxInfo {
	pick := func(a, b string) string {
		if b != "" {
			return b
		}
		return a
	}
	pickI := func(a, b int) int {
		if b != 0 {
			return b
		}
		return a
	}
	in.ID = pick(old.ID, in.ID)
	in.Name = pick(old.Name, in.Name)
	in.Provider = pick(old.Provider, in.Provider)
	in.Image = pick(old.Image, in.Image)
	in.Snapshot = pick(old.Snapshot, in.Snapshot)
	in.Target = pick(old.Target, in.Target)
	in.WorkDir = pick(old.WorkDir, in.WorkDir)
	in.Isolation = pick(old.Isolation, in.Isolation)
	in.Network = pick(old.Network, in.Network)
	in.Limits = pick(old.Limits, in.Limits)
	if in.Mounts == nil {
		in.Mounts = old.Mounts
	}
	in.CPU = pickI(old.CPU, in.CPU)
	in.MemoryGB = pickI(old.MemoryGB, in.MemoryGB)
	in.DiskGB = pickI(old.DiskGB, in.DiskGB)
	if in.CreatedAt.IsZero() {
		in.CreatedAt = old.CreatedAt
	}
	if in.Labels == nil {
		in.Labels = old.Labels
	}
	return in
}

func (a *model) uptime() time.Duration {
	s := a.sbx
	start := a.uptimeStart()
	end := a.now()
	if !s.goneAt.IsZero() {
		end = s.goneAt
	}
	if start.IsZero() || end.Before(start) {
		return 0
	}
	return end.Sub(start)
}

func (a *model) uptimeText() string {
	if a.sandboxFailed() {
		return ""
	}
	return fmtUptime(a.uptime())
}

func resources(in *session.SandboxInfo) string {
	var parts []string
	if in.CPU > 0 {
		parts = append(parts, fmt.Sprintf("%d cpu", in.CPU))
	}
	if in.MemoryGB > 0 {
		parts = append(parts, fmt.Sprintf("%dG ram", in.MemoryGB))
	}
	if in.DiskGB > 0 {
		parts = append(parts, fmt.Sprintf("%dG disk", in.DiskGB))
	}
	return strings.Join(parts, " ")
}

// sandboxRows is the sandbox pane's content as label/value rows.
func (a *model) sandboxRows() [][2]string {
	in := a.sbx.info
	if in == nil {
		return [][2]string{{"state", "waiting for sandbox…"}}
	}
	// The pane says what the sandbox is now; the event stream keeps the
	// way it got there ("creating → started").
	state := "?"
	if n := len(a.sbx.states); n > 0 {
		state = a.st.state(a.sbx.states[n-1])
	}
	image := in.Image
	if in.Snapshot != "" {
		image = "snapshot " + in.Snapshot
	}
	rows := [][2]string{
		{"provider", in.Provider},
		{"id", in.ID},
		{"state", state},
		{"image", image},
		{"target", in.Target},
		{"resources", resources(in)},
		{"workdir", in.WorkDir},
		{"isolation", in.Isolation},
		{"network", in.Network},
		{"limits", in.Limits},
	}
	for i, m := range in.Mounts {
		label := ""
		if i == 0 {
			label = "mounts"
		}
		rows = append(rows, [2]string{label, m})
	}
	rows = append(rows, [2]string{"uptime", a.uptimeText()})
	if c := a.sbx.context; c != nil {
		rows = append(rows, [2]string{"context", strings.TrimSuffix(strings.TrimPrefix(eventlist.ContextText(c), "project instructions: "), " given to the agent")})
	}
	if in.Name != "" && in.Name != in.ID {
		rows = slices.Insert(rows, 2, [2]string{"name", in.Name})
	}
	if len(a.sbx.sourced) > 0 {
		rows = append(rows, [2]string{"mcp tools", strings.Join(a.sbx.sourced, ", ")})
	}
	rows = append(rows, restoreRows(a.sbx.restore)...)
	first := true
	user := sandbox.UserLabels(in.Labels) // not tether's bookkeeping for cleanup
	for _, k := range slices.Sorted(maps.Keys(user)) {
		label := ""
		if first {
			label, first = "labels", false
		}
		rows = append(rows, [2]string{label, k + "=" + user[k]})
	}
	rows = slices.DeleteFunc(rows, func(r [2]string) bool { return r[1] == "" })
	for i := range rows {
		if rows[i][0] != "state" {
			rows[i][1] = termsafe.SanitizeLine(rows[i][1])
		}
	}
	return rows
}

// sandboxSide renders the side pane body: exactly h lines of width w.
func (a *model) sandboxSide(w, h int) []string {
	// Long values wrap under themselves rather than being cut.
	const labelW = 11
	rows := a.sandboxRows()
	key := a.vc.sideKey(rows, w, h, a.dark, a.st.noColor)
	if key == a.vc.sideKeyStr {
		return a.vc.side
	}
	var lines []string
	indent := strings.Repeat(" ", labelW)
	for _, r := range rows {
		label := a.st.label.Render(fmt.Sprintf(" %-9s ", r[0]))
		// Paths, ids and labels have no spaces: break them after a
		// separator rather than in the middle of a word.
		for i, part := range strings.Split(ansi.Wrap(r[1], max(w-labelW, 4), " /-=,"), "\n") {
			if i > 0 {
				label = indent
			}
			lines = append(lines, label+part)
		}
	}
	a.vc.sideKeyStr, a.vc.side = key, fitLines(lines, w, h)
	return a.vc.side
}

// sandboxStrip is the compact one-line form for narrow screens.
func (a *model) sandboxStrip(w int) string {
	in := a.sbx.info
	if in == nil {
		return ansi.Truncate(a.st.faint.Render("sandbox: waiting…"), w, "…")
	}
	cur := in.State
	if cur == "" {
		cur = "?"
	}
	safe := termsafe.SanitizeLine
	head := a.st.bold.Render("sandbox")
	if in.ID != "" {
		head += " " + safe(in.ID)
	}
	parts := []string{head}
	if in.Provider != "" {
		parts = append(parts, safe(in.Provider))
	}
	parts = append(parts, a.st.state(safe(cur)))
	if r := a.sbx.restore; r != nil {
		if n := len(r.Unrestored); n > 0 {
			parts = append(parts, a.st.stateAs(sandbox.StateError, fmt.Sprintf("%d not restored", n)))
		} else {
			parts = append(parts, restoreStrip(r))
		}
	}
	image := in.Image
	if in.Snapshot != "" {
		image = in.Snapshot
	}
	// Most telling first: what is cut at the right edge is the least missed.
	up := ""
	if t := a.uptimeText(); t != "" {
		up = "up " + t
	}
	for _, p := range []string{up, image, in.Target, resources(in), in.Isolation} {
		if p != "" {
			parts = append(parts, safe(p))
		}
	}
	return ansi.Truncate(strings.Join(parts, a.st.faint.Render(" · ")), w, "…")
}

func fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", m, s)
}

// restoreRows say in the pane how a branch's files were put back: what
// was exact, what replayed, which events were not restored (the stream
// says why).
func restoreRows(r *session.Restore) [][2]string {
	if r == nil {
		return nil
	}
	var how string
	switch r.Method {
	case session.RestoreFork:
		how = fmt.Sprintf("exact: fork of %s at event %d", r.Snapshot, r.From)
	case session.RestoreProviderSnapshot:
		how = fmt.Sprintf("exact to event %d: snapshot %s", r.From, r.Snapshot)
	case session.RestoreSnapshot:
		how = fmt.Sprintf("exact: snapshot at event %d", r.From)
	case session.RestoreSameSandbox:
		how = "its own sandbox"
	case session.RestoreFresh:
		how = "fresh: nothing to restore"
	case session.RestoreReplay:
		how = "by replay"
	default:
		how = "not restored"
	}
	rows := [][2]string{{"restored", how}}
	if r.Replayed > 0 {
		rows = append(rows, [2]string{"replayed", eventlist.EventList(r.ReplayedEvents, r.Replayed)})
	}
	if n := len(r.Unrestored); n > 0 {
		seqs := make([]int64, n)
		for i, u := range r.Unrestored {
			seqs[i] = u.Event
		}
		rows = append(rows, [2]string{"missing", eventlist.EventList(seqs, n)})
	}
	return rows
}

// restoreStrip is the strip's word on a branch restored in full.
func restoreStrip(r *session.Restore) string {
	switch r.Method {
	case session.RestoreFork, session.RestoreProviderSnapshot, session.RestoreSnapshot:
		if r.Replayed == 0 {
			return "restored exactly"
		}
	case session.RestoreSameSandbox, session.RestoreFresh:
		return "restored"
	}
	return "restored by replay"
}
