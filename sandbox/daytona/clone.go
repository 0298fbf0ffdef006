package daytona

import (
	"context"
	"strings"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// cloneErr explains a failed clone. The daemon answers a failed clone with
// HTTP 400 and an empty body (git's reason goes only to its own log), so
// the error names the URL, the ref and the directory, and, when no
// password is involved, asks git itself why the repository cannot be read
// (`git ls-remote` in the sandbox) to say what the daemon did not.
func (s *daytonaSandbox) cloneErr(ctx context.Context, req sandbox.CloneRequest, dir string, err error) error {
	what := "git clone " + req.URL
	switch {
	case req.Commit != "" && req.Branch != "":
		what += " (branch " + req.Branch + ", commit " + req.Commit + ")"
	case req.Commit != "":
		what += " (commit " + req.Commit + ")"
	case req.Branch != "":
		what += " (branch " + req.Branch + ")"
	}
	w := dtWrap(err, what+" into "+dir)
	msg := w.Error()
	if req.Password == "" && ctx.Err() == nil {
		if why := s.cloneReason(ctx, req); why != "" {
			msg += "; git says: " + why
		}
	}
	if req.Password != "" {
		msg = strings.ReplaceAll(msg, req.Password, "[redacted]")
	}
	return &dtError{msg: msg, err: err}
}

// cloneReason is git's own complaint about reading the repository (and
// the branch), or "" when it has none or cannot be asked.
func (s *daytonaSandbox) cloneReason(ctx context.Context, req sandbox.CloneRequest) string {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	script := "GIT_TERMINAL_PROMPT=0 git ls-remote --exit-code -- " + dtQuote(req.URL)
	if req.Branch != "" {
		script += " " + dtQuote(req.Branch)
	}
	script += " 2>&1 >/dev/null; echo \"tether-rc=$?\""
	res, err := s.sb.Process.ExecuteCommand(ctx, dtShell(script))
	if err != nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(res.Result, "\n") {
		switch l = strings.TrimSpace(l); {
		case l == "tether-rc=2" && req.Branch != "":
			// --exit-code: the repository answered, the ref is not there.
			lines = append(lines, "no branch or tag "+req.Branch+" on the remote")
		case strings.HasPrefix(l, "tether-rc="), l == "":
		default:
			lines = append(lines, l)
		}
	}
	why := strings.Join(lines, " / ")
	if len(why) > 400 {
		why = why[:400] + "…"
	}
	return why
}
