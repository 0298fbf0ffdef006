package daytona

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// How Exec runs a command on Daytona, and why:
//
//   - Process.ExecuteCommand blocks, merges stdout and stderr and is cut by
//     the SDK's fixed 60 s HTTP timeout, so commands run as asynchronous
//     session commands and their output is followed over the log WebSocket.
//   - A session runs its commands one after another in one shell, so each
//     Exec borrows a session of its own from a small pool.
//   - The command runs in a subshell (a bare `exit N` would otherwise end
//     the session's shell), under setsid in a process group of its own whose
//     id goes to a pid file, with a per-exec tag in its environment.
//   - There is no SDK call to kill a session command: a kill is a second,
//     short ExecuteCommand that kills that process group and any process
//     carrying the tag.

const (
	dtStartTimeout = 30 * time.Second // starting a command (one request)
	dtKillTimeout  = 15 * time.Second
	dtKillWait     = 2 * time.Second // how long Exec waits for a kill
	dtExitPollMin  = 80 * time.Millisecond
	dtExitPollMax  = time.Second
	dtStreamGrace  = 300 * time.Millisecond // for the log stream to end after exit
	dtTagVar       = "TETHER_EXEC_ID"
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
		return sandbox.ExecResult{}, fmt.Errorf("daytona: exec: %w (session commands have no stdin): run it on a terminal (OpenShell) instead", sandbox.ErrNoStdin)
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
	tag := dtRandomHex(8)

	// Starting is one short request; it is not cut by ctx so that we always
	// know whether something runs that may need killing.
	startCtx, cancelStart := context.WithTimeout(context.WithoutCancel(ctx), dtStartTimeout)
	defer cancelStart()
	sid, err := s.sessions.get(startCtx, s)
	if err != nil {
		return sandbox.ExecResult{}, dtWrap(err, "exec: create session")
	}
	// A shell word, expanded in the sandbox: TMPDIR is usually unset there.
	pidFile := `"${TMPDIR:-/tmp}/` + sid + `.pid"`
	start := time.Now()
	resp, err := s.sb.Process.ExecuteSessionCommand(startCtx, sid, dtWrapCommand(req.Command, cwd, req.Env, tag, pidFile), true, true)
	if err != nil {
		s.sessions.drop(sid, s)
		return sandbox.ExecResult{}, dtWrap(err, "exec: start command")
	}
	cmdID, _ := resp["id"].(string)
	if cmdID == "" {
		s.sessions.drop(sid, s)
		return sandbox.ExecResult{}, errors.New("daytona: exec: the toolbox returned no command id")
	}
	r := &dtRun{s: s, sid: sid, cmdID: cmdID, tag: tag, pidFile: pidFile, start: start,
		out: &dtOutput{w: [2]io.Writer{req.Stdout, req.Stderr}}}
	return r.follow(ctx, req.Timeout)
}

// dtRun is one command in flight.
type dtRun struct {
	s                        *daytonaSandbox
	sid, cmdID, tag, pidFile string
	start                    time.Time
	out                      *dtOutput
}

