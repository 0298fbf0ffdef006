package suite

import (
	"slices"
	"strconv"

	"github.com/tether-dev/tether/mcp"
	"github.com/tether-dev/tether/session"
)

// checkMCP validates the [[defaults.mcp]] or [[case.mcp]] entries of one
// table, with the same rules as the config's [[mcp]].
func (p *parser) checkMCP(list []fileMCP, at string) error {
	seen := map[string]bool{}
	for i, fm := range convertMCP(list) {
		mat := at + ".mcp[" + strconv.Itoa(i) + "]"
		if err := fm.Validate(); err != nil {
			return p.errAt(mat, "%v", err)
		}
		if seen[fm.Name] {
			return p.errAt(mat+".name", "mcp server name %q is used twice: its tools would be named alike", fm.Name)
		}
		seen[fm.Name] = true
	}
	return nil
}

func convertMCP(in []fileMCP) []mcp.Server {
	out := make([]mcp.Server, 0, len(in))
	for _, fm := range in {
		out = append(out, mcp.Server{
			Name: fm.Name, Where: fm.Where, Command: fm.Command, Args: fm.Args, Env: fm.Env, URL: fm.URL,
			CallTimeout: durOr(fm.CallTimeout, 0), StartTimeout: durOr(fm.StartTimeout, 0),
		})
	}
	return out
}

// mergeMCP keeps the default servers then the case's; a case's server
// replaces a default one of the same name.
func mergeMCP(d, c []mcp.Server) []mcp.Server {
	if len(d)+len(c) == 0 {
		return nil
	}
	out := slices.DeleteFunc(slices.Clone(d), func(s mcp.Server) bool {
		return slices.ContainsFunc(c, func(cs mcp.Server) bool { return cs.Name == s.Name })
	})
	return append(out, c...)
}

// caseToolSources is what a case's agent gets tools from: the run's
// sources, then the case's own MCP servers (a later tool of the same name
// replaces an earlier one, so a case can override a config server).
func (r *runner) caseToolSources(c Case) []session.ToolSource {
	if len(c.MCP) == 0 {
		return r.opts.ToolSources
	}
	src := mcp.Source{Servers: c.MCP, Logger: r.log.With("case", c.ID)}
	return append(slices.Clip(r.opts.ToolSources), src)
}
