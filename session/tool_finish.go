package session

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/tether-dev/tether/llm"
)

// FinishTool is the "finish" tool: the model calls it to end the run and
// report what it did.
type FinishTool struct{}

// NewFinishTool returns a "finish" tool.
func NewFinishTool() Tool { return &FinishTool{} }

const finishDescription = `Signals the completion of the current task or conversation.

Use this tool when:
- You have successfully completed the user's requested task
- You cannot proceed further due to technical limitations or missing information

The message should include:
- A clear summary of actions taken and their results
- Any next steps for the user
- Explanation if you're unable to complete the task
- Any follow-up questions if more information is needed`

const finishSchema = `{
  "type": "object",
  "properties": {
    "message": {"type": "string", "description": "Final message to send to the user."}
  },
  "required": ["message"]
}`

// Definition implements Tool.
func (t *FinishTool) Definition() llm.Tool {
	return llm.Tool{Name: ToolFinish, Description: finishDescription, Parameters: json.RawMessage(finishSchema)}
}

type finishArgs struct {
	Message *string `json:"message"`
}

// Run implements Tool.
func (t *FinishTool) Run(ctx context.Context, call ToolCall) (ToolResult, error) {
	var a finishArgs
	if err := decodeArgs(ToolFinish, call.Args, &a, `{"message": "Done: ..."}`); err != nil {
		return ToolResult{}, err
	}
	if a.Message == nil {
		return ToolResult{}, errors.New(`finish: "message" is required: call finish with {"message": "<summary of what you did>"}`)
	}
	msg := strings.TrimSpace(*a.Message)
	return ToolResult{Content: msg, Finish: true, FinishMessage: msg}, nil
}

// Describe implements Describer.
func (t *FinishTool) Describe(args json.RawMessage) (command, summary string) {
	var a finishArgs
	if json.Unmarshal(args, &a) == nil && a.Message != nil {
		return "", "finish: " + firstLine(*a.Message, 80)
	}
	return "", "finish"
}
