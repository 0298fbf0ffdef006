package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/shellrun"
)

// Defaults of TerminalTool.
const (
	DefaultTerminalTimeout    = 120 * time.Second
	DefaultTerminalMaxTimeout = time.Hour
	DefaultTerminalMaxOutput  = 30000
	DefaultTerminalMaxSaved   = 512 << 20
)

// TerminalTool is the "terminal" tool: bash commands run in the sandbox in
// one persistent interactive shell on a pseudo-terminal where the sandbox
// can open one (tool_terminal_pty.go), else each with Exec in a script that
// carries the working directory and exported variables over from call to
// call (tool_terminal_script.go). Output streams live
// into the call's writers; the model gets it combined and, when long, cut
// in the middle, with the full text saved in the sandbox.
//
// The zero value is ready to use. Set the exported fields before the first
// Run; zero means the default.
type TerminalTool struct {
	Timeout    time.Duration // per call, unless the call sets "timeout"; default 120 s
	MaxTimeout time.Duration // cap on a call's "timeout"; default 1 h
	MaxOutput  int           // bytes of output sent to the model; default 30,000
	// OutputDir is the sandbox directory where the full output of a
	// truncated command is saved; default <work dir>/.tether/output.
	OutputDir string
	MaxSaved  int64 // cap on a saved full output, bytes; default 512 MiB

	uploadChunk int64 // tests: bytes per WriteFile when saving output

	mu        sync.Mutex
	marker    string // frames the state trailer; random per tool
	state     termState
	ignoreSet bool // .gitignore written in the default output dir

	shell    *shellrun.Runner // the session's PTY shell (tool_terminal_pty.go)
	shellFor sandbox.Sandbox  // the sandbox it runs in
	ptyCwd   string           // its working directory after the last call
	shellOK  bool             // a shell opened once: no Exec fallback after
	noShell  sandbox.Sandbox  // could not open a shell in it: Exec only
}

// NewTerminalTool returns a "terminal" tool with default settings and a
// fresh shell state.
func NewTerminalTool() Tool { return &TerminalTool{} }

// newStateMarker returns a random marker for the state trailer, so that no
// command's own output can fake or collide with it.
func newStateMarker() string {
	var nonce [8]byte
	rand.Read(nonce[:])
	return "@@tether-state-" + hex.EncodeToString(nonce[:]) + "@@"
}

const terminalDescription = `Execute a bash command in the sandbox, in a persistent shell session.

### Command execution
* One command per call. To run several in sequence, chain them with ` + "`&&`" + ` or ` + "`;`" + `.
* Persistent session: commands run one after another in the same bash on a terminal, so the working directory, environment variables (e.g. an activated virtualenv), shell variables and functions carry over to the next call. If the shell exits (` + "`exit`" + `, ` + "`exec`" + `), a new one starts in the same directory with the same exported variables.
* Timeout: without "timeout", a command is killed after {timeout} seconds (exit code -1). With "timeout" (in seconds) set, the call returns after that long with what the command printed so far, and the command keeps running.
* Interactive programs: while a command is still running, send it input with is_input=true: text (typed, followed by Enter) or keys such as ` + "`C-c`" + ` (interrupt), ` + "`C-d`" + ` (end of input), ` + "`C-z`" + `, ` + "`Up`" + `, ` + "`Down`" + `, ` + "`Tab`" + `, ` + "`Enter`" + `. An empty command waits for more output. Prefer non-interactive flags (` + "`-y`, `--yes`, `DEBIAN_FRONTEND=noninteractive`" + `) where they exist.

### Long-running commands
* For commands that run indefinitely (servers), run them in the background with output redirected to a file: ` + "`nohup python3 app.py > server.log 2>&1 &`" + `.
* For long builds, installs or test suites, set "timeout": you get control back when it passes and can wait for more output with an empty command.

### Best practices
* Verify a parent directory exists before creating files or directories in it.
* Prefer absolute paths and avoid needless ` + "`cd`" + `.
* Do not use ` + "`set -e`" + ` at the top level: the next failure would end the shell (a new one starts, but shell variables and functions are lost).

### Output
* stdout and stderr are combined, as a terminal shows them. Output longer than {max-output} characters is cut in the middle; the full output is saved to a file whose path is given, which you can read with ` + "`sed -n`" + ` or ` + "`grep`" + `.`

