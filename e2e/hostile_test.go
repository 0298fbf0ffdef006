package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tether-dev/tether/llm/llmtest"
)

// hostileCorpus is a printf format (octal escapes only, so the command
// itself is plain ASCII) printing what a hostile or broken program could
// send to the user's terminal.
var hostileCorpus = strings.Join([]string{
	`A:\033[2J\033[H\033[10;10H\033[1A\033[K\033c`,           // clear, home, move, erase, reset
	`B:\033]52;c;ZXZpbC1jbGlw\007`,                           // OSC 52: set the clipboard
	`C:\033]8;;http://evil.example/\033\\link\033]8;;\033\\`, // OSC 8 hyperlink
	`D:\033]0;pwned-title\007\033]2;pwned-title\033\\`,       // OSC 0/2 title
	`E:\033P1$r0m\033\\\033Pq#0;2;0;0;0\033\\`,               // DCS
	`F:\033[c\033[>c\033[6n\033[5n`,                          // DA / DSR queries
	`G:abc\rXYZ`,                                             // bare CR
	`H:abc\b\b\bDEF`,                                         // backspace
	`I:bell\007\007`,                                         // BEL
	`J:\233\2336n\302\233\302\2350;t\007\302\220`,            // raw C1 and UTF-8 C1 (CSI, OSC, DCS)
	`K:\377\376\300\200\355\240\200`,                         // invalid UTF-8
	`L:\033[?1049h\033[?1000h\033[?2004h`,                    // alt screen, mouse, paste mode
	`M:\000\001\016\017\177`,                                 // NUL, SO/SI, DEL
	`END`,
}, `\n`) + `\n`

// inertCheck reports the first byte of out that could act on a terminal:
// invalid UTF-8, a C0 control other than \n, DEL, or a C1 control.
func inertCheck(out string) error {
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Errorf("invalid UTF-8 byte %#x at %d: %q", out[i], i, around(out, i))
		case r < 0x20 && r != '\n', r == 0x7f, r >= 0x80 && r <= 0x9f:
			return fmt.Errorf("control %U at %d: %q", r, i, around(out, i))
		}
		i += size
	}
	return nil
}

func around(s string, i int) string {
	return s[max(0, i-30):min(len(s), i+30)]
}

// TestE2EHostileOutput prints the corpus from a sandbox command through
// `tether run` (progress on stderr), `tether run --events` (JSON lines) and
// `tether sandbox exec`, for each provider: every byte that reaches the
// caller must be inert.
func TestE2EHostileOutput(t *testing.T) {
	cmd := "printf '" + hostileCorpus + "'"
	for _, prov := range providers {
		t.Run(prov+"/run", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov)
			e.llm.Enqueue(llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": cmd})), llmtest.TextReply("printed"))
			out, stderr, code := e.run(60*time.Second, "run", "print it")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			checkHostile(t, "run stdout", out, false)
			checkHostile(t, "run stderr (progress)", stderr, true)
			e.llm.Enqueue(llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": cmd})), llmtest.TextReply("printed"))
			out, stderr, code = e.run(60*time.Second, "run", "--events", "--json", "print it")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			checkHostile(t, "run --events stdout", out, true)
			e.assertNoLeaks("hostile/" + prov + "/run")
		})
		t.Run(prov+"/sandbox-exec", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov)
			idOut, stderr, code := e.run(60*time.Second, "sandbox", "create")
			id := strings.TrimSpace(idOut)
			if code != 0 || id == "" {
				t.Fatalf("sandbox create: exit %d\n%s\n%s", code, idOut, stderr)
			}
			out, stderr, code := e.run(60*time.Second, "sandbox", "exec", id, cmd+"; printf '"+hostileCorpus+"' >&2")
			if code != 0 {
				t.Errorf("sandbox exec: exit %d\n%s", code, stderr)
			}
			checkHostile(t, "sandbox exec stdout", out, true)
			checkHostile(t, "sandbox exec stderr", stderr, true)
			if o, se, code := e.run(60*time.Second, "sandbox", "rm", id); code != 0 {
				t.Errorf("sandbox rm: exit %d\n%s\n%s", code, o, se)
			}
			e.assertNoLeaks("hostile/" + prov + "/sandbox-exec")
		})
	}
	t.Run("local/tui", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, "local")
		u := e.startTUI()
		// Let tmux act on what reaches it, so a leak would show: OSC 52
		// would make a paste buffer, OSC 0/2 would set the pane title.
		_, _ = u.tmux("set-option", "-g", "set-clipboard", "on")
		_, _ = u.tmux("set-option", "-g", "allow-rename", "on")
		u.waitScreen("started", 30*time.Second)
		before, _ := u.tmux("display-message", "-p", "-t", "main", "#{pane_title}")
		u.typeLine("!" + cmd)
		// Only in the output: the command line shows the octal escapes.
		u.waitScreen("M:␀␁", 30*time.Second)
		// The model's words too (it may repeat what it read).
		e.llm.Enqueue(llmtest.TextReply("answer\x1b]0;pwned-title\x07\x1b]52;c;ZXZpbA==\x07\x9b6n MODEL-DONE"))
		u.typeLine("say it")
		u.waitScreen("MODEL-DONE", 30*time.Second)
		time.Sleep(300 * time.Millisecond) // let tmux process every byte
		title, _ := u.tmux("display-message", "-p", "-t", "main", "#{pane_title}")
		if strings.Contains(title, "pwned") || !strings.HasPrefix(title, "tether") { // the UI sets "tether · <state>"
			t.Errorf("the sandbox changed the terminal title: %q -> %q", before, title)
		}
		if bufs, _ := u.tmux("list-buffers"); strings.TrimSpace(bufs) != "" {
			t.Errorf("the sandbox set the clipboard (OSC 52): tmux buffers %q", bufs)
		}
		screen := u.screen()
		if !strings.Contains(screen, "B:␛]52;c;") || !strings.Contains(screen, "D:␛]0;pwned-title␇") {
			t.Errorf("the sandbox's text is not shown (inert) on screen:\n%s", screen)
		}
		u.keys("C-q")
		u.waitExit(30 * time.Second)
		e.assertNoLeaks("hostile/local/tui")
	})
}

// checkHostile asserts out is inert and, when the corpus must be visible
// in it, that it was shown rather than dropped.
func checkHostile(t *testing.T, what, out string, mustShow bool) {
	t.Helper()
	if err := inertCheck(out); err != nil {
		t.Errorf("%s: %v", what, err)
	}
	// A 0x9b byte is fine inside valid UTF-8 ("␛" is E2 90 9B): inertCheck
	// rejects it raw or as U+009B.
	for _, b := range []byte{0x1b, 0x07} {
		if strings.IndexByte(out, b) >= 0 {
			t.Errorf("%s: raw byte %#x from the sandbox", what, b)
		}
	}
	if mustShow {
		for _, want := range []string{"A:", "pwned-title", "XYZ", "END"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the corpus text %q is missing, so the check proves little:\n%s", what, want, out)
			}
		}
	}
}
