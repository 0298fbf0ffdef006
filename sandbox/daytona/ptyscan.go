package daytona

import (
	"bytes"
	"sync"
)

// dtMarks finds the markers Exec's wrapper prints on a terminal,
// \x1e<nonce><kind><payload>\x1e, in a stream of raw output, and passes
// the bytes between them on. Only bytes that may be the start of a marker
// split across frames are held back, and only until the next frame (or
// flush) settles it: output is never delayed otherwise.
type dtMarks struct {
	prefix []byte // \x1e + nonce
	mu     sync.Mutex
	pend   []byte
	done   bool
}

func newDtMarks(nonce string) *dtMarks { return &dtMarks{prefix: []byte("\x1e" + nonce)} }

// push scans b. data gets the output between markers; mark gets each
// marker's kind and payload and returns true when the stream is over
// (what follows is then ignored).
func (m *dtMarks) push(b []byte, data func([]byte), mark func(kind byte, payload string) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return
	}
	m.pend = append(m.pend, b...)
	for {
		i := bytes.Index(m.pend, m.prefix)
		if i < 0 {
			keep := m.partial()
			if n := len(m.pend) - keep; n > 0 {
				data(m.pend[:n])
				m.pend = append(m.pend[:0:0], m.pend[n:]...)
			}
			return
		}
		if i > 0 {
			data(m.pend[:i])
		}
		body := m.pend[i+len(m.prefix):]
		j := bytes.IndexByte(body, 0x1e)
		if j == 0 { // not a marker after all
			data(m.pend[i : i+len(m.prefix)])
			m.pend = append(m.pend[:0:0], body...)
			continue
		}
		if j < 0 {
			m.pend = append(m.pend[:0:0], m.pend[i:]...)
			return // the marker's end is in the next frame
		}
		stop := mark(body[0], string(body[1:j]))
		m.pend = append(m.pend[:0:0], body[j+1:]...)
		if stop {
			m.done, m.pend = true, nil
			return
		}
	}
}

// partial is how many bytes at the end of pend could begin a marker.
func (m *dtMarks) partial() int {
	for n := min(len(m.pend), len(m.prefix)-1); n > 0; n-- {
		if bytes.Equal(m.pend[len(m.pend)-n:], m.prefix[:n]) {
			return n
		}
	}
	return 0
}

// flush passes on what is held back: the stream was cut (cancel,
// timeout), and those bytes were output after all.
func (m *dtMarks) flush(data func([]byte)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.done && len(m.pend) > 0 {
		data(m.pend)
	}
	m.pend = nil
}
