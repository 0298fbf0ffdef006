package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2EHostileModelText: the model's own words can carry escapes too (a
// model repeats what it read in the sandbox, or is told to by a file it
// read). `tether run` in a terminal must not let them act on it.
func TestE2EHostileModelText(t *testing.T) {
	e := newEnv(t, "local")
	e.tuiStderrOnTTY = true
	e.tuiKeepPane = true // `run` ends by itself, maybe before the screen is read
	e.llm.Enqueue(llmtest.TextReply("answer\x1b]0;pwned-title\x07\x1b]52;c;ZXZpbA==\x07 END-OF-ANSWER"))
	u := e.startTUI("run", "say it")
	_, _ = u.tmux("set-option", "-g", "set-clipboard", "on")
	before, _ := u.tmux("display-message", "-p", "-t", "main", "#{pane_title}")
	u.waitScreen("END-OF-ANSWER", 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	title, _ := u.tmux("display-message", "-p", "-t", "main", "#{pane_title}")
	if strings.Contains(title, "pwned") {
		t.Errorf("the model's text changed the terminal title: %q -> %q", before, title)
	}
	if bufs, _ := u.tmux("list-buffers"); strings.TrimSpace(bufs) != "" {
		t.Errorf("the model's text set the clipboard (OSC 52): tmux buffers %q", bufs)
	}
	// The answer is on screen before the sandbox is deleted, which under
	// load takes longer than the pause above; the summary line comes after.
	u.waitScreen(" events · ", 30*time.Second)
	e.assertNoLeaks("hostile/model-text")
}
