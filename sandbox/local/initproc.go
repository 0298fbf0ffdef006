package local

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The sandbox init: one long-lived helper per sandbox, inside its
// bubblewrap, that starts the sandbox's Exec commands when tether asks.
// It holds every guarantee a bubblewrap per command gave: the commands
// inherit its namespaces, seccomp filter, Landlock domain (applied on the
// one thread that forks), CPU set and cgroup; and when a command ends,
// everything it started ends too. For that the init is a child subreaper:
// a process whose parent dies comes to it, and after a command's leader
// exits it kills every process in the sandbox that no live command owns
// (by ancestry, session, process group or the command's tag), so a
// `(setsid env -i sleep 300 &)` dies with its command.
//
// tether talks to it over a socketpair nothing else holds: frames of a
// 4-byte length and a JSON localInitMsg, a spawn carrying the command's
// stdin, stdout and stderr as SCM_RIGHTS.

// localInitMsg is one frame either way.
type localInitMsg struct {
	Op   string         `json:"op"` // spawn, kill (to the init); ready, started, exit (from it)
	ID   uint64         `json:"id,omitempty"`
	Argv localBytesList `json:"argv,omitempty"`
	Env  localBytesList `json:"env,omitempty"`
	Dir  string         `json:"dir,omitempty"`
	Tag  string         `json:"tag,omitempty"`  // the command's tag entry (localTagVar=...)
	Code int            `json:"code,omitempty"` // exit: exit code (128+n for signal n)
	PID  int            `json:"pid,omitempty"`
	Err  string         `json:"err,omitempty"`
	ABI  int            `json:"abi,omitempty"` // ready: the Landlock ABI enforced, 0 for none
	TTY  bool           `json:"tty,omitempty"` // spawn: stdin is a terminal, made the command's controlling one
}

// localBytesList is a []string that crosses the JSON frame byte for byte
// (each string as base64): plain JSON strings would turn bytes that are
// not UTF-8 (a command's `printf '\xff'`) into U+FFFD.
type localBytesList []string

func (l localBytesList) MarshalJSON() ([]byte, error) {
	raw := make([][]byte, len(l))
	for i, s := range l {
		raw[i] = []byte(s)
	}
	return json.Marshal(raw)
}

func (l *localBytesList) UnmarshalJSON(b []byte) error {
	var raw [][]byte
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = make(localBytesList, len(raw))
	for i, r := range raw {
		(*l)[i] = string(r)
	}
	return nil
}

// Ops.
const (
	localOpSpawn   = "spawn"
	localOpKill    = "kill"
	localOpReady   = "ready"
	localOpStarted = "started"
	localOpExit    = "exit"
)

// localFrameMax bounds one frame: a command line the kernel would take
// (ARG_MAX) fits.
const localFrameMax = 8 << 20

func localWriteFrame(fd int, m localInitMsg, files []int) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	buf := make([]byte, 4, 4+len(body))
	binary.LittleEndian.PutUint32(buf, uint32(len(body)))
	buf = append(buf, body...)
	var oob []byte
	if len(files) > 0 {
		oob = unix.UnixRights(files...)
	}
	for len(buf) > 0 {
		n, err := unix.SendmsgN(fd, buf, oob, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		buf, oob = buf[n:], nil
	}
	return nil
}

// localFrameReader reads frames from a stream socket, keeping the
// descriptors that came with them in arrival order.
type localFrameReader struct {
	fd    int
	buf   []byte
	files []int
}

func (r *localFrameReader) next() (localInitMsg, error) {
	var m localInitMsg
	chunk := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(16*4))
	for {
		if len(r.buf) >= 4 {
			n := int(binary.LittleEndian.Uint32(r.buf))
			if n > localFrameMax {
				return m, fmt.Errorf("frame of %d bytes", n)
			}
			if len(r.buf) >= 4+n {
				err := json.Unmarshal(r.buf[4:4+n], &m)
				r.buf = r.buf[4+n:]
				return m, err
			}
		}
		n, oobn, _, _, err := unix.Recvmsg(r.fd, chunk, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return m, err
		}
		if oobn > 0 {
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, cm := range msgs {
					if fds, err := unix.ParseUnixRights(&cm); err == nil {
						r.files = append(r.files, fds...)
					}
				}
			}
		}
		if n == 0 {
			return m, errors.New("closed")
		}
		r.buf = append(r.buf, chunk[:n]...)
	}
}

