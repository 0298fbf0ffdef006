package session

import (
	"errors"
	"fmt"

	"github.com/tether-dev/tether/llm"
)

// clientSwitcher is a model client that makes a client for another model
// on the same endpoint (*llm.Client).
type clientSwitcher interface {
	WithModel(name string) (*llm.Client, error)
}

// recordedModel puts opts on the model a recording had switched to by its
// checkpoint (cp.Model), unless the caller pinned its own. It returns why
// it could not (the session then goes on with opts' model and says so).
func recordedModel(opts *Options, cp Checkpoint) error {
	want := cp.Model
	if want == "" || want == opts.ModelName || opts.ModelPinned || opts.Model == nil {
		return nil
	}
	build := opts.ModelFor
	if build == nil {
		sw, ok := opts.Model.(clientSwitcher)
		if !ok {
			return errors.New("this model client cannot switch models (set Options.ModelFor)")
		}
		build = func(name string) (Model, error) { return sw.WithModel(name) }
	}
	m, err := build(want)
	if err != nil {
		return err
	}
	if m == nil {
		return errors.New("no client was built for it")
	}
	opts.Model, opts.ModelName = m, want
	return nil
}

// announceModel tells the stream and the recording which model a branch
// goes on with when that is not the one its replayed history switched to
// last (pinned by the user, or the switch could not be rebuilt).
func (s *Session) announceModel(cp Checkpoint, switchErr error) {
	name := s.ModelName()
	if cp.Model == "" || cp.Model == name {
		return
	}
	if switchErr != nil {
		s.publish(Event{Kind: KindError, Error: &ErrorInfo{Message: fmt.Sprintf(
			"the recording had switched to model %s, which could not be set up again (%v): going on with %s; ctrl+o switches", cp.Model, switchErr, name)}})
	}
	s.publish(Event{Kind: KindModel, ModelChange: &ModelChange{From: cp.Model, To: name}})
}
