package daytona

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"strings"
	"sync"
	"time"

	apiclient "github.com/daytonaio/daytona/libs/api-client-go"
	sdk "github.com/daytonaio/daytona/libs/sdk-go/pkg/daytona"
	"github.com/daytonaio/daytona/libs/sdk-go/pkg/options"

	"github.com/tether-dev/tether/sandbox"
)

// daytonaSandbox is one Daytona sandbox driven through the SDK.
type daytonaSandbox struct {
	p    *Provider
	sb   *sdk.Sandbox // its mutable fields are only touched by Close
	info sandbox.Info // what we asked for at create time

	mu       sync.Mutex
	closed   bool
	closeErr error
	closing  chan struct{} // closed once Close has finished
}

func (s *daytonaSandbox) ID() string      { return s.info.ID }
func (s *daytonaSandbox) WorkDir() string { return s.info.WorkDir }

func (s *daytonaSandbox) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Info reads the sandbox's live description from the API; what the API
// does not say (the image, the work dir) comes from what Create asked for.
func (s *daytonaSandbox) Info(ctx context.Context) (sandbox.Info, error) {
	resp, httpResp, err := s.p.api.SandboxAPI.GetSandbox(s.p.authCtx(ctx), s.info.ID).Execute()
	if err != nil {
		return s.info, dtWrap(dtAPIError(err, httpResp), "read sandbox "+s.info.ID)
	}
	live := dtInfoFrom(resp)
	live.WorkDir = s.info.WorkDir
	if live.Image == "" {
		live.Image = s.info.Image
	}
	if live.CreatedAt.IsZero() {
		live.CreatedAt = s.info.CreatedAt
	}
	return live, nil
}

// Close deletes or stops the sandbox per the provider's OnClose policy.
// Later calls wait for the first and return its result.
func (s *daytonaSandbox) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closing != nil {
		ch := s.closing
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.closeErr
	}
	s.closed = true
	s.closing = make(chan struct{})
	s.mu.Unlock()

	var err error
	if s.p.opts.OnClose == DaytonaOnCloseStop {
		err = dtRetry(ctx, s.p.log, "stop sandbox", func() error { return s.sb.Stop(ctx) })
		if err != nil && !dtIsNotFound(err) {
			err = dtWrap(err, "stop sandbox "+s.info.ID)
		} else {
			err = nil
			s.p.log.Info("sandbox stopped", "id", s.info.ID)
		}
	} else {
		err = s.p.Delete(ctx, s.info.ID)
	}
	s.mu.Lock()
	s.closeErr = err
	ch := s.closing
	if err != nil {
		// Let a later Close (or the registry) try again.
		s.closing, s.closed = nil, false
	}
	s.mu.Unlock()
	close(ch)
	return err
}

// abs makes a sandbox path absolute against the work dir.
func (s *daytonaSandbox) abs(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(s.info.WorkDir, p)
}

// ReadFile streams the file: the SDK's DownloadFile leaves a temp file per
// call and fails on empty files.
func (s *daytonaSandbox) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if s.isClosed() {
		return nil, sandbox.ErrClosed
	}
	if p == "" {
		return nil, errors.New("daytona: read file: empty path")
	}
	abs := s.abs(p)
	rc, err := s.sb.FileSystem.DownloadFileStream(ctx, abs)
	if err != nil {
		return nil, dtFileErr(err, "read "+abs)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("daytona: read %s: %w", abs, err)
	}
	return data, nil
}

// dtFileErr maps a missing file to fs.ErrNotExist; the toolbox reports it
// as a 404 or, in a multipart error part, with only a message.
func dtFileErr(err error, action string) error {
	w := dtWrap(err, action)
	msg := strings.ToLower(dtMessage(err))
	if dtIsNotFound(err) || strings.Contains(msg, "no such file") || strings.Contains(msg, "not found") {
		return fmt.Errorf("%w: %w", w, fs.ErrNotExist)
	}
	return w
}

// WriteFile uploads data, creating parent directories. An empty file is made
// with a command: the SDK sends no file part for zero bytes.
func (s *daytonaSandbox) WriteFile(ctx context.Context, p string, data []byte) error {
	if s.isClosed() {
		return sandbox.ErrClosed
	}
	if p == "" {
		return errors.New("daytona: write file: empty path")
	}
	abs := s.abs(p)
	if len(data) == 0 {
		cmd := "mkdir -p -- " + dtQuote(path.Dir(abs)) + " && : > " + dtQuote(abs)
		res, err := s.sb.Process.ExecuteCommand(ctx, dtShell(cmd))
		if err != nil {
			return dtWrap(err, "write "+abs)
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("daytona: write %s: %s", abs, strings.TrimSpace(res.Result))
		}
		return nil
	}
	if err := s.sb.FileSystem.UploadFile(ctx, data, abs); err != nil {
		return dtWrap(err, "write "+abs)
	}
	return nil
}

// GitClone clones with the toolbox's git (credentials go in the request,
// never in a command line or log).
func (s *daytonaSandbox) GitClone(ctx context.Context, req sandbox.CloneRequest) error {
	if s.isClosed() {
		return sandbox.ErrClosed
	}
	if req.URL == "" {
		return errors.New("daytona: git clone: empty URL: give a repository URL")
	}
	dir := req.Dir
	if dir == "" {
		dir = dtRepoName(req.URL)
	}
	dir = s.abs(dir)
	var opts []func(*options.GitClone)
	if req.Branch != "" {
		opts = append(opts, options.WithBranch(req.Branch))
	}
	if req.Commit != "" {
		opts = append(opts, options.WithCommitId(req.Commit))
	}
	if req.Username != "" {
		opts = append(opts, options.WithUsername(req.Username))
	}
	if req.Password != "" {
		opts = append(opts, options.WithPassword(req.Password))
	}
	start := time.Now()
	if err := s.sb.Git.Clone(ctx, req.URL, dir, opts...); err != nil {
		return s.cloneErr(ctx, req, dir, err)
	}
	s.p.log.Info("git clone done", "id", s.info.ID, "dir", dir, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// dtRepoName is the directory git itself would pick for a URL.
func dtRepoName(u string) string {
	u = strings.TrimRight(u, "/")
	if i := strings.LastIndexAny(u, "/:"); i >= 0 {
		u = u[i+1:]
	}
	u = strings.TrimSuffix(u, ".git")
	if u == "" {
		return "repo"
	}
	return u
}

// SetLabels adds or replaces labels. Daytona replaces the whole set, so
// tether's own labels are sent again with the new ones.
func (s *daytonaSandbox) SetLabels(ctx context.Context, labels map[string]string) error {
	s.mu.Lock()
	merged := maps.Clone(s.info.Labels)
	s.mu.Unlock()
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, labels)
	err := dtRetry(ctx, s.p.log, "set labels", func() error {
		_, httpResp, err := s.p.api.SandboxAPI.ReplaceLabels(s.p.authCtx(ctx), s.info.ID).
			SandboxLabels(apiclient.SandboxLabels{Labels: merged}).Execute()
		if err != nil {
			return dtAPIError(err, httpResp)
		}
		return nil
	})
	if err != nil {
		return dtWrap(err, "set labels of sandbox "+s.info.ID)
	}
	s.mu.Lock()
	s.info.Labels = merged
	s.mu.Unlock()
	return nil
}
