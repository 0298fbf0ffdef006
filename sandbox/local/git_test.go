package local

import (
	"context"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// localGitRepo makes a repository at dir with two commits on main and a
// branch "feature", and returns the first commit.
func localGitRepo(t *testing.T, dir string) (first string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", name)
		git("commit", "-q", "-m", name)
	}
	write("one.txt", "1")
	first = git("rev-parse", "HEAD")
	write("two.txt", "2")
	git("checkout", "-q", "-b", "feature")
	write("feature.txt", "f")
	git("checkout", "-q", "main")
	git("config", "http.receivepack", "false")
	return first
}

func TestLocalGitClone(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		// Inside the workspace, since bwrap hides the host's /tmp.
		origin := filepath.Join(sb.WorkDir(), "src", "upstream")
		first := localGitRepo(t, origin)
		ctx := context.Background()
		exists := func(p string) bool {
			_, err := sb.ReadFile(ctx, p)
			return err == nil
		}
		if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: origin, Dir: "plain"}); err != nil {
			t.Fatal(err)
		}
		if !exists("plain/two.txt") || exists("plain/feature.txt") {
			t.Fatal("plain clone has the wrong tree")
		}
		if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: origin, Dir: "feat", Branch: "feature"}); err != nil {
			t.Fatal(err)
		}
		if !exists("feat/feature.txt") {
			t.Fatal("branch clone lacks feature.txt")
		}
		if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: origin, Dir: filepath.Join(sb.WorkDir(), "old"), Commit: first}); err != nil {
			t.Fatal(err)
		}
		if _, head := localRun(t, sb, "git -C old rev-parse HEAD"); strings.TrimSpace(head) != first || exists("old/two.txt") {
			t.Fatalf("commit clone is at %q, want %s", head, first)
		}
		// Without Dir, git's own choice of name.
		if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: origin + "/.git"}); err != nil || !exists("upstream/one.txt") {
			t.Fatalf("clone without dir: %v", err)
		}

		err := sb.GitClone(ctx, sandbox.CloneRequest{URL: "https://user:hunter2@127.0.0.1:1/none.git", Dir: "bad"})
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "check the URL") {
			t.Fatalf("failed clone error = %v", err)
		}
		if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: origin, Branch: "--upload-pack=evil"}); err == nil {
			t.Fatal("option-like branch accepted")
		}
	})
}

// TestLocalGitCloneCredentials serves the repository over smart HTTP with
// basic auth on 127.0.0.1 and clones it with and without credentials.
func TestLocalGitCloneCredentials(t *testing.T) {
	origin := filepath.Join(t.TempDir(), "origin.git")
	localGitRepo(t, origin)
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git --exec-path failed")
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("git-http-backend not installed")
	}
	const user, pass = "agent", "s3cr3t-pass"
	cgiHandler := &cgi.Handler{
		Path: backend,
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(origin), "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	// Served on a non-loopback address of this machine: an egress-only
	// sandbox (network "on") cannot reach the host's loopback.
	if addr := localHostAddr(); addr != "" {
		l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Start()
	defer srv.Close()
	url := srv.URL + "/" + filepath.Base(origin)
	loopbackOnly := strings.Contains(srv.URL, "127.0.0.1")

	localModes(t, func(t *testing.T, iso string) {
		if iso == IsolationBwrap && loopbackOnly && localTestNetwork() == sandbox.NetworkOn {
			t.Skip("no non-loopback address to serve from, and an egress-only sandbox cannot reach 127.0.0.1")
		}
		_, sb := localTestSandbox(t, iso)
		ctx := context.Background()
		err := sb.GitClone(ctx, sandbox.CloneRequest{URL: url, Dir: "noauth"})
		if err == nil {
			t.Fatal("clone without credentials succeeded")
		}
		err = sb.GitClone(ctx, sandbox.CloneRequest{URL: url, Dir: "wrong", Username: user, Password: "wrong-" + pass})
		if err == nil || strings.Contains(err.Error(), pass) {
			t.Fatalf("clone with a wrong password: %v", err)
		}
		if err := sb.GitClone(ctx, sandbox.CloneRequest{URL: url, Dir: "auth", Username: user, Password: pass}); err != nil {
			t.Fatal(err)
		}
		if _, err := sb.ReadFile(ctx, "auth/two.txt"); err != nil {
			t.Fatal(err)
		}
		// The password is kept nowhere in the sandbox.
		_ = filepath.WalkDir(filepath.Dir(sb.WorkDir()), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if data, _ := os.ReadFile(p); strings.Contains(string(data), pass) {
					t.Errorf("password found in %s", p)
				}
			}
			return nil
		})
	})
}
