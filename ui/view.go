package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/internal/termsafe"
)

// layout is where everything goes for the current size and state.
type layout struct {
	w, h            int
	sideW           int  // sandbox side pane width (0: none)
	strip           bool // one-line sandbox strip on top
	streamFramed    bool
	streamW         int // inside the frame
	streamH         int
	approvalH       int // total, with border
	bottomH         int // prompt box (with border) or replay bar
	promptFramed    bool
	promptLines     int // text lines of the prompt box
	bannerH         int // lines of the no-model banner
	hint            bool
	statusH         int
	streamAreaH     int // stream frame plus approval panel
	streamAreaWidth int
}

const (
	sideMinW   = 110 // wide enough for a sandbox side pane
	sidePaneW  = 36
	minStreamH = 3
)

func (a *model) layout() layout {
	l := layout{w: a.w, h: a.h}
	rest := a.h
	take := func(n int) bool {
		if rest-n < 1 {
			return false
		}
		rest -= n
		return true
	}
	l.statusH = min(1, rest)
	rest -= l.statusH
	l.hint = a.h >= 6 && take(1)
	if a.replay == nil && (!a.info.HasModel || a.unconfined()) && a.h >= 10 {
		// The banner says how to fix the setup: on a usual 24-line
		// terminal it gets the three lines it needs at 80 columns.
		n := 1
		if a.h >= 16 {
			n = min(len(a.bannerLines(a.w)), 2)
		}
		if a.h >= 24 {
			n = min(len(a.bannerLines(a.w)), 3)
		}
		if take(n) {
			l.bannerH = n
		}
	}

	if a.replay != nil {
		l.bottomH = min(1, rest)
	} else {
		l.promptFramed = a.h >= 10 && a.w >= 8
		frame := 0
		if l.promptFramed {
			frame = 2
		}
		want := min(max(a.prompt.visualRows(promptMaxHeight), 1), promptMaxHeight)
		if a.prompt.ta.Height() > want {
			want = a.prompt.ta.Height()
		}
		l.promptLines = max(1, min(want, rest-frame-minStreamH))
		l.bottomH = min(l.promptLines+frame, rest)
	}
	rest -= l.bottomH

	if !a.sandboxHidden && a.h >= 12 {
		if a.w >= sideMinW {
			// Very wide screens give some of the room to the pane, so
			// paths and labels stop wrapping.
			l.sideW = min(sidePaneW+max(a.w-160, 0)/4, 56)
		} else if take(1) {
			l.strip = true
		}
	}
	l.streamAreaH = max(rest, 0)
	l.streamAreaWidth = max(a.w-l.sideW, 0)

	if a.approval.active() && a.replay == nil {
		want := a.approvalWant(l.streamAreaWidth)
		l.approvalH = min(want, max(l.streamAreaH*3/5, 5), max(l.streamAreaH-minStreamH, 0))
		if l.approvalH < 3 {
			l.approvalH = min(l.streamAreaH, 2)
		}
	}
	frameH := l.streamAreaH - l.approvalH
	l.streamFramed = frameH >= 5 && l.streamAreaWidth >= 8
	l.streamW, l.streamH = l.streamAreaWidth, max(frameH, 0)
	if l.streamFramed {
		l.streamW, l.streamH = l.streamAreaWidth-2, frameH-2
	}
	return l
}

// relayout pushes sizes to the components after every Update.
func (a *model) relayout() {
	l := a.layout()
	if l.streamW != a.lastStreamW || l.streamH != a.lastStreamH {
		a.stream.SetSize(l.streamW, l.streamH)
		a.lastStreamW, a.lastStreamH = l.streamW, l.streamH
	}
	if a.replay == nil {
		pw := l.w
		if l.promptFramed {
			pw -= 2
		}
		a.prompt.fit(max(pw, 1), max(1, l.promptLines))
		a.approval.fit(l.streamAreaWidth)
	}
}

