package daytonatest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/daytonaio/daytona/libs/sdk-go/pkg/daytona"
	dterrors "github.com/daytonaio/daytona/libs/sdk-go/pkg/errors"
	"github.com/daytonaio/daytona/libs/sdk-go/pkg/options"
	"github.com/daytonaio/daytona/libs/sdk-go/pkg/types"

	"github.com/tether-dev/tether/sandbox/daytona/daytonatest"
)

func sdk(t *testing.T, srv *daytonatest.Server, key string) *daytona.Client {
	t.Helper()
	c, err := daytona.NewClientWithConfig(&types.DaytonaConfig{APIKey: key, APIUrl: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthAndFaults(t *testing.T) {
	srv := daytonatest.NewServer(t, daytonatest.WithAPIKey("good"))
	ctx := context.Background()
	_, err := sdk(t, srv, "bad").Create(ctx, types.SnapshotParams{})
	var de *dterrors.DaytonaError
	if !errors.As(err, &de) || de.StatusCode != 401 {
		t.Fatalf("wrong key: %v, want a 401", err)
	}
	c := sdk(t, srv, "good")
	srv.FailNext("POST", "/api/sandbox", 429, 1)
	_, err = c.Create(ctx, types.SnapshotParams{})
	var rl *dterrors.DaytonaRateLimitError
	if !errors.As(err, &rl) || rl.Headers.Get("Retry-After") != "0" {
		t.Fatalf("injected 429: %v", err)
	}
	sb, err := c.Create(ctx, types.ImageParams{Image: "alpine:3", Resources: &types.Resources{CPU: 2}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Sandbox(sb.ID)
	if got.Dockerfile != "FROM alpine:3" || got.CPU != 2 || got.State != "started" {
		t.Errorf("recorded %+v", got)
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r.Path+r.Query, "good") {
			t.Errorf("request log holds the key: %+v", r)
		}
	}
	if err := sb.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if len(srv.Live()) != 0 {
		t.Error("deleted sandbox still live")
	}
	var nf *dterrors.DaytonaNotFoundError
	if _, err := c.Get(ctx, sb.ID); !errors.As(err, &nf) {
		t.Errorf("get deleted: %v, want not found", err)
	}
}

func TestCreateDelay(t *testing.T) {
	srv := daytonatest.NewServer(t, daytonatest.WithCreateDelay(200*time.Millisecond))
	c := sdk(t, srv, daytonatest.DefaultAPIKey)
	sb, err := c.Create(context.Background(), types.SnapshotParams{}, options.WithWaitForStart(false))
	if err != nil {
		t.Fatal(err)
	}
	if sb.State != "creating" {
		t.Errorf("state %s, want creating", sb.State)
	}
	if err := sb.WaitForStart(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
}