func (r *dtRun) follow(ctx context.Context, timeout time.Duration) (sandbox.ExecResult, error) {
	// The stream is read by goroutines we can abandon: it only checks its
	// context between frames and blocks on its channel sends. It ends when
	// the command ends (or is killed) and the toolbox closes the socket.
	streamCtx, stopStream := context.WithCancel(context.WithoutCancel(ctx))
	defer stopStream()
	stdout, stderr := make(chan string, 64), make(chan string, 64)
	streamErr := make(chan error, 1)
	go func(stdout, stderr chan<- string) {
		streamErr <- r.s.sb.Process.GetSessionCommandLogsStream(streamCtx, r.sid, r.cmdID, stdout, stderr)
	}(stdout, stderr)
	drained := make(chan struct{})
	go func(stdout, stderr <-chan string) {
		defer close(drained)
		for stdout != nil || stderr != nil {
			select {
			case c, ok := <-stdout:
				if !ok {
					stdout = nil
					continue
				}
				r.out.write(0, c)
			case c, ok := <-stderr:
				if !ok {
					stderr = nil
					continue
				}
				r.out.write(1, c)
			}
		}
	}(stdout, stderr)

	var timedOut <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timedOut = t.C
	}
	// Polling backs off from dtExitPollMin: the stream ending is the usual
	// signal, polling the fallback should the toolbox keep it open.
	interval := dtExitPollMin
	poll := time.NewTimer(interval)
	defer poll.Stop()
	streamDone := drained // nil once the stream has ended
	streamOK := true
	// Set when the command was still running after the stream ended: the
	// stream then missed output, which is fetched at the end.
	outlived := false
	for {
		select {
		case <-ctx.Done():
			return r.kill(false), nil
		case <-timedOut:
			return r.kill(true), nil
		case <-streamDone:
			streamDone = nil
			if err := <-streamErr; err != nil {
				streamOK = false
				r.s.p.log.Warn("live output stream failed; output will come when the command ends", "id", r.s.info.ID, "err", err)
			}
			// The stream usually ends because the command did: ask now,
			// then quickly, for the exit code.
			interval = dtExitPollMin / 4
			poll.Reset(0)
		case <-poll.C:
			code, done, err := r.exitCode(ctx)
			if err != nil {
				if ctx.Err() != nil {
					continue // the ctx.Done case kills it
				}
				if !dtIsRateLimit(err) {
					r.out.stop()
					if r.s.isClosed() {
						return sandbox.ExecResult{ExitCode: -1, Duration: time.Since(r.start)}, fmt.Errorf("daytona sandbox %s: command ended by Close: %w", r.s.info.ID, sandbox.ErrClosed)
					}
					r.s.sessions.drop(r.sid, r.s)
					return sandbox.ExecResult{}, dtWrap(err, "exec: read command status")
				}
			}
			if done {
				complete := streamOK && !outlived
				if streamDone != nil {
					// Exit seen first: give the stream a moment to end.
					select {
					case <-drained:
						complete = <-streamErr == nil
					case <-time.After(dtStreamGrace):
						complete = false
					}
				}
				return r.finish(code, complete), nil
			}
			if streamDone == nil {
				outlived = true
			}
			interval = min(interval*2, dtExitPollMax)
			poll.Reset(interval)
		}
	}
}

func (r *dtRun) exitCode(ctx context.Context) (int, bool, error) {
	m, err := r.s.sb.Process.GetSessionCommand(ctx, r.sid, r.cmdID)
	if err != nil {
		if dtExitCodeRace(err) {
			return 0, false, nil
		}
		return 0, false, err
	}
	switch v := m["exitCode"].(type) {
	case int32:
		return int(v), true, nil
	case int:
		return v, true, nil
	}
	return 0, false, nil
}

// dtExitCodeRace says the daemon answered a status request while the
// command's exit-code file existed but was still empty (it writes the file
// in two steps): HTTP 500 "failed to convert exit code to int". The command
// is ending; ask again.
func dtExitCodeRace(err error) bool {
	return dtStatus(err) == 500 && strings.Contains(dtMessage(err), "failed to convert exit code")
}

// finish delivers what the stream did not, then returns the result.
func (r *dtRun) finish(code int, complete bool) sandbox.ExecResult {
	dur := time.Since(r.start)
	if !complete {
		ctx, cancel := context.WithTimeout(context.Background(), dtStartTimeout)
		defer cancel()
		logs, err := r.s.sb.Process.GetSessionCommandLogs(ctx, r.sid, r.cmdID)
		if err != nil {
			r.s.p.log.Warn("could not fetch the rest of the output", "id", r.s.info.ID, "err", err)
		} else {
			r.out.finish([2]string{logs.GetStdout(), logs.GetStderr()})
		}
	}
	r.out.stop()
	r.s.sessions.put(r.sid)
	return sandbox.ExecResult{ExitCode: code, Duration: dur}
}

