package daytona

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	apiclient "github.com/daytonaio/daytona/libs/api-client-go"
	sdk "github.com/daytonaio/daytona/libs/sdk-go/pkg/daytona"
	"github.com/daytonaio/daytona/libs/sdk-go/pkg/options"
	"github.com/daytonaio/daytona/libs/sdk-go/pkg/types"

	"github.com/tether-dev/tether/internal/ctxwait"
	"github.com/tether-dev/tether/sandbox"
)

// Options configures the Daytona provider.
type Options struct {
	APIKey string // secret: never logged or put in errors
	APIURL string // "" = the SDK default (https://app.daytona.io/api)
	Target string
	Logger *slog.Logger

	// Defaults applied to Create when the Spec leaves them empty.
	Image, Snapshot                    string
	CreateTimeout                      time.Duration
	AutoStopMinutes, AutoDeleteMinutes *int

	// OnClose is what Sandbox.Close does: "delete" (default) or "stop".
	OnClose string

	// SnapshotSteps makes sandboxes offer sandbox.ImageSnapshotter
	// (Daytona snapshots of the whole filesystem), which a session then
	// takes after each tool call that may change files, so that a fork
	// at any step restores it exactly. Slow and billed: off by default.
	SnapshotSteps bool
}

// Close policies.
const (
	DaytonaOnCloseDelete = "delete"
	DaytonaOnCloseStop   = "stop"
)

const (
	dtDefaultAPIURL        = "https://app.daytona.io/api"
	dtDefaultCreateTimeout = 3 * time.Minute
	// dtCleanupTimeout bounds the deletes done on the way out of a failed
	// create, which run even though the caller's context is done.
	dtCleanupTimeout = 30 * time.Second
)

// Provider creates sandboxes on Daytona through the Daytona Go SDK.
// It is safe for concurrent use.
type Provider struct {
	opts   Options
	log    *slog.Logger
	apiURL string
	// api is the generated API client the SDK wraps: the SDK's own types
	// carry neither labels nor resources, which Info and List report.
	api *apiclient.APIClient

	mu      sync.Mutex
	clients map[string]*sdk.Client // by target
}

// NewProvider checks the options and builds the SDK client. It makes
// no network call.
func NewProvider(opts Options) (*Provider, error) {
	if strings.TrimSpace(opts.APIKey) == "" {
		return nil, errors.New("daytona: no API key: set DAYTONA_API_KEY (create a key at https://app.daytona.io/dashboard/keys)")
	}
	switch opts.OnClose {
	case "":
		opts.OnClose = DaytonaOnCloseDelete
	case DaytonaOnCloseDelete, DaytonaOnCloseStop:
	default:
		return nil, fmt.Errorf("daytona: on-close policy %q is not known: use %q or %q", opts.OnClose, DaytonaOnCloseDelete, DaytonaOnCloseStop)
	}
	if opts.CreateTimeout < 0 {
		return nil, fmt.Errorf("daytona: negative create timeout %s: use 0 for the default", opts.CreateTimeout)
	}
	apiURL := strings.TrimRight(opts.APIURL, "/")
	if apiURL == "" {
		apiURL = dtDefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("daytona: API URL %q is not an http(s) URL: fix DAYTONA_API_URL or the config", apiURL)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Provider{opts: opts, log: log.With("provider", "daytona"), apiURL: apiURL, clients: map[string]*sdk.Client{}}

	cfg := apiclient.NewConfiguration()
	cfg.Host, cfg.Scheme = u.Host, u.Scheme
	cfg.Servers = apiclient.ServerConfigurations{{URL: apiURL}}
	// Its own transport: the default keeps only 2 idle connections per
	// host, too few when many sandboxes are listed or read at once.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second, Transport: tr}
	cfg.AddDefaultHeader("X-Daytona-Source", "tether")
	p.api = apiclient.NewAPIClient(cfg)

	if _, err := p.client(opts.Target); err != nil {
		return nil, err
	}
	return p, nil
}

// Name is "daytona".
func (p *Provider) Name() string { return "daytona" }

// client returns the SDK client for a target: the SDK only takes the
// target from its configuration, so each target has its own client.
func (p *Provider) client(target string) (*sdk.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[target]; ok {
		return c, nil
	}
	c, err := sdk.NewClientWithConfig(&types.DaytonaConfig{APIKey: p.opts.APIKey, APIUrl: p.apiURL, Target: target})
	if err != nil {
		return nil, dtWrap(err, "set up the Daytona client")
	}
	p.clients[target] = c
	return c, nil
}

// authCtx carries the API key for the generated client.
func (p *Provider) authCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, apiclient.ContextAccessToken, p.opts.APIKey)
}

// dtPlan is what Create asks Daytona for, kept because the SDK's Sandbox
// does not report it back.
type dtPlan struct {
	params  any // types.SnapshotParams or types.ImageParams, as values
	info    sandbox.Info
	timeout time.Duration
}

