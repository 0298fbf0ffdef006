package daytona

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	apiclient "github.com/daytonaio/daytona/libs/api-client-go"
	sdk "github.com/daytonaio/daytona/libs/sdk-go/pkg/daytona"

	"github.com/tether-dev/tether/sandbox"
)

// dtPageSize is how many sandboxes List asks for per page.
const dtPageSize = 100

// dtMaxPages bounds paging so a misbehaving server cannot loop us forever.
const dtMaxPages = 1000

// List returns every sandbox carrying all the given labels, following the
// pages the API hands out (the SDK's List returns one page, and its
// Sandbox type has no labels, which cleanup needs).
func (p *Provider) List(ctx context.Context, labels map[string]string) ([]sandbox.Info, error) {
	var filter string
	if len(labels) > 0 {
		b, err := json.Marshal(labels)
		if err != nil {
			return nil, fmt.Errorf("daytona: list sandboxes: labels: %w", err)
		}
		filter = string(b)
	}
	var out []sandbox.Info
	for page := 1; page <= dtMaxPages; page++ {
		var res *apiclient.PaginatedSandboxes
		err := dtRetry(ctx, p.log, "list sandboxes", func() error {
			req := p.api.SandboxAPI.ListSandboxesPaginated(p.authCtx(ctx)).Page(float32(page)).Limit(dtPageSize)
			if filter != "" {
				req = req.Labels(filter)
			}
			r, httpResp, err := req.Execute()
			if err != nil {
				return dtAPIError(err, httpResp)
			}
			res = r
			return nil
		})
		if err != nil {
			return nil, dtWrap(err, "list sandboxes")
		}
		for _, it := range res.GetItems() {
			info := dtInfoFrom(&it)
			// Filter here too: the result must hold whatever the server did.
			if sandbox.MatchLabels(info.Labels, labels) {
				out = append(out, info)
			}
		}
		if len(res.GetItems()) == 0 || page >= int(res.GetTotalPages()) {
			return out, nil
		}
	}
	return out, fmt.Errorf("daytona: list sandboxes: more than %d pages: narrow the labels", dtMaxPages)
}

// Delete removes a sandbox. One that is already gone counts as deleted.
func (p *Provider) Delete(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("daytona: delete sandbox: empty id")
	}
	c, err := p.client(p.opts.Target)
	if err != nil {
		return err
	}
	// Deleting needs no toolbox: a bare handle on the id is enough.
	sb := sdk.NewSandbox(c, nil, id, "", "", "", 0, 0, false, nil, "")
	// A delete is idempotent: transient failures are retried with backoff.
	err = dtRetryIf(ctx, p.log, "delete sandbox", dtTransient, func() error { return sb.Delete(ctx) })
	if err != nil && !dtIsNotFound(err) {
		return dtWrap(err, "delete sandbox "+id)
	}
	p.log.Info("sandbox deleted", "id", id, "already_gone", err != nil)
	return nil
}

// dtInfoFrom describes a sandbox as the API reports it.
func dtInfoFrom(s *apiclient.Sandbox) sandbox.Info {
	info := sandbox.Info{
		ID:       s.GetId(),
		Name:     s.GetName(),
		Provider: "daytona",
		State:    string(s.GetState()),
		Snapshot: s.GetSnapshot(),
		Target:   s.GetTarget(),
		CPU:      int(s.GetCpu()),
		MemoryGB: int(s.GetMemory()),
		DiskGB:   int(s.GetDisk()),
		Labels:   maps.Clone(s.GetLabels()),
	}
	if t, err := time.Parse(time.RFC3339Nano, s.GetCreatedAt()); err == nil {
		info.CreatedAt = t
	}
	if bi, ok := s.GetBuildInfoOk(); ok && bi != nil {
		if df := bi.GetDockerfileContent(); strings.HasPrefix(df, "FROM ") && !strings.Contains(df, "\n") {
			info.Image = strings.TrimSpace(strings.TrimPrefix(df, "FROM "))
		}
	}
	return info
}

// Open attaches to an existing sandbox by id or name (for `tether sandbox
// exec`). Closing what Open returns deletes or stops it per OnClose.
func (p *Provider) Open(ctx context.Context, id string) (sandbox.Sandbox, error) {
	c, err := p.client(p.opts.Target)
	if err != nil {
		return nil, err
	}
	var sb *sdk.Sandbox
	err = dtRetry(ctx, p.log, "get sandbox", func() error {
		var err error
		sb, err = c.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, dtWrap(err, "open sandbox "+id+" (list them with `tether sandbox ls`)")
	}
	if string(sb.State) != sandbox.StateStarted {
		return nil, fmt.Errorf("daytona sandbox %s is %s: start it first", id, sb.State)
	}
	info := sandbox.Info{ID: sb.ID, Name: sb.Name, Provider: p.Name(), State: sandbox.StateStarted, Target: sb.Target, WorkDir: p.workDir(ctx, sb)}
	return p.wrap(&daytonaSandbox{p: p, sb: sb, info: info}), nil
}