// kill stops the command's process tree and returns with the result so
// far; later output is dropped. It waits for the kill to be done, but not
// much longer than dtKillWait: a toolbox that does not answer must not hold
// the caller, and the kill goes on in the background.
func (r *dtRun) kill(timedOut bool) sandbox.ExecResult {
	dur := time.Since(r.start)
	r.out.stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), dtKillTimeout)
		defer cancel()
		res, err := r.s.sb.Process.ExecuteCommand(ctx, dtShell(dtKillScript(r.pidFile, r.tag)))
		switch {
		case err != nil:
			r.s.p.log.Error("could not kill a command in the sandbox", "id", r.s.info.ID, "err", dtWrap(err, "kill"))
		case res.ExitCode != 0:
			r.s.p.log.Warn("kill script failed", "id", r.s.info.ID, "exit", res.ExitCode, "output", strings.TrimSpace(res.Result))
		}
		// The session's shell may still be winding the wrapper down: do
		// not reuse it.
		r.s.sessions.drop(r.sid, r.s)
	}()
	select {
	case <-done:
	case <-time.After(dtKillWait):
		r.s.p.log.Warn("kill is taking long; returning and letting it finish", "id", r.s.info.ID)
	}
	return sandbox.ExecResult{ExitCode: -1, Duration: dur, TimedOut: timedOut, Cancelled: !timedOut}
}

// dtWrapCommand builds the session command that runs cmd with bash in its
// own process group, in cwd, with env. The outer subshell keeps a bare
// `exit N` from ending the session's shell. pidFile (a shell word; one per
// session, as a session runs one command at a time) gets "PGID TAG" when
// the command starts and "done TAG" when it ends. It is kept to few
// processes: each costs milliseconds on every Exec.
func dtWrapCommand(cmd, cwd string, env map[string]string, tag, pidFile string) string {
	var b strings.Builder
	b.WriteString("( export " + dtTagVar + "=" + tag)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(" " + dtQuote(k+"="+env[k]))
	}
	// Plain setsid, not -w (busybox lacks it): a subshell of the session's
	// non-interactive shell is no group leader, so setsid execs in place
	// and its exit status is the command's. Without setsid (rare) the kill
	// falls back to the tagged processes.
	b.WriteString("; S=; command -v setsid >/dev/null 2>&1 && S=setsid; $S bash -c ")
	inner := "echo \"$$ " + tag + "\" > " + pidFile + "; cd -- " + dtQuote(cwd) + " 2>/dev/null || { echo " +
		dtQuote("tether: cannot change to directory "+cwd) + " >&2; exit 1; }; " + cmd
	b.WriteString(dtQuote(inner))
	b.WriteString(" < /dev/null; r=$?; echo 'done " + tag + "' > " + pidFile + "; exit $r )")
	return b.String()
}

// dtKillScript kills the command's process group once pidFile names it
// (the command may only just be starting, and the file may still describe
// the session's previous command), then every process whose environment
// carries the tag, which catches those that left the group.
func dtKillScript(pidFile, tag string) string {
	return `f=` + pidFile + `; t=` + tag + `; i=0
while :; do
  p= g=
  read -r p g 2>/dev/null < "$f"
  if [ "$g" = "$t" ]; then
    # dash's kill takes no "--"; others may want it before a negative pid.
    [ "$p" = done ] || kill -KILL "-$p" 2>/dev/null || kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
    break
  fi
  i=$((i+1)); [ $i -ge 20 ] && break; sleep 0.05
done
grep -lzx "` + dtTagVar + `=$t" /proc/[0-9]*/environ 2>/dev/null | while read -r e; do
  d=${e%/environ}; kill -KILL "${d#/proc/}" 2>/dev/null
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
