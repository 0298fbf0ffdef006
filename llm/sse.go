package llm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// sseReader reads Server-Sent Events the way OpenAI-compatible servers
// send them: each "data:" line is one event (a blank line is not needed
// between them, though most servers send one), "event:" names the next
// event, ":" lines are keep-alive comments (OpenRouter sends
// ": OPENROUTER PROCESSING"), "data:" may lack its space and lines may end
// in CRLF. A line may not exceed maxLine: a stream that never sends a
// newline cannot grow memory without bound.
type sseReader struct {
	r       *bufio.Reader
	maxLine int
	line    []byte // reused across lines that do not fit the bufio buffer
	event   []byte // the pending "event:" name, reused
}

var errLineTooLong = errors.New("a stream line exceeded the reply limit")

// next returns the next event's name ("" when the server named none) and
// data. The data slice is valid until the next call. At the end of the
// body it returns io.EOF, or io.ErrUnexpectedEOF if the body ended in
// the middle of a line.
func (s *sseReader) next() (name string, data []byte, err error) {
	for {
		line, err := s.readLine()
		if err != nil {
			return "", nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			s.event = s.event[:0] // end of an event block
		case line[0] == ':':
			// comment / keep-alive
		case bytes.HasPrefix(line, []byte("data:")):
			d := bytes.TrimLeft(line[len("data:"):], " ")
			name := string(s.event)
			s.event = s.event[:0]
			return name, d, nil
		case bytes.HasPrefix(line, []byte("event:")):
			s.event = append(s.event[:0], bytes.TrimSpace(line[len("event:"):])...)
		default:
			// id:, retry: and anything unknown are ignored, as the SSE
			// specification asks.
		}
	}
}

// readLine returns one line including its terminator.
func (s *sseReader) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if err == nil {
		return line, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			// A last line without its newline: accept it; the caller
			// decides from the content whether the reply was complete.
			return line, nil
		}
		return nil, err
	}
	s.line = append(s.line[:0], line...)
	for {
		more, err := s.r.ReadSlice('\n')
		if len(s.line)+len(more) > s.maxLine {
			return nil, fmt.Errorf("%w (%d bytes)", errLineTooLong, s.maxLine)
		}
		s.line = append(s.line, more...)
		switch {
		case err == nil:
			return s.line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return s.line, nil
		default:
			return nil, err
		}
	}
}
