package local

import (
	"testing"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

// TestLocalConformance runs the provider-agnostic sandbox tests on each
// isolation mode.
func TestLocalConformance(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		sandboxtest.Run(t, sandboxtest.Options{New: func(t *testing.T) sandbox.Sandbox {
			_, sb := localTestSandbox(t, iso)
			return sb
		}})
	})
}
