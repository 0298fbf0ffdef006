package session

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Bounds on what a hand-back records and tells the model.
const (
	maxWheelCommands   = 50
	maxWheelCommandLen = 300
	maxWheelFiles      = 100
	maxWheelListing    = 50000   // workspace entries compared
	maxWheelLog        = 1 << 20 // bytes of command log read
)

// wheelInitVar carries the preparation the user's shell runs before its
// first prompt (from PROMPT_COMMAND, as sandbox/shellrun's does).
const wheelInitVar = "TETHER_WHEEL_INIT"

// wheelBootstrapLine is typed only when the ready marker does not come by
// itself: the shell the PTY started is not bash (the Daytona daemon
// prefers zsh), so it becomes one, which runs the preparation.
const wheelBootstrapLine = " [ -n \"$__twlog\" ] || exec bash --noprofile --norc\n"

func wheelMarker(nonce string) string { return "\x1b]9;tether-wheel-" + nonce + "\x07" }

// wheelEnv is the user's shell's environment: how it is prepared, and a
// TERM the emulator that renders it understands.
func wheelEnv(nonce, logPath, cwd string) map[string]string {
	return map[string]string{
		wheelInitVar:     wheelInit(nonce, logPath, cwd),
		"PROMPT_COMMAND": `eval "$` + wheelInitVar + `"`,
		"TERM":           "xterm-256color",
		"COLORTERM":      "truecolor",
	}
}

// wheelInit makes the shell a bash without rc files (alike on every
// provider) that logs each command line the user runs, and its exit
// status, to logPath: PS0 (expanded as a command starts) appends the
// history entry after \036, PROMPT_COMMAND the status after \037. Reading
// the shell's own history, not the screen, is what makes the record
// exact (an editor's keys are not commands). It prints the ready marker
// last.
func wheelInit(nonce, logPath, cwd string) string {
	var b strings.Builder
	b.WriteString(`[ "$__tw" = 1 ] || __tw=1 builtin exec bash --noprofile --norc; `)
	b.WriteString(`builtin export -n __tw PROMPT_COMMAND ` + wheelInitVar + `; builtin unset ` + wheelInitVar + `; `)
	b.WriteString(`__twlog=` + sandbox.ShellQuote(logPath) + `; : >"$__twlog" 2>/dev/null; `)
	b.WriteString(`HISTFILE=/dev/null; HISTSIZE=10000; HISTCONTROL=; HISTIGNORE=; set -o history; `)
	b.WriteString(`PS0='$({ builtin printf "\036"; HISTTIMEFORMAT="%s " builtin history 1; } >>"$__twlog" 2>/dev/null)'; `)
	b.WriteString(`PROMPT_COMMAND='builtin printf "\037%s\n" "$?" >>"$__twlog" 2>/dev/null'; `)
	b.WriteString(`PS1='\[\e[1;33m\](you)\[\e[0m\] \[\e[1m\]\W\[\e[0m\] \$ '; `)
	if cwd != "" {
		b.WriteString(`builtin cd -- ` + sandbox.ShellQuote(cwd) + ` 2>/dev/null; `)
	}
	b.WriteString(`builtin printf '\033]9;tether-wheel-` + nonce + `\007'`)
	return b.String()
}

