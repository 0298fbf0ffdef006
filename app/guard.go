package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/sandbox"
)

// ExitStatus carries a process exit code through to main: whatever it
// stands for has been said already.
type ExitStatus int

func (e ExitStatus) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// ShutdownTimeout bounds closing sandboxes on the way out, even after a
// signal (a leaked sandbox costs money).
const ShutdownTimeout = 2 * time.Minute

// Teardown closes every sandbox still registered, on every way out:
// normal return, error, signal, and panic (re-raised after cleaning up).
// It reports whether none is left.
func Teardown(reg *sandbox.Registry, log *slog.Logger, report io.Writer) bool {
	if reg.Len() == 0 {
		return true
	}
	if report != nil {
		fmt.Fprintf(report, "tether: closing %d sandbox(es)…\n", reg.Len())
	}
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := reg.CloseAll(ctx); err != nil {
		log.Error("teardown", "err", err)
		if report != nil {
			fmt.Fprintln(report, "tether: some sandboxes could not be closed; run `tether cleanup`:", termsafe.Sanitize(err.Error()))
		}
	}
	return reg.Len() == 0
}

// Guard runs fn and tears down whatever it left registered, even if fn
// panics. Sandboxes left behind fail the exit status; teardown has said
// which, with the cleanup hint, so the error is a bare exit status.
func Guard(reg *sandbox.Registry, log *slog.Logger, report io.Writer, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			Teardown(reg, log, os.Stderr)
			panic(r)
		}
		if !Teardown(reg, log, report) && err == nil {
			err = ExitStatus(1)
		}
	}()
	return fn()
}

// IsExitStatus reports whether err only carries an exit status: whatever
// it stands for has been said already.
func IsExitStatus(err error) bool {
	var ee ExitStatus
	return errors.As(err, &ee)
}
