package fleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/suite"
	"github.com/tether-dev/tether/ui/uitest"
)

// suiteProbe runs fn inside the live suite program.
type suiteProbe struct {
	fn   func(s *suiteView)
	done chan struct{}
}

type suiteProbed struct{ SuiteModel }

func (p suiteProbed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if pr, ok := msg.(suiteProbe); ok {
		pr.fn(p.s)
		close(pr.done)
		return p, nil
	}
	_, cmd := p.SuiteModel.Update(msg)
	return p, cmd
}

func waitSuite(t *testing.T, tm *teatest.TestModel, what string, cond func(s *suiteView) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		ok := false
		pr := suiteProbe{fn: func(s *suiteView) {
			scr = screenOf(SuiteModel{s}.View())
			ok = cond(s)
		}, done: make(chan struct{})}
		go tm.Send(pr)
		select {
		case <-pr.done:
		case <-time.After(time.Second):
		}
		if ok {
			return scr
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never: %s; last screen:\n%s", what, scr)
	return ""
}

func screenOf(v tea.View) string { return ansi.Strip(v.Content) }

func suiteOptions() SuiteOptions {
	return SuiteOptions{Name: "demo", NoColor: true, NoAnimation: true, Now: fixedNow, QuitDelay: -1}
}

// statuses is a run in progress: one passed, one running, one failed, one
// queued.
func statuses() []suite.CaseStatus {
	t0 := fixedNow().Add(-2 * time.Minute)
	base := func(i int, id string) suite.CaseStatus {
		return suite.CaseStatus{Index: i, Total: 4, ID: id, Model: "gpt-4o-mini", State: suite.StateQueued}
	}
	var out []suite.CaseStatus
	a := base(0, "hello/world[gpt-4o-mini]#1")
	out = append(out, a)
	a.State, a.Started = suite.StateCreating, t0
	out = append(out, a)
	a.State, a.SandboxID, a.Elapsed = suite.StateSetup, "local-aaa", 3*time.Second
	out = append(out, a)
	a.State, a.AgentState, a.Elapsed = suite.StateRunning, session.StateRunning, 4*time.Second
	out = append(out, a)
	a.Steps, a.LastAction, a.LLMCalls, a.CostUSD, a.CostKnown, a.Tokens, a.Elapsed = 1, "run echo Hello > hello.txt", 1, 0.0021, true, 900, 9*time.Second
	out = append(out, a)
	a.State, a.AgentState, a.Elapsed = suite.StateChecking, session.StateFinished, 12*time.Second
	out = append(out, a)
	a.State, a.Elapsed = suite.StatePassed, 14*time.Second
	a.Result = &suite.CaseResult{ID: a.ID, Status: suite.StatePassed, Checks: []suite.CheckResult{{Name: "hello.txt says hello", Passed: true}}}
	out = append(out, a)

	b := base(1, "fix-tests[gpt-4o-mini]#1")
	b.State, b.Started, b.SandboxID = suite.StateRunning, fixedNow().Add(-75*time.Second), "local-bbb"
	b.AgentState, b.Steps, b.LLMCalls, b.LastAction, b.Elapsed = session.StateRunning, 3, 4, "run python3 test_calc.py", 70*time.Second
	out = append(out, b)

	c := base(2, "slow[other-model]#1")
	c.State, c.Started, c.SandboxID, c.Model = suite.StateRunning, t0, "local-ccc", "other-model"
	out = append(out, c)
	c.Steps, c.LLMCalls, c.LastAction, c.Tokens = 1, 1, "run make", 300
	out = append(out, c)
	c.State, c.Elapsed, c.Detail = suite.StateFailed, 50*time.Second, "check `make test` exited 2"
	c.Result = &suite.CaseResult{ID: c.ID, Status: suite.StateFailed, Checks: []suite.CheckResult{{Name: "make test", Passed: false, Message: "exit 2"}}}
	out = append(out, c)

	out = append(out, base(3, "last[gpt-4o-mini]#1"))
	return out
}

func startSuite(t *testing.T, feed *SuiteFeed, opts SuiteOptions, w, h int) *teatest.TestModel {
	t.Helper()
	return teatest.NewTestModel(t, suiteProbed{NewSuite(feed, opts)}, teatest.WithInitialTermSize(w, h))
}

func evObservation(id string, exit int, d time.Duration, content string) session.Event {
	return session.Event{Kind: session.KindObservation, Observation: &session.Observation{
		ToolCallID: id, Tool: "terminal", Content: content, ExitCode: &exit, Duration: d, IsError: exit != 0,
	}}
}

// caseEvents are the sessions of statuses' first and third cases.
func caseScripts() map[string][]session.Event {
	return map[string][]session.Event{
		"hello/world[gpt-4o-mini]#1": {
			uitest.User("write Hello to hello.txt"),
			uitest.State(session.StateIdle, session.StateRunning, ""),
			evAction("h1", "echo Hello > hello.txt"),
			evObservation("h1", 0, 20*time.Millisecond, ""),
			uitest.Assistant("Done: hello.txt says Hello."),
			uitest.State(session.StateRunning, session.StateFinished, "the agent finished"),
		},
		"slow[other-model]#1": {
			uitest.User("build the app"),
			uitest.State(session.StateIdle, session.StateRunning, ""),
			uitest.Assistant("I'll run make."),
			evAction("s1", "make"),
			uitest.Output("s1", "cc -o app main.c\nmain.c:3:1: error: expected ';'\n"),
			uitest.Output("s1", "make: *** [app] Error 1\n"),
			evObservation("s1", 2, 1500*time.Millisecond, "make: *** [app] Error 1"),
			uitest.State(session.StateRunning, session.StateFinished, "the agent finished"),
		},
	}
}

// feedScripts sends statuses and the cases' events as a run would: each
// case's queued status first.
func feedScripts(feed *SuiteFeed) {
	for _, st := range statuses() {
		feed.Update(st)
	}
	for id, evs := range caseScripts() {
		for i, ev := range evs {
			ev.Seq, ev.Time = int64(i+1), fixedNow()
			feed.Event(id, ev)
		}
	}
}

// runSuiteGolden feeds the scripted run, presses keys and compares the
// screen, once cond holds, with testdata/<test>/<W>x<H>.golden.
func runSuiteGolden(t *testing.T, keys []string, cond func(s *suiteView) bool) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			feed := NewSuiteFeed()
			opts := suiteOptions()
			opts.SpillDir = t.TempDir()
			m := NewSuite(feed, opts)
			t.Cleanup(func() { _ = m.Close() })
			tm := teatest.NewTestModel(t, suiteProbed{m}, teatest.WithInitialTermSize(sz[0], sz[1]))
			feedScripts(feed)
			waitSuite(t, tm, "every update and event taken in", func(s *suiteView) bool {
				el := s.streams["slow[other-model]#1"]
				return len(s.cases) == 4 && s.cases[2].st.State == suite.StateFailed && s.cases[3].seen &&
					el != nil && el.Len() == 5
			})
			press(tm, keys...)
			got := waitSuite(t, tm, "the keys are taken", cond)
			golden.RequireEqual(t, got)
			_ = tm.Quit()
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		})
	}
}

