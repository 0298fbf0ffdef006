package fleet

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/suite"
	"github.com/tether-dev/tether/ui/eventlist"
)

// SuiteOptions tune the suite view.
type SuiteOptions struct {
	// Name is the suite's name, for the title.
	Name string
	// Cancel cancels the run (ctrl+c): the context given to suite.Run.
	// The view then waits for the feed's Finish, which comes once every
	// sandbox is cleaned up.
	Cancel  func()
	NoColor bool
	// Now is the clock; nil means time.Now. Tests fix it.
	Now func() time.Time
	// NoAnimation stops the once-a-second redraw of the elapsed times.
	NoAnimation bool
	// Light starts with the light palette until the terminal answers.
	Light bool
	// QuitDelay is how long the finished clean-up stays on screen after a
	// cancel before the program exits; 0 means 1s, negative none.
	QuitDelay time.Duration
	// SpillDir is where the cases' event streams keep big tool output;
	// "" = a directory of the view's own under the system temp dir, which
	// Close removes.
	SpillDir string
	// MaxOutputRAM caps one tool call's output each case's stream keeps in
	// memory; 0 = DefaultSuiteOutputRAM.
	MaxOutputRAM int64
}

func (o SuiteOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// SuiteModel is the read-only view of a running suite: every case with its
// state, steps, cost, elapsed time and last action, and beside it the
// selected case's live event stream (the single-session view's list:
// scroll, expand output, search) under a summary with its check results,
// or, with d, its details and a timeline built from the CaseStatus
// updates. tab (ctrl+l, f2) moves the keyboard between the case list and
// the stream. It implements tea.Model; Close it after the program ends.
//
// Cases are not interactive sessions (suite.Run drives them itself): the
// streams only show what the feed's Event brought. A case's stream is made
// on its first event and kept, with little output in memory per tool call
// (SuiteOptions.MaxOutputRAM), the rest in spill files Close removes.
type SuiteModel struct{ s *suiteView }

var _ tea.Model = SuiteModel{}

type suiteView struct {
	feed  *SuiteFeed
	opts  SuiteOptions
	st    styles
	w, h  int
	start time.Time

	cases []*caseView // by Index
	cur   int

	streams map[string]*eventlist.Model // by case ID, made on the first event
	details bool                        // the pane shows details, not the stream
	focus   bool                        // the stream has the keyboard
	focused *eventlist.Model            // the stream told it has the keyboard
	light   bool
	tmpDir  string // the spill dir the view made, if any

	finished   bool
	report     *suite.Report
	err        error
	cancelled  bool // the user cancelled
	forceArmed bool
	quitTimer  bool
	notice     string
}

// caseView is one case: its latest status and what happened so far.
type caseView struct {
	st       suite.CaseStatus
	seen     bool // an update has arrived
	timeline []timelineEntry
}

type timelineEntry struct {
	at   time.Duration // since the case started (or the view, while queued)
	text string
}

// maxTimeline bounds each case's timeline; the oldest entries go.
const maxTimeline = 500

// NewSuite builds the suite view over feed.
func NewSuite(feed *SuiteFeed, opts SuiteOptions) SuiteModel {
	s := &suiteView{feed: feed, opts: opts, w: 80, h: 24, start: opts.now(),
		streams: map[string]*eventlist.Model{}, light: opts.Light}
	s.st = newStyles(!opts.Light, opts.NoColor)
	return SuiteModel{s}
}

// Init starts reading the feed.
func (v SuiteModel) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, v.s.feed.next(), v.s.tick())
}

// Report is what suite.Run returned, once it has (nil before).
func (v SuiteModel) Report() (*suite.Report, error) { return v.s.report, v.s.err }

// Finished reports whether suite.Run had returned when the view closed.
func (v SuiteModel) Finished() bool { return v.s.finished }

type suiteTickMsg struct{}
type suiteQuitMsg struct{}

func (s *suiteView) tick() tea.Cmd {
	if s.opts.NoAnimation {
		return nil
	}
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return suiteTickMsg{} })
}

// Update implements tea.Model.
func (v SuiteModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := v.s.update(msg)
	v.s.syncFocus()
	return v, cmd
}