const terminalSchema = `{
  "type": "object",
  "properties": {
    "command": {"type": "string", "description": "The bash command to execute. Can contain several lines and be chained with && or ;."},
    "is_input": {"type": "boolean", "description": "If true, the command is input for the command that is still running: text to type (followed by Enter) or keys such as C-c, C-d, C-z, Up, Down, Tab, Enter, Escape. An empty command with is_input waits for more output. Default: false."},
    "timeout": {"type": "number", "description": "Optional. Seconds to wait for the command; when they pass, the call returns what it printed so far and the command keeps running (interact with it using is_input). Without it, a command is killed after {timeout} seconds."},
    "reset": {"type": "boolean", "description": "If true, reset the shell session first: the working directory and environment variables go back to how they were at the start. Use it when the session's state is broken."}
  },
  "required": ["command"]
}`

// Definition implements Tool.
func (t *TerminalTool) Definition() llm.Tool {
	timeout := orDefault(t.Timeout, DefaultTerminalTimeout)
	maxOut := orDefault(t.MaxOutput, DefaultTerminalMaxOutput)
	r := strings.NewReplacer("{timeout}", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64), "{max-output}", strconv.Itoa(maxOut))
	return llm.Tool{Name: ToolTerminal, Description: r.Replace(terminalDescription), Parameters: json.RawMessage(r.Replace(terminalSchema))}
}

type terminalArgs struct {
	Command *string   `json:"command"`
	IsInput flexBool  `json:"is_input"`
	Timeout flexFloat `json:"timeout"`
	Reset   flexBool  `json:"reset"`
}

const terminalExample = `{"command": "ls -la"}`

// Describe implements Describer.
func (t *TerminalTool) Describe(args json.RawMessage) (command, summary string) {
	var a terminalArgs
	if json.Unmarshal(args, &a) != nil || a.Command == nil {
		return "", "terminal"
	}
	cmd := *a.Command
	switch {
	case bool(a.IsInput):
		return cmd, "input: " + firstLine(cmd, 70)
	case bool(a.Reset) && strings.TrimSpace(cmd) == "":
		return "", "reset the terminal"
	}
	return cmd, firstLine(cmd, 80)
}

// Run implements Tool.
func (t *TerminalTool) Run(ctx context.Context, call ToolCall) (ToolResult, error) {
	var a terminalArgs
	if err := decodeArgs(ToolTerminal, call.Args, &a, terminalExample); err != nil {
		return ToolResult{}, err
	}
	if call.Sandbox == nil {
		return ToolResult{}, errors.New("terminal: no sandbox to run the command in")
	}
	timeout := orDefault(t.Timeout, DefaultTerminalTimeout)
	soft := false
	if a.Timeout > 0 {
		maxT := orDefault(t.MaxTimeout, DefaultTerminalMaxTimeout)
		timeout, soft = maxT, true // also when the value would overflow a Duration
		if float64(a.Timeout) < maxT.Seconds() {
			timeout = time.Duration(float64(a.Timeout) * float64(time.Second))
		}
	} else if a.Timeout < 0 {
		return ToolResult{}, fmt.Errorf("terminal: timeout %v is negative: give seconds > 0, or leave it out for the default of %v", float64(a.Timeout), timeout)
	}
	if r := t.ptyShell(call.Sandbox); r != nil {
		return t.runPTY(ctx, call, r, a, timeout, soft)
	}
	if a.IsInput {
		return ToolResult{IsError: true, Content: "Interactive input is not supported: each command runs to completion without a terminal, so there is no running process to send input to. " +
			"Run the command non-interactively instead: pass flags such as -y/--yes/--no-input, pipe the answers in (e.g. `yes | cmd` or `printf 'a\\nb\\n' | cmd`), or start long-running programs in the background with output to a file."}, nil
	}
	if a.Reset {
		t.mu.Lock()
		t.state = termState{}
		t.mu.Unlock()
	}
	if a.Command == nil || strings.TrimSpace(*a.Command) == "" {
		if a.Reset {
			return ToolResult{Content: fmt.Sprintf("[The terminal was reset: the working directory is %s again and environment variables are back to how they were at the start.]", call.Sandbox.WorkDir())}, nil
		}
		if a.Command == nil {
			return ToolResult{}, fmt.Errorf(`terminal: "command" is required, e.g. %s`, terminalExample)
		}
		return ToolResult{}, errors.New(`terminal: "command" is empty: there is no running process to read more output from; send the bash command to run`)
	}
	if strings.ContainsRune(*a.Command, 0) {
		return ToolResult{}, errors.New(`terminal: the command contains a NUL character, which bash cannot run; write it with printf '\0' or a file instead`)
	}
	return t.run(ctx, call, *a.Command, timeout)
}