// The third case selected: its checks above its event stream.
func TestGoldenSuite(t *testing.T) {
	runSuiteGolden(t, []string{"j", "j"}, func(s *suiteView) bool { return s.cur == 2 })
}

// tab gives the stream the keyboard; space expands the selected output.
func TestGoldenSuiteStreamFocused(t *testing.T) {
	runSuiteGolden(t, []string{"j", "j", "tab", "k", "space"}, func(s *suiteView) bool {
		return s.cur == 2 && s.focus && strings.Contains(screenOf(SuiteModel{s}.View()), "Error 1")
	})
}

// d shows the details and the timeline instead.
func TestGoldenSuiteDetails(t *testing.T) {
	runSuiteGolden(t, []string{"j", "j", "d"}, func(s *suiteView) bool { return s.cur == 2 && s.details })
}

func TestSuiteTimelineFromUpdates(t *testing.T) {
	s := NewSuite(NewSuiteFeed(), suiteOptions()).s
	for _, st := range statuses() {
		s.apply(st)
	}
	var got []string
	for _, e := range s.cases[0].timeline {
		got = append(got, e.text)
	}
	want := []string{"queued", "creating", "setup", "running", "agent running", "$ run echo Hello > hello.txt", "checking", "agent finished", "passed"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("timeline = %q\nwant       %q", got, want)
	}
}

func TestSuiteFeedNeverBlocks(t *testing.T) {
	feed := NewSuiteFeed()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10000 {
			feed.Update(suite.CaseStatus{Index: i % 7, Total: 7, Steps: i})
		}
		feed.Finish(nil, nil)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Update blocked with nobody reading")
	}
	msg := feed.next()().(suiteFeedMsg)
	if len(msg.updates) != 10000 || !msg.finished {
		t.Fatalf("took %d updates, finished=%v", len(msg.updates), msg.finished)
	}
}

