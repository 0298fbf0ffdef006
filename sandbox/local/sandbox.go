package local

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/tether-dev/tether/sandbox"
)

// localSandbox is one workspace directory of the local provider.
type localSandbox struct {
	p       *Provider
	dir     string // <BaseDir>/<id>
	network string
	iso     localIsolation
	limits  Limits
	cgroup  string            // pids cgroup of this sandbox, "" when the machine allows none
	memCg   string            // memory cgroup (memcgroup.go), "" when none; may equal cgroup
	disk    *localDisk        // disk_gb's watchdog (diskquota.go)
	env     map[string]string // Spec.Env, applied to every command

	closeMu sync.Mutex // serialises shutdowns: two deleting one tree race

	netMu      sync.Mutex
	slirps     map[*localSlirp]struct{}     // running slirp4netns (netslirp.go)
	netPending map[*exec.Cmd]*localNetStart // commands made, not yet started by s.start

	initMu   sync.Mutex
	initLost bool           // an init ended unasked (stopInit)
	init     *localInitProc // the sandbox's init (initclient.go), prestarted at Create

	mu           sync.Mutex
	info         sandbox.Info // State changes under mu; the rest is fixed at Create
	closed       bool
	initStarting int // process group of an init not yet ready, 0 when none
	running      map[*localProc]struct{}
	execs        sync.WaitGroup // Exec calls in flight, so Close can wait them out
	nextID       uint64

	nextSnap int                // snapshots made (their ids are 1, 2, ...)
	lastSnap sandbox.SnapshotID // the latest, whose unchanged files the next links

	lastIdx    treeIndex // the entries of the snapshot at lastIdxDir (snapshot_tree.go)
	lastIdxDir string
}

func (s *localSandbox) ID() string      { return s.info.ID }
func (s *localSandbox) WorkDir() string { return s.info.WorkDir }
func (s *localSandbox) tmpDir() string  { return filepath.Join(s.dir, localTmpDir) }
func (s *localSandbox) homeDir() string { return filepath.Join(s.dir, localHomeDir) }
func (s *localSandbox) etcDir() string  { return filepath.Join(s.dir, localEtcDir) }

func (s *localSandbox) Info(ctx context.Context) (sandbox.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.info
	info.Labels = maps.Clone(s.info.Labels)
	return info, nil
}

// Close kills everything still running from this sandbox and deletes its
// directory unless the provider keeps workspaces.
func (s *localSandbox) Close(ctx context.Context) error {
	return s.shutdown(ctx, !s.p.keep)
}

// shutdown is Close with the delete decision made by the caller, so that
// Provider.Delete removes a live sandbox even when Keep is set.
func (s *localSandbox) shutdown(ctx context.Context, remove bool) error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	s.mu.Lock()
	already := s.closed
	s.closed = true
	procs := make([]*localProc, 0, len(s.running))
	for pr := range s.running {
		procs = append(procs, pr)
	}
	if s.initStarting > 0 {
		// An init still starting is not waited for: it goes now.
		_ = syscall.Kill(-s.initStarting, syscall.SIGKILL)
	}
	s.mu.Unlock()

	for _, pr := range procs {
		pr.kill(localKillClosed)
	}
	// slirp4netns takes ~20 ms to die (its tap device goes with it): in
	// parallel with the init's end.
	netDown := make(chan struct{})
	go func() {
		s.stopNetwork()
		close(netDown)
	}()
	initLost := s.stopInit()
	<-netDown
	// The sweep catches what escaped its process group (setsid, double
	// fork) when bwrap's PID namespace is not there to do it.
	localKillTagged(localSandboxTag(s.info.ID))
	if !s.iso.bwrap && initLost {
		localKillInside(s.dir, s.info.CreatedAt) // its orphans went to PID 1
	}
	localKillCgroup(s.cgroup)
	if s.memCg != s.cgroup {
		localKillCgroup(s.memCg)
	}

	done := make(chan struct{})
	go func() {
		s.execs.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("local sandbox %s: close: commands still stopping: %w", s.info.ID, ctx.Err())
	}

	if remove {
		if err := errors.Join(localUnmountUnder(s.dir), localRemoveAll(s.dir)); err != nil {
			return fmt.Errorf("local sandbox %s: delete workspace %s: %w (remove it by hand or run `tether cleanup`)", s.info.ID, s.dir, err)
		}
	} else if !already {
		s.mu.Lock()
		s.info.State = sandbox.StateDeleted
		info := s.info
		s.mu.Unlock()
		if err := localWriteMeta(s.dir, info); err != nil {
			s.p.log.Warn("local sandbox: could not record closed state", "id", s.info.ID, "err", err)
		}
	}
	s.mu.Lock()
	s.info.State = sandbox.StateDeleted
	s.mu.Unlock()
	s.p.forget(s.info.ID)
	if !already {
		s.p.log.Debug("local sandbox closed", "id", s.info.ID, "removed", remove)
	}
	return nil
}

// begin registers an Exec so Close can find and wait for it.
func (s *localSandbox) begin() (execID uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("local sandbox %s: %w: create a new sandbox", s.info.ID, sandbox.ErrClosed)
	}
	s.execs.Add(1)
	s.nextID++
	return s.nextID, nil
}

func (s *localSandbox) track(pr *localProc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.running[pr] = struct{}{}
	return true
}

// stopForDisk stops every running command and shell: the sandbox went
// over its disk cap while they ran.
func (s *localSandbox) stopForDisk() {
	s.mu.Lock()
	procs := make([]*localProc, 0, len(s.running))
	for pr := range s.running {
		procs = append(procs, pr)
	}
	s.mu.Unlock()
	for _, pr := range procs {
		pr.kill(localKillDisk)
	}
}

func (s *localSandbox) untrack(pr *localProc) {
	s.mu.Lock()
	delete(s.running, pr)
	s.mu.Unlock()
}

// SetLabels adds or replaces labels (e.g. tether-kept=true on a sandbox
// kept for inspection); the meta file is rewritten so cleanup sees them.
func (s *localSandbox) SetLabels(ctx context.Context, labels map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.info
	info.Labels = maps.Clone(s.info.Labels)
	if info.Labels == nil {
		info.Labels = map[string]string{}
	}
	maps.Copy(info.Labels, labels)
	if err := localWriteMeta(s.dir, info); err != nil {
		return fmt.Errorf("local sandbox: set labels: %w", err)
	}
	s.info = info
	return nil
}
