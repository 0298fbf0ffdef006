package daytona

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tether-dev/tether/sandbox"
)

// How Exec runs a command on Daytona, and why (measured on the real
// daemon v0.173.0; see the notes in shared/notes/daytona-real-daemon.md):
//
//   - Session commands are line-labelled by the daemon (no partial line
//     streams, NULs are dropped, a marker-like byte run moves output to
//     the other stream), their log socket closes a second after the
//     command, the SDK holds back 2 bytes of every frame, and each session
//     stays until deleted. So commands run over raw PTY sessions instead:
//     bytes arrive as written and at once.
//   - The command's stdout and stderr are pipes (as on local, and as with
//     docker exec without -t): a `cat` copies each to a terminal set to
//     stty raw -echo -opost, so no byte is changed. stdout goes to one PTY,
//     stderr to a second one (none when the caller merges or drops it).
//   - A wrapper script, passed in the PTY's environment (base64-encoded if
//     it is not valid UTF-8; the typed line is short and constant), runs the command with setsid (no
//     controlling terminal: nothing can wait on /dev/tty) and prints
//     markers \x1e<nonce><kind>…\x1e: S (start), X<status> (the command
//     exited), C (stdout closed); the stderr PTY prints R<pid>:<tty>
//     (ready) and E (stderr closed). The nonce is per Exec and never typed.
//   - The command and all it starts carry TETHER_EXEC_ID=<tag>, and its
//     shell reports its session id (P<pid>): cancel, timeout and background
//     children still holding the output after the command exited (local's
//     0.5 s pipe grace) are killed by tag and session with one
//     ExecuteCommand; deleting the PTY sessions ends the rest.

const (
	dtStartTimeout = 30 * time.Second // setting up the PTYs
	dtKillTimeout  = 15 * time.Second
	dtKillWait     = 2 * time.Second        // how long Exec waits for a kill
	dtPipeGrace    = 500 * time.Millisecond // output held open after exit
	dtTagVar       = "TETHER_EXEC_ID"
	dtRunVar       = "TETHER_RUN"
)

// Exec runs req.Command with bash, streaming its output live.
func (s *daytonaSandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	if s.isClosed() {
		return sandbox.ExecResult{}, sandbox.ErrClosed
	}
	if strings.TrimSpace(req.Command) == "" {
		return sandbox.ExecResult{}, errors.New("daytona: exec: empty command: give a bash command to run")
	}
	if req.Stdin != nil {
		return sandbox.ExecResult{}, fmt.Errorf("daytona: exec: %w: run it on a terminal (OpenShell) instead", sandbox.ErrNoStdin)
	}
	if req.Timeout < 0 {
		return sandbox.ExecResult{}, fmt.Errorf("daytona: exec: negative timeout %s: use 0 for none", req.Timeout)
	}
	if err := dtCheckEnv(req.Env); err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("daytona: exec env: %w", err)
	}
	if ctx.Err() != nil {
		return sandbox.ExecResult{ExitCode: -1, Cancelled: true}, nil
	}
	cwd := s.info.WorkDir
	if req.Cwd != "" {
		cwd = s.abs(req.Cwd)
	}
	r := &dtRun{s: s, tag: dtRandomHex(8), nonce: dtRandomHex(8), start: time.Now(), exited: make(chan struct{}), complete: make(chan struct{})}
	r.out.w = req.Stdout
	r.errOut.w = req.Stderr
	mode := dtErrPty
	switch {
	case req.Stderr == nil:
		mode = dtErrDrop
	case req.Stdout != nil && dtSameWriter(req.Stdout, req.Stderr):
		mode = dtErrMerge
	}
	// Setting up is a few short requests; it is not cut by ctx, so that we
	// always know what runs and may need killing.
	setup, cancelSetup := context.WithTimeout(context.WithoutCancel(ctx), dtStartTimeout)
	defer cancelSetup()
	if err := r.open(setup, mode, dtExecScript(req.Command, cwd, req.Env, r.tag, r.nonce, mode)); err != nil {
		r.cleanup()
		return sandbox.ExecResult{}, err
	}
	return r.wait(ctx, req.Timeout)
}

// How the command's stderr travels.
const (
	dtErrPty   = iota // its own PTY
	dtErrMerge        // with stdout (the caller gave one writer for both)
	dtErrDrop         // to /dev/null (the caller wants none)
)

