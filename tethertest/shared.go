package tethertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Shared is one sandbox for all of a package's tests (a
// module-scoped fixture), made in TestMain:
//
//	var shared *tethertest.Shared
//
//	func TestMain(m *testing.M) {
//		shared = tethertest.NewShared(context.Background())
//		code := m.Run()
//		shared.Close()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) { sb := shared.Sandbox(t); ... }
//
// Tests share its state: each should work in a directory of its own.
type Shared struct {
	sb  sandbox.Sandbox
	err error
}

// NewShared creates the shared sandbox. It never fails in TestMain: a
// failure is kept and reported by Sandbox, so each test fails (or, for
// ErrSkip, skips) with the reason.
func NewShared(ctx context.Context, opts ...Option) *Shared {
	f, err := newFixture("shared", opts)
	if err != nil {
		return &Shared{err: err}
	}
	sb, err := f.create(ctx)
	return &Shared{sb: sb, err: err}
}

// Sandbox returns the shared sandbox, or skips or fails t with the reason
// it could not be made.
func (s *Shared) Sandbox(t testing.TB) sandbox.Sandbox {
	t.Helper()
	switch {
	case errors.Is(s.err, ErrSkip):
		t.Skip(s.err)
	case s.err != nil:
		t.Fatal(s.err)
	}
	return s.sb
}

// Close deletes the shared sandbox. Safe to call when none was made.
func (s *Shared) Close() error {
	if s.sb == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := s.sb.Close(ctx)
	s.sb = nil
	return err
}
