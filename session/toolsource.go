package session

import (
	"context"
	"errors"
	"io"
	"slices"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
)

// ToolSource supplies tools that need the session's sandbox to exist, such
// as those of an MCP server started inside it (package mcp). Tools is
// called once, when the session starts; the closer is closed when the
// session closes. An error is reported as a (non-fatal) KindError event
// and the tools that were returned are still used.
type ToolSource interface {
	Tools(ctx context.Context, sb sandbox.Sandbox) ([]Tool, io.Closer, error)
}

// ToolsInfo lists the tools a session offers the model, and where the
// ones from tool sources came from.
type ToolsInfo struct {
	Names []string `json:"names"`
	// Sourced are the tools Options.ToolSources added (e.g. "fs__read").
	Sourced []string `json:"sourced,omitempty"`
}

// addSourced starts every tool source and adds its tools, publishing an
// error event for each that failed and one KindTools event with the
// result. Called from Spawn, before the session is shared.
func (s *Session) addSourced(ctx context.Context, sources []ToolSource) {
	var sourced []string
	for _, src := range sources {
		tools, closer, err := src.Tools(ctx, s.sb)
		if closer != nil {
			s.sourceClosers = append(s.sourceClosers, closer)
		}
		if err != nil {
			s.logger.Warn("tool source", "err", err)
			s.publish(Event{Kind: KindError, Error: &ErrorInfo{Message: err.Error()}})
		}
		for _, t := range tools {
			if t == nil {
				continue
			}
			def := t.Definition()
			if s.opts.Confirm == ConfirmRisky {
				def = withRiskField(def)
			}
			s.addTool(t, def)
			sourced = append(sourced, def.Name)
		}
	}
	names := make([]string, 0, len(s.defs))
	for _, d := range s.defs {
		names = append(names, d.Name)
	}
	s.publish(Event{Kind: KindTools, Tools: &ToolsInfo{Names: names, Sourced: sourced}})
}

// addTool adds t under def's name, replacing an earlier tool of that name.
func (s *Session) addTool(t Tool, def llm.Tool) {
	if _, dup := s.tools[def.Name]; dup {
		s.defs = slices.DeleteFunc(s.defs, func(d llm.Tool) bool { return d.Name == def.Name })
	}
	s.tools[def.Name] = t
	s.defs = append(s.defs, def)
}

// closeSources closes what the tool sources started (servers in the
// sandbox, connections).
func (s *Session) closeSources() error {
	var errs []error
	for _, c := range s.sourceClosers {
		errs = append(errs, c.Close())
	}
	s.sourceClosers = nil
	return errors.Join(errs...)
}
