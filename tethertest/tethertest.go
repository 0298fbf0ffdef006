// Package tethertest gives Go tests the sandboxes and agents they need, the
// way pytest fixtures do for a Python agent harness: an ephemeral sandbox per
// test, deleted in t.Cleanup (Sandbox); one sandbox shared by a package's
// tests, made in TestMain where no testing.TB exists (NewShared); and an
// executor that runs prompts on a test's sandbox (Executor).
//
// The provider is the one tether itself would use (setup.ProviderFromEnv:
// local unless TETHER_PROVIDER=daytona), or the one passed WithProvider. A
// test that asks for Daytona without DAYTONA_API_KEY is skipped, not failed.
//
// It is for tests only: production code must not import it. It must not
// import ui or app.
package tethertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/setup"
)

// ErrSkip marks (errors.Is) a fixture that cannot be made here for a
// reason that should skip tests rather than fail them (no Daytona key).
var ErrSkip = errors.New("tethertest: skipped")

// LabelTest is put on every sandbox these fixtures create, so a leftover
// one is easy to find (`tether sandbox ls`).
const LabelTest = "test"

// Option adjusts a fixture.
type Option func(*fixture)

type fixture struct {
	provider sandbox.Provider
	spec     sandbox.Spec
	timeout  time.Duration
}

// WithProvider uses p instead of the provider the environment names.
func WithProvider(p sandbox.Provider) Option { return func(f *fixture) { f.provider = p } }

// WithSpec creates the sandbox from spec (labels are added to).
func WithSpec(spec sandbox.Spec) Option { return func(f *fixture) { f.spec = spec } }

// WithTimeout bounds creating the sandbox (default 5 minutes).
func WithTimeout(d time.Duration) Option { return func(f *fixture) { f.timeout = d } }

func newFixture(label string, opts []Option) (fixture, error) {
	f := fixture{timeout: 5 * time.Minute}
	for _, o := range opts {
		o(&f)
	}
	if f.provider == nil {
		if os.Getenv("TETHER_PROVIDER") == "daytona" && os.Getenv("DAYTONA_API_KEY") == "" {
			return f, fmt.Errorf("%w: TETHER_PROVIDER=daytona but DAYTONA_API_KEY is not set", ErrSkip)
		}
		p, spec, err := setup.ProviderFromEnv()
		if err != nil {
			return f, fmt.Errorf("tethertest: the sandbox provider: %w", err)
		}
		f.provider = p
		if f.spec.Image == "" && f.spec.Snapshot == "" {
			f.spec.Image, f.spec.Snapshot = spec.Image, spec.Snapshot
		}
	}
	f.spec.Labels = maps.Clone(f.spec.Labels)
	if f.spec.Labels == nil {
		f.spec.Labels = map[string]string{}
	}
	f.spec.Labels[LabelTest] = label
	return f, nil
}

func (f fixture) create(ctx context.Context) (sandbox.Sandbox, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	sb, err := f.provider.Create(ctx, f.spec)
	if err != nil {
		return nil, fmt.Errorf("tethertest: create a %s sandbox: %w", f.provider.Name(), err)
	}
	return sb, nil
}

// Sandbox creates an ephemeral sandbox for this test and deletes it when
// the test (and its subtests) end. It skips the test when the provider
// asked for cannot be had here (Daytona without a key).
func Sandbox(t testing.TB, opts ...Option) sandbox.Sandbox {
	t.Helper()
	f, err := newFixture("true", opts)
	if errors.Is(err, ErrSkip) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	f.spec.Ephemeral = true
	sb, err := f.create(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := sb.Close(ctx); err != nil {
			t.Errorf("tethertest: delete sandbox %s: %v (run `tether cleanup`)", sb.ID(), err)
		}
	})
	return sb
}

// Executor runs prompts on sb with model (a sandbox with an agent):
// every Execute gets a fresh session and tools on the same sandbox, which
// the executor never deletes.
func Executor(sb sandbox.Sandbox, model session.Model, opts ...func(*session.ExecutorOptions)) *session.Executor {
	eo := session.ExecutorOptions{Options: session.Options{Sandbox: sb, Model: model}}
	for _, o := range opts {
		o(&eo)
	}
	return session.NewExecutor(eo)
}