func (p *Provider) plan(spec sandbox.Spec) (dtPlan, error) {
	netOff := false
	switch strings.ToLower(spec.Network) {
	case "", "on":
	case "off":
		netOff = true
	default:
		return dtPlan{}, fmt.Errorf("daytona: network %q is not known: use \"on\" or \"off\"", spec.Network)
	}
	if spec.CPU < 0 || spec.MemoryGB < 0 || spec.DiskGB < 0 {
		return dtPlan{}, errors.New("daytona: CPU, memory and disk must not be negative")
	}
	for _, m := range []*int{spec.AutoStopMinutes, spec.AutoDeleteMinutes} {
		if m != nil && *m < 0 {
			return dtPlan{}, errors.New("daytona: auto-stop/auto-delete minutes must not be negative")
		}
	}
	if err := dtCheckEnv(spec.Env); err != nil {
		return dtPlan{}, fmt.Errorf("daytona: sandbox env: %w", err)
	}
	timeout := spec.CreateTimeout
	if timeout <= 0 {
		timeout = p.opts.CreateTimeout
	}
	if timeout <= 0 {
		timeout = dtDefaultCreateTimeout
	}
	image, snapshot := spec.Image, spec.Snapshot
	if image == "" && snapshot == "" {
		image, snapshot = p.opts.Image, p.opts.Snapshot
	}
	if snapshot != "" {
		image = "" // the contract: a snapshot wins over an image
	}
	target := spec.Target
	if target == "" {
		target = p.opts.Target
	}
	name := spec.Name
	if name == "" {
		// A name we know lets a create whose answer was lost be found
		// and deleted rather than left running.
		name = "tether-" + dtRandomHex(6)
	}
	autoStop, autoDelete := spec.AutoStopMinutes, spec.AutoDeleteMinutes
	if autoStop == nil {
		autoStop = p.opts.AutoStopMinutes
	}
	if autoDelete == nil {
		autoDelete = p.opts.AutoDeleteMinutes
	}
	labels := sandbox.TetherLabels(spec.Labels)
	base := types.SandboxBaseParams{
		Name:               name,
		EnvVars:            spec.Env,
		Labels:             labels,
		AutoStopInterval:   autoStop,
		AutoDeleteInterval: autoDelete,
		NetworkBlockAll:    netOff,
		Ephemeral:          spec.Ephemeral,
	}
	info := sandbox.Info{Name: name, Provider: "daytona", Image: image, Snapshot: snapshot, Target: target,
		CPU: spec.CPU, MemoryGB: spec.MemoryGB, DiskGB: spec.DiskGB, Labels: labels}
	hasRes := spec.CPU > 0 || spec.MemoryGB > 0 || spec.DiskGB > 0
	if image == "" {
		if hasRes {
			return dtPlan{}, errors.New("daytona: CPU, memory and disk can only be chosen when creating from an image: a snapshot fixes them; set an image or drop the resources")
		}
		// A value, not a pointer: the SDK silently ignores pointers.
		return dtPlan{params: types.SnapshotParams{SandboxBaseParams: base, Snapshot: snapshot}, info: info, timeout: timeout}, nil
	}
	ip := types.ImageParams{SandboxBaseParams: base, Image: image}
	if hasRes {
		ip.Resources = &types.Resources{CPU: spec.CPU, Memory: spec.MemoryGB, Disk: spec.DiskGB}
	}
	return dtPlan{params: ip, info: info, timeout: timeout}, nil
}

// Create makes a sandbox and waits until it is started, reporting each state
// it passes through to spec.OnState. A create that fails or times out deletes
// whatever it made.
func (p *Provider) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	pl, err := p.plan(spec)
	if err != nil {
		return nil, err
	}
	c, err := p.client(pl.info.Target)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, pl.timeout)
	defer cancel()
	start := time.Now()

	var sb *sdk.Sandbox
	err = dtRetry(ctx, p.log, "create sandbox", func() error {
		var err error
		// We wait ourselves: the SDK's wait reports no states, and when it
		// times out it returns no sandbox, leaving nothing to delete.
		sb, err = c.Create(ctx, pl.params, options.WithTimeout(max(time.Until(dtDeadline(ctx)), time.Millisecond)), options.WithWaitForStart(false))
		return err
	})
	if err != nil {
		if dtOutcomeUnknown(err) {
			p.deleteByName(pl.info.Name)
		}
		return nil, p.createErr(ctx, err, pl.timeout)
	}
	p.log.Info("sandbox created", "id", sb.ID, "name", sb.Name, "state", sb.State)
	if err := p.waitStarted(ctx, sb, spec.OnState); err != nil {
		p.deleteAfterFailure(sb.ID)
		return nil, p.createErr(ctx, err, pl.timeout)
	}
	wd := p.workDir(ctx, sb)
	if ctx.Err() != nil {
		// The caller gave up: it will not close what we would return.
		p.deleteAfterFailure(sb.ID)
		return nil, p.createErr(ctx, ctx.Err(), pl.timeout)
	}
	info := pl.info
	info.ID, info.Name, info.State, info.WorkDir, info.CreatedAt = sb.ID, sb.Name, sandbox.StateStarted, wd, start.UTC()
	p.log.Info("sandbox started", "id", sb.ID, "took", time.Since(start).Round(time.Millisecond))
	return p.wrap(&daytonaSandbox{p: p, sb: sb, info: info}), nil
}

