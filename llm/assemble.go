package llm

import (
	"strconv"
	"strings"
)

// assembler accumulates one streamed reply and forwards its pieces.
type assembler struct {
	onDelta   func(Delta)
	content   strings.Builder
	reasoning strings.Builder
	calls     []*callBuf
	wire      map[int]int // tool-call index on the wire → position in calls
	finish    string
	usage     *wireUsage
	delivered bool
}

type callBuf struct {
	id, name string
	args     strings.Builder
}

func (a *assembler) emit(d Delta) {
	a.delivered = true
	a.onDelta(d)
}

// add takes one chunk; it reports whether the chunk carried reply
// content (as opposed to a bare role announcement or usage report).
func (a *assembler) add(ch *wireChunk) bool {
	if ch.Usage != nil {
		a.usage = ch.Usage
	}
	started := false
	for i := range ch.Choices {
		c := &ch.Choices[i]
		if c.Index != 0 { // we ask for one choice; ignore any others
			continue
		}
		d := &c.Delta
		// Servers send one reasoning field or both with the same text.
		if r := firstNonEmpty(d.ReasoningContent, d.Reasoning); r != "" {
			a.reasoning.WriteString(r)
			a.emit(Delta{Reasoning: r})
			started = true
		}
		for _, text := range [2]string{d.Content, d.Refusal} {
			if text != "" {
				a.content.WriteString(text)
				a.emit(Delta{Content: text})
				started = true
			}
		}
		for j := range d.ToolCalls {
			a.toolFragment(&d.ToolCalls[j])
			started = true
		}
		if c.FinishReason != "" {
			a.finish = c.FinishReason
			started = true
		}
	}
	return started
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// toolFragment files one tool-call fragment under the right call. OpenAI
// sends the index on every fragment and the id and name only on the first;
// some servers omit the index, and some number every call 0 but give each
// a fresh id, so a new id always starts a new call.
func (a *assembler) toolFragment(tc *wireToolCall) {
	pos := -1
	if tc.Index != nil {
		if p, ok := a.wire[*tc.Index]; ok && !(tc.ID != "" && a.calls[p].id != "" && tc.ID != a.calls[p].id) {
			pos = p
		}
	} else if n := len(a.calls); n > 0 {
		last := a.calls[n-1]
		newID := tc.ID != "" && last.id != "" && tc.ID != last.id
		newName := tc.ID == "" && tc.Function.Name != "" && last.name != ""
		if !newID && !newName {
			pos = n - 1
		}
	}
	if pos < 0 {
		a.calls = append(a.calls, &callBuf{})
		pos = len(a.calls) - 1
		if tc.Index != nil {
			if a.wire == nil {
				a.wire = make(map[int]int, 2)
			}
			a.wire[*tc.Index] = pos
		}
	}
	cb := a.calls[pos]
	if cb.id == "" {
		cb.id = tc.ID
	}
	if cb.name == "" {
		cb.name = tc.Function.Name
	}
	cb.args.WriteString(tc.Function.Arguments)
	if tc.ID == "" && tc.Function.Name == "" && tc.Function.Arguments == "" {
		return
	}
	a.emit(Delta{ToolCall: &ToolCallDelta{
		Index:        pos,
		ID:           cb.id,
		Name:         cb.name,
		ArgsFragment: tc.Function.Arguments,
	}})
}

// response builds what has been assembled so far; arguments are passed
// through verbatim, even when they are not valid JSON.
func (a *assembler) response(c *Client) Response {
	r := Response{
		Message:      Message{Role: RoleAssistant, Content: a.content.String()},
		FinishReason: a.finish,
		Reasoning:    a.reasoning.String(),
	}
	for i, cb := range a.calls {
		id := cb.id
		if id == "" {
			// Some local servers send no ids; the tool result still
			// needs one to refer to.
			id = "call_" + strconv.Itoa(i)
		}
		r.Message.ToolCalls = append(r.Message.ToolCalls, ToolCall{ID: id, Name: cb.name, Arguments: cb.args.String()})
	}
	if a.usage != nil {
		u := a.usage
		r.Usage.PromptTokens, r.Usage.CompletionTokens = u.PromptTokens, u.CompletionTokens
		if u.PromptTokensDetails != nil {
			r.Usage.CachedPromptTokens = u.PromptTokensDetails.CachedTokens
		}
		if c.priceKnown {
			r.Usage.CostUSD = c.price.cost(u.PromptTokens, r.Usage.CachedPromptTokens, u.CompletionTokens)
			r.Usage.CostKnown = true
		}
	}
	return r
}
