package daytona

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/daytonaio/daytona/libs/sdk-go/pkg/daytona"
	"github.com/daytonaio/daytona/libs/sdk-go/pkg/types"
	toolbox "github.com/daytonaio/daytona/libs/toolbox-api-client-go"

	"github.com/tether-dev/tether/sandbox"
)

// How a Daytona shell works, and why (measured on the real daemon, see
// the package's notes):
//
//   - The PTY session is created through the raw toolbox client, which
//     can set the starting directory and start the shell lazily, when we
//     connect (the SDK's CreatePty can do neither), so nothing it prints
//     is lost before the WebSocket is up.
//   - The SDK's reader goroutine blocks on a 100-slot channel, and the
//     daemon drops a client whose queue fills ("slow consumer", close
//     1008) and keeps nothing meanwhile: one goroutine drains the channel
//     into an unbounded queue at once, whatever the consumer does.
//   - A drop is not the end of the shell: while the PTY session exists we
//     reconnect, and count the gap (Gaps) so the consumer can resync.
//   - Input goes in chunks of at most 16 KiB (a message over 64 KiB closes
//     the socket) and one at a time (gorilla's WebSocket allows one
//     writer).
//   - KillPtySession kills the shell and its foreground job only: every
//     process the shell starts carries dtShellVar in its environment, and
//     Close and KillTagged kill by that tag with one ExecuteCommand.
//   - The SDK reports KillPtySession's success as an error and a non-zero
//     exit only in Error(): both are read from the raw response instead.

const (
	dtShellVar      = "TETHER_PTY"
	dtInputChunk    = 16 << 10
	dtConnectWait   = 15 * time.Second
	dtReconnectTry  = 5
	dtShellKillWait = 15 * time.Second
)

// dtReconnectPause delays a reconnect (tests: output is lost meanwhile).
var dtReconnectPause time.Duration

// dtPtyShell is one interactive shell on a Daytona PTY session.
type dtPtyShell struct {
	s   *daytonaSandbox
	id  string // PTY session id
	tag string // this shell's dtShellVar entry

	sendMu sync.Mutex // one writer on the WebSocket
	mu     sync.Mutex
	h      *sdk.PtyHandle
	up     chan struct{} // closed while h is connected; replaced on a drop
	gaps   atomic.Uint64

	out     sandbox.ShellOutput
	done    chan struct{}
	code    int
	closing atomic.Bool
	closeMu sync.Mutex
}

// OpenShell implements sandbox.Terminal.
func (s *daytonaSandbox) OpenShell(ctx context.Context, spec sandbox.ShellSpec) (sandbox.Shell, error) {
	if s.isClosed() {
		return nil, sandbox.ErrClosed
	}
	if err := dtCheckEnv(spec.Env); err != nil {
		return nil, fmt.Errorf("daytona: shell env: %w", err)
	}
	cwd := s.info.WorkDir
	if spec.Cwd != "" {
		cwd = s.abs(spec.Cwd)
	}
	cols, rows := spec.Cols, spec.Rows
	if cols <= 0 || cols > 1000 {
		cols = sandbox.DefaultShellCols
	}
	if rows <= 0 || rows > 1000 {
		rows = sandbox.DefaultShellRows
	}
	sh := &dtPtyShell{s: s, id: "tether-pty-" + dtRandomHex(8), done: make(chan struct{}), code: -1}
	sh.tag = dtShellVar + "=" + sh.id
	env := maps.Clone(spec.Env)
	if env == nil {
		env = map[string]string{}
	}
	env[dtShellVar] = sh.id

	req := toolbox.NewPtyCreateRequest()
	req.SetId(sh.id)
	req.SetCwd(cwd)
	req.SetEnvs(env)
	req.SetCols(int32(cols))
	req.SetRows(int32(rows))
	req.SetLazyStart(true)
	if _, httpResp, err := s.sb.ToolboxClient.ProcessAPI.CreatePtySession(ctx).Request(*req).Execute(); err != nil {
		return nil, dtWrap(dtAPIError(err, httpResp), "open a shell: create PTY session")
	}
	h, err := sh.connect(ctx)
	if err != nil {
		sh.kill(context.WithoutCancel(ctx))
		return nil, err
	}
	sh.h = h
	sh.up = make(chan struct{})
	close(sh.up)
	go sh.read(h)
	return sh, nil
}

// connect opens the PTY's WebSocket and waits for the daemon's
// "connected" frame (polling faster than the SDK's WaitForConnection).
func (sh *dtPtyShell) connect(ctx context.Context) (*sdk.PtyHandle, error) {
	ctx, cancel := context.WithTimeout(ctx, dtConnectWait)
	defer cancel()
	h, err := sh.s.sb.Process.ConnectPty(ctx, sh.id)
	if err != nil {
		return nil, dtWrap(err, "open a shell: connect to PTY session "+sh.id)
	}
	for wait := time.Millisecond; !h.IsConnected(); wait = min(wait*2, 50*time.Millisecond) {
		if e := h.Error(); e != nil {
			_ = h.Disconnect()
			return nil, fmt.Errorf("daytona: open a shell: PTY session %s: %s", sh.id, *e)
		}
		select {
		case <-ctx.Done():
			_ = h.Disconnect()
			return nil, fmt.Errorf("daytona: open a shell: PTY session %s did not connect: %w", sh.id, ctx.Err())
		case <-time.After(wait):
		}
	}
	return h, nil
}