// workDir asks the toolbox for the directory commands start in, giving a
// just-started toolbox a few tries before falling back to Daytona's usual.
func (p *Provider) workDir(ctx context.Context, sb *sdk.Sandbox) string {
	var err error
	for try := range 3 {
		var wd string
		if wd, err = sb.GetWorkingDir(ctx); err == nil && wd != "" {
			return wd
		}
		if try < 2 {
			ctxwait.Sleep(ctx, 200*time.Millisecond)
		}
	}
	p.log.Warn("could not read the sandbox work dir; using /home/daytona", "id", sb.ID, "err", err)
	return "/home/daytona"
}

func dtDeadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// waitStarted polls the sandbox's state with backoff until it is started.
func (p *Provider) waitStarted(ctx context.Context, sb *sdk.Sandbox, onState func(string)) error {
	report := func(s string) {
		if onState != nil {
			onState(s)
		}
	}
	state := string(sb.State)
	report(state)
	delay := 50 * time.Millisecond
	for state != string(apiclient.SANDBOXSTATE_STARTED) {
		switch state {
		case string(apiclient.SANDBOXSTATE_ERROR), string(apiclient.SANDBOXSTATE_BUILD_FAILED),
			string(apiclient.SANDBOXSTATE_DESTROYED), string(apiclient.SANDBOXSTATE_DESTROYING):
			return fmt.Errorf("daytona: sandbox %s ended in state %q while starting: check the image/snapshot in the Daytona dashboard", sb.ID, state)
		}
		if !ctxwait.Sleep(ctx, delay) {
			return ctx.Err()
		}
		delay = min(delay*3/2, time.Second)
		s, err := p.state(ctx, sb.ID)
		if err != nil {
			if dtIsRateLimit(err) {
				continue
			}
			return err
		}
		if s != state {
			state = s
			report(state)
		}
	}
	return nil
}

// state reads a sandbox's state with the generated client, leaving the
// SDK's Sandbox (which RefreshData would mutate) untouched.
func (p *Provider) state(ctx context.Context, id string) (string, error) {
	resp, httpResp, err := p.api.SandboxAPI.GetSandbox(p.authCtx(ctx), id).Execute()
	if err != nil {
		return "", dtAPIError(err, httpResp)
	}
	return string(resp.GetState()), nil
}

func (p *Provider) createErr(ctx context.Context, err error, timeout time.Duration) error {
	if ctx.Err() != nil || dtIsTimeout(err) {
		if errors.Is(ctx.Err(), context.Canceled) {
			return fmt.Errorf("daytona: create sandbox: cancelled: %w", context.Canceled)
		}
		return fmt.Errorf("daytona: sandbox did not start within %s: raise the create timeout or check the Daytona dashboard: %w", timeout, context.DeadlineExceeded)
	}
	return dtWrap(err, "create sandbox")
}

// deleteAfterFailure removes a sandbox a failed create made; it runs on its
// own deadline because the create's context is usually what ran out.
func (p *Provider) deleteAfterFailure(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), dtCleanupTimeout)
	defer cancel()
	if err := p.Delete(ctx, id); err != nil {
		p.log.Error("could not delete the sandbox of a failed create: run `tether cleanup`", "id", id, "err", err)
		return
	}
	p.log.Info("deleted the sandbox of a failed create", "id", id)
}

// deleteByName deletes a sandbox whose create may have reached Daytona even
// though no answer came back. Only one this process made (by its run-id
// label) is touched: a user-chosen name may belong to an older sandbox.
func (p *Provider) deleteByName(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), dtCleanupTimeout)
	defer cancel()
	// A request we gave up on may still be in flight at Daytona: "not
	// found" now can become a sandbox a moment later, so look again.
	var resp *apiclient.Sandbox
	for wait := 200 * time.Millisecond; ; wait *= 2 {
		r, httpResp, err := p.api.SandboxAPI.GetSandbox(p.authCtx(ctx), name).Execute()
		if err == nil {
			resp = r
			break
		}
		if err := dtAPIError(err, httpResp); !dtIsNotFound(err) {
			p.log.Warn("could not check for a half-made sandbox: run `tether cleanup`", "name", name, "err", dtWrap(err, "get sandbox"))
			return
		}
		if wait > dtLateCreateWindow {
			return
		}
		if !ctxwait.Sleep(ctx, wait) {
			return
		}
	}
	if l := resp.GetLabels(); l[sandbox.LabelRunID] != sandbox.RunID() || l[sandbox.LabelCreatedBy] != sandbox.CreatedByTether {
		return
	}
	p.deleteAfterFailure(resp.GetId())
}

// dtLateCreateWindow is how long deleteByName keeps looking for a sandbox
// whose create request was abandoned but may still complete.
const dtLateCreateWindow = 2 * time.Second

func dtRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}