// take removes the first n descriptors received.
func (r *localFrameReader) take(n int) ([]int, error) {
	if len(r.files) < n {
		return nil, fmt.Errorf("%d descriptors expected, %d came", n, len(r.files))
	}
	fds := r.files[:n:n]
	r.files = r.files[n:]
	return fds, nil
}

// localInitCmd is one running command, as the init knows it.
type localInitCmd struct {
	id     uint64
	pid    int
	tag    string
	killed bool
}

type localInitState struct {
	fd   int
	host bool // isolation "none" (hostinit.go): no namespace, only descendants are the sandbox's
	wmu  sync.Mutex

	mu    sync.Mutex
	byPID map[int]*localInitCmd
}

func (st *localInitState) send(m localInitMsg) {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	_ = localWriteFrame(st.fd, m, nil)
}

type localSpawnJob struct {
	msg localInitMsg
	fds []int
}

// localInitMain is the helper in init mode: it returns when tether closes
// its end of the socket, killing whatever still runs.
func localInitMain(cfg localHelperConfig) int {
	st := &localInitState{fd: cfg.FD, host: cfg.Host, byPID: map[int]*localInitCmd{}}
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	// Nothing in the sandbox may read or write the init's memory.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	sigchld := make(chan os.Signal, 16)
	signal.Notify(sigchld, syscall.SIGCHLD)

	jobs := make(chan localSpawnJob)
	ready := make(chan error, 1)
	abi := localLandlockABI()
	if cfg.Host {
		abi = 0 // isolation "none": unconfined by choice
	}
	go func() {
		// The one thread that forks: confined, and never given back to the
		// Go scheduler, so nothing else runs on it.
		runtime.LockOSThread()
		err := localLandlockSelf(abi, cfg.Landlock)
		ready <- err
		if err != nil {
			return
		}
		for job := range jobs {
			st.spawn(job)
		}
	}()
	if err := <-ready; err != nil {
		st.send(localInitMsg{Op: localOpReady, Err: err.Error()})
		return 125
	}
	st.send(localInitMsg{Op: localOpReady, ABI: abi})
	go st.reap(sigchld)

	r := &localFrameReader{fd: cfg.FD}
	for {
		m, err := r.next()
		if err != nil {
			break
		}
		switch m.Op {
		case localOpSpawn:
			fds, err := r.take(3)
			if err != nil {
				st.send(localInitMsg{Op: localOpStarted, ID: m.ID, Err: err.Error()})
				continue
			}
			jobs <- localSpawnJob{msg: m, fds: fds}
		case localOpKill:
			st.kill(m.ID)
		}
	}
	// tether is gone or closed the sandbox: nothing may outlive it.
	if cfg.Host {
		if !st.childless() {
			localKillDescendants(os.Getpid())
		}
		return 0
	}
	_ = syscall.Kill(-1, syscall.SIGKILL)
	return 0
}

// spawn starts one command (on the confined thread), in a session of its
// own, with the descriptors tether sent as its stdio.
func (st *localInitState) spawn(job localSpawnJob) {
	defer func() {
		for _, fd := range job.fds {
			_ = unix.Close(fd)
		}
	}()
	m := job.msg
	attr := &syscall.ProcAttr{
		Dir:   m.Dir,
		Env:   m.Env,
		Files: []uintptr{uintptr(job.fds[0]), uintptr(job.fds[1]), uintptr(job.fds[2])},
		Sys:   &syscall.SysProcAttr{Setsid: true, Setctty: m.TTY},
	}
	// "started" goes out before the reaper can report the exit: it needs
	// st.mu to find the command.
	st.mu.Lock()
	defer st.mu.Unlock()
	pid, err := syscall.ForkExec(m.Argv[0], m.Argv, attr)
	if err != nil {
		st.send(localInitMsg{Op: localOpStarted, ID: m.ID, Err: err.Error()})
		return
	}
	st.byPID[pid] = &localInitCmd{id: m.ID, pid: pid, tag: m.Tag}
	st.send(localInitMsg{Op: localOpStarted, ID: m.ID, PID: pid})
}

