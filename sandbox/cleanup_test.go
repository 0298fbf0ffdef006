package sandbox

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// cleanupFakeProvider lists fixed Infos (filtered by label like the real
// providers).
type cleanupFakeProvider struct {
	Provider
	infos []Info
	err   error
}

func (f *cleanupFakeProvider) Name() string { return "fake" }

func (f *cleanupFakeProvider) List(ctx context.Context, labels map[string]string) ([]Info, error) {
	var out []Info
	for _, i := range f.infos {
		if MatchLabels(i.Labels, labels) {
			out = append(out, i)
		}
	}
	return out, f.err
}

func TestFindOrphansWith(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	info := func(id, host, pid, run string, age time.Duration) Info {
		l := map[string]string{LabelCreatedBy: CreatedByTether, LabelHost: host, LabelPID: pid, LabelRunID: run}
		return Info{ID: id, Labels: l, CreatedAt: now.Add(-age)}
	}
	notOurs := info("not-tether", "here", "10", "r", time.Hour)
	notOurs.Labels[LabelCreatedBy] = "someone"
	p := &cleanupFakeProvider{infos: []Info{
		info("dead", "here", "10", "r1", time.Minute),
		info("alive", "here", "20", "r2", time.Minute),
		info("mine", "here", "10", RunID(), time.Minute), // our run: never
		info("far-old", "there", "30", "r3", 48*time.Hour),
		info("far-young", "there", "30", "r3", time.Hour),
		info("nopid-old", "here", "", "r4", 48*time.Hour),
		info("nopid-young", "here", "x", "r4", time.Minute),
		notOurs,
	}}
	var asked []int
	alive := func(pid int, created time.Time) bool {
		asked = append(asked, pid)
		return pid == 20
	}
	got, err := FindOrphansWith(context.Background(), p, OrphanOptions{Host: "here", Now: func() time.Time { return now }, Alive: alive})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range got {
		ids = append(ids, o.Info.ID)
		if o.Reason == "" {
			t.Errorf("%s has no reason", o.Info.ID)
		}
		if o.OtherHost != (o.Info.ID == "far-old") {
			t.Errorf("%s: OtherHost = %v", o.Info.ID, o.OtherHost)
		}
	}
	if want := []string{"dead", "far-old", "nopid-old"}; !slices.Equal(ids, want) {
		t.Fatalf("orphans %v, want %v", ids, want)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, []int{10, 20}) {
		t.Fatalf("liveness asked about %v, want [10 20]", asked)
	}

	// A shorter grace reports the younger sandbox from elsewhere too.
	got, _ = FindOrphansWith(context.Background(), p, OrphanOptions{Host: "here", Now: func() time.Time { return now }, Alive: alive, Grace: 30 * time.Minute})
	if len(got) != 4 {
		t.Fatalf("with 30m grace: %d orphans, want 4", len(got))
	}

	p.err = errors.New("api down")
	if _, err := FindOrphans(context.Background(), p); err == nil {
		t.Fatal("List error swallowed")
	}
}

func TestProcessAlive(t *testing.T) {
	if !ProcessAlive(os.Getpid(), time.Now()) {
		t.Fatal("this process is not alive")
	}
	// A pid now used by a process that started after the sandbox was made
	// is not its creator.
	if ProcessAlive(os.Getpid(), time.Now().Add(-24*time.Hour)) {
		t.Fatal("a process started after the sandbox counts as its creator")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if ProcessAlive(cmd.Process.Pid, time.Now()) {
		t.Fatal("an exited (and reaped) process is alive")
	}
	if ProcessAlive(0, time.Now()) || ProcessAlive(-1, time.Now()) {
		t.Fatal("non-positive pids are alive")
	}
}
