package llm

import (
	"encoding/json"
	"strings"
)

// OpenAI's Responses API (POST /responses), for the models that call
// tools only through it. The conversation is sent whole each time
// (store: false), with the reasoning items of earlier replies passed back
// verbatim (their encrypted_content included), function calls as
// function_call items and tool results as function_call_output items.

type responsesRequest struct {
	Model           string           `json:"model"`
	Input           []any            `json:"input"`
	Tools           []responsesTool  `json:"tools,omitempty"`
	Stream          bool             `json:"stream"`
	Store           bool             `json:"store"`
	Include         []string         `json:"include,omitempty"`
	Reasoning       *responsesReason `json:"reasoning,omitempty"`
	MaxOutputTokens int              `json:"max_output_tokens,omitempty"`
	Temperature     *float32         `json:"temperature,omitempty"`
}

type responsesReason struct {
	Summary string `json:"summary"`
}

type responsesTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      bool            `json:"strict"`
}

type inputMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type inputFunctionCall struct {
	Type      string `json:"type"`
	ID        string `json:"id,omitempty"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type inputFunctionOutput struct {
	Type   string `json:"type"`
	CallID string `json:"call_id"`
	Output string `json:"output"`
}

func (c *Client) responsesBody(req Request) ([]byte, error) {
	out := responsesRequest{Model: c.cfg.Model, Stream: true, Temperature: c.cfg.Temperature,
		MaxOutputTokens: c.cfg.MaxTokens, Input: make([]any, 0, len(req.Messages))}
	if reasoningName.MatchString(strings.ToLower(c.cfg.Model)) {
		out.Reasoning = &responsesReason{Summary: "auto"}
		out.Include = []string{"reasoning.encrypted_content"}
	}
	for _, m := range req.Messages {
		switch m.Role {
		case RoleTool:
			content := m.Content
			if content == "" {
				content = emptyToolOutput
			}
			out.Input = append(out.Input, inputFunctionOutput{Type: "function_call_output", CallID: m.ToolCallID, Output: content})
		case RoleAssistant:
			var items []json.RawMessage
			if json.Unmarshal(m.ReasoningItems, &items) == nil {
				for _, it := range items {
					out.Input = append(out.Input, it)
				}
			}
			if m.Content != "" {
				out.Input = append(out.Input, inputMessage{Role: RoleAssistant, Content: m.Content})
			}
			for _, tc := range m.ToolCalls {
				out.Input = append(out.Input, inputFunctionCall{Type: "function_call", ID: tc.ItemID, CallID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
			}
		default:
			out.Input = append(out.Input, inputMessage{Role: m.Role, Content: m.Content})
		}
	}
	for _, t := range req.Tools {
		out.Tools = append(out.Tools, responsesTool{Type: "function", Name: t.Name, Description: t.Description, Parameters: schemaOf(t)})
	}
	return json.Marshal(out)
}

// respEvent is one streamed Responses event, in the fields tether reads.
type respEvent struct {
	Type         string          `json:"type"`
	OutputIndex  int             `json:"output_index"`
	SummaryIndex int             `json:"summary_index"`
	ItemID       string          `json:"item_id"`
	Delta        string          `json:"delta"`
	Arguments    string          `json:"arguments"`
	Item         json.RawMessage `json:"item"`
	Response     *respObject     `json:"response"`
	Code         json.RawMessage `json:"code"`
	Message      string          `json:"message"`
}

type respObject struct {
	Status            string            `json:"status"`
	Output            []json.RawMessage `json:"output"`
	Usage             *respUsage        `json:"usage"`
	Error             *errorObject      `json:"error"`
	IncompleteDetails *struct {
		Reason string `json:"reason"`
	} `json:"incomplete_details"`
}

type respItem struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	Content   []struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Refusal string `json:"refusal"`
	} `json:"content"`
	Summary []struct {
		Text string `json:"text"`
	} `json:"summary"`
}

type respUsage struct {
	InputTokens        int `json:"input_tokens"`
	OutputTokens       int `json:"output_tokens"`
	InputTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
}

type responsesDecoder struct {
	c      *Client
	a      *assembler
	dec    chunkDecoder
	byItem map[string]int // function_call item id → call position
	done   bool
}

func (d *responsesDecoder) complete() bool { return d.done }

func (d *responsesDecoder) event(_ string, data []byte) (bool, *failure) {
	var ev respEvent
	if err := d.dec.decode(data, &ev); err != nil {
		return false, &failure{kind: ErrServer, retryable: true,
			detail: d.c.redact.clean(shorten("malformed stream event: " + string(data)))}
	}
	a := d.a
	switch ev.Type {
	case "response.output_text.delta", "response.refusal.delta":
		a.addContent(ev.Delta)
	case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
		a.addReasoning(ev.Delta, "summary")
	case "response.reasoning_summary_part.added":
		if ev.SummaryIndex > 0 && a.reasoning.Len() > 0 {
			a.addReasoning("\n\n", "summary")
		}
	case "response.output_item.added":
		d.item(ev.Item, ev.OutputIndex, false)
	case "response.function_call_arguments.delta":
		if pos, ok := d.call(ev.ItemID, ev.OutputIndex); ok {
			a.callFragment(pos, "", "", ev.Delta)
		}
	case "response.output_item.done":
		d.item(ev.Item, ev.OutputIndex, true)
	case "response.completed", "response.incomplete":
		if ev.Response != nil {
			d.finish(ev.Response)
		}
		d.done = true
		return true, nil
	case "response.failed":
		se := serverError{msg: "the response failed"}
		if r := ev.Response; r != nil && r.Error != nil {
			se = serverError{msg: r.Error.Message, typ: r.Error.Type, code: rawCode(r.Error.Code)}
		}
		return false, d.c.classifyInStream(se)
	case "error":
		return false, d.c.classifyInStream(serverError{msg: ev.Message, code: rawCode(ev.Code)})
	}
	return false, nil
}

// item handles an output item as it starts (done=false) or ends.
func (d *responsesDecoder) item(raw json.RawMessage, outIdx int, done bool) {
	var it respItem
	if json.Unmarshal(raw, &it) != nil {
		return
	}
	a := d.a
	switch it.Type {
	case "function_call":
		pos, ok := d.call(it.ID, outIdx)
		if !ok {
			pos = a.newCall()
			a.calls[pos].itemID = it.ID
			if d.byItem == nil {
				d.byItem = map[string]int{}
			}
			d.byItem[it.ID] = pos
			if a.wire == nil {
				a.wire = map[int]int{}
			}
			a.wire[outIdx] = pos
			a.callFragment(pos, it.CallID, it.Name, "")
		}
		if cb := a.calls[pos]; cb.args.Len() == 0 && it.Arguments != "" {
			a.callFragment(pos, it.CallID, it.Name, it.Arguments)
		}
	case "reasoning":
		if done {
			a.items = append(a.items, append(json.RawMessage(nil), raw...))
			if a.reasoning.Len() == 0 {
				for i, s := range it.Summary {
					if i > 0 {
						a.addReasoning("\n\n", "summary")
					}
					a.addReasoning(s.Text, "summary")
				}
			}
		}
	case "message":
		if done && a.content.Len() == 0 {
			for _, p := range it.Content {
				a.addContent(p.Text + p.Refusal)
			}
		}
	}
}

func (d *responsesDecoder) call(itemID string, outIdx int) (int, bool) {
	if pos, ok := d.byItem[itemID]; ok && itemID != "" {
		return pos, true
	}
	pos, ok := d.a.wire[outIdx]
	return pos, ok
}

func (d *responsesDecoder) finish(r *respObject) {
	a := d.a
	if len(a.calls) == 0 && a.content.Len() == 0 {
		// A server that sent no item events: read the final output.
		for i, raw := range r.Output {
			d.item(raw, i, false)
			d.item(raw, i, true)
		}
	}
	a.finish = FinishStop
	if len(a.calls) > 0 {
		a.finish = FinishToolCalls
	}
	if r.Status == "incomplete" {
		a.finish = "incomplete"
		if r.IncompleteDetails != nil {
			a.finish = r.IncompleteDetails.Reason
			a.truncated = r.IncompleteDetails.Reason == "max_output_tokens"
		}
		if a.truncated {
			a.finish = FinishLength
		}
	}
	if u := r.Usage; u != nil {
		n := &usageCounts{prompt: u.InputTokens, completion: u.OutputTokens}
		if u.InputTokensDetails != nil {
			n.cached = u.InputTokensDetails.CachedTokens
		}
		if u.OutputTokensDetails != nil {
			n.reasoning = u.OutputTokensDetails.ReasoningTokens
		}
		a.usage = n
	}
	a.started = true
}

func (d *responsesDecoder) whole(data []byte) *failure {
	if se, ok := parseErrorBody(data); ok {
		return d.c.classifyInStream(se)
	}
	var r respObject
	if err := json.Unmarshal(data, &r); err != nil || r.Status == "" {
		return &failure{kind: ErrServer, retryable: true,
			detail: d.c.redact.clean(shorten("the server answered JSON that is neither a response nor an error: " + string(data)))}
	}
	if r.Status == "failed" && r.Error != nil {
		return d.c.classifyInStream(serverError{msg: r.Error.Message, code: rawCode(r.Error.Code)})
	}
	d.finish(&r)
	d.done = true
	return nil
}
