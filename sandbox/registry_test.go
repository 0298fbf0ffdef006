package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// regFake is a Sandbox whose Close can be slowed down, blocked or made to
// fail, and counts its calls.
type regFake struct {
	Sandbox // nil: only ID and Close are used
	id      string
	block   chan struct{} // Close waits on it when non-nil
	failN   atomic.Int32  // Close fails this many times first
	closes  atomic.Int32
	active  *atomic.Int32 // Close calls in progress, shared across fakes
	maxSeen *atomic.Int32
}

func (f *regFake) ID() string { return f.id }

func (f *regFake) Close(ctx context.Context) error {
	if f.active != nil {
		n := f.active.Add(1)
		defer f.active.Add(-1)
		for {
			m := f.maxSeen.Load()
			if n <= m || f.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
	}
	if f.block != nil {
		<-f.block
	}
	f.closes.Add(1)
	if f.failN.Add(-1) >= 0 {
		return errors.New("boom " + f.id)
	}
	return nil
}

func TestRegistryCloseAllConcurrentAndIdempotent(t *testing.T) {
	r := NewRegistry()
	var active, maxSeen atomic.Int32
	release := make(chan struct{})
	const n = 8
	fakes := make([]*regFake, n)
	for i := range fakes {
		fakes[i] = &regFake{id: "sb-" + strconv.Itoa(i), block: release, active: &active, maxSeen: &maxSeen}
		r.Track(fakes[i])
	}
	if r.Len() != n {
		t.Fatalf("Len = %d, want %d", r.Len(), n)
	}
	done := make(chan error, 1)
	go func() { done <- r.CloseAll(context.Background()) }()
	// Every Close must be in progress at once before any is let go.
	deadline := time.Now().Add(10 * time.Second)
	for active.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d closes ran concurrently", active.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 || maxSeen.Load() != n {
		t.Fatalf("Len = %d, max concurrent = %d", r.Len(), maxSeen.Load())
	}
	if err := r.CloseAll(context.Background()); err != nil {
		t.Fatalf("second CloseAll: %v", err)
	}
	for _, f := range fakes {
		if f.closes.Load() != 1 {
			t.Fatalf("%s closed %d times", f.id, f.closes.Load())
		}
	}
}

func TestRegistryWrapperCloseUntracks(t *testing.T) {
	r := NewRegistry()
	f := &regFake{id: "a"}
	w := r.Track(f)
	if w.ID() != "a" {
		t.Fatalf("wrapper ID %q", w.ID())
	}
	// A caller's Close racing CloseAll closes the sandbox once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { _ = w.Close(context.Background()) })
		wg.Go(func() { _ = r.CloseAll(context.Background()) })
	}
	wg.Wait()
	if r.Len() != 0 || f.closes.Load() != 1 {
		t.Fatalf("Len %d, closes %d", r.Len(), f.closes.Load())
	}
	if u, ok := w.(interface{ Unwrap() Sandbox }); !ok || u.Unwrap() != Sandbox(f) {
		t.Fatal("wrapper does not unwrap to the tracked sandbox")
	}
}

func TestRegistryFailedCloseIsRetried(t *testing.T) {
	r := NewRegistry()
	bad := &regFake{id: "bad"}
	bad.failN.Store(1)
	r.Track(bad)
	r.Track(&regFake{id: "good"})
	err := r.CloseAll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "boom bad") || strings.Contains(err.Error(), "good") {
		t.Fatalf("CloseAll err = %v", err)
	}
	if r.Len() != 1 {
		t.Fatalf("Len after partial failure = %d, want 1", r.Len())
	}
	if err := r.CloseAll(context.Background()); err != nil || r.Len() != 0 {
		t.Fatalf("retry: %v, Len %d", err, r.Len())
	}
}

func TestRegistryCloseAllBoundedByContext(t *testing.T) {
	r := NewRegistry()
	stuck := &regFake{id: "stuck", block: make(chan struct{})}
	defer close(stuck.block)
	r.Track(stuck)
	r.Track(&regFake{id: "fine"})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := r.CloseAll(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stuck") || strings.Contains(err.Error(), "fine") {
		t.Fatalf("CloseAll err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("CloseAll ignored its context for %s", time.Since(start))
	}
}

func TestTetherLabels(t *testing.T) {
	user := map[string]string{"team": "x", LabelPID: "1"}
	got := TetherLabels(user)
	want := map[string]string{
		"team": "x", LabelCreatedBy: CreatedByTether, LabelRunID: RunID(),
		LabelHost: hostName(), LabelPID: strconv.Itoa(os.Getpid()),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("TetherLabels = %v, want %v", got, want)
	}
	if user[LabelPID] != "1" || len(user) != 2 {
		t.Fatal("TetherLabels changed its argument")
	}
	if id := RunID(); len(id) != 16 || RunID() != id {
		t.Fatalf("RunID %q is not a stable 16-hex id", id)
	}
	if TetherLabels(nil)[LabelCreatedBy] != CreatedByTether {
		t.Fatal("nil user labels")
	}
	if !MatchLabels(got, map[string]string{"team": "x"}) || MatchLabels(got, map[string]string{"team": "y"}) ||
		MatchLabels(got, map[string]string{"absent": ""}) || !MatchLabels(got, nil) {
		t.Fatal("MatchLabels")
	}
}