func (s *suiteView) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.w, s.h = max(msg.Width, 0), max(msg.Height, 0)
	case tea.BackgroundColorMsg:
		s.st = newStyles(msg.IsDark(), s.opts.NoColor)
		s.light = !msg.IsDark()
		for _, el := range s.streams {
			el.SetLight(s.light)
		}
	case suiteTickMsg:
		if !s.finished {
			return s.tick()
		}
	case suiteFeedMsg:
		return s.onFeed(msg)
	case suiteQuitMsg:
		return tea.Quit
	case tea.KeyPressMsg:
		if el := s.curStream(); s.focus && el != nil {
			return s.onStreamKey(el, msg)
		}
		return s.onKey(msg.String())
	case tea.MouseMsg:
		return s.onMouse(msg)
	default:
		// Cursor blinks and the like for the stream's search box.
		if el := s.curStream(); s.focus && el != nil {
			return el.Update(msg)
		}
	}
	return nil
}

func (s *suiteView) onFeed(msg suiteFeedMsg) tea.Cmd {
	for _, st := range msg.updates {
		s.apply(st)
	}
	s.appendEvents(msg.events)
	if !msg.finished {
		return s.feed.next()
	}
	s.finished, s.report, s.err = true, msg.report, msg.err
	if s.cancelled {
		// The user asked to stop: the clean-up is done, leave.
		s.quitTimer = true
		d := s.opts.QuitDelay
		switch {
		case d < 0:
			return tea.Quit
		case d == 0:
			d = time.Second
		}
		return tea.Tick(d, func(time.Time) tea.Msg { return suiteQuitMsg{} })
	}
	return nil
}

// apply folds one status into its case, adding to the timeline what
// changed: the state, the agent's state, each new action.
func (s *suiteView) apply(st suite.CaseStatus) {
	for len(s.cases) < max(st.Total, st.Index+1) {
		s.cases = append(s.cases, &caseView{})
	}
	if st.Index < 0 {
		return
	}
	c := s.cases[st.Index]
	prev, seen := c.st, c.seen
	c.st, c.seen = st, true
	at := st.Elapsed
	add := func(text string) {
		c.timeline = append(c.timeline, timelineEntry{at: at, text: termsafe.SanitizeLine(text)})
		if n := len(c.timeline); n > maxTimeline {
			c.timeline = append(c.timeline[:0], c.timeline[n-maxTimeline:]...)
		}
	}
	if !seen || st.State != prev.State {
		line := string(st.State)
		if st.Detail != "" {
			line += ": " + st.Detail
		}
		add(line)
	} else if st.Detail != prev.Detail && st.Detail != "" {
		add(st.Detail)
	}
	if st.AgentState != "" && st.AgentState != prev.AgentState {
		add("agent " + string(st.AgentState))
	}
	if st.Steps > prev.Steps && st.LastAction != "" {
		add("$ " + st.LastAction)
	}
}

func (s *suiteView) move(d int) {
	s.cur = max(min(s.cur+d, len(s.cases)-1), 0)
}

func (s *suiteView) onKey(ks string) tea.Cmd {
	s.notice = ""
	switch ks {
	case "up", "k":
		s.move(-1)
	case "down", "j":
		s.move(1)
	case "pgup":
		s.move(-10)
	case "pgdown":
		s.move(10)
	case "home", "g":
		s.cur = 0
	case "end", "G":
		s.move(len(s.cases))
	case "tab", keyList, keyList2:
		s.toggleFocus()
	case "d":
		s.details = !s.details
	case "ctrl+c", "ctrl+q":
		return s.interrupt(ks)
	case "q", "esc":
		if s.finished {
			return tea.Quit
		}
		if !s.cancelled {
			s.notice = "the suite is still running: ctrl+c cancels it (every sandbox is cleaned up)"
		}
	case "enter":
		if s.finished {
			return tea.Quit
		}
	}
	return nil
}

// interrupt: once the suite has finished, ctrl+c leaves; while it runs,
// it cancels the suite and the view stays until every sandbox is cleaned
// up; pressed twice more, the view leaves at once (the command still waits
// for the clean-up before exiting).
func (s *suiteView) interrupt(ks string) tea.Cmd {
	switch {
	case s.finished:
		return tea.Quit
	case !s.cancelled:
		s.cancelled = true
		if s.opts.Cancel != nil {
			s.opts.Cancel()
		}
		return nil
	case !s.forceArmed:
		s.forceArmed = true
		s.notice = "still cleaning up — press " + ks + " again to leave the view (tether waits for the clean-up before exiting)"
		return nil
	}
	return tea.Quit
}
