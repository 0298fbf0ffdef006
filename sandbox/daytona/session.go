package daytona

import (
	"context"
	"io"
	"sync"
	"time"
)

// dtOutput delivers a command's output to the caller's writers until the
// command is over; after that, late chunks from an abandoned stream are
// dropped so nothing writes to the caller's writers once Exec returned.
type dtOutput struct {
	mu   sync.Mutex
	w    [2]io.Writer // stdout, stderr; either may be nil
	n    [2]int       // bytes delivered per stream
	done bool
}

func (o *dtOutput) write(i int, s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return
	}
	o.n[i] += len(s)
	if o.w[i] != nil {
		_, _ = io.WriteString(o.w[i], s)
	}
}

// finish delivers the part of the full output the stream did not.
func (o *dtOutput) finish(full [2]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return
	}
	for i, s := range full {
		if len(s) > o.n[i] {
			if o.w[i] != nil {
				_, _ = io.WriteString(o.w[i], s[o.n[i]:])
			}
			o.n[i] = len(s)
		}
	}
}

func (o *dtOutput) stop() {
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
}

// dtSessions pools the sandbox's idle toolbox sessions: a session runs its
// commands one at a time, so concurrent Execs each need their own, and
// reusing them saves a request per Exec.
type dtSessions struct {
	mu   sync.Mutex
	idle []string
}

func (p *dtSessions) get(ctx context.Context, s *daytonaSandbox) (string, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		id := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return id, nil
	}
	p.mu.Unlock()
	id := "tether-" + dtRandomHex(8)
	if err := s.sb.Process.CreateSession(ctx, id); err != nil {
		return "", err
	}
	return id, nil
}

func (p *dtSessions) put(id string) {
	p.mu.Lock()
	p.idle = append(p.idle, id)
	p.mu.Unlock()
}

// drop deletes a session that must not be reused, in the background: the
// caller is returning a result and the session is not worth waiting for.
func (p *dtSessions) drop(id string, s *daytonaSandbox) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := s.sb.Process.DeleteSession(ctx, id); err != nil && !dtIsNotFound(err) {
			s.p.log.Debug("could not delete a toolbox session", "id", s.info.ID, "session", id, "err", err)
		}
	}()
}
