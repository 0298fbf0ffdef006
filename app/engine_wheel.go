package app

import (
	"context"
	"errors"

	"github.com/tether-dev/tether/ui"
)

var _ ui.WheelTaker = (*Engine)(nil)

// TakeWheel implements ui.WheelTaker: it pauses the agent at its next
// step and opens the user's own shell in the sandbox (session.TakeWheel).
func (e *Engine) TakeWheel(ctx context.Context, cols, rows int) (ui.WheelShell, error) {
	s := e.current()
	if s == nil {
		return nil, errors.New("the sandbox is not ready yet: try again when it has started")
	}
	w, err := s.TakeWheel(ctx, cols, rows)
	if err != nil {
		return nil, err
	}
	return w, nil
}