// dtSameWriter says two writers are the same one (and so stderr can be
// merged into stdout at the source, saving a PTY).
func dtSameWriter(a, b io.Writer) bool {
	ta := reflect.TypeOf(a)
	if ta != reflect.TypeOf(b) || !ta.Comparable() {
		return false
	}
	return a == b
}

// dtStream is one output stream on its way to the caller's writer: the
// PTY reader never waits for the writer.
type dtStream struct {
	w     io.Writer
	pty   *dtPty
	marks *dtMarks
	mu    sync.Mutex
	q     sandbox.ShellOutput // scanned bytes, in order, for the pump
	pumps chan struct{}       // closed when the pump has delivered all
}

type dtRun struct {
	s           *daytonaSandbox
	tag, nonce  string
	start       time.Time
	out, errOut dtStream

	mu       sync.Mutex
	sid      int // the command's session (and process group) id; 0 = unknown
	code     int
	exited   chan struct{} // X seen
	complete chan struct{} // X, C and (if used) E seen
	gotC     bool
	gotE     bool
	useErr   bool
	errReady chan string // the stderr PTY's R payload
	closed   bool
}

// open creates the PTYs, waits for the stderr one, and starts the
// wrapper on the stdout one.
func (r *dtRun) open(ctx context.Context, mode int, script string) error {
	run, encoded := dtRunValue(script)
	env := map[string]string{dtRunVar: run}
	base := "tether-exec-" + r.tag
	var wg sync.WaitGroup
	var errs [2]error
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.out.pty, errs[0] = dtOpenPty(ctx, r.s, base, r.s.info.WorkDir, env)
	}()
	if mode == dtErrPty {
		r.useErr = true
		r.errReady = make(chan string, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errEnv := map[string]string{dtRunVar: dtErrScript(r.nonce)}
			r.errOut.pty, errs[1] = dtOpenPty(ctx, r.s, base+"-err", r.s.info.WorkDir, errEnv)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return dtWrap(err, "exec: open a terminal")
	}
	r.out.marks = newDtMarks(r.nonce)
	go r.pump(&r.out, false)
	args := "tether-exec /dev/null"
	if r.useErr {
		r.errOut.marks = newDtMarks(r.nonce)
		go r.pump(&r.errOut, true)
		if err := r.errOut.pty.send([]byte(dtTypedLine("", false))); err != nil {
			return fmt.Errorf("daytona: exec: type into the terminal: %w", err)
		}
		select {
		case ready := <-r.errReady:
			pid, tty, _ := strings.Cut(ready, ":")
			_ = pid
			args = "tether-exec " + dtQuote(tty)
		case <-r.errOut.pty.closed:
			return fmt.Errorf("daytona: exec: the stderr terminal ended before it was ready: %v", r.errOut.pty.err)
		case <-ctx.Done():
			return fmt.Errorf("daytona: exec: the stderr terminal did not get ready: %w", ctx.Err())
		}
	}
	if err := r.out.pty.send([]byte(dtTypedLine(args, encoded))); err != nil {
		return fmt.Errorf("daytona: exec: type into the terminal: %w", err)
	}
	return nil
}

// dtRunValue is the wrapper as it travels in the PTY's environment: as
// it is, or base64-encoded when it is not valid UTF-8 (the request is
// JSON, which would replace such bytes).
func dtRunValue(script string) (string, bool) {
	if utf8.ValidString(script) {
		return script, false
	}
	return base64.StdEncoding.EncodeToString([]byte(script)), true
}

// dtTypedLine is what is typed into a PTY's login shell: replace it with
// a bash running the script from the environment.
func dtTypedLine(args string, encoded bool) string {
	if encoded {
		return `exec bash -c "$(printf %s "$` + dtRunVar + `" | base64 -d)" ` + args + "\r"
	}
	return `exec bash -c "$` + dtRunVar + `" ` + args + "\r"
}

// pump scans a PTY's raw output for markers and delivers the rest.
func (r *dtRun) pump(st *dtStream, isErr bool) {
	started := false
	data := func(b []byte) {
		if started {
			st.deliver(b)
		}
	}
	mark := func(kind byte, payload string) bool {
		switch kind {
		case 'S':
			started = true
		case 'R':
			started = true
			r.errReady <- payload
		case 'P':
			r.mu.Lock()
			r.sid, _ = strconv.Atoi(payload)
			r.mu.Unlock()
		case 'X':
			code, err := strconv.Atoi(payload)
			if err != nil {
				code = -1
			}
			r.mu.Lock()
			r.code = code
			r.mu.Unlock()
			close(r.exited)
		case 'C', 'E':
			r.mu.Lock()
			if isErr {
				r.gotE = true
			} else {
				r.gotC = true
			}
			r.checkComplete()
			r.mu.Unlock()
			return true
		}
		return false
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := st.pty.out.Read(buf)
		if n > 0 {
			st.marks.push(buf[:n], data, mark)
		}
		if err != nil {
			return
		}
	}
}

