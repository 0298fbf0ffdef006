package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestE2EPanicInEngine: the model panics on its first call, in the
// session's goroutine (TETHER_FAULT=panic-model, a test hook). guard only
// sees panics on the main goroutine, so this checks that a crash deep in
// the engine still leaves no sandbox behind, for `tether run` and the TUI.
func TestE2EPanicInEngine(t *testing.T) {
	for _, prov := range allProviders {
		t.Run(prov+"/run", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov)
			e.extra["TETHER_FAULT"] = "panic-model"
			_, stderr, code := e.run(60*time.Second, "run", "hello")
			logStderr(t, stderr)
			if code == 0 {
				t.Errorf("a run whose model panicked exited 0:\n%s", stderr)
			}
			if !strings.Contains(stderr, "injected panic") {
				t.Errorf("stderr does not report the panic:\n%s", stderr)
			}
			e.assertNoLeaks("panic/" + prov + "/run")
		})
		t.Run(prov+"/tui", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov)
			e.extra["TETHER_FAULT"] = "panic-model"
			u := e.startTUI()
			u.waitScreen("started", 30*time.Second)
			u.typeLine("hello")
			deadline := time.Now().Add(20 * time.Second)
			shown := false
			for pidAlive(u.pid) && time.Now().Before(deadline) {
				if shown = strings.Contains(u.screen(), "crashed"); shown {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !shown {
				t.Errorf("the UI did not show the crash as an error; stderr:\n%s", u.stderr())
			}
			if pidAlive(u.pid) {
				u.keys("C-q")
				time.Sleep(200 * time.Millisecond)
				u.keys("y")
			}
			u.waitExit(30 * time.Second)
			logStderr(t, u.stderr())
			e.assertNoLeaks("panic/" + prov + "/tui")
		})
	}
}
