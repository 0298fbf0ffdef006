package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	openai "github.com/sashabaranov/go-openai"
)

// Chunks are decoded here rather than through go-openai's Recv so that
// an omitted tool-call index is distinguishable from index 0, and the
// reasoning fields various servers use are not dropped.
type wireChunk struct {
	Choices []wireChoice `json:"choices"`
	Usage   *wireUsage   `json:"usage"`
	// Error is how OpenRouter reports an upstream failure mid-stream,
	// inside an otherwise ordinary chunk.
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

type wireChoice struct {
	Index        int       `json:"index"`
	Delta        wireDelta `json:"delta"`
	FinishReason string    `json:"finish_reason"`
}

type wireDelta struct {
	Content          string         `json:"content"`
	Refusal          string         `json:"refusal"`
	ReasoningContent string         `json:"reasoning_content"` // DeepSeek, vLLM
	Reasoning        string         `json:"reasoning"`         // OpenRouter, Ollama
	ToolCalls        []wireToolCall `json:"tool_calls"`
}

type wireToolCall struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type wireUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

// attempt makes one HTTP request and reads its stream to the end. It
// reports whether anything reached onDelta, which forbids a retry.
func (c *Client) attempt(ctx context.Context, oreq openai.ChatCompletionRequest, onDelta func(Delta)) (Response, bool, *failure) {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &probe{wd: startWatchdog(c.timeout, c.idleTimeout, cancel)}
	defer p.wd.stop()
	a := assembler{onDelta: onDelta}
	var dec chunkDecoder

	stream, err := c.api.CreateChatCompletionStream(context.WithValue(actx, probeKey{}, p), oreq)
	if err != nil {
		return a.response(c), false, c.failed(err, p)
	}
	defer stream.Close()
	for {
		raw, err := stream.RecvRaw()
		if err == io.EOF {
			if a.finish != "" || p.done.seen {
				return a.response(c), a.delivered, nil
			}
			return a.response(c), a.delivered, &failure{
				kind:      ErrUnavailable,
				detail:    "the stream ended before the reply was complete",
				cause:     io.ErrUnexpectedEOF,
				retryable: true,
			}
		}
		if err != nil {
			return a.response(c), a.delivered, c.failed(err, p)
		}
		var ch wireChunk
		if err := dec.decode(raw, &ch); err != nil {
			return a.response(c), a.delivered, &failure{
				kind:      ErrServer,
				detail:    c.redact.clean(shorten("malformed stream chunk: " + string(raw))),
				retryable: true,
			}
		}
		if ch.Error != nil {
			return a.response(c), a.delivered, &failure{
				kind:      ErrServer,
				detail:    c.redact.clean(shorten("stream error: " + ch.Error.Message)),
				retryable: true,
			}
		}
		if a.add(&ch) {
			p.wd.replyStarted()
		}
	}
}

// failed classifies an attempt's error, telling our own watchdog's
// cancellation apart from the server's or the network's doing.
func (c *Client) failed(err error, p *probe) *failure {
	if fired, idle := p.wd.state(); fired {
		// No cause: the transport saw context.Canceled, which must not
		// make a timeout look like the caller's cancellation.
		return &failure{kind: ErrTimeout, idle: idle}
	}
	return c.classifyHTTP(err, p)
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
func (d *chunkDecoder) decode(raw []byte, ch *wireChunk) error {
	if d.dec == nil {
		d.dec = json.NewDecoder(d)
	}
	d.src = raw
	if err := d.dec.Decode(ch); err != nil {
		return err
	}
	if len(d.src) != 0 || d.dec.InputOffset() != d.consumed+int64(len(raw)) {
		return errors.New("trailing data after the chunk")
	}
	d.consumed += int64(len(raw))
	return nil
}