// read drains every connection's data channel into the output queue and
// reconnects after a drop, until the shell has ended.
func (sh *dtPtyShell) read(h *sdk.PtyHandle) {
	defer func() {
		sh.out.CloseWrite()
		close(sh.done)
	}()
	for {
		for b := range h.DataChan() {
			_, _ = sh.out.Write(b)
		}
		_ = h.Disconnect()
		if code, ok := dtPtyExit(h); ok {
			sh.code = code
			return
		}
		if sh.closing.Load() {
			return
		}
		next := sh.reconnect()
		if next == nil {
			return
		}
		if sh.closing.Load() {
			_ = next.Disconnect()
			return
		}
		h = next
	}
}

// reconnect connects again to a PTY session that still exists; nil when
// it is gone or cannot be reached.
func (sh *dtPtyShell) reconnect() *sdk.PtyHandle {
	sh.mu.Lock()
	sh.up = make(chan struct{})
	sh.mu.Unlock()
	time.Sleep(dtReconnectPause)
	for try := range dtReconnectTry {
		if sh.closing.Load() {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), dtConnectWait)
		_, httpResp, err := sh.s.sb.ToolboxClient.ProcessAPI.GetPtySession(ctx, sh.id).Execute()
		if err != nil && httpResp != nil && httpResp.StatusCode == 404 {
			cancel()
			return nil
		}
		var h *sdk.PtyHandle
		if err == nil {
			h, err = sh.connect(ctx)
		}
		cancel()
		if err == nil {
			sh.gaps.Add(1)
			sh.s.p.log.Warn("shell connection dropped; reconnected (output printed meanwhile is lost)", "id", sh.s.info.ID, "pty", sh.id)
			sh.mu.Lock()
			sh.h = h
			close(sh.up)
			sh.mu.Unlock()
			return h
		}
		sh.s.p.log.Debug("reconnect to a shell failed", "id", sh.s.info.ID, "pty", sh.id, "err", err)
		time.Sleep(time.Duration(50<<try) * time.Millisecond)
	}
	return nil
}

// dtPtyExit tells whether a closed connection ended because the shell
// exited, and with which status. The SDK fills ExitCode only for a
// normal close; otherwise the daemon's JSON reason is inside Error().
func dtPtyExit(h *sdk.PtyHandle) (int, bool) {
	if c := h.ExitCode(); c != nil {
		return *c, true
	}
	e := h.Error()
	if e == nil {
		return 0, false
	}
	if i := strings.IndexByte(*e, '{'); i >= 0 {
		var x struct {
			ExitCode *int `json:"exitCode"`
		}
		if json.Unmarshal([]byte((*e)[i:]), &x) == nil && x.ExitCode != nil {
			return *x.ExitCode, true
		}
	}
	return 0, false
}

func (sh *dtPtyShell) Read(p []byte) (int, error) { return sh.out.Read(p) }

// Gaps counts the times the connection dropped and was re-established:
// output printed in between is lost (the daemon keeps none).
func (sh *dtPtyShell) Gaps() uint64 { return sh.gaps.Load() }

// Send types p into the terminal, in chunks the daemon accepts. During a
// reconnect it waits for the new connection.
func (sh *dtPtyShell) Send(ctx context.Context, p []byte) error {
	sh.sendMu.Lock()
	defer sh.sendMu.Unlock()
	for len(p) > 0 {
		n := min(len(p), dtInputChunk)
		for {
			sh.mu.Lock()
			h, up := sh.h, sh.up
			sh.mu.Unlock()
			select {
			case <-sh.done:
				return errors.New("daytona shell: the shell has ended")
			case <-ctx.Done():
				return ctx.Err()
			case <-up:
			}
			if err := h.SendInput(p[:n]); err != nil {
				if h.IsConnected() {
					return fmt.Errorf("daytona shell: type into the terminal: %w", err)
				}
				// Dropped under us: the reader reconnects.
				select {
				case <-sh.done:
				case <-ctx.Done():
				case <-time.After(5 * time.Millisecond):
				}
				continue
			}
			break
		}
		p = p[n:]
	}
	return nil
}

// Resize changes the terminal's size.
func (sh *dtPtyShell) Resize(ctx context.Context, cols, rows int) error {
	if cols <= 0 || cols > 1000 || rows <= 0 || rows > 1000 {
		return fmt.Errorf("daytona shell: resize to %dx%d: give 1..1000 columns and rows", cols, rows)
	}
	if _, err := sh.s.sb.Process.ResizePtySession(ctx, sh.id, types.PtySize{Cols: cols, Rows: rows}); err != nil {
		return dtWrap(err, "resize shell")
	}
	return nil
}

