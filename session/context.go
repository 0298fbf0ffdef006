package session

import (
	"context"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tether-dev/tether/llm"
)

// ProjectContextFile is the workspace file whose instructions the agent
// is given, as crush and Codex do: conventions, commands, what to avoid.
const ProjectContextFile = "AGENTS.md"

// MaxProjectContext caps how much of it goes into the system prompt.
const MaxProjectContext = 32 << 10

// loadProjectContext reads AGENTS.md from the working directory, once,
// before the first prompt is answered: after any setup has cloned the
// project. Found, it is added to the system message and announced with a
// KindContext event; missing or unreadable, nothing changes. Called with
// s.mu held; the read happens without it.
func (s *Session) loadProjectContext(ctx context.Context) {
	if s.contextTried || s.opts.SystemPrompt != "" || s.sb.WorkDir() == "" {
		s.contextTried = true
		return
	}
	s.contextTried = true
	p := path.Join(s.sb.WorkDir(), ProjectContextFile)
	s.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	var b []byte
	var err error
	if s.wsSnap != "" { // being restored: the snapshot holds the same file
		b, err = readSnapshotFile(s.wsSnap, ProjectContextFile, 4*MaxProjectContext)
	} else {
		b, err = s.sb.ReadFile(rctx, p)
	}
	cancel()
	s.mu.Lock()
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return
	}
	text, truncated := string(b), false
	if len(text) > MaxProjectContext {
		text, truncated = text[:MaxProjectContext], true
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	if len(s.conv) > 0 && s.conv[0].Role == llm.RoleSystem {
		var c strings.Builder
		c.WriteString(s.conv[0].Content)
		c.WriteString("\n\nThe project's instructions, from " + p + " (follow them unless the user says otherwise):\n<project_instructions>\n")
		c.WriteString(strings.ReplaceAll(text, "</project_instructions>", ""))
		if truncated {
			c.WriteString("\n[… the rest of the file was cut: read it with the file editor if you need it]")
		}
		c.WriteString("\n</project_instructions>")
		s.conv[0].Content = c.String()
	}
	s.publish(Event{Kind: KindContext, Context: &ContextInfo{Path: p, Bytes: len(b), Truncated: truncated}})
}
