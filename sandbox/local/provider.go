package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Options configures the local provider. Zero values are the defaults.
type Options struct {
	BaseDir   string  // where workspaces live; "" = $XDG_STATE_HOME/tether/sandboxes (~/.local/state/...)
	Isolation string  // "auto" (default: bwrap if it works, else none), "bwrap", "none"
	Network   string  // "on" (default: egress only, slirp4netns), "off" (no network) or "host" (this machine's network)
	Keep      bool    // keep workspace dirs on Close (default: delete)
	Mounts    []Mount // extra host paths visible in sandboxes (see ParseMount)
	Limits    Limits  // resource limits; zero fields take the defaults
	Logger    *slog.Logger
}

// Isolation modes of Options.Isolation.
const (
	IsolationAuto  = "auto"
	IsolationBwrap = "bwrap"
	IsolationNone  = "none"
)

// Provider runs sandboxes as workspace directories on this machine,
// confined with bubblewrap when it works here.
type Provider struct {
	baseDir string
	network string
	keep    bool
	log     *slog.Logger
	bash    string
	mounts  []Mount
	limits  Limits
	// iso is decided on first use, not in NewProvider: probing bwrap takes
	// a few milliseconds that must not delay a TUI's first frame.
	iso func() (localIsolation, error)
	// etcView is the /etc sandboxes see (etcview.go), built on first use
	// (by the first sandbox's init, in the background).
	etcView func() string

	// noOverlay is set once an overlay mount failed: restores copy.
	noOverlay atomic.Bool

	mu   sync.Mutex
	live map[string]*localSandbox
}

// Layout of one sandbox directory <BaseDir>/<id>/. The meta file and the
// private dirs sit beside the workspace, not in it, so the agent can neither
// see them in its tree nor (under bwrap) rewrite its own labels.
const (
	localMetaFile = "sandbox.json"
	localWorkDir  = "work"
	localTmpDir   = "tmp"
	localHomeDir  = "home"
	localEtcDir   = "etc" // synthesized passwd and group
	localIDPrefix = "local-"
)

// NewProvider checks the options, prepares BaseDir and, unless
// isolation is "none", checks once that bubblewrap really works here.
func NewProvider(opts Options) (*Provider, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	network, err := localNetwork(opts.Network, sandbox.NetworkOn)
	if err != nil {
		return nil, err
	}
	base, err := localBaseDir(opts.BaseDir)
	if err != nil {
		return nil, err
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		return nil, fmt.Errorf("local sandbox: bash not found on PATH (%w): install bash to run commands locally", err)
	}
	switch opts.Isolation {
	case "", IsolationAuto, IsolationBwrap:
		localProbeAsync()
	case IsolationNone:
		if network == sandbox.NetworkOff {
			return nil, localNetOffErr(localIsolation{describe: "none"})
		}
		log.Warn("local sandboxes are not isolated: "+localNoneWarning, "isolation", opts.Isolation)
	default:
		_, err := localProbeIsolation(opts.Isolation, network)
		return nil, err
	}
	mounts, err := localCheckMounts(opts.Mounts, base)
	if err != nil {
		return nil, err
	}
	limits, err := opts.Limits.withDefaults()
	if err != nil {
		return nil, err
	}
	mode := opts.Isolation
	p := &Provider{
		baseDir: base,
		network: network,
		keep:    opts.Keep,
		log:     log,
		bash:    bash,
		mounts:  mounts,
		limits:  limits,
		iso: sync.OnceValues(func() (localIsolation, error) {
			iso, err := localProbeIsolation(mode, network)
			if err == nil && iso.bwrap && iso.helper == "" {
				log.Warn("local sandboxes run without the helper: no Landlock layer, one bubblewrap per command", "err", localProbe().helperErr)
			}
			return iso, err
		}),
		live: make(map[string]*localSandbox),
		etcView: sync.OnceValue(func() string {
			dir, err := localEtcView(base)
			if err != nil {
				log.Warn("local sandbox: no /etc view, binding its entries one by one", "err", err)
			}
			return dir
		}),
	}
	return p, nil
}

