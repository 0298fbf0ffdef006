package daytona

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"time"

	dterrors "github.com/daytonaio/daytona/libs/sdk-go/pkg/errors"

	"github.com/tether-dev/tether/internal/ctxwait"
	"github.com/tether-dev/tether/internal/retryafter"
	"github.com/tether-dev/tether/sandbox"
)

// The SDK's specific errors embed *DaytonaError without an Unwrap method, so
// errors.As(err, **DaytonaError) misses them: every helper here checks each
// type on its own.

func dtIsNotFound(err error) bool {
	var nf *dterrors.DaytonaNotFoundError
	if errors.As(err, &nf) {
		return true
	}
	return dtStatus(err) == http.StatusNotFound
}

// dtIsRateLimit reports a 429, whether the SDK typed it or not (dtStatus
// maps its rate-limit error to 429).
func dtIsRateLimit(err error) bool { return dtStatus(err) == http.StatusTooManyRequests }

func dtIsTimeout(err error) bool {
	var te *dterrors.DaytonaTimeoutError
	return errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded)
}

// dtStatus is the HTTP status behind an SDK error, 0 when there was none.
func dtStatus(err error) int {
	var nf *dterrors.DaytonaNotFoundError
	var rl *dterrors.DaytonaRateLimitError
	var te *dterrors.DaytonaTimeoutError
	var de *dterrors.DaytonaError
	switch {
	case errors.As(err, &nf):
		return http.StatusNotFound
	case errors.As(err, &rl):
		return http.StatusTooManyRequests
	case errors.As(err, &te):
		return 0
	case errors.As(err, &de):
		return de.StatusCode
	}
	return 0
}

func dtHeaders(err error) http.Header {
	var rl *dterrors.DaytonaRateLimitError
	if errors.As(err, &rl) && rl.DaytonaError != nil {
		return rl.Headers
	}
	var de *dterrors.DaytonaError
	if errors.As(err, &de) {
		return de.Headers
	}
	return nil
}

// dtOutcomeUnknown says a request may have taken effect though it failed:
// no HTTP answer, or a server error.
func dtOutcomeUnknown(err error) bool {
	s := dtStatus(err)
	return s == 0 || s >= 500
}

func dtAPIError(err error, resp *http.Response) error {
	return dterrors.ConvertAPIError(err, resp)
}

// dtError is a wrapped SDK error whose text has been made safe to show.
type dtError struct {
	msg string
	err error
}

func (e *dtError) Error() string { return e.msg }
func (e *dtError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrRateLimited) true for Daytona's 429 answers
// and errors.Is(err, ErrNotFound) for its 404s.
func (e *dtError) Is(target error) bool {
	return target == sandbox.ErrRateLimited && dtIsRateLimit(e.err) ||
		target == sandbox.ErrNotFound && dtIsNotFound(e.err)
}

// dtBearer catches anything that looks like a credential echoed back in a
// server message.
var dtBearer = regexp.MustCompile(`(?i)(bearer\s+)\S+`)

// dtWrap turns an SDK error into one that says what failed and what to do,
// keeping the SDK error reachable with errors.As. The message is scrubbed
// of bearer tokens so a key never reaches a log or screen.
func dtWrap(err error, action string) error {
	if err == nil {
		return nil
	}
	detail := dtBearer.ReplaceAllString(dtMessage(err), "${1}[redacted]")
	var msg string
	switch s := dtStatus(err); {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		msg = fmt.Sprintf("daytona: %s: the API key was refused (HTTP %d): check DAYTONA_API_KEY and that the key has the needed permissions", action, s)
	case s == http.StatusNotFound:
		msg = fmt.Sprintf("daytona: %s: not found: %s", action, detail)
	case s == http.StatusTooManyRequests:
		msg = fmt.Sprintf("daytona: %s: rate limited by Daytona (still after retries): wait a minute and try again: %s", action, detail)
	case dtIsTimeout(err):
		msg = fmt.Sprintf("daytona: %s: timed out: %s", action, detail)
	case s == 0:
		msg = fmt.Sprintf("daytona: %s: %s (check the network and DAYTONA_API_URL)", action, detail)
	default:
		msg = fmt.Sprintf("daytona: %s: HTTP %d: %s", action, s, detail)
	}
	return &dtError{msg: msg, err: err}
}

func dtMessage(err error) string {
	var nf *dterrors.DaytonaNotFoundError
	var rl *dterrors.DaytonaRateLimitError
	var te *dterrors.DaytonaTimeoutError
	var de *dterrors.DaytonaError
	switch {
	case errors.As(err, &nf) && nf.DaytonaError != nil:
		return nf.Message
	case errors.As(err, &rl) && rl.DaytonaError != nil:
		return rl.Message
	case errors.As(err, &te) && te.DaytonaError != nil:
		return te.Message
	case errors.As(err, &de):
		return de.Message
	}
	return err.Error()
}

const (
	dtRetryAttempts = 5
	dtRetryBase     = 250 * time.Millisecond
	dtRetryMax      = 10 * time.Second
)

// dtRetry runs fn again while Daytona answers 429, a bounded number of
// times, waiting what Retry-After asks (or backing off with jitter).
func dtRetry(ctx context.Context, log *slog.Logger, action string, fn func() error) error {
	return dtRetryIf(ctx, log, action, dtIsRateLimit, fn)
}

// dtTransient says a failed request is worth repeating when it is
// idempotent (a delete): rate limited, a server or gateway error, or no
// answer at all (a dropped connection), but not the caller giving up.
func dtTransient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	switch s := dtStatus(err); {
	case s == http.StatusTooManyRequests, s == http.StatusInternalServerError, s == http.StatusBadGateway,
		s == http.StatusServiceUnavailable, s == http.StatusGatewayTimeout:
		return true
	case s == 0:
		return !dtIsNotFound(err)
	}
	return false
}

// dtRetryIf runs fn again while retryable(err), with exponential backoff
// and jitter (or what Retry-After asks), at most dtRetryAttempts times.
func dtRetryIf(ctx context.Context, log *slog.Logger, action string, retryable func(error) bool, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) || attempt == dtRetryAttempts || ctx.Err() != nil {
			return err
		}
		wait, ok := retryafter.Parse(dtHeaders(err), time.Now())
		if !ok {
			wait = dtRetryBase << (attempt - 1)
			wait += rand.N(wait / 2)
		}
		wait = min(wait, dtRetryMax)
		log.Warn("Daytona request failed; retrying", "action", action, "attempt", attempt, "wait", wait, "err", err)
		if !ctxwait.Sleep(ctx, wait) {
			return err
		}
	}
}

var dtEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func dtCheckEnv(env map[string]string) error {
	for k := range env {
		if !dtEnvName.MatchString(k) {
			return fmt.Errorf("variable name %q is not valid: use letters, digits and _ (not starting with a digit)", k)
		}
	}
	return nil
}
