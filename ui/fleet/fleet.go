package fleet

import (
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/transcript"
	"github.com/tether-dev/tether/ui"
)

// Options tune the fleet view. The zero value is usable.
type Options struct {
	// UI is given to every session's screen (Embedded is always set).
	// Its NoColor, Now, NoAnimation and QuitDelay apply to the fleet too.
	UI ui.Options
	// NewEngine starts a new session's engine (ctrl+n). It runs in a
	// tea.Cmd, so it may take a moment. nil: no new sessions.
	NewEngine func() (ui.Engine, error)
	// Fork starts a branch of a session (the fork dialog of its screen):
	// it joins the list beside the original. nil: no forks.
	Fork func(from ui.Engine, req ui.ForkRequest) (ui.Engine, error)
	// Compare compares two sessions' recordings (c in the list), its
	// texts redacted. It runs in a tea.Cmd. nil: no comparisons.
	Compare func(a, b ui.Engine) (transcript.Comparison, error)
}

func (o Options) quitDelay() time.Duration {
	switch {
	case o.UI.QuitDelay < 0:
		return 0
	case o.UI.QuitDelay == 0:
		return 600 * time.Millisecond
	}
	return o.UI.QuitDelay
}

// Model is the fleet view; it implements tea.Model. It wraps a pointer so
// that the copies Bubble Tea passes around all share one state.
type Model struct{ f *fleet }

var _ tea.Model = Model{}

type fleet struct {
	opts   Options
	st     styles
	dark   bool
	w, h   int
	sess   []*member
	cur    int  // the session shown (and selected in the list)
	list   bool // the list has the keyboard
	next   int  // the next session's id
	adding int  // engines being made

	compare *compareView // shown in the session area while set

	notice     string
	noticeErr  bool
	confirm    confirmKind
	quitArmed  bool // ctrl+c once in the list
	quitting   bool
	quitFailed bool // some teardown failed: wait for a key
	forceArmed bool
	quitTimer  bool // the exit is scheduled
}

// member is one session: its engine and the screen showing it.
type member struct {
	id     int
	name   string
	eng    ui.Engine
	m      ui.Model
	done   bool // its screen quit (teardown finished)
	parent int  // the session it was forked from (0 = none)
}

// New builds the fleet view over engines already started (there may be
// none: ctrl+n starts one).
func New(engines []ui.Engine, opts Options) Model {
	opts.UI.Embedded = true
	f := &fleet{opts: opts, dark: !opts.UI.Light, w: 80, h: 24, next: 1}
	f.st = newStyles(f.dark, opts.UI.NoColor)
	for _, e := range engines {
		f.add(e, "")
	}
	return Model{f}
}

func (f *fleet) add(e ui.Engine, name string) *member {
	if name == "" {
		name = fmt.Sprintf("#%d", f.next)
	}
	m := &member{id: f.next, name: name, eng: e, m: ui.New(e, f.opts.UI)}
	f.next++
	f.sess = append(f.sess, m)
	return m
}

// Init starts every session's screen.
func (v Model) Init() tea.Cmd {
	f := v.f
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	for _, s := range f.sess {
		cmds = append(cmds, f.initMember(s))
	}
	return tea.Batch(append(cmds, f.syncActive())...)
}

func (f *fleet) initMember(s *member) tea.Cmd {
	cmd := tag(s.id, s.m.Init())
	// Every session, since the list's height may have changed with it.
	f.resize()
	return cmd
}

// Update implements tea.Model.
func (v Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := v.f.update(msg)
	return v, tea.Batch(cmd, v.f.syncActive())
}

// syncActive gives the keyboard look to the focused session only, and to
// none while the list has the keyboard.
func (f *fleet) syncActive() tea.Cmd {
	var cmds []tea.Cmd
	for i, s := range f.sess {
		cmds = append(cmds, tag(s.id, s.m.SetActive(i == f.cur && !f.list && !f.quitting)))
	}
	return tea.Batch(cmds...)
}