// localBaseDir resolves where workspaces live and creates it. Symlinks are
// resolved because bwrap binds the workspace at the same path inside, and a
// path through a symlink would not name the same place there.
func localBaseDir(dir string) (string, error) {
	if dir == "" {
		state := os.Getenv("XDG_STATE_HOME")
		if state == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("local sandbox: no base directory given and no home directory (%w): set Options.BaseDir or XDG_STATE_HOME", err)
			}
			state = filepath.Join(home, ".local", "state")
		}
		dir = filepath.Join(state, "tether", "sandboxes")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("local sandbox: base directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("local sandbox: cannot create base directory (%w): choose a writable BaseDir", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("local sandbox: base directory %q: %w", abs, err)
	}
	return real, nil
}

// Name is "local".
func (p *Provider) Name() string { return "local" }

// Isolation says how this provider's sandboxes are confined, as reported in
// Info.Isolation, or why they cannot be. It waits for the bwrap probe.
func (p *Provider) Isolation() string {
	iso, err := p.iso()
	if err != nil {
		return "unavailable: " + err.Error()
	}
	return iso.describe
}

// Unconfined reports whether isolation "none" was chosen: commands then
// run as the user, with the user's files and keys, and every surface must
// say so.
func (p *Provider) Unconfined() bool {
	iso, err := p.iso()
	return err == nil && !iso.bwrap
}

// SharedNetwork reports whether confined sandboxes share the host's
// network because network "host" was chosen: every surface must say so
// (HostNetworkWarning).
func (p *Provider) SharedNetwork() bool {
	iso, err := p.iso()
	return err == nil && iso.bwrap && p.network == NetworkHost
}

// UnconfinedWarning is what surfaces say when Unconfined is true.
const UnconfinedWarning = "isolation \"none\": the agent's commands run as you, with your files and keys (set [local] isolation = \"auto\" to confine them with bubblewrap)"

// BaseDir is the directory holding this provider's sandboxes.
func (p *Provider) BaseDir() string { return p.baseDir }

// Create makes a fresh workspace and records its Info beside it so that List
// finds it even if this process dies without closing it.
func (p *Provider) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local sandbox: create: %w", err)
	}
	network, err := localNetwork(spec.Network, p.network)
	if err != nil {
		return nil, err
	}
	iso, err := p.iso()
	if err != nil {
		return nil, err
	}
	if err := localNetUsable(network, iso); err != nil {
		return nil, err
	}
	limits, err := p.limits.forSpec(spec)
	if err != nil {
		return nil, err
	}
	if err := localCheckEnv(spec.Env); err != nil {
		return nil, fmt.Errorf("local sandbox: spec env: %w", err)
	}
	notify := func(state string) {
		if spec.OnState != nil {
			spec.OnState(state)
		}
	}
	notify(sandbox.StateCreating)

	id := localIDPrefix + localRandomHex(6)
	dir := filepath.Join(p.baseDir, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local sandbox: create %s: %w", dir, err)
	}
	isolation := iso.describe
	if iso.bwrap && network == sandbox.NetworkOff {
		isolation += ", network off"
	}
	cgroup := localMakeCgroup(id, limits.PIDs)
	memCg := localMakeMemCgroup(id, limits.MemoryGB)
	var mounts []string
	if iso.bwrap {
		for _, m := range p.mounts {
			mode := "ro"
			if m.Writable {
				mode = "rw"
			}
			mounts = append(mounts, m.Source+" at "+m.Target+" ("+mode+")")
		}
	}
	info := sandbox.Info{
		ID:        id,
		Name:      spec.Name,
		Provider:  p.Name(),
		State:     sandbox.StateStarted,
		CPU:       limits.CPU,
		MemoryGB:  limits.MemoryGB,
		DiskGB:    limits.DiskGB,
		Labels:    sandbox.TetherLabels(spec.Labels),
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
		WorkDir:   filepath.Join(dir, localWorkDir),
		Isolation: isolation,
		Network:   localNetDescribe(network, iso),
		Limits:    limits.describe(cgroup != "", memCg != ""),
		Mounts:    mounts,
	}
	err = localWriteMeta(dir, info)
	for _, sub := range []string{localWorkDir, localTmpDir, localHomeDir} {
		if err != nil {
			break
		}
		err = os.Mkdir(filepath.Join(dir, sub), 0o755)
	}
	if err == nil {
		err = localWriteEtc(filepath.Join(dir, localEtcDir), filepath.Join(dir, localHomeDir))
	}
	if err == nil {
		err = localRecordCgroups(dir, cgroup, memCg)
	}
	if err == nil && iso.bwrap && network == sandbox.NetworkOn {
		err = localWriteResolv(filepath.Join(dir, localEtcDir))
	}
	if err != nil {
		_ = localRemoveAll(dir)
		localKillCgroup(cgroup)
		localKillCgroup(memCg)
		return nil, fmt.Errorf("local sandbox: prepare workspace: %w", err)
	}
	sb := &localSandbox{
		p:       p,
		dir:     dir,
		info:    info,
		network: network,
		iso:     iso,
		limits:  limits,
		cgroup:  cgroup,
		memCg:   memCg,
		env:     maps.Clone(spec.Env),
		running: make(map[*localProc]struct{}),
	}
	sb.disk = newLocalDisk(dir, sb.limits.diskCap(), sb.stopForDisk)
	p.mu.Lock()
	p.live[id] = sb
	p.mu.Unlock()
	sb.prestartInit()
	p.log.Debug("local sandbox created", "id", id, "workdir", info.WorkDir, "isolation", isolation)
	notify(sandbox.StateStarted)
	return sb, nil
}