func (t *TerminalTool) run(ctx context.Context, call ToolCall, command string, timeout time.Duration) (ToolResult, error) {
	t.mu.Lock()
	if t.marker == "" {
		t.marker = newStateMarker()
	}
	st, marker := t.state, t.marker
	t.mu.Unlock()

	capture := newOutputCapture(orDefault(t.MaxOutput, DefaultTerminalMaxOutput), orDefault(t.MaxSaved, DefaultTerminalMaxSaved))
	if t.uploadChunk > 0 {
		capture.chunk = t.uploadChunk
	}
	defer capture.close()
	filter := &stateFilter{dst: capture.writer(call.Stdout), marker: []byte(marker)}

	res, err := call.Sandbox.Exec(ctx, sandbox.ExecRequest{
		Command: buildScript(command, st, marker),
		Timeout: timeout,
		Stdout:  filter,
		Stderr:  capture.writer(call.Stderr),
	})
	filter.Flush()
	if err != nil {
		return ToolResult{}, fmt.Errorf("terminal: the sandbox could not run the command: %w", err)
	}

	cwd := st.cwd
	if filter.found {
		if next, ok := parseTrailer(filter.payload); ok {
			t.mu.Lock()
			t.state = next
			t.mu.Unlock()
			cwd = next.cwd
		}
	}
	if cwd == "" {
		cwd = call.Sandbox.WorkDir()
	}

	out := ToolResult{}
	total, _ := capture.sizes()
	out.OutputBytes = total
	var b strings.Builder
	out.Output = capture.render(t.saveFull(ctx, call, capture, &out))
	b.WriteString(out.Output)
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	code := res.ExitCode
	switch {
	case res.TimedOut:
		code, out.TimedOut = -1, true
		fmt.Fprintf(&b, "[The command timed out after %s and was killed (exit code -1). If it needs longer, run it again with a larger \"timeout\", or in the background with output to a file.]\n", fmtSeconds(timeout))
	case res.Cancelled || (ctx.Err() != nil && code < 0):
		code, out.Interrupted = -1, true
		b.WriteString("[The command was interrupted and killed (exit code -1).]\n")
	default:
		fmt.Fprintf(&b, "[The command completed with exit code %d.]\n", code)
	}
	fmt.Fprintf(&b, "[Current working directory: %s]", modelSafe(cwd))
	out.Content, out.Cwd = b.String(), cwd
	out.ExitCode = &code
	return out, nil
}

// ensureIgnore keeps saved outputs out of git in the default output dir.
func (t *TerminalTool) ensureIgnore(ctx context.Context, sb sandbox.Sandbox) {
	t.mu.Lock()
	done := t.ignoreSet
	t.ignoreSet = true
	t.mu.Unlock()
	if !done {
		// Best effort: a missing .gitignore only makes `git status` noisier.
		_ = sb.WriteFile(context.WithoutCancel(ctx), path.Join(sb.WorkDir(), ".tether", ".gitignore"), []byte("*\n"))
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// outputFileName derives a file name from a tool call id.
func outputFileName(id string) string {
	id = strings.Trim(unsafeName.ReplaceAllString(id, "_"), "._")
	if id == "" {
		var r [6]byte
		rand.Read(r[:])
		id = "call-" + hex.EncodeToString(r[:])
	}
	if len(id) > 100 {
		id = id[:100]
	}
	return id + ".log"
}

func fmtSeconds(d time.Duration) string {
	s := d.Seconds()
	if s == 1 {
		return "1 second"
	}
	if s == float64(int64(s)) {
		return fmt.Sprintf("%d seconds", int64(s))
	}
	return fmt.Sprintf("%.1f seconds", s)
}

// Cwd returns the shell session's working directory as of the last
// command, or "" while it is still the sandbox's work dir (for display).
func (t *TerminalTool) Cwd() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shell != nil {
		return t.ptyCwd
	}
	return t.state.cwd
}