// Close releases every session screen's resources (spill files). Call it
// after the program has exited.
func (v Model) Close() error {
	var first error
	for _, s := range v.f.sess {
		if err := s.m.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Engines are the sessions' engines, oldest first.
func (v Model) Engines() []ui.Engine {
	out := make([]ui.Engine, len(v.f.sess))
	for i, s := range v.f.sess {
		out[i] = s.eng
	}
	return out
}

// ShutdownErrs are the errors the engines' Shutdown returned while quitting,
// by session name, to report after the program exits.
func (v Model) ShutdownErrs() map[string]error {
	out := map[string]error{}
	for _, s := range v.f.sess {
		if err := s.m.ShutdownErr(); err != nil {
			out[s.name] = err
		}
	}
	return out
}

// newEngineMsg is NewEngine's answer.
type newEngineMsg struct {
	eng    ui.Engine
	err    error
	name   string // "" = the next number
	parent int    // the session a fork branched from
}

type quitNowMsg struct{}

func (f *fleet) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		f.w, f.h = max(msg.Width, 0), max(msg.Height, 0)
		f.resize()
		return nil
	case tea.BackgroundColorMsg:
		f.dark = msg.IsDark()
		f.st = newStyles(f.dark, f.opts.UI.NoColor)
		return f.broadcast(msg)
	case childMsg:
		if _, ok := msg.msg.(ui.QuitRequestMsg); ok {
			return f.requestQuit()
		}
		if fr, ok := msg.msg.(ui.ForkRequestMsg); ok {
			return f.fork(msg.id, fr)
		}
		s := f.byID(msg.id)
		if s == nil {
			return nil
		}
		_, cmd := s.m.Update(msg.msg)
		return tea.Batch(tag(s.id, cmd), f.checkQuit())
	case childQuitMsg:
		if s := f.byID(msg.id); s != nil {
			s.done = true
		}
		return f.checkQuit()
	case newEngineMsg:
		return f.onNewEngine(msg)
	case compareMsg:
		return f.onCompare(msg)
	case quitNowMsg:
		return tea.Quit
	case tea.KeyPressMsg:
		return f.onKey(msg)
	case tea.PasteMsg:
		if s := f.focused(); s != nil && !f.list && !f.quitting && f.confirm == confirmNone {
			return f.toMember(s, msg)
		}
		return nil
	case tea.MouseMsg:
		return f.onMouse(msg)
	}
	return f.broadcast(msg)
}

// broadcast gives msg to every session (the terminal's answers, messages
// of unknown origin).
func (f *fleet) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(f.sess))
	for _, s := range f.sess {
		cmds = append(cmds, f.toMember(s, msg))
	}
	return tea.Batch(cmds...)
}

func (f *fleet) toMember(s *member, msg tea.Msg) tea.Cmd {
	_, cmd := s.m.Update(msg)
	return tag(s.id, cmd)
}

func (f *fleet) byID(id int) *member {
	for _, s := range f.sess {
		if s.id == id {
			return s
		}
	}
	return nil
}

func (f *fleet) focused() *member {
	if f.cur >= 0 && f.cur < len(f.sess) {
		return f.sess[f.cur]
	}
	return nil
}

// resize gives every session the size of the session area, so switching
// shows a screen already laid out.
func (f *fleet) resize() {
	l := f.layout()
	for _, s := range f.sess {
		s.m.Update(tea.WindowSizeMsg{Width: l.sessW, Height: l.sessH})
	}
}

func (f *fleet) newSession() tea.Cmd {
	if f.opts.NewEngine == nil {
		f.setNotice("new sessions are not available here", true)
		return nil
	}
	f.adding++
	f.setNotice("starting a new session…", false)
	mk := f.opts.NewEngine
	return func() tea.Msg {
		e, err := mk()
		return newEngineMsg{eng: e, err: err}
	}
}

func (f *fleet) onNewEngine(msg newEngineMsg) tea.Cmd {
	f.adding = max(f.adding-1, 0)
	if msg.err != nil || msg.eng == nil {
		err := msg.err
		if err == nil {
			err = fmt.Errorf("no engine was made")
		}
		f.setNotice("could not start a session: "+err.Error(), true)
		return nil
	}
	s := f.add(msg.eng, msg.name)
	s.parent = msg.parent
	cmd := f.initMember(s)
	if f.quitting {
		// Quitting began while it was being made: it goes down too.
		return tea.Batch(cmd, tag(s.id, s.m.Teardown()))
	}
	f.cur, f.list = len(f.sess)-1, false
	f.setNotice(s.name+" started", false)
	return cmd
}

// fork starts a branch of session id beside it, named after it and the
// event: "#1⑂12".
func (f *fleet) fork(id int, fr ui.ForkRequestMsg) tea.Cmd {
	src := f.byID(id)
	if src == nil {
		return nil
	}
	if f.opts.Fork == nil {
		f.setNotice("forks are not available here", true)
		return nil
	}
	f.adding++
	f.setNotice(fmt.Sprintf("forking %s at event %d…", src.name, fr.Request.At), false)
	mk, name := f.opts.Fork, fmt.Sprintf("%s⑂%d", src.name, fr.Request.At)
	return func() tea.Msg {
		e, err := mk(fr.Engine, fr.Request)
		return newEngineMsg{eng: e, err: err, name: name, parent: id}
	}
}

// setNotice shows one line of feedback in the list pane until the next key.
func (f *fleet) setNotice(s string, isErr bool) {
	f.notice, f.noticeErr = termsafe.SanitizeLine(s), isErr
}

func (f *fleet) busyCount() int {
	n := 0
	for _, s := range f.sess {
		if s.m.Summary().Busy {
			n++
		}
	}
	return n
}

// remove drops a session whose screen has quit (not while quitting all,
// where the teardown lines stay on screen).
func (f *fleet) remove(id int) {
	i := slices.IndexFunc(f.sess, func(s *member) bool { return s.id == id })
	if i < 0 {
		return
	}
	_ = f.sess[i].m.Close()
	f.sess = slices.Delete(f.sess, i, i+1)
	if i < f.cur {
		f.cur--
	}
	f.cur = max(min(f.cur, len(f.sess)-1), 0)
	f.resize()
}
