package llm

import (
	"encoding/json"
	"errors"
	"io"
)

// chatDecoder reads a Chat Completions stream (or a single
// chat.completion from a server that ignored "stream": true).
type chatDecoder struct {
	c   *Client
	a   *assembler
	dec chunkDecoder
	// ch is reused for every chunk: its choices array is decoded into
	// again rather than allocated per chunk (about a third of what a long
	// stream allocated).
	ch wireChunk
}

func (d *chatDecoder) complete() bool { return d.a.finish != "" }

func (d *chatDecoder) event(_ string, data []byte) (bool, *failure) {
	ch := &d.ch
	choices := ch.Choices[:cap(ch.Choices)]
	clear(choices) // json leaves absent fields as they were
	*ch = wireChunk{Choices: choices[:0]}
	if err := d.dec.decode(data, ch); err != nil {
		return false, &failure{
			kind:      ErrServer,
			detail:    d.c.redact.clean(shorten("malformed stream chunk: " + string(data))),
			retryable: true,
		}
	}
	if len(ch.Error) > 0 && string(ch.Error) != "null" {
		if se, ok := parseErrorBody(data); ok {
			return false, d.c.classifyInStream(se)
		}
	}
	d.add(ch)
	return false, nil
}

func (d *chatDecoder) whole(data []byte) *failure {
	if se, ok := parseErrorBody(data); ok {
		// A JSON error with status 200 (some proxies, LM Studio, Ollama
		// when the model is missing).
		return d.c.classifyInStream(se)
	}
	var ch wireChunk
	if err := json.Unmarshal(data, &ch); err != nil || len(ch.Choices) == 0 || ch.Choices[0].Message == nil {
		return &failure{kind: ErrServer, retryable: true,
			detail: d.c.redact.clean(shorten("the server answered JSON that is neither a reply nor an error: " + string(data)))}
	}
	// A complete reply: take its message as one big delta.
	ch.Choices[0].Delta = *ch.Choices[0].Message
	for i := range ch.Choices[0].Delta.ToolCalls {
		ch.Choices[0].Delta.ToolCalls[i].Index = nil // each call arrives whole, with its id
	}
	d.add(&ch)
	if d.a.finish == "" {
		d.a.finish = FinishStop
	}
	return nil
}

// add takes one chunk.
func (d *chatDecoder) add(ch *wireChunk) {
	a := d.a
	if ch.Usage != nil {
		a.usage = ch.Usage.counts()
	} else if ch.XGroq != nil && ch.XGroq.Usage != nil {
		a.usage = ch.XGroq.Usage.counts()
	}
	for i := range ch.Choices {
		c := &ch.Choices[i]
		if c.Index != 0 { // we ask for one choice; ignore any others
			continue
		}
		dl := &c.Delta
		// Servers send one reasoning field or both with the same text.
		if dl.ReasoningContent != "" {
			a.addReasoning(dl.ReasoningContent, "reasoning_content")
		} else {
			a.addReasoning(dl.Reasoning, "reasoning")
		}
		if len(dl.ReasoningDetails) > 0 && dl.ReasoningDetails[0] == '[' {
			a.details.add(dl.ReasoningDetails)
			a.started = true
		}
		a.addContent(dl.Content)
		a.addContent(dl.Refusal)
		for j := range dl.ToolCalls {
			d.toolFragment(&dl.ToolCalls[j])
		}
		if c.FinishReason != "" {
			a.finish = c.FinishReason
			a.started = true
		}
	}
}

// toolFragment files one tool-call fragment under the right call. OpenAI
// sends the index on every fragment and the id and name only on the first;
// some servers omit the index, and some number every call 0 but give each
// a fresh id, so a new id always starts a new call.
func (d *chatDecoder) toolFragment(tc *wireToolCall) {
	a := d.a
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
		pos = a.newCall()
		if tc.Index != nil {
			if a.wire == nil {
				a.wire = make(map[int]int, 2)
			}
			a.wire[*tc.Index] = pos
		}
	}
	if len(tc.ExtraContent) > 0 && string(tc.ExtraContent) != "null" {
		a.calls[pos].extra = append(a.calls[pos].extra[:0], tc.ExtraContent...)
	}
	a.callFragment(pos, tc.ID, tc.Function.Name, tc.Function.Arguments)
}

// chunkDecoder decodes one chunk per call through a single json.Decoder,
// which keeps its scanner and buffers for the whole stream where
// json.Unmarshal would rebuild them for every chunk.
type chunkDecoder struct {
	src      []byte
	dec      *json.Decoder
	consumed int64 // input offset at the end of the previous chunk
}

func (d *chunkDecoder) Read(p []byte) (int, error) {
	if len(d.src) == 0 {
		return 0, io.EOF
	}
	n := copy(p, d.src)
	d.src = d.src[n:]
	return n, nil
}

// decode parses raw, which must hold exactly one JSON value; after an
// error the decoder is spent (the attempt ends anyway).
func (d *chunkDecoder) decode(raw []byte, v any) error {
	if d.dec == nil {
		d.dec = json.NewDecoder(d)
	}
	d.src = raw
	if err := d.dec.Decode(v); err != nil {
		return err
	}
	if len(d.src) != 0 || d.dec.InputOffset() != d.consumed+int64(len(raw)) {
		return errors.New("trailing data after the chunk")
	}
	d.consumed += int64(len(raw))
	return nil
}