// KillTagged kills every process carrying env, and the terminal's
// foreground job (one that ignores Ctrl+C too), in one request.
func (sh *dtPtyShell) KillTagged(ctx context.Context, env string) error {
	if err := dtCheckEntry(env); err != nil {
		return err
	}
	res, err := sh.s.sb.Process.ExecuteCommand(ctx, dtShell(dtKillTaggedScript(env, sh.tag)))
	if err != nil {
		return dtWrap(err, "kill a shell's command")
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("daytona shell: kill a command: %s", strings.TrimSpace(res.Result))
	}
	return nil
}

// dtCheckEntry refuses an env entry that could break out of its quotes.
func dtCheckEntry(env string) error {
	k, _, ok := strings.Cut(env, "=")
	if !ok || k == "" || strings.ContainsAny(env, "'\x00\n") {
		return fmt.Errorf("daytona shell: kill tagged: %q is not a NAME=value entry", env)
	}
	return nil
}

// dtKillTaggedScript SIGKILLs every process whose environment holds the
// entry job with its process group (unless that is its session's own),
// and, when shellTag is set, the foreground process group of
// the terminal of the shell holding shellTag (found as the session
// leader among the processes carrying it), unless that is the shell
// itself. It repeats while it finds something, to catch children forked
// meanwhile.
func dtKillTaggedScript(job, shellTag string) string {
	return `j='` + job + `'; s='` + shellTag + `'; i=0
while [ $i -lt 6 ]; do
  k=0
  for e in $(grep -lzx -e "$j" /proc/[0-9]*/environ 2>/dev/null); do
    d=${e%/environ}; p=${d#/proc/}
    # Its process group too, unless that is its session's own (the
    # shell's): a job's forked subshell carries no tag but shares it.
    st=$(cat "$d/stat" 2>/dev/null) && { st=${st##*) }; set -- $st; [ "$3" != "$4" ] && [ "$3" -gt 1 ] 2>/dev/null && { kill -KILL "-$3" 2>/dev/null || kill -KILL -- "-$3" 2>/dev/null; }; }
    kill -KILL "$p" 2>/dev/null && k=1
  done
  if [ -n "$s" ]; then
    for e in $(grep -lzx -e "$s" /proc/[0-9]*/environ 2>/dev/null); do
      d=${e%/environ}; p=${d#/proc/}
      st=$(cat "$d/stat" 2>/dev/null) || continue
      st=${st##*) }; set -- $st
      if [ "$4" = "$p" ] && [ "$6" -gt 0 ] 2>/dev/null && [ "$6" != "$p" ]; then
        kill -KILL "-$6" 2>/dev/null || kill -KILL -- "-$6" 2>/dev/null
        k=1
      fi
    done
  fi
  i=$((i+1))
  # A child forked just before may carry the tag only once it exec's.
  [ $k = 0 ] && [ $i -ge 3 ] && break
  sleep 0.01 2>/dev/null
done
exit 0`
}

func (sh *dtPtyShell) Done() <-chan struct{} { return sh.done }

func (sh *dtPtyShell) ExitCode() int {
	select {
	case <-sh.done:
		return sh.code
	default:
		return -1
	}
}

// Close deletes the PTY session and kills every process the shell
// started, wherever it went.
func (sh *dtPtyShell) Close(ctx context.Context) error {
	sh.closeMu.Lock()
	defer sh.closeMu.Unlock()
	first := !sh.closing.Swap(true)
	if first {
		sh.kill(ctx)
		sh.mu.Lock()
		h := sh.h
		sh.mu.Unlock()
		if h != nil {
			_ = h.Disconnect()
		}
	}
	select {
	case <-sh.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("daytona shell: close: %w", ctx.Err())
	}
}

// kill deletes the PTY session and kills what carries the shell's tag.
func (sh *dtPtyShell) kill(ctx context.Context) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dtShellKillWait)
	defer cancel()
	_, httpResp, err := sh.s.sb.ToolboxClient.ProcessAPI.DeletePtySession(kctx, sh.id).Execute()
	if err != nil && (httpResp == nil || httpResp.StatusCode >= 300) && !(httpResp != nil && httpResp.StatusCode == 404) {
		sh.s.p.log.Warn("could not delete a PTY session", "id", sh.s.info.ID, "pty", sh.id, "err", err)
	}
	if res, err := sh.s.sb.Process.ExecuteCommand(kctx, dtShell(dtKillTaggedScript(sh.tag, ""))); err != nil || res.ExitCode != 0 {
		sh.s.p.log.Warn("could not kill a shell's processes", "id", sh.s.info.ID, "pty", sh.id, "err", err)
	}
}
