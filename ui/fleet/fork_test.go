package fleet

import (
	"sync"
	"testing"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui"
	"github.com/tether-dev/tether/ui/uitest"
)

func TestForkInASessionAddsTheBranchBesideTheOriginal(t *testing.T) {
	orig := newFakeEngine("one", 64)
	branch := newFakeEngine("two", 64)
	var (
		mu   sync.Mutex
		from ui.Engine
		got  ui.ForkRequest
	)
	opts := testOptions()
	opts.Fork = func(e ui.Engine, req ui.ForkRequest) (ui.Engine, error) {
		mu.Lock()
		defer mu.Unlock()
		from, got = e, req
		return branch, nil
	}
	tm := startFleet(t, []*fakeEngine{orig}, opts, 120, 30)
	orig.Emit(uitest.User("count the lines"), uitest.Assistant("There are 120."),
		uitest.State(session.StateRunning, session.StateFinished, ""))
	waitScreen(t, tm, "There are 120.")
	press(tm, "tab", "F") // the stream, then fork at the prompt above the selection
	waitScreen(t, tm, "at your prompt")
	press(tm, "enter")
	waitFor(t, tm, "the branch joins the list, focused", func(f *fleet) bool {
		return len(f.sess) == 2 && f.cur == 1 && f.sess[1].name == "#1⑂1" && f.sess[0].eng == ui.Engine(orig)
	})
	mu.Lock()
	if from != ui.Engine(orig) || got.At != 1 {
		t.Errorf("Fork got from=%v req=%+v, want the original at event 1", from, got)
	}
	mu.Unlock()
	branch.Emit(uitest.User("count the lines again"))
	waitScreen(t, tm, "count the lines again")
	_ = tm.Quit()
}
