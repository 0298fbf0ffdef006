package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/session"
)

// NameSeparator joins a server's name and its tool's: "fs__read_file".
const NameSeparator = "__"

// tool is one MCP tool as a session.Tool.
type tool struct {
	c    *conn
	name string // the server's own name for it
	def  llm.Tool
}

func newTool(c *conn, t *sdk.Tool) *tool {
	schema, err := json.Marshal(t.InputSchema)
	if err != nil || string(schema) == "null" {
		schema = json.RawMessage(`{"type":"object"}`)
	}
	desc := t.Description
	if desc == "" {
		desc = t.Title
	}
	return &tool{c: c, name: t.Name, def: llm.Tool{
		Name:        c.srv.Name + NameSeparator + t.Name,
		Description: fmt.Sprintf("[MCP server %s] %s", c.srv.Name, desc),
		Parameters:  schema,
	}}
}

func (t *tool) Definition() llm.Tool { return t.def }

// Describe shows the call as server/tool with its arguments, for the
// stream and the approval panel.
func (t *tool) Describe(args json.RawMessage) (command, summary string) {
	return "", fmt.Sprintf("mcp %s/%s %s", t.c.srv.Name, t.name, oneLine(string(args), 120))
}

func (t *tool) Run(ctx context.Context, call session.ToolCall) (session.ToolResult, error) {
	var args map[string]any
	if len(call.Args) > 0 {
		if err := json.Unmarshal(call.Args, &args); err != nil {
			return session.ToolResult{}, fmt.Errorf("%s: the arguments are not a JSON object: %w", t.def.Name, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, orDefault(t.c.srv.CallTimeout, defaultCallTimeout))
	defer cancel()
	go func() { // a call to a server that died ends with it
		select {
		case <-t.c.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	t.c.mu.Lock()
	sess := t.c.sess
	t.c.mu.Unlock()
	res, err := sess.CallTool(ctx, &sdk.CallToolParams{Name: t.name, Arguments: args})
	if err != nil {
		return session.ToolResult{}, fmt.Errorf("MCP server %s: %w%s", t.c.srv.Name, err, t.c.why())
	}
	text := contentText(res)
	if call.Stdout != nil && text != "" {
		_, _ = call.Stdout.Write([]byte(text + "\n"))
	}
	return session.ToolResult{Content: text, IsError: res.IsError, Output: text}, nil
}

const defaultCallTimeout = 2 * time.Minute

// contentText is a result's content as text: text items as they are, the
// rest named by kind (images and audio are not sent to the model).
func contentText(res *sdk.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		switch c := c.(type) {
		case *sdk.TextContent:
			parts = append(parts, c.Text)
		case *sdk.ImageContent:
			parts = append(parts, fmt.Sprintf("[image %s, %d bytes]", c.MIMEType, len(c.Data)))
		case *sdk.AudioContent:
			parts = append(parts, fmt.Sprintf("[audio %s, %d bytes]", c.MIMEType, len(c.Data)))
		case *sdk.EmbeddedResource:
			if c.Resource != nil {
				parts = append(parts, c.Resource.Text)
			}
		case *sdk.ResourceLink:
			parts = append(parts, "[resource "+c.URI+"]")
		}
	}
	if len(parts) == 0 && res.StructuredContent != nil {
		if b, err := json.Marshal(res.StructuredContent); err == nil {
			parts = append(parts, string(b))
		}
	}
	return strings.Join(parts, "\n")
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