// A real suite run: ctrl+c cancels it, the view stays while the cases
// clean up, and leaves once the run has returned with every sandbox gone.
func TestSuiteCancelShowsCleanupThenExits(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.toml")
	const toml = `name = "slow"
[defaults]
model = "fake"
[[case]]
name = "sleepy"
prompt = "sleep 30"
runs = 2
`
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := suite.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: "none"})
	if err != nil {
		t.Fatal(err)
	}
	live := &liveCounter{Provider: prov}
	srv := llmtest.NewServer(t)
	srv.SetHandler(func(req llmtest.ChatRequest) llmtest.Reply {
		last := req.Last()
		if last.Role == llm.RoleTool {
			return llmtest.ToolReply(llmtest.Call(session.ToolFinish, map[string]any{"message": "done"}))
		}
		return llmtest.ToolReply(llmtest.Call(session.ToolTerminal, map[string]any{"command": last.Content}))
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed := NewSuiteFeed()
	var cancels atomic.Int32
	opts := suiteOptions()
	opts.Now = nil
	opts.Cancel = func() { cancels.Add(1); cancel() }
	tm := startSuite(t, feed, opts, 120, 30)
	go func() {
		rep, err := suite.Run(ctx, s, suite.RunOptions{
			Concurrency:  2,
			Providers:    func(string) (sandbox.Provider, error) { return live, nil },
			Models:       func(name string) (session.Model, error) { return llm.New(srv.Config(name)) },
			DefaultModel: "fake",
			OnUpdate:     feed.Update,
		})
		feed.Finish(rep, err)
	}()
	waitSuite(t, tm, "both cases running the agent", func(s *suiteView) bool {
		n := 0
		for _, c := range s.cases {
			if c.st.State == suite.StateRunning && c.st.Steps == 1 {
				n++
			}
		}
		return n == 2
	})
	tm.Send(keyMsg("q"))
	waitSuite(t, tm, "q only explains", func(s *suiteView) bool {
		return strings.Contains(s.notice, "ctrl+c cancels it") && !s.cancelled
	})
	tm.Send(keyMsg("ctrl+c"))
	waitSuite(t, tm, "the view shows the clean-up", func(s *suiteView) bool {
		return s.cancelled && (s.finished || strings.Contains(screenOf(SuiteModel{s}.View()), "cleaning up"))
	})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(suiteProbed).SuiteModel
	if cancels.Load() != 1 {
		t.Fatalf("Cancel called %d times", cancels.Load())
	}
	if !fm.Finished() {
		t.Fatal("the view left before the suite had cleaned up")
	}
	rep, err := fm.Report()
	if err == nil || rep == nil || !rep.Interrupted {
		t.Fatalf("report = %+v, err = %v; want an interrupted run", rep, err)
	}
	if n := live.n.Load(); n != 0 {
		t.Fatalf("%d sandboxes left alive after the view exited", n)
	}
	for _, c := range fm.s.cases {
		if c.st.State != suite.StateCancelled {
			t.Fatalf("case %s ended %s, want cancelled", c.st.ID, c.st.State)
		}
	}
}

// liveCounter counts sandboxes created and not yet closed.
type liveCounter struct {
	sandbox.Provider
	n atomic.Int64
}

func (l *liveCounter) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	sb, err := l.Provider.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	l.n.Add(1)
	return &countedSandbox{Sandbox: sb, l: l}, nil
}

type countedSandbox struct {
	sandbox.Sandbox
	l      *liveCounter
	closed atomic.Bool
}

func (c *countedSandbox) Close(ctx context.Context) error {
	err := c.Sandbox.Close(ctx)
	if err == nil && c.closed.CompareAndSwap(false, true) {
		c.l.n.Add(-1)
	}
	return err
}

func TestSuiteInterruptKeys(t *testing.T) {
	var cancels int
	opts := suiteOptions()
	opts.Cancel = func() { cancels++ }
	s := NewSuite(NewSuiteFeed(), opts).s
	isQuit := func(cmd tea.Cmd) bool {
		if cmd == nil {
			return false
		}
		_, ok := cmd().(tea.QuitMsg)
		return ok
	}
	if isQuit(s.onKey("q")) || cancels != 0 {
		t.Fatal("q left or cancelled a running suite")
	}
	if isQuit(s.onKey("ctrl+c")) || cancels != 1 {
		t.Fatalf("first ctrl+c: cancels = %d", cancels)
	}
	if isQuit(s.onKey("ctrl+c")) || !strings.Contains(s.notice, "again to leave") {
		t.Fatalf("second ctrl+c should warn, notice %q", s.notice)
	}
	if !isQuit(s.onKey("ctrl+c")) {
		t.Fatal("third ctrl+c should leave the view")
	}
	if cancels != 1 {
		t.Fatalf("Cancel called %d times", cancels)
	}
	// Once the run has returned, q leaves.
	s2 := NewSuite(NewSuiteFeed(), suiteOptions()).s
	s2.onFeed(suiteFeedMsg{finished: true})
	if !isQuit(s2.onKey("q")) {
		t.Fatal("q does not leave a finished suite")
	}
}