func (a *model) view() tea.View {
	if a.wheel != nil && a.wheel.term != nil && !a.quit.active {
		return a.wheelView()
	}
	v := tea.View{AltScreen: true, MouseMode: tea.MouseModeCellMotion}
	if a.mouseOff {
		v.MouseMode = tea.MouseModeNone
	}
	v.WindowTitle = "tether · " + string(a.sess.state)
	if a.replay != nil {
		v.WindowTitle = "tether replay"
	}
	if a.w <= 0 || a.h <= 0 {
		return v
	}
	l := a.layout()
	a.vc.newFrame()
	var lines []string
	if l.strip {
		lines = append(lines, fitLine(a.sandboxStrip(l.w), l.w))
	}
	lines = append(lines, a.middle(l)...)
	if bl := a.bannerLines(l.w); l.bannerH > 0 {
		// What does not fit goes on the last line, cut with "…".
		last := strings.Join(bl[min(l.bannerH, len(bl))-1:], " ")
		bl = append(bl[:min(l.bannerH, len(bl))-1], last)
		for _, b := range bl {
			lines = append(lines, fitLine(a.st.banner.Render(b), l.w))
		}
	}
	lines = append(lines, a.bottom(l)...)
	if l.hint {
		lines = append(lines, fitLine(a.hintLine(l), l.w))
	}
	if l.statusH > 0 {
		lines = append(lines, fitLine(a.statusLine(), l.w))
	}
	lines = fitCount(lines, l.w, l.h) // every piece above is already l.w wide

	switch {
	case a.quit.active:
		lines = overlay(lines, a.teardownBox(l.w, l.h), l.w)
	case a.quit.confirm:
		lines = overlay(lines, a.confirmBox(l.w, l.h), l.w)
	case a.showHelp:
		lines = overlay(lines, a.helpBox(l.w, l.h), l.w)
	case a.picker.open:
		lines = overlay(lines, a.pickerBox(l.w, l.h), l.w)
	case a.fork.open:
		lines = overlay(lines, a.forkBox(l.w, l.h), l.w)
	}
	v.SetContent(strings.Join(lines, "\n"))
	v.Cursor = a.promptCursor(l)
	return v
}

// promptCursor is where the terminal's cursor goes: in the prompt box
// while it has the keyboard and nothing covers it; nil hides it.
func (a *model) promptCursor(l layout) *tea.Cursor {
	if a.focus != focusPrompt || a.inactive || a.replay != nil || a.quit.active || a.quit.confirm || a.showHelp || a.picker.open {
		return nil
	}
	c := a.prompt.ta.Cursor()
	if c == nil {
		return nil
	}
	y := l.streamAreaH + l.bannerH
	if l.strip {
		y++
	}
	if l.promptFramed {
		c.X++
		y++
	}
	c.Y += y
	if c.X >= l.w || c.Y >= l.h || c.Y < 0 {
		return nil
	}
	return c
}

// middle is the stream (with the approval panel under it) and, on wide
// screens, the sandbox side pane: exactly streamAreaH lines.
func (a *model) middle(l layout) []string {
	var left []string
	title := "events"
	switch {
	case a.stream.InFullView():
		// The list's scroll state means nothing here, and G is "bottom".
		title = "events · full output"
	case !a.stream.Following():
		title = "events · scrolled (G follows)"
		if n := a.stream.Unseen(); n > 0 {
			title = fmt.Sprintf("events · %d new below (G follows)", n)
		}
	}
	body := strings.Split(a.stream.View(), "\n")
	if l.streamFramed {
		left = a.frame(title, body, l.streamAreaWidth, l.streamH+2, a.focus == focusStream && !a.inactive)
	} else {
		left = fitLines(body, l.streamAreaWidth, l.streamH)
	}
	if l.approvalH > 0 {
		left = append(left, a.approvalView(l.streamAreaWidth, l.approvalH)...)
	}
	left = fitCount(left, l.streamAreaWidth, l.streamAreaH)
	if l.sideW == 0 {
		return left
	}
	side := a.frame("sandbox", a.sandboxSide(l.sideW-2, l.streamAreaH-2), l.sideW, l.streamAreaH, false)
	for i := range left {
		if i < len(side) {
			left[i] += side[i]
		}
	}
	return left
}