// checkComplete closes complete once everything has arrived. r.mu held.
func (r *dtRun) checkComplete() {
	select {
	case <-r.exited:
	default:
		return
	}
	if r.gotC && (r.gotE || !r.useErr) && !r.closed {
		r.closed = true
		close(r.complete)
	}
}

func (st *dtStream) deliver(b []byte) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.w != nil {
		_, _ = st.w.Write(b)
	}
}

// wait follows the command until it is complete, killed or cut.
func (r *dtRun) wait(ctx context.Context, timeout time.Duration) (sandbox.ExecResult, error) {
	var timedOut <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timedOut = t.C
	}
	ended := r.out.pty.closed // the wrapper's terminal went away
	exited := r.exited
	for {
		select {
		case <-r.complete:
			dur := time.Since(r.start)
			r.cleanup()
			r.mu.Lock()
			code := r.code
			r.mu.Unlock()
			return sandbox.ExecResult{ExitCode: code, Duration: dur}, nil
		case <-exited:
			// The command is over; its output may still be held open by
			// a background child. Give it local's grace, then kill it.
			exited = nil
			go func(complete chan struct{}) {
				select {
				case <-complete:
				case <-time.After(dtPipeGrace):
					r.killTagged()
				}
			}(r.complete)
		case <-ctx.Done():
			return r.kill(false), nil
		case <-timedOut:
			return r.kill(true), nil
		case <-ended:
			ended = nil
			// Give the reader a moment to deliver the last markers.
			select {
			case <-r.complete:
				continue
			case <-time.After(time.Second):
			}
			r.flush()
			r.cleanup()
			if r.s.isClosed() {
				return sandbox.ExecResult{ExitCode: -1, Duration: time.Since(r.start)}, fmt.Errorf("daytona sandbox %s: command ended by Close: %w", r.s.info.ID, sandbox.ErrClosed)
			}
			return sandbox.ExecResult{}, fmt.Errorf("daytona: exec: the terminal closed before the command finished (%v): run it again", r.out.pty.err)
		}
	}
}

// flush delivers bytes held back as a possible marker start: the stream
// was cut, and they were output after all.
func (r *dtRun) flush() {
	for _, st := range []*dtStream{&r.out, &r.errOut} {
		if st.marks != nil && st.pty != nil {
			// Let the pump take what already arrived first.
			time.Sleep(5 * time.Millisecond)
			st.marks.flush(st.deliver)
		}
	}
}

// kill stops the command's process tree and returns with the result so
// far, waiting for the kill but not much longer than dtKillWait.
func (r *dtRun) kill(timedOut bool) sandbox.ExecResult {
	dur := time.Since(r.start)
	r.flush()
	r.stopDelivery()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.killTagged()
		r.cleanup()
	}()
	select {
	case <-done:
	case <-time.After(dtKillWait):
		r.s.p.log.Warn("kill is taking long; returning and letting it finish", "id", r.s.info.ID)
	}
	return sandbox.ExecResult{ExitCode: -1, Duration: dur, TimedOut: timedOut, Cancelled: !timedOut}
}

// stopDelivery makes sure nothing reaches the caller's writers once Exec
// has returned.
func (r *dtRun) stopDelivery() {
	for _, st := range []*dtStream{&r.out, &r.errOut} {
		st.mu.Lock()
		st.w = nil
		st.mu.Unlock()
	}
}

// killTagged SIGKILLs every process carrying the exec's tag.
func (r *dtRun) killTagged() {
	ctx, cancel := context.WithTimeout(context.Background(), dtKillTimeout)
	defer cancel()
	r.mu.Lock()
	sid := r.sid
	r.mu.Unlock()
	res, err := r.s.sb.Process.ExecuteCommand(ctx, dtShell(dtKillScript(dtTagVar+"="+r.tag, sid)))
	switch {
	case err != nil:
		r.s.p.log.Error("could not kill a command in the sandbox", "id", r.s.info.ID, "err", dtWrap(err, "kill"))
	case res.ExitCode != 0:
		r.s.p.log.Warn("kill script failed", "id", r.s.info.ID, "exit", res.ExitCode, "output", strings.TrimSpace(res.Result))
	}
}