// kill ends command id's process group; its leader's exit then sweeps the
// rest.
func (st *localInitState) kill(id uint64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for pid, c := range st.byPID {
		if c.id == id {
			c.killed = true
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// reap collects every child (commands and orphans handed to the init);
// a command's exit sweeps what it left and is then reported.
func (st *localInitState) reap(sigchld <-chan os.Signal) {
	for range sigchld {
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if err == syscall.EINTR {
				continue
			}
			if err != nil || pid <= 0 {
				break
			}
			st.mu.Lock()
			c := st.byPID[pid]
			delete(st.byPID, pid)
			st.mu.Unlock()
			if c == nil {
				continue // an orphan
			}
			code := ws.ExitStatus()
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
			if c.killed {
				code = -1
			}
			go func() {
				_ = syscall.Kill(-c.pid, syscall.SIGKILL)
				st.sweep()
				st.send(localInitMsg{Op: localOpExit, ID: c.id, Code: code})
			}()
		}
	}
}

// childless reports that no command runs and the init has no child at
// all, not even a zombie: then nothing is left to sweep, since whatever a
// command leaves becomes the init's child (it is a subreaper) when its
// parent goes. It spares the common case a read of all of /proc, which on
// the host (isolation "none") holds every process of the machine.
func (st *localInitState) childless() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.byPID) > 0 {
		return false
	}
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err == unix.ECHILD
}

// localProcInfo is what the sweep needs of one process.
type localProcInfo struct{ ppid, pgrp, sid int }

// sweep kills every process no live command owns, until none is left.
func (st *localInitState) sweep() {
	if st.childless() {
		return
	}
	self := os.Getpid()
	for range 50 {
		procs := localListProcs(self)
		if st.host {
			procs = localDescendants(procs, self)
		}
		st.mu.Lock()
		leaders := make(map[int]bool, len(st.byPID))
		var tags [][]byte
		for pid, c := range st.byPID {
			leaders[pid] = true
			tags = append(tags, []byte("\x00"+c.tag+"\x00"))
		}
		st.mu.Unlock()
		killed := 0
		for pid := range procs {
			if !localOwned(pid, procs, leaders, tags, self) {
				if syscall.Kill(pid, syscall.SIGKILL) == nil {
					killed++
				}
			}
		}
		if killed == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// localOwned reports whether pid belongs to a live command.
func localOwned(pid int, procs map[int]localProcInfo, leaders map[int]bool, tags [][]byte, self int) bool {
	for x, depth := pid, 0; depth < 128; depth++ {
		p, ok := procs[x]
		if !ok {
			break
		}
		if leaders[x] || leaders[p.sid] || leaders[p.pgrp] {
			return true
		}
		if p.ppid == self || p.ppid <= 1 {
			break
		}
		x = p.ppid
	}
	if len(tags) == 0 {
		return false
	}
	env, err := localReadEnviron(pid, nil)
	if err != nil {
		return false
	}
	env = append(env, 0)
	for _, t := range tags {
		if bytes.Contains(env, t) {
			return true
		}
	}
	return false
}

// localListProcs reads the live (not zombie) processes of the sandbox's
// PID namespace but the init and PID 1.
func localListProcs(self int) map[int]localProcInfo {
	out := map[int]localProcInfo{}
	names, _ := os.ReadDir("/proc")
	for _, e := range names {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || pid == 1 {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) < 4 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		sid, _ := strconv.Atoi(f[3])
		out[pid] = localProcInfo{ppid: ppid, pgrp: pgrp, sid: sid}
	}
	return out
}