// readWheelLog reads and removes the shell's command log.
func readWheelLog(ctx context.Context, sb sandbox.Sandbox, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out, errb limitedBuffer
	out.max, errb.max = maxWheelLog, 4096
	res, err := sb.Exec(ctx, sandbox.ExecRequest{
		Command: "head -c " + strconv.Itoa(maxWheelLog) + " -- " + sandbox.ShellQuote(path) + " && rm -f -- " + sandbox.ShellQuote(path),
		Stdout:  &out, Stderr: &errb,
	})
	if err != nil {
		return nil, fmt.Errorf("could not read the shell's command log: %w", err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("could not read the shell's command log (exit %d: %s)", res.ExitCode, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// parseWheelLog turns the log into commands: each \036 record is a
// history entry ("  12  1700000000 cmd", maybe several lines), each \037
// record the status of the command before it, if it had none yet (an
// empty line or Ctrl+C at the prompt logs a status of its own).
func parseWheelLog(log []byte) (cmds []WheelCommand, dropped int) {
	var open bool
	for len(log) > 0 {
		sep := log[0]
		log = log[1:]
		end := bytes.IndexAny(log, "\036\037")
		if end < 0 {
			end = len(log)
		}
		rec := string(log[:end])
		log = log[end:]
		switch sep {
		case '\036':
			c, ok := parseHistoryEntry(rec)
			if !ok {
				open = false
				continue
			}
			if len(cmds) >= maxWheelCommands {
				dropped++
				open = false
				continue
			}
			cmds = append(cmds, c)
			open = true
		case '\037':
			if open {
				if code, err := strconv.Atoi(strings.TrimSpace(rec)); err == nil {
					cmds[len(cmds)-1].ExitCode = &code
				}
			}
			open = false
		}
	}
	return cmds, dropped
}

// parseHistoryEntry reads `history 1` output with HISTTIMEFORMAT="%s ".
func parseHistoryEntry(rec string) (WheelCommand, bool) {
	rec = strings.TrimRight(strings.TrimLeft(rec, " "), "\n")
	num, rest, ok := strings.Cut(rec, "  ")
	if _, err := strconv.Atoi(strings.TrimSuffix(num, "*")); !ok || err != nil {
		return WheelCommand{}, false
	}
	var c WheelCommand
	if ts, cmd, ok := strings.Cut(rest, " "); ok {
		if sec, err := strconv.ParseInt(ts, 10, 64); err == nil {
			c.Time, rest = time.Unix(sec, 0), cmd
		}
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return WheelCommand{}, false
	}
	if len(rest) > maxWheelCommandLen {
		rest = string(trimRuneEnd([]byte(rest[:maxWheelCommandLen]))) + "…"
	}
	c.Command = rest
	return c, true
}

// listing maps a workspace entry's path to its kind, size, mode and
// modification time: two equal values are the same file, as a snapshot
// judges an unchanged one (no contents read, so it costs one stat walk).
type listing map[string]string

// listWorkspace lists the workspace through Exec, which every provider
// has; .git's insides are left out (a commit would list every object).
func listWorkspace(ctx context.Context, sb sandbox.Sandbox) (listing, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var out, errb limitedBuffer
	out.max, errb.max = 64<<20, 4096
	res, err := sb.Exec(ctx, sandbox.ExecRequest{
		Command: `find . -xdev -path ./.git -prune -o -mindepth 1 -printf '%y %s %T@ %m %P\0' 2>/dev/null | head -z -n ` + strconv.Itoa(maxWheelListing+1),
		Stdout:  &out, Stderr: &errb,
	})
	if err != nil {
		return nil, fmt.Errorf("could not list the workspace's files: %w", err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("could not list the workspace's files (exit %d: %s)", res.ExitCode, strings.TrimSpace(errb.String()))
	}
	l := listing{}
	for _, rec := range bytes.Split(out.Bytes(), []byte{0}) {
		f := strings.SplitN(string(rec), " ", 5)
		if len(f) < 5 || f[4] == "" {
			continue
		}
		l[f[4]] = strings.Join(f[:4], " ")
	}
	if len(l) > maxWheelListing {
		return nil, fmt.Errorf("the workspace has more than %d files: changes not compared", maxWheelListing)
	}
	return l, nil
}

// compareListings names what was added, modified or deleted, sorted by
// path; directories only when added or deleted.
func compareListings(before, after listing) (changes []FileChange, dropped int) {
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			changes = append(changes, FileChange{Path: p, Change: FileAdded})
		case a != b && !(strings.HasPrefix(a, "d ") && strings.HasPrefix(b, "d ")):
			changes = append(changes, FileChange{Path: p, Change: FileModified})
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			changes = append(changes, FileChange{Path: p, Change: FileDeleted})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	if len(changes) > maxWheelFiles {
		dropped = len(changes) - maxWheelFiles
		changes = changes[:maxWheelFiles]
	}
	return changes, dropped
}

// wheelNote is what the model is told of the user's turn at the wheel.
func wheelNote(info WheelInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[The user took over the sandbox's shell for %s", info.Duration.Round(time.Second))
	switch {
	case info.CommandsUnknown != "":
		b.WriteString("; the commands they ran are unknown (" + info.CommandsUnknown + ")")
	case len(info.Commands) == 0:
		b.WriteString(" and ran no commands")
	default:
		b.WriteString(" and ran:")
		for _, c := range info.Commands {
			b.WriteString("\n- `" + c.Command + "`")
			if c.ExitCode != nil {
				fmt.Fprintf(&b, " (exit code %d)", *c.ExitCode)
			} else {
				b.WriteString(" (still running when they handed back; it was stopped)")
			}
		}
		if info.CommandsDropped > 0 {
			fmt.Fprintf(&b, "\n- … and %d more", info.CommandsDropped)
		}
	}
	b.WriteString(".\nFiles changed:")
	switch {
	case info.FilesUnknown != "":
		b.WriteString(" unknown (" + info.FilesUnknown + ")")
	case len(info.Files) == 0:
		b.WriteString(" none")
	default:
		for _, f := range info.Files {
			b.WriteString("\n- " + f.Change + " " + f.Path)
		}
		if info.FilesDropped > 0 {
			fmt.Fprintf(&b, "\n- … and %d more", info.FilesDropped)
		}
	}
	b.WriteString("\nThe user has handed the sandbox back to you; take their changes into account.]")
	return b.String()
}

// limitedBuffer keeps the first max bytes written and discards the rest
// (never failing the writer).
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.Len(); room > 0 {
		l.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

var _ io.Writer = (*limitedBuffer)(nil)

// Summary is one line for a person: how long, what was run, what changed.
func (w *WheelInfo) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "you took the wheel for %s", w.Duration.Round(time.Second))
	switch {
	case w.CommandsUnknown != "":
		b.WriteString("; commands unknown")
	case len(w.Commands) == 0:
		b.WriteString("; ran nothing")
	default:
		b.WriteString("; ran ")
		for i, c := range w.Commands {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("`" + strings.ReplaceAll(c.Command, "\n", " ") + "`")
			if c.ExitCode != nil && *c.ExitCode != 0 {
				fmt.Fprintf(&b, " (exit %d)", *c.ExitCode)
			}
		}
		if w.CommandsDropped > 0 {
			fmt.Fprintf(&b, " and %d more", w.CommandsDropped)
		}
	}
	switch {
	case w.FilesUnknown != "":
		b.WriteString("; files changed: unknown")
	case len(w.Files) == 0:
		b.WriteString("; no files changed")
	default:
		b.WriteString("; files: ")
		for i, f := range w.Files {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Change + " " + f.Path)
		}
		if w.FilesDropped > 0 {
			fmt.Fprintf(&b, " and %d more", w.FilesDropped)
		}
	}
	return b.String()
}
