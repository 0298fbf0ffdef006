package session

import (
	"strings"

	"github.com/tether-dev/tether/internal/redact"
)

// redactor replaces configured secrets in every text an event carries.
type redactor struct{ secrets []string }

func newRedactor(secrets []string) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

func (r *redactor) text(s string) string {
	if r == nil {
		return s
	}
	return redact.Text(s, r.secrets)
}

func (r *redactor) event(ev *Event) {
	if r == nil || len(r.secrets) == 0 {
		return
	}
	if m := ev.Message; m != nil {
		ev.Message = &Message{Text: r.text(m.Text)}
	}
	if a := ev.Action; a != nil {
		c := *a
		if len(a.Args) > 0 {
			c.Args = []byte(r.text(string(a.Args)))
		}
		c.Command, c.Summary = r.text(a.Command), r.text(a.Summary)
		ev.Action = &c
	}
	if o := ev.Output; o != nil {
		c := *o
		c.Data = r.text(o.Data)
		ev.Output = &c
	}
	if o := ev.Observation; o != nil {
		c := *o
		c.Content, c.Diff, c.Output, c.Cwd = r.text(o.Content), r.text(o.Diff), r.text(o.Output), r.text(o.Cwd)
		ev.Observation = &c
	}
	if e := ev.Error; e != nil {
		ev.Error = &ErrorInfo{Message: r.text(e.Message), Fatal: e.Fatal}
	}
	if st := ev.State; st != nil {
		c := *st
		c.Reason = r.text(st.Reason)
		ev.State = &c
	}
}

// streamRedactor redacts a stream of chunks (tool output, streamed text),
// catching a secret split across chunks by holding back any tail that
// could be the start of one until the next chunk or flush.
type streamRedactor struct {
	r     *redactor
	carry string
}

func (sr *streamRedactor) write(chunk string) string {
	if sr.r == nil || len(sr.r.secrets) == 0 {
		return chunk
	}
	s := sr.r.text(sr.carry + chunk)
	hold := 0
	for _, sec := range sr.r.secrets {
		for k := min(len(sec)-1, len(s)); k > hold; k-- {
			if strings.HasSuffix(s, sec[:k]) {
				hold = k
				break
			}
		}
	}
	sr.carry = s[len(s)-hold:]
	return s[:len(s)-hold]
}

func (sr *streamRedactor) flush() string {
	c := sr.carry
	sr.carry = ""
	return c
}
