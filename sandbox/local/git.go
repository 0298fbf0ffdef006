package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/tether-dev/tether/sandbox"
)

// localAskPass answers git's credential prompts from the environment, so the
// password reaches git without ever being on a command line or in a file.
const localAskPass = `#!/bin/sh
case "$1" in
Username*) printf '%s\n' "$TETHER_GIT_USERNAME" ;;
*) printf '%s\n' "$TETHER_GIT_PASSWORD" ;;
esac
`

// GitClone runs `git clone` inside the sandbox, then checks out req.Commit
// when given.
func (s *localSandbox) GitClone(ctx context.Context, req sandbox.CloneRequest) error {
	if req.URL == "" {
		return errors.New("local sandbox: git clone: empty URL: give the repository URL")
	}
	if strings.HasPrefix(req.Branch, "-") || strings.HasPrefix(req.Commit, "-") {
		return errors.New("local sandbox: git clone: branch and commit must not start with '-'")
	}
	dir := req.Dir
	if dir == "" {
		dir = localRepoName(req.URL)
	}
	dir = s.abs(dir)

	env := map[string]string{"GIT_TERMINAL_PROMPT": "0"}
	if req.Username != "" || req.Password != "" {
		askpass := filepath.Join(s.homeDir(), ".tether-askpass")
		if err := s.WriteFile(ctx, askpass, []byte(localAskPass)); err != nil {
			return fmt.Errorf("local sandbox: git clone: %w", err)
		}
		if err := os.Chmod(askpass, 0o700); err != nil {
			return fmt.Errorf("local sandbox: git clone: %w", err)
		}
		env["GIT_ASKPASS"] = askpass
		env["TETHER_GIT_USERNAME"] = req.Username
		env["TETHER_GIT_PASSWORD"] = req.Password
	}
	cmd := "git clone --quiet"
	if req.Branch != "" {
		cmd += " --branch " + localQuote(req.Branch)
	}
	cmd += " -- " + localQuote(req.URL) + " " + localQuote(dir)
	if req.Commit != "" {
		cmd += " && git -C " + localQuote(dir) + " checkout --quiet --detach " + localQuote(req.Commit)
	}
	var stderr bytes.Buffer
	res, err := s.Exec(ctx, sandbox.ExecRequest{Command: cmd, Env: env, Stderr: &localLimited{w: &stderr, n: 4096}})
	safeURL := localRedactURL(req.URL)
	if err != nil {
		return fmt.Errorf("local sandbox: git clone %s: %w", safeURL, err)
	}
	if res.Cancelled || res.TimedOut {
		return fmt.Errorf("local sandbox: git clone %s: %w", safeURL, context.Cause(ctx))
	}
	if res.ExitCode != 0 {
		msg := strings.TrimSpace(stderr.String())
		if req.Password != "" {
			msg = strings.ReplaceAll(msg, req.Password, "[redacted]")
		}
		msg = strings.ReplaceAll(msg, req.URL, safeURL)
		return fmt.Errorf("local sandbox: git clone %s failed (exit %d): %s: check the URL, branch, commit and credentials", safeURL, res.ExitCode, msg)
	}
	return nil
}

// localRepoName is the directory git itself would pick for url.
func localRepoName(u string) string {
	base := strings.TrimSuffix(strings.TrimRight(u, "/"), "/.git")
	if i := strings.LastIndexAny(base, "/:"); i >= 0 {
		base = base[i+1:]
	}
	base = strings.TrimSuffix(base, ".git")
	if base == "" || base == "." || base == ".." {
		return "repo"
	}
	return base
}

// localRedactURL hides a password embedded in a URL before it goes into an
// error message.
func localRedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	return u.String()
}

// localQuote quotes s for bash.
func localQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// localLimited keeps the first n bytes and drops the rest, so a chatty
// command cannot grow an error message without bound.
type localLimited struct {
	w *bytes.Buffer
	n int
}

func (l *localLimited) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