// List reads the meta files under BaseDir, so it also sees sandboxes left by
// a tether that crashed. Unreadable entries are skipped with a warning rather
// than failing the whole listing.
func (p *Provider) List(ctx context.Context, labels map[string]string) ([]sandbox.Info, error) {
	entries, err := os.ReadDir(p.baseDir)
	if err != nil {
		return nil, fmt.Errorf("local sandbox: list %s: %w", p.baseDir, err)
	}
	var out []sandbox.Info
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("local sandbox: list: %w", err)
		}
		if !e.IsDir() || !strings.HasPrefix(e.Name(), localIDPrefix) {
			continue
		}
		info, err := localReadMeta(filepath.Join(p.baseDir, e.Name()))
		if err != nil {
			p.log.Warn("skipping unreadable local sandbox", "dir", e.Name(), "err", err)
			continue
		}
		if sandbox.MatchLabels(info.Labels, labels) {
			out = append(out, info)
		}
	}
	return out, nil
}

// Delete kills whatever still runs in the sandbox and removes its directory.
// It works for sandboxes of other (possibly dead) tether processes too.
func (p *Provider) Delete(ctx context.Context, id string) error {
	if !localValidID(id) {
		return fmt.Errorf("local sandbox: %q is not a local sandbox id (want %s<hex>): check the id with `tether cleanup`", id, localIDPrefix)
	}
	p.mu.Lock()
	sb := p.live[id]
	p.mu.Unlock()
	if sb != nil {
		return sb.shutdown(ctx, true)
	}
	localKillTagged(localSandboxTag(id))
	dir := filepath.Join(p.baseDir, id)
	if info, err := localReadMeta(dir); err == nil {
		localKillInside(dir, info.CreatedAt)
	}
	// Where this tether would put them, and where the one that made the
	// sandbox did (under its own cgroup, which may not be this one's).
	for _, cg := range append([]string{localCgroupPath(id), localMemCgroupPath(id)}, localRecordedCgroups(dir)...) {
		localKillCgroup(cg)
	}
	if err := errors.Join(localUnmountUnder(dir), localRemoveAll(dir)); err != nil {
		return fmt.Errorf("local sandbox: delete %s: %w", id, err)
	}
	return nil
}

func (p *Provider) forget(id string) {
	p.mu.Lock()
	delete(p.live, id)
	p.mu.Unlock()
}

// localNetwork checks a network policy, "" meaning dflt.
func localNetwork(v, dflt string) (string, error) {
	switch v {
	case "":
		return dflt, nil
	case sandbox.NetworkOn, sandbox.NetworkOff, NetworkHost:
		return v, nil
	}
	return "", fmt.Errorf("local sandbox: network %q is not valid: use %q (egress only), %q or %q (share this machine's network)", v, sandbox.NetworkOn, sandbox.NetworkOff, NetworkHost)
}

// localNetUsable says why sandboxes of network cannot be made under iso.
func localNetUsable(network string, iso localIsolation) error {
	switch {
	case network == sandbox.NetworkOff && !iso.netOff:
		return localNetOffErr(iso)
	case network == sandbox.NetworkOn && iso.bwrap && iso.slirp == "":
		return localSlirpMissing(iso.slirpErr)
	}
	return nil
}

