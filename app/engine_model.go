package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/session"
)

// listingModel is what a model switch needs of the configured client
// (*llm.Client): the endpoint's list and a client for another model.
type listingModel interface {
	ListModels(ctx context.Context) ([]string, error)
	WithModel(name string) (*llm.Client, error)
}

func (e *Engine) listing() (listingModel, error) {
	lm, ok := e.opts.Session.Model.(listingModel)
	if !ok {
		if e.opts.Session.Model == nil {
			return nil, fmt.Errorf("%w: %s", session.ErrNoModel, e.opts.NoModelHint)
		}
		return nil, errors.New("this model client cannot switch models")
	}
	return lm, nil
}

// Models implements ui.ModelSwitcher: the models the endpoint lists, the
// one in use first. It blocks on the network: call it from a tea.Cmd.
func (e *Engine) Models(ctx context.Context) ([]string, error) {
	lm, err := e.listing()
	if err != nil {
		return nil, err
	}
	cur := e.ModelName()
	ids, err := lm.ListModels(ctx)
	out := []string{cur}
	for _, id := range ids {
		if id != cur {
			out = append(out, id)
		}
	}
	return out, err
}

// ModelName is the model the next call goes to.
func (e *Engine) ModelName() string {
	if s := e.current(); s != nil {
		return s.ModelName()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.nextModel != "" {
		return e.nextModel
	}
	return e.opts.Session.ModelName
}

// SetModel implements ui.ModelSwitcher: later calls go to the named model
// (the session records the switch). It makes no network call.
func (e *Engine) SetModel(name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return errors.New("no model named: type a model's name")
	}
	lm, err := e.listing()
	if err != nil {
		return err
	}
	c, err := lm.WithModel(name)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.nextModel = name
	e.mu.Unlock()
	return e.withSession(func(s *session.Session) error { return s.SetModel(c, name) })
}

// Unqueue implements ui.QueueEditor: the last prompt queued behind the
// active run, taken back out (false when the run has taken it already).
func (e *Engine) Unqueue() (string, bool) {
	if s := e.current(); s != nil {
		return s.Unqueue()
	}
	return "", false
}
