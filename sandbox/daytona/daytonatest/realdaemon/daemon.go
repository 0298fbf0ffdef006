package realdaemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DaemonPort is the toolbox API's port inside the daemon's namespace.
const DaemonPort = 2280

const (
	readyTimeout = 15 * time.Second
	stopTimeout  = 10 * time.Second
)

// Daemon is one running toolbox daemon in namespaces of its own: network
// (loopback only), PID (so nothing it starts outlives it, setsid children
// included) and mount (for that namespace's /proc).
type Daemon struct {
	Dir  string // its working directory: the sandbox's work dir
	Home string // its HOME (sessions live under ~/.daytona)
	Log  string // DAYTONA_DAEMON_LOG_FILE_PATH

	bin     string
	tmp     string // holds Home, Log and the daemon's stdout
	cmd     *exec.Cmd
	waited  chan struct{}
	initPID int // host PID of the namespace's init (the bash that reaps)
	pidNS   uint64
	dials   chan dialReq
	stopped chan struct{}
	proxy   *toolboxProxy
	client  *http.Client

	closeOnce sync.Once
	closeErr  error
}

type dialReq struct {
	ctx  context.Context
	addr string
	res  chan dialRes
}

type dialRes struct {
	conn net.Conn
	err  error
}

// initScript runs as PID 1 of the new namespaces: it brings loopback up,
// starts the daemon and reaps orphans (bash reaps any child) until the
// daemon exits; its own exit then kills everything left in the namespace.
const initScript = `ip link set lo up || exit 97
cd "$1" || exit 98
"$0" >"$2" 2>&1 &
wait $!`

// StartDaemon starts the daemon binary at bin with dir as its working
// directory and env added to its environment (the sandbox's env vars), and
// waits until its toolbox API answers. Close stops it and removes its temp
// files (not dir).
func StartDaemon(bin, dir string, env map[string]string) (*Daemon, error) {
	if err := checkNamespaces(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "realdaemon-")
	if err != nil {
		return nil, fmt.Errorf("realdaemon: a temp dir: %w", err)
	}
	d := &Daemon{bin: bin, Dir: dir, Home: filepath.Join(tmp, "home"), Log: filepath.Join(tmp, "daemon.log"), tmp: tmp,
		waited: make(chan struct{}), dials: make(chan dialReq), stopped: make(chan struct{})}
	if err := os.MkdirAll(filepath.Join(d.Home, ".tmp"), 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("realdaemon: %w", err)
	}
	cmd := exec.Command("unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child",
		"--", "bash", "-c", initScript, bin, dir, filepath.Join(tmp, "daemon.out"))
	cmd.Dir = dir
	cmd.Env = daemonEnv(d, env)
	// Its own session, and killed should this process die: --kill-child
	// then takes the namespace's init, and the kernel everything in it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := startOnForker(cmd); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("realdaemon: start unshare: %w", err)
	}
	d.cmd = cmd
	go func() { _ = cmd.Wait(); close(d.waited) }()
	if err := d.ready(); err != nil {
		_ = d.Close()
		if s := strings.TrimSpace(stderr.String()); s != "" {
			err = fmt.Errorf("%w (unshare: %s)", err, s)
		}
		if out, _ := os.ReadFile(filepath.Join(tmp, "daemon.out")); len(out) > 0 {
			err = fmt.Errorf("%w; daemon output: %s", err, tail(out, 400))
		}
		return nil, err
	}
	return d, nil
}

func daemonEnv(d *Daemon, env map[string]string) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	// A small environment of its own, as in a container: nothing of the
	// test process's (keys included) leaks into the sandbox.
	out := []string{"PATH=" + path, "HOME=" + d.Home, "TMPDIR=" + filepath.Join(d.Home, ".tmp"),
		"LANG=C.UTF-8", "DAYTONA_SANDBOX_ID=" + filepath.Base(d.Dir), "DAYTONA_DAEMON_LOG_FILE_PATH=" + d.Log}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