// cleanup deletes the PTY sessions (in parallel) and waits for their
// readers; after it nothing of the exec is left in the toolbox.
func (r *dtRun) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), dtKillTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range []*dtPty{r.out.pty, r.errOut.pty} {
		if p != nil {
			wg.Add(1)
			go func() { defer wg.Done(); p.close(ctx) }()
		}
	}
	wg.Wait()
	r.stopDelivery()
}

// dtExecScript is the wrapper run on the stdout PTY ($1: the stderr
// terminal or /dev/null).
func dtExecScript(cmd, cwd string, env map[string]string, tag, nonce string, mode int) string {
	m := func(kind string) string { return `'\036` + nonce + kind + `\036'` }
	var b strings.Builder
	b.WriteString("stty raw -echo -opost 2>/dev/null\nunset " + dtRunVar + "\nE=$1\nprintf " + m("S") + "\n")
	b.WriteString("S=; command -v setsid >/dev/null 2>&1 && S=setsid\n{ if cd -- " + dtQuote(cwd) + " 2>/dev/null; then export " + dtTagVar + "=" + tag)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(" " + dtQuote(k+"="+env[k]))
	}
	// The command's shell reports its pid (its session and process group,
	// after setsid) on the terminal, then runs the command as bash -c.
	b.WriteString("; $S bash -c " + dtQuote(`printf `+m("P%d")+` $$ >&4; exec 4>&-; exec bash -c "$0"`) + " " + dtQuote(cmd) + " </dev/null 2>&3 3>&- 4>/dev/tty; else echo " +
		dtQuote("tether: cannot change to directory "+cwd) + " >&3; false; fi; printf " + m("X%d") + ` $? >/dev/tty; } `)
	switch mode {
	case dtErrPty:
		b.WriteString(`3> >(cat >"$E"; printf ` + m("E") + ` >"$E")`)
	case dtErrMerge:
		b.WriteString(`3>&1`)
	default:
		b.WriteString(`3>/dev/null`)
	}
	b.WriteString(" | { cat; printf " + m("C") + "; }\n")
	// Hold the terminal (its exit would hang up the stderr copy still
	// finishing) until Exec deletes it, or a while should Exec be gone.
	b.WriteString("sleep 30\n")
	return b.String()
}

// dtErrScript is run on the stderr PTY: raw mode, say where it is, hold
// the terminal open.
func dtErrScript(nonce string) string {
	return "stty raw -echo -opost 2>/dev/null\nunset " + dtRunVar + "\nprintf '\\036" + nonce + "R%s:%s\\036' \"$$\" \"$(tty)\"\nexec sleep 2147483647\n"
}

// dtKillScript SIGKILLs every process whose environment holds entry or
// that is in session sid (0: none), repeating while it finds some (a child
// forked meanwhile): the tag follows setsid escapes, the session catches
// children that dropped the tag.
func dtKillScript(entry string, sid int) string {
	return `j='` + entry + `'; s=` + strconv.Itoa(sid) + `; i=0
while [ $i -lt 6 ]; do
  k=0
  for e in $(grep -lzx -e "$j" /proc/[0-9]*/environ 2>/dev/null); do
    d=${e%/environ}; kill -KILL "${d#/proc/}" 2>/dev/null && k=1
  done
  if [ "$s" -gt 1 ]; then
    for d in /proc/[0-9]*; do
      read -r st < "$d/stat" 2>/dev/null || continue
      st=${st##*) }; set -- $st
      [ "$4" = "$s" ] && kill -KILL "${d#/proc/}" 2>/dev/null && k=1
    done
  fi
  i=$((i+1))
  [ $k = 0 ] && [ $i -ge 2 ] && break
  sleep 0.01 2>/dev/null
done
exit 0`
}

// dtShell makes a script safe to pass to Process.ExecuteCommand, whose
// daemon splits the command into words itself rather than using a shell.
func dtShell(script string) string {
	return `sh -c "echo ` + base64.StdEncoding.EncodeToString([]byte(script)) + ` | base64 -d | sh"`
}

// dtQuote quotes s for a POSIX shell.
func dtQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
