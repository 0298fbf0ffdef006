package session

import (
	"errors"
	"strings"
)

// SetModel switches the session to model (named name, for display and
// the recording) from its next LLM call on; a call already streaming
// finishes with the model it started with. The conversation stays as it
// is. It publishes, and so records, a KindModel event.
func (s *Session) SetModel(model Model, name string) error {
	name = strings.TrimSpace(name)
	switch {
	case model == nil:
		return errors.New("no model given: build a client for the new model first")
	case name == "":
		return errors.New("empty model name: name the model to switch to")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	from := s.opts.ModelName
	s.model, s.opts.ModelName = model, name
	s.mu.Unlock()
	s.publish(Event{Kind: KindModel, ModelChange: &ModelChange{From: from, To: name}})
	return nil
}

// ModelName is the name of the model the next LLM call goes to.
func (s *Session) ModelName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.ModelName
}