// ready finds the namespace's init, starts the dialer in its network
// namespace and waits for GET /version.
func (d *Daemon) ready() error {
	deadline := time.Now().Add(readyTimeout)
	for d.initPID == 0 {
		if pid := firstChild(d.cmd.Process.Pid); pid != 0 {
			d.initPID = pid
			break
		}
		select {
		case <-d.waited:
			return errors.New("realdaemon: unshare exited at once")
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("realdaemon: unshare started no child")
		}
	}
	var err error
	if d.pidNS, err = nsInode(d.initPID, "pid"); err != nil {
		return err
	}
	if err := d.startDialer(); err != nil {
		return err
	}
	tr := &http.Transport{DialContext: d.Dial, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	d.client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	target := &url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(DaemonPort)}
	d.proxy = newToolboxProxy(target, tr)
	for {
		var body []byte
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target.String()+"/version", nil)
		resp, err := d.client.Do(req)
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"version"`)) {
			return nil
		}
		select {
		case <-d.waited:
			return fmt.Errorf("realdaemon: the daemon exited before answering (%v)", d.cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("realdaemon: no answer from GET /version within %s (last: %v)", readyTimeout, err)
		}
	}
}

// startDialer starts the goroutine that makes the daemon's connections: it
// locks its OS thread, moves that thread into the daemon's network
// namespace and never leaves it (the thread is discarded when it ends), so
// every socket it creates lives there.
func (d *Daemon) startDialer() error {
	nsPath := fmt.Sprintf("/proc/%d/ns/net", d.initPID)
	ready := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with us
		fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ready <- fmt.Errorf("realdaemon: open %s: %w", nsPath, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			ready <- fmt.Errorf("realdaemon: setns into the daemon's network: %w", err)
			return
		}
		ready <- nil
		var dialer net.Dialer
		for {
			select {
			case <-d.stopped:
				return
			case r := <-d.dials:
				ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
				c, err := dialer.DialContext(ctx, "tcp", r.addr)
				cancel()
				r.res <- dialRes{c, err}
			}
		}
	}()
	return <-ready
}

// Dial connects to addr inside the daemon's network namespace (where
// 127.0.0.1:2280 is its toolbox API). It has the signature of
// net.Dialer.DialContext.
func (d *Daemon) Dial(ctx context.Context, _, addr string) (net.Conn, error) {
	r := dialReq{ctx: ctx, addr: addr, res: make(chan dialRes, 1)}
	select {
	case d.dials <- r:
	case <-d.stopped:
		return nil, errors.New("realdaemon: the daemon is stopped")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res := <-r.res
	return res.conn, res.err
}

// ServeHTTP forwards a toolbox request (path relative to the toolbox
// root, e.g. /process/execute), WebSocket upgrades included.
func (d *Daemon) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.proxy.ServeHTTP(w, r) }

// Client is an HTTP client whose connections reach the daemon: give it
// URLs under BaseURL.
func (d *Daemon) Client() *http.Client { return d.client }

// BaseURL is the toolbox API's root as Client reaches it.
const BaseURL = "http://127.0.0.1:2280"

// Close kills everything in the daemon's namespaces and waits for it to be
// gone. Safe to call more than once.
func (d *Daemon) Close() error {
	d.closeOnce.Do(func() {
		close(d.stopped)
		if d.client != nil {
			d.client.CloseIdleConnections()
		}
		if d.initPID != 0 {
			// Killing the PID namespace's init kills all that is in it;
			// unshare, still alive, reaps it at once (an orphan would wait
			// for the host's init, which can take a second).
			_ = syscall.Kill(d.initPID, syscall.SIGKILL)
		}
		select {
		case <-d.waited:
		case <-time.After(stopTimeout / 2):
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			select {
			case <-d.waited:
			case <-time.After(stopTimeout / 2):
				d.closeErr = errors.New("realdaemon: unshare did not exit after SIGKILL")
			}
		}
		if d.closeErr == nil && d.pidNS != 0 {
			if left := waitNSEmpty(d.pidNS, stopTimeout); len(left) > 0 {
				d.closeErr = fmt.Errorf("realdaemon: processes left in the sandbox after stop: %v", left)
			}
		}
		os.RemoveAll(d.tmp)
	})
	return d.closeErr
}

// Process is one process inside the sandbox, as the sandbox sees it.
type Process struct {
	PID, PPID int    // in the sandbox's PID namespace
	Args      string // its command line, arguments joined by spaces
	State     string // as in /proc/PID/stat: R, S, Z, ...
}

// Processes lists the processes in the sandbox other than its init, the
// daemon itself and its code-interpreter worker (daytona_repl_worker.py), read from the namespace's own /proc: what a leak check
// wants to be empty once a command is over.
func (d *Daemon) Processes() ([]Process, error) {
	root := fmt.Sprintf("/proc/%d/root/proc", d.initPID)
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("realdaemon: list processes: %w", err)
	}
	var out []Process
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == 1 {
			continue
		}
		p, ok := readProc(root, pid)
		if !ok || (p.PPID == 1 && (p.Args == d.bin || strings.HasPrefix(p.Args, d.bin+" "))) {
			continue
		}
		out = append(out, p)
	}
	out = dropWorker(out)
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out, nil
}

// Sessions lists the ids of the daemon's toolbox sessions.
func (d *Daemon) Sessions(ctx context.Context) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, BaseURL+"/process/session", nil)
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("realdaemon: list sessions: %w", err)
	}
	defer resp.Body.Close()
	var list []struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("realdaemon: list sessions: %w", err)
	}
	ids := make([]string, 0, len(list))
	for _, s := range list {
		ids = append(ids, s.SessionID)
	}
	return ids, nil
}

// PtySessions lists the ids of the daemon's PTY sessions.
func (d *Daemon) PtySessions(ctx context.Context) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, BaseURL+"/process/pty", nil)
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("realdaemon: list PTY sessions: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Sessions []struct {
			ID     string `json:"id"`
			Active bool   `json:"active"`
		} `json:"sessions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("realdaemon: list PTY sessions: %w", err)
	}
	ids := make([]string, 0, len(body.Sessions))
	for _, s := range body.Sessions {
		ids = append(ids, s.ID)
	}
	return ids, nil
}

// DaemonLog is what the daemon logged so far (its log file).
func (d *Daemon) DaemonLog() string {
	b, _ := os.ReadFile(d.Log)
	return string(b)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

// dropWorker leaves out the daemon's code-interpreter worker (started with
// the daemon, through pyenv shims where the host has them) and whatever
// descends from it.
func dropWorker(ps []Process) []Process {
	byPID := make(map[int]Process, len(ps))
	for _, p := range ps {
		byPID[p.PID] = p
	}
	isWorker := func(p Process) bool {
		for range 32 {
			if strings.Contains(p.Args, "daytona_repl_worker.py") {
				return true
			}
			parent, ok := byPID[p.PPID]
			if !ok {
				return false
			}
			p = parent
		}
		return false
	}
	out := ps[:0:0]
	for _, p := range ps {
		if !isWorker(p) {
			out = append(out, p)
		}
	}
	return out
}