// localNetOfInfo is the network mode a sandbox was made with, from its
// recorded Info (older ones say "network off" in Isolation only).
func localNetOfInfo(info sandbox.Info, dflt string) string {
	switch {
	case strings.HasPrefix(info.Network, "off"), strings.Contains(info.Isolation, "network off"):
		return sandbox.NetworkOff
	case strings.HasPrefix(info.Network, "egress"):
		return sandbox.NetworkOn
	case strings.HasPrefix(info.Network, "host (chosen"):
		return NetworkHost
	}
	return dflt
}

func localNetOffErr(iso localIsolation) error {
	return fmt.Errorf("local sandbox: network off needs working bubblewrap, but isolation is %s: install bubblewrap or allow network", iso.describe)
}

func localValidID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, localIDPrefix)
	if !ok || hexPart == "" {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}

func localRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux.
	return hex.EncodeToString(b)
}

func localWriteMeta(dir string, info sandbox.Info) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	// Write then rename so a crash never leaves a half-written meta file
	// that would hide the sandbox from cleanup.
	tmp := filepath.Join(dir, localMetaFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, localMetaFile))
}

func localReadMeta(dir string) (sandbox.Info, error) {
	var info sandbox.Info
	data, err := os.ReadFile(filepath.Join(dir, localMetaFile))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("%s: %w", localMetaFile, err)
	}
	return info, nil
}

// localRemoveAll removes dir even when the agent left read-only directories
// in it (Go's module cache does), which plain os.RemoveAll cannot delete.
func localRemoveAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o700)
		}
		return nil
	})
	if err2 := os.RemoveAll(dir); err2 != nil {
		return errors.Join(err, err2)
	}
	return nil
}

// Open attaches to an existing sandbox of this provider (one made by
// `tether sandbox create`, possibly by another process) to run commands in
// it. Closing what Open returns deletes the sandbox.
func (p *Provider) Open(ctx context.Context, id string) (sandbox.Sandbox, error) {
	if !localValidID(id) {
		return nil, fmt.Errorf("local sandbox: %q is not a local sandbox id (want %s<hex>): list them with `tether sandbox ls`", id, localIDPrefix)
	}
	p.mu.Lock()
	sb := p.live[id]
	p.mu.Unlock()
	if sb != nil {
		return sb, nil
	}
	dir := filepath.Join(p.baseDir, id)
	info, err := localReadMeta(dir)
	if err != nil {
		return nil, fmt.Errorf("local sandbox: open %s (list them with `tether sandbox ls`): %w", id, err)
	}
	if info.State != sandbox.StateStarted {
		return nil, fmt.Errorf("local sandbox: %s is %s", id, info.State)
	}
	iso, err := p.iso()
	if err != nil {
		return nil, err
	}
	limits, err := p.limits.forSpec(sandbox.Spec{CPU: info.CPU, MemoryGB: info.MemoryGB, DiskGB: info.DiskGB})
	if err != nil {
		return nil, err
	}
	network := localNetOfInfo(info, p.network)
	if err := localNetUsable(network, iso); err != nil {
		return nil, err
	}
	if err := localWriteEtc(filepath.Join(dir, localEtcDir), filepath.Join(dir, localHomeDir)); err != nil {
		return nil, fmt.Errorf("local sandbox: open %s: %w", id, err)
	}
	if iso.bwrap && network == sandbox.NetworkOn {
		if err := localWriteResolv(filepath.Join(dir, localEtcDir)); err != nil {
			return nil, fmt.Errorf("local sandbox: open %s: %w", id, err)
		}
	}
	sb = &localSandbox{
		p:       p,
		dir:     dir,
		info:    info,
		network: network,
		iso:     iso,
		limits:  limits,
		cgroup:  localMakeCgroup(id, limits.PIDs),
		memCg:   localMakeMemCgroup(id, limits.MemoryGB),
		running: make(map[*localProc]struct{}),
	}
	// Beside the cgroups the sandbox's maker recorded (Delete removes those).
	_ = localRecordCgroups(dir, append(localRecordedCgroups(dir), sb.cgroup, sb.memCg)...)
	sb.disk = newLocalDisk(dir, sb.limits.diskCap(), sb.stopForDisk)
	p.mu.Lock()
	p.live[id] = sb
	p.mu.Unlock()
	sb.prestartInit()
	return sb, nil
}
