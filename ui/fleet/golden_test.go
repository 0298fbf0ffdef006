package fleet

import (
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

var goldenSizes = [][2]int{{80, 24}, {160, 48}}

// goldenOptions fix the clock 75s after the scripts' events.
func goldenOptions() Options {
	o := testOptions()
	o.UI.Now = func() time.Time { return fixedNow().Add(75 * time.Second) }
	return o
}

// runGolden starts the real program over three fake sessions, lets script
// drive it, waits until cond holds and compares the screen with
// testdata/<name>/<W>x<H>.golden.
func runGolden(t *testing.T, script func(tm *teatest.TestModel, engs []*fakeEngine), cond func(f *fleet) bool) {
	runGoldenWith(t, goldenOptions(), script, cond)
}

func runGoldenWith(t *testing.T, opts Options, script func(tm *teatest.TestModel, engs []*fakeEngine), cond func(f *fleet) bool) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			engs := []*fakeEngine{newFakeEngine("one", 64), newFakeEngine("two", 64), newFakeEngine("three", 64)}
			tm := startFleet(t, engs, opts, sz[0], sz[1])
			engs[0].Emit(scriptRunning("local-one", "list the files and count lines", 0.0123, true)...)
			engs[1].Emit(scriptRunning("local-two", "write a hello world program", 0, false)...)
			engs[2].Emit(evSandbox("local-three", "creating"))
			want := len(scriptRunning("", "", 0, true))
			waitFor(t, tm, "every event taken in", func(f *fleet) bool {
				return f.sess[0].m.Summary().Events == want && f.sess[1].m.Summary().Events == want &&
					f.sess[2].m.Summary().Events == 1
			})
			script(tm, engs)
			got := waitFor(t, tm, "the screen settles", cond)
			golden.RequireEqual(t, got)
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		})
	}
}

func TestGoldenFleetSession(t *testing.T) {
	runGolden(t, func(*teatest.TestModel, []*fakeEngine) {}, func(f *fleet) bool { return !f.list })
}

func TestGoldenFleetList(t *testing.T) {
	runGolden(t, func(tm *teatest.TestModel, _ []*fakeEngine) {
		press(tm, "ctrl+l", "j")
	}, func(f *fleet) bool { return f.list && f.cur == 1 })
}

func TestGoldenFleetQuitConfirm(t *testing.T) {
	runGolden(t, func(tm *teatest.TestModel, _ []*fakeEngine) {
		press(tm, "ctrl+q")
	}, func(f *fleet) bool { return f.confirm == confirmQuit })
}
