// Package shellrun runs commands one after another over a persistent
// interactive bash on a sandbox.Shell (a PTY, local or Daytona) and tells
// when each has finished and with which exit code. It owns the one
// completion protocol both providers share: how a command is typed (one
// `eval $'…'` line, so quotes, TABs, heredocs, multi-line scripts and
// syntax errors cannot leave readline waiting), how the shell is prepared
// (no echo, no output post-processing, empty prompts, no history
// expansion, no bracketed paste) and the per-session marker a
// PROMPT_COMMAND prints after every command, with its sequence number and
// $?. The providers only move bytes and kill processes.
//
// It must not import the providers, session or ui.
package shellrun

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Environment entries the protocol uses.
const (
	// JobVar tags every process a command starts ("<tag>/<seq>"), so its
	// whole tree can be found and killed, setsid and nohup children too.
	JobVar = "TETHER_JOB"
	// initVar carries the preparation script into the shell's environment;
	// a bootstrap PROMPT_COMMAND runs it in the first bash that starts.
	initVar = "TETHER_SHELL_INIT"
	// ownVar marks the bash the preparation started itself.
	ownVar = "TETHER_SHELL_OWN"
)

// markStart and markEnd frame the completion marker. The marker is
// \x1eT<nonce>:<seq>:<status>:<cwd>\x1e; the nonce is random per Runner and is
// never typed as such into the terminal, so neither the echo of our own
// input nor a command's output can produce it.
const (
	markStart = "\x1eT"
	markEnd   = '\x1e'
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ansiC quotes s as the body of a bash $'…' string: printable ASCII stays,
// everything else becomes an escape, so the typed line holds only
// printable ASCII (readline then cannot mistake a TAB for completion or a
// control byte for an editing key).
func ansiC(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	const hexd = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\x`)
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
		}
	}
	return b.String()
}

// sq quotes s for bash in single quotes.
func sq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// encodeCommand is the line typed for command number seq. With fixTTY
// the prompt after it puts the terminal back the way the protocol needs
// it (no echo, no output processing): the command may leave it changed.
func encodeCommand(cmd string, seq int, jobTag string, fixTTY bool) []byte {
	n := strconv.Itoa(seq)
	fix := ""
	if fixTTY {
		fix = " __tf=1;"
	}
	return []byte(" __tk=" + n + ";" + fix + " export " + JobVar + "=" + jobTag + "/" + n + "; eval $'" + ansiC(cmd) + "'\n")
}

// mayChangeTTY tells the commands after which the terminal's modes are
// set again: resetting them costs a process per prompt, so only after a
// command that may run a full-screen or line-editing program or change
// the modes itself, or one left running (it may be interactive).
var mayChangeTTY = regexp.MustCompile(`\b(stty|reset|tput|vim?|nvim|nano|emacs|less|more|man|top|htop|watch|python[0-9.]*|ipython|node|irb|psql|mysql|sqlite3|ssh|tmux|screen|bash|sh|zsh|su|sudo)\b`)

// encodePing is the line that proves the final bash is prepared: it only
// sets the sequence number, so its marker carries seq.
func encodePing(seq int) []byte { return []byte(" __tk=" + strconv.Itoa(seq) + "\n") }

// bootstrapLine is typed first: whatever shell the PTY started (the
// Daytona daemon prefers zsh), unless it is a bash that already ran the
// preparation, it becomes a bash without rc files, which runs the
// preparation from its environment before its first prompt.
const bootstrapLine = " [ -n \"$__ts\" ] || exec bash --noprofile --norc\n"

// shellEnv is the environment a shell needs for the protocol: initVar and
// a bootstrap PROMPT_COMMAND that runs it.
func shellEnv(nonce, stateFile, cwd string) map[string]string {
	return map[string]string{
		initVar:          initScript(nonce, stateFile, cwd),
		"PROMPT_COMMAND": `eval "$` + initVar + `"`,
		"PAGER":          "cat",
		"GIT_PAGER":      "cat",
		"MANPAGER":       "cat",
		"SYSTEMD_PAGER":  "",
		"TERM":           "xterm-256color",
		"HISTFILE":       "/dev/null",
	}
}

// initScript prepares an interactive bash for the protocol and restores
// the state (cwd, exported variables) an earlier shell of the same Runner
// saved after its last command, so a restart after `exit`, `exec` or
// `set -e` loses nothing the model relied on.
func initScript(nonce, stateFile, cwd string) string {
	var b strings.Builder
	// Only a bash we started ourselves, without profile or rc files, so
	// that shells are alike whatever the provider started (the Daytona
	// daemon starts a login shell that has read the image's profile).
	b.WriteString(`[ "$` + ownVar + `" = 1 ] || ` + ownVar + `=1 builtin exec bash --noprofile --norc; builtin export -n ` + ownVar + `; `)
	b.WriteString(`builtin export -n PROMPT_COMMAND ` + initVar + `; builtin unset ` + initVar + `; `)
	b.WriteString(`stty -echo -opost -ixon 2>/dev/null; PS1=; PS2=; PS0=; PS4='+ '; set +H +o history; `)
	b.WriteString(`bind 'set enable-bracketed-paste off' 2>/dev/null; bind 'set horizontal-scroll-mode on' 2>/dev/null; `)
	b.WriteString(`__ts=` + sq(stateFile) + `; `)
	// A shell that exits (exit, set -e) waits a moment first: the Daytona
	// daemon stops forwarding the terminal's output the instant its
	// process ends, and would drop what the command printed last.
	b.WriteString(`trap 'sleep 0.1 2>/dev/null' EXIT; `)
	if cwd != "" {
		b.WriteString(`builtin cd -- ` + sq(cwd) + ` 2>/dev/null; `)
	}
	b.WriteString(`[ -r "$__ts" ] && builtin source "$__ts" 2>/dev/null; __tk=0; `)
	// The marker: \036 is written as an escape, so this text, echoed,
	// does not contain it.
	// The state file's first line ("# tether <seq> <status>") lets a
	// Runner whose transport lost the marker learn how the command ended.
	// First the prompt undoes what would break the protocol or litter
	// output: tracing (set -x would trace this very command), and a
	// command's `exec >file` (the marker must reach the terminal). A
	// working directory that was removed is left for the start one.
	home := `"$HOME"`
	if cwd != "" {
		home = sq(cwd)
	}
	pc := `{ __st=$?; set +xv; } 2>/dev/null; [ -t 1 ] || { exec 1>/dev/tty; } 2>/dev/null; [ -t 2 ] || exec 2>&1; [ -z "$__tf" ] || { stty -echo -opost 2>/dev/null; __tf=; }; ` +
		`[ -d "$PWD" ] || { builtin printf 'tether: the working directory %s is gone; now in %s\n' "$PWD" ` + home + ` >&2; builtin cd -- ` + home + ` 2>/dev/null; }; ` +
		`{ builtin printf '# tether %s %s\ncd -- %q\n' "$__tk" "$__st" "$PWD"; builtin export -p; } >"$__ts" 2>/dev/null; builtin printf '\036T%s:%s:%s:%s\036' ` + nonce + ` "$__tk" "$__st" "$PWD"`
	b.WriteString(`PROMPT_COMMAND=` + sq(pc) + `; builtin readonly PROMPT_COMMAND`)
	return b.String()
}

// parser splits the shell's output into command output and markers. It
// holds back only a trailing fragment that could be the start of a marker,
// so output streams as it comes.
type parser struct {
	prefix []byte // markStart + nonce + ":"
	hold   []byte
	emit   func([]byte)
	prompt func(seq, status int, cwd string)
}

// maxMarker bounds a marker's tail (two integers and a path).
const maxMarker = 8 << 10

func (p *parser) feed(b []byte) {
	data := b
	if len(p.hold) > 0 {
		data = append(p.hold, b...)
		p.hold = nil
	}
	for len(data) > 0 {
		i := bytes.Index(data, p.prefix)
		if i < 0 {
			keep := partialSuffix(data, p.prefix)
			p.out(data[:len(data)-keep])
			if keep > 0 {
				p.hold = append([]byte(nil), data[len(data)-keep:]...)
			}
			return
		}
		p.out(data[:i])
		rest := data[i+len(p.prefix):]
		j := bytes.IndexByte(rest, markEnd)
		if j < 0 {
			if len(rest) > maxMarker { // not ours after all
				p.out(data[i : i+len(p.prefix)])
				data = rest
				continue
			}
			p.hold = append([]byte(nil), data[i:]...)
			return
		}
		f := strings.SplitN(string(rest[:j]), ":", 3)
		var seq, st int
		var err1, err2 error = errBadMarker, errBadMarker
		if len(f) == 3 {
			seq, err1 = strconv.Atoi(f[0])
			st, err2 = strconv.Atoi(f[1])
		}
		if err1 != nil || err2 != nil {
			p.out(data[i : i+len(p.prefix)])
			data = rest
			continue
		}
		p.prompt(seq, st, f[2])
		data = rest[j+1:]
	}
}

var errBadMarker = errors.New("not a marker")

// parseState reads the sequence number and status from the first line of
// a state file ("# tether <seq> <status>").
func parseState(b []byte) (seq, status int, ok bool) {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := strings.Fields(string(line))
	if len(f) != 4 || f[0] != "#" || f[1] != "tether" {
		return 0, 0, false
	}
	seq, err1 := strconv.Atoi(f[2])
	status, err2 := strconv.Atoi(f[3])
	return seq, status, err1 == nil && err2 == nil
}

func (p *parser) out(b []byte) {
	if len(b) > 0 {
		p.emit(b)
	}
}

// flush passes on what was held back (the shell ended mid-marker).
func (p *parser) flush() {
	p.out(p.hold)
	p.hold = nil
}

// partialSuffix returns the length of the longest suffix of data that is a
// proper prefix of marker.
func partialSuffix(data, marker []byte) int {
	k := min(len(marker)-1, len(data))
	for ; k > 0; k-- {
		if bytes.HasPrefix(marker, data[len(data)-k:]) {
			return k
		}
	}
	return 0
}
