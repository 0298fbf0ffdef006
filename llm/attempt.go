package llm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// replyDecoder reads one wire API's reply into an assembler.
type replyDecoder interface {
	// event takes one SSE event; done reports that the reply is complete.
	event(name string, data []byte) (done bool, f *failure)
	// whole takes a body that is one JSON document instead of a stream:
	// an error object, or a complete reply from a server that ignored
	// "stream": true.
	whole(data []byte) *failure
	// complete reports whether what was read is a whole reply, for a
	// body that ended without its terminator.
	complete() bool
}

// attempt makes one HTTP request and reads its reply to the end.
func (c *Client) attempt(ctx context.Context, path string, body []byte, dec replyDecoder, a *assembler) *failure {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	wd := startWatchdog(c.timeout, c.idleTimeout, c.maxDuration, cancel)
	defer wd.stop()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return &failure{kind: ErrConfig, detail: c.redact.clean(shorten(err.Error()))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.failed(err, wd)
	}
	defer resp.Body.Close()
	ctype := mediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if rerr != nil && len(b) == 0 && wd.firedPhase() != phaseNone {
			return c.failed(rerr, wd)
		}
		return c.classifyStatus(resp.StatusCode, resp.Header, ctype, b)
	}
	br := bufio.NewReaderSize(&watchedBody{rc: resp.Body, wd: wd}, 32<<10)
	switch sniffBody(ctype, br) {
	case bodyHTML:
		return c.htmlFailure(resp.StatusCode)
	case bodyJSON:
		b, err := io.ReadAll(io.LimitReader(br, int64(c.maxLine)+1))
		if err != nil {
			return c.failed(err, wd)
		}
		if len(b) > c.maxLine {
			return c.limitFailure(false)
		}
		return dec.whole(b)
	}
	sr := sseReader{r: br, maxLine: c.maxLine}
	for {
		name, data, err := sr.next()
		if err != nil {
			switch {
			case errors.Is(err, io.EOF) && dec.complete():
				return nil
			case errors.Is(err, io.EOF):
				return &failure{
					kind:      ErrUnavailable,
					detail:    "the stream ended before the reply was complete",
					cause:     io.ErrUnexpectedEOF,
					retryable: true,
				}
			case errors.Is(err, errLineTooLong):
				return c.limitFailure(false)
			}
			return c.failed(err, wd)
		}
		if actx.Err() != nil {
			// Cancelled or timed out while the buffer still held data:
			// stop now rather than deliver what is left.
			return c.failed(actx.Err(), wd)
		}
		if bytes.Equal(bytes.TrimSpace(data), []byte("[DONE]")) {
			return nil
		}
		done, f := dec.event(name, data)
		if f != nil {
			return f
		}
		if a.size > c.maxReply {
			return c.limitFailure(false)
		}
		if done {
			return nil
		}
		if a.started {
			wd.replyStarted()
		}
	}
}

// failed classifies a transport error, telling our own watchdog's
// cancellation apart from the server's or the network's doing.
func (c *Client) failed(err error, wd *watchdog) *failure {
	switch wd.firedPhase() {
	case phaseFirst:
		// No cause: the transport saw context.Canceled, which must not
		// make a timeout look like the caller's cancellation.
		return &failure{kind: ErrTimeout}
	case phaseIdle:
		return &failure{kind: ErrTimeout, idle: true}
	case phaseTotal:
		return c.limitFailure(true)
	}
	return c.classifyTransport(err)
}

func (c *Client) limitFailure(duration bool) *failure {
	if duration {
		return &failure{kind: ErrReplyLimit, detail: fmt.Sprintf("the reply was still streaming after %s", c.maxDuration)}
	}
	return &failure{kind: ErrReplyLimit, detail: fmt.Sprintf("the reply grew past %s", byteSize(c.maxReply))}
}

type bodyKind int

const (
	bodySSE bodyKind = iota
	bodyJSON
	bodyHTML
)

// sniffBody tells a stream from a JSON document or an HTML page, by the
// Content-Type and, since servers mislabel, by the first byte.
func sniffBody(ctype string, br *bufio.Reader) bodyKind {
	switch ctype {
	case "text/html", "application/xhtml+xml":
		return bodyHTML
	case "application/json":
		return bodyJSON
	}
	for i := 1; i <= 512; i++ {
		b, err := br.Peek(i)
		if len(b) < i || err != nil {
			return bodySSE
		}
		switch b[i-1] {
		case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF: // whitespace, UTF-8 BOM
			continue
		case '{', '[':
			return bodyJSON
		case '<':
			return bodyHTML
		}
		return bodySSE
	}
	return bodySSE
}

func mediaType(v string) string {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return mt
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