func (a *model) bottom(l layout) []string {
	if a.replay != nil {
		return fitLines([]string{a.replayBar(l.w)}, l.w, l.bottomH)
	}
	body := strings.Split(a.prompt.view(), "\n")
	if !l.promptFramed {
		return fitLines(body, l.w, l.bottomH)
	}
	title := "prompt"
	if n := len(a.queued); n > 0 {
		// The next one by its words, so the user sees what will go.
		next := termsafe.SanitizeLine(strings.Join(strings.Fields(a.queued[0]), " "))
		title += " · " + itoa(n) + " queued, next: " + ansi.Truncate(next, max(l.w/2, 10), "…")
	}
	return a.frame(title, body, l.w, l.bottomH, a.focus == focusPrompt && !a.inactive)
}

func (a *model) noticeView() string {
	if a.noticeErr {
		return a.st.errorText.Render(a.notice)
	}
	return a.st.notice.Render(a.notice)
}

func (a *model) hintLine(l layout) string {
	if a.inactive {
		// The parent has the keyboard and shows its own keys: these
		// would not work until the session is focused again.
		return a.noticeView()
	}
	hints := a.shortHelpView(a.shortHelp())
	// Feedback shares the hint line, so it never shifts the panes.
	if a.notice != "" {
		return a.noticeView() + a.st.faint.Render("  ·  ") + hints
	}
	return hints
}

// onClick focuses the pane under a left click (never answers an approval:
// clicking the panel only focuses it).
func (a *model) onClick(msg tea.MouseClickMsg) tea.Cmd {
	if msg.Button != tea.MouseLeft || a.quit.active || a.quit.confirm || a.showHelp {
		return nil
	}
	l := a.layout()
	y := msg.Y
	if l.strip {
		y--
	}
	switch {
	case y < 0:
		return nil
	case y < l.streamAreaH:
		if msg.X >= l.streamAreaWidth {
			return nil
		}
		if y >= l.streamAreaH-l.approvalH {
			return a.setFocus(focusApproval)
		}
		return a.setFocus(focusStream)
	}
	y -= l.streamAreaH
	y -= l.bannerH
	if y >= 0 && y < l.bottomH && a.replay == nil {
		return a.setFocus(focusPrompt)
	}
	return nil
}

// unconfinedBanner is the banner of a sandbox without isolation.
const unconfinedBanner = "not isolated: the agent's commands run as you, with your files and keys ([local] isolation = \"none\")"

// unconfined reports whether the sandbox runs commands without isolation
// (the local provider's isolation "none").
func (a *model) unconfined() bool {
	return a.sbx.info != nil && (strings.HasPrefix(a.sbx.info.Isolation, "none") || a.hostNetwork())
}

// hostNetworkBanner is the banner of a confined sandbox that shares the
// host's network (the local provider's network "host").
const hostNetworkBanner = "shared network: the agent's commands reach this machine's loopback services, sockets and DNS ([local] network = \"host\")"

// hostNetwork reports whether a confined sandbox shares the host's network
// by choice (local network "host").
func (a *model) hostNetwork() bool {
	return a.sbx.info != nil && strings.HasPrefix(a.sbx.info.Network, "host (chosen") && !strings.HasPrefix(a.sbx.info.Isolation, "none")
}

// bannerLines is the no-model (or not-isolated) banner wrapped to w (at least one line).
func (a *model) bannerLines(w int) []string {
	text := unconfinedBanner
	if a.hostNetwork() {
		text = hostNetworkBanner
	}
	switch {
	case !a.info.HasModel && a.unconfined():
		text = a.noModelText() + " — and " + text
	case !a.info.HasModel:
		text = a.noModelText()
	}
	lines := wrapText("⚠ "+text, max(w, 1))
	if len(lines) == 0 {
		return []string{""}
	}
	return lines
}
