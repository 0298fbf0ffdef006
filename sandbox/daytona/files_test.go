package daytona_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

func TestDaytonaFiles(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	fake, _ := srv.Sandbox(sb.ID())
	ctx := context.Background()

	// Temp files the SDK makes must not pile up.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	data := bytes.Repeat([]byte("tether\x00\xff"), 10000)
	if err := sb.WriteFile(ctx, "a/b/c.bin", data); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(fake.Dir, "a/b/c.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file on the sandbox side: %d bytes, %v", len(got), err)
	}
	got, err := sb.ReadFile(ctx, filepath.Join(sb.WorkDir(), "a/b/c.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadFile: %d bytes, %v", len(got), err)
	}

	// Zero bytes: the SDK would send no file part.
	if err := sb.WriteFile(ctx, "empty/e.txt", nil); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(fake.Dir, "empty/e.txt")); err != nil || st.Size() != 0 {
		t.Fatalf("empty file: %v %v", st, err)
	}
	got, err = sb.ReadFile(ctx, "empty/e.txt")
	if err != nil || len(got) != 0 {
		t.Fatalf("reading an empty file: %q, %v", got, err)
	}
	// Overwriting with empty truncates.
	if err := sb.WriteFile(ctx, "a/b/c.bin", []byte{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := sb.ReadFile(ctx, "a/b/c.bin"); len(got) != 0 {
		t.Errorf("not truncated: %d bytes", len(got))
	}

	_, err = sb.ReadFile(ctx, "nope.txt")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}

	for i := range 5 {
		_ = sb.WriteFile(ctx, "loop.txt", []byte{byte(i)})
		_, _ = sb.ReadFile(ctx, "loop.txt")
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("temp files left behind: %v", names)
	}
}

func dtGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestDaytonaGitClone(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	repo := t.TempDir()
	dtGit(t, repo, "init", "-q", "-b", "main")
	_ = os.WriteFile(filepath.Join(repo, "a.txt"), []byte("one"), 0o644)
	dtGit(t, repo, "add", ".")
	dtGit(t, repo, "commit", "-q", "-m", "one")
	first := dtGit(t, repo, "rev-parse", "HEAD")
	dtGit(t, repo, "checkout", "-q", "-b", "feature")
	_ = os.WriteFile(filepath.Join(repo, "a.txt"), []byte("two"), 0o644)
	dtGit(t, repo, "commit", "-q", "-am", "two")
	dtGit(t, repo, "checkout", "-q", "main")

	ctx := context.Background()
	if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: repo, Dir: "feat", Branch: "feature", Username: "u", Password: "pw-secret"}); err != nil {
		t.Fatal(err)
	}
	if got, err := sb.ReadFile(ctx, "feat/a.txt"); err != nil || string(got) != "two" {
		t.Errorf("branch clone: %q %v", got, err)
	}
	if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: repo, Dir: "old", Branch: "feature", Commit: first}); err != nil {
		t.Fatal(err)
	}
	if got, err := sb.ReadFile(ctx, "old/a.txt"); err != nil || string(got) != "one" {
		t.Errorf("commit clone: %q %v", got, err)
	}
	fake, _ := srv.Sandbox(sb.ID())
	if len(fake.Clones) != 2 || fake.Clones[0].Branch != "feature" || fake.Clones[0].Username != "u" || !fake.Clones[0].PasswordSet || fake.Clones[1].Commit != first {
		t.Errorf("clones received: %+v", fake.Clones)
	}
	err := sb.GitClone(ctx, sandbox.CloneRequest{URL: filepath.Join(repo, "missing"), Password: "pw-secret"})
	if err == nil || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("failed clone: %v (must fail and not show the password)", err)
	}
}
