package daytona

import (
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// DropShellConnection closes a Daytona shell's WebSocket under it, as the
// daemon does to a slow consumer (close 1008): tests of the reconnect.
func DropShellConnection(sh sandbox.Shell) {
	d := sh.(*dtPtyShell)
	d.mu.Lock()
	h := d.h
	d.mu.Unlock()
	_ = h.Disconnect()
}

// PauseReconnects makes shells wait d before reconnecting after a drop.
func PauseReconnects(d time.Duration) func() {
	old := dtReconnectPause
	dtReconnectPause = d
	return func() { dtReconnectPause = old }
}
