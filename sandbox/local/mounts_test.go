package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

func TestParseMount(t *testing.T) {
	home, _ := os.UserHomeDir()
	for in, want := range map[string]Mount{
		"~/.cache/pip:ro": {Source: filepath.Join(home, ".cache/pip"), Target: "~/.cache/pip"},
		"/data:/d:rw":     {Source: "/data", Target: "/d", Writable: true},
		"/data":           {Source: "/data", Target: "/data"},
	} {
		if got, err := ParseMount(in); err != nil || got != want {
			t.Errorf("ParseMount(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ":ro", "rel/path", "/x:rel"} {
		if _, err := ParseMount(bad); err == nil {
			t.Errorf("ParseMount(%q) accepted", bad)
		}
	}
}

// Extra mounts appear only when asked for, read-only unless rw, and never
// over tether's own files.
func TestExtraMounts(t *testing.T) {
	localNeedBwrap(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "cached.txt"), []byte("cached"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	if _, err := NewProvider(Options{BaseDir: base, Isolation: IsolationBwrap, Mounts: []Mount{{Source: base, Target: "/x"}}}); err == nil {
		t.Fatal("a mount of the sandboxes' base directory was accepted")
	}
	p := localTestProvider(t, Options{Isolation: IsolationBwrap, Mounts: []Mount{{Source: src, Target: "/cache"}}})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(context.Background())
	_, out := localRun(t, sb, "cat /cache/cached.txt; echo x > /cache/new 2>/dev/null && echo WROTE; true")
	if !strings.Contains(out, "cached") || strings.Contains(out, "WROTE") {
		t.Fatalf("read-only mount: %q", out)
	}
	if data, err := sb.ReadFile(context.Background(), "/cache/cached.txt"); err != nil || string(data) != "cached" {
		t.Fatalf("ReadFile on a mount: %q, %v", data, err)
	}
	if err := sb.WriteFile(context.Background(), "/cache/new", []byte("x")); err == nil {
		t.Fatal("WriteFile into a read-only mount succeeded")
	}
	if _, err := os.Stat(filepath.Join(src, "new")); err == nil {
		t.Fatal("the host directory changed")
	}
	info, _ := sb.Info(context.Background())
	if len(info.Mounts) != 1 || info.Mounts[0] != src+" at /cache (ro)" {
		t.Fatalf("Info.Mounts = %q", info.Mounts)
	}
}
