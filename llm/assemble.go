package llm

import (
	"encoding/json"
	"strconv"
)

// assembler accumulates one streamed reply, whatever the wire API, and
// forwards its pieces to onDelta.
type assembler struct {
	onDelta   func(Delta)
	content   textBuf
	reasoning textBuf
	// reasoningField is the chat field reasoning arrived in.
	reasoningField string
	details        reasoningDetails // OpenRouter
	items          []json.RawMessage
	calls          []*callBuf
	wire           map[int]int // tool-call index on the wire → position in calls
	finish         string
	truncated      bool
	usage          *usageCounts
	// size is the bytes of reply assembled (text, reasoning, arguments),
	// checked against the reply limit.
	size int
	// limit is the reply limit, for the text buffers.
	limit     int
	started   bool // reply content has arrived (for the idle watchdog)
	delivered bool // something reached onDelta (a retry must say so)
}

type callBuf struct {
	id, name, itemID string
	extra            json.RawMessage
	args             textBuf
}

// usageCounts is usage as any server reports it, normalised.
type usageCounts struct {
	prompt, completion, cached, cacheWrite, reasoning int
	cost                                              *float64
}

func (a *assembler) emit(d Delta) {
	a.delivered = true
	a.onDelta(d)
}

func (a *assembler) addContent(text string) {
	if text == "" {
		return
	}
	a.content.WriteString(text)
	a.size += len(text)
	a.started = true
	a.emit(Delta{Content: text})
}

func (a *assembler) addReasoning(text, field string) {
	if text == "" {
		return
	}
	if a.reasoningField == "" {
		a.reasoningField = field
	}
	a.reasoning.WriteString(text)
	a.size += len(text)
	a.started = true
	a.emit(Delta{Reasoning: text})
}

// newCall appends a call and returns its position.
func (a *assembler) newCall() int {
	a.calls = append(a.calls, &callBuf{args: textBuf{limit: a.limit, used: &a.size}})
	return len(a.calls) - 1
}

// callFragment adds to the call at pos and reports it.
func (a *assembler) callFragment(pos int, id, name, args string) {
	cb := a.calls[pos]
	if cb.id == "" {
		cb.id = id
	}
	if cb.name == "" {
		cb.name = name
	}
	cb.args.WriteString(args)
	a.size += len(args)
	a.started = true
	if id == "" && name == "" && args == "" {
		return
	}
	a.emit(Delta{ToolCall: &ToolCallDelta{Index: pos, ID: cb.id, Name: cb.name, ArgsFragment: args}})
}

// response builds what has been assembled so far; arguments are passed
// through verbatim, even when they are not valid JSON.
func (a *assembler) response(c *Client) Response {
	r := Response{
		Message: Message{
			Role:             RoleAssistant,
			Content:          a.content.String(),
			Reasoning:        a.reasoning.String(),
			ReasoningDetails: a.details.json(),
		},
		FinishReason: a.finish,
		Truncated:    a.truncated || a.finish == FinishLength,
	}
	if r.Message.Reasoning != "" {
		r.Message.ReasoningField = a.reasoningField
	}
	if len(a.items) > 0 {
		r.Message.ReasoningItems, _ = json.Marshal(a.items)
	}
	r.Reasoning = r.Message.Reasoning
	for i, cb := range a.calls {
		id := cb.id
		if id == "" {
			// Some local servers send no ids; the tool result still
			// needs one to refer to.
			id = "call_" + strconv.Itoa(i)
		}
		r.Message.ToolCalls = append(r.Message.ToolCalls, ToolCall{
			ID: id, Name: cb.name, Arguments: cb.args.String(),
			ExtraContent: string(cb.extra), ItemID: cb.itemID,
		})
	}
	if u := a.usage; u != nil {
		r.Usage = Usage{
			PromptTokens: u.prompt, CompletionTokens: u.completion,
			CachedPromptTokens: u.cached, CacheWriteTokens: u.cacheWrite,
			ReasoningTokens: u.reasoning,
		}
		switch {
		case u.cost != nil:
			r.Usage.CostUSD, r.Usage.CostKnown, r.Usage.CostFromServer = *u.cost, true, true
		case c.priceKnown:
			r.Usage.CostUSD = c.price.cost(u.prompt, u.cached, u.cacheWrite, u.completion)
			r.Usage.CostKnown = true
		}
	}
	return r
}

// reasoningDetails merges OpenRouter's streamed reasoning_details: each
// chunk carries fragments of entries identified by their index (and
// type); their text, summary and data grow, other fields are set once.
type reasoningDetails struct {
	entries []map[string]any
}

func (d *reasoningDetails) add(raw json.RawMessage) {
	var frags []map[string]any
	if json.Unmarshal(raw, &frags) != nil {
		return
	}
	for _, f := range frags {
		e := d.find(f)
		if e == nil {
			d.entries = append(d.entries, f)
			continue
		}
		for k, v := range f {
			switch k {
			case "text", "summary", "data":
				if s, ok := v.(string); ok {
					old, _ := e[k].(string)
					e[k] = old + s
					continue
				}
			}
			if v != nil {
				e[k] = v
			}
		}
	}
}

func (d *reasoningDetails) find(f map[string]any) map[string]any {
	idx, hasIdx := f["index"]
	if !hasIdx || len(d.entries) == 0 {
		return nil
	}
	for i := len(d.entries) - 1; i >= 0; i-- {
		e := d.entries[i]
		if e["index"] == idx && (f["type"] == nil || e["type"] == f["type"]) {
			return e
		}
	}
	return nil
}

func (d *reasoningDetails) json() json.RawMessage {
	if len(d.entries) == 0 {
		return nil
	}
	b, err := json.Marshal(d.entries)
	if err != nil {
		return nil
	}
	return b
}
