package daytona_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

// TestDaytonaExecTakesOutputAheadOfTheConnectedFrame: the daemon adds a
// PTY client to the terminal's listeners before it writes the "connected"
// control frame, from another goroutine, so the shell's prompt can reach
// the client first (seen 1 run in ~100 under load: "PTY session ... did not
// connect: <nil> \"\x1b[?2004hroot@vm:...# \""). Here every PTY connection
// gets that order for sure: Exec must still work, output and exit code exact.
func TestDaytonaExecTakesOutputAheadOfTheConnectedFrame(t *testing.T) {
	env := realdaemon.New(t)
	var reordered atomic.Int32
	env.Wrap(func(d *realdaemon.Daemon) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/process/pty/") || !strings.HasSuffix(r.URL.Path, "/connect") {
				d.ServeHTTP(w, r)
				return
			}
			promptFirst(d, w, r, func() { reordered.Add(1) })
		})
	})
	p, err := env.NewProvider(daytona.Options{Logger: dtLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	sb := dtCreate(t, p, sandbox.Spec{})
	for range 2 {
		res, out, errOut := dtExec(t, sb, sandbox.ExecRequest{Command: "echo out; echo err >&2; exit 3"})
		if res.ExitCode != 3 || out != "out\n" || errOut != "err\n" {
			t.Errorf("exit %d, stdout %q, stderr %q; want 3, \"out\\n\", \"err\\n\"", res.ExitCode, out, errOut)
		}
	}
	if n := reordered.Load(); n == 0 {
		t.Fatal("no PTY connection had output to put ahead of its control frame: the test proved nothing")
	}
}

// promptFirst relays one PTY WebSocket between the client and the daemon,
// holding the daemon's control frame until the terminal's first output has
// gone to the client; it calls reordered when the client got that order.
func promptFirst(d *realdaemon.Daemon, w http.ResponseWriter, r *http.Request, reordered func()) {
	dialer := websocket.Dialer{NetDialContext: d.Dial, HandshakeTimeout: 10 * time.Second}
	up, resp, err := dialer.DialContext(r.Context(), "ws://127.0.0.1:2280"+r.URL.Path, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer up.Close()
	down, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer down.Close()

	// The shell's prompt came before anyone listened and is gone: an
	// empty line makes it print one again, which the client gets first.
	if err := up.WriteMessage(websocket.BinaryMessage, []byte("\r")); err != nil {
		return
	}
	var control []byte
	outputFirst := false
	_ = up.SetReadDeadline(time.Now().Add(10 * time.Second))
	for control == nil || !outputFirst {
		typ, msg, err := up.ReadMessage()
		if err != nil {
			break // no t.Logf here: the relay can outlive the test
		}
		if typ == websocket.TextMessage && strings.Contains(string(msg), `"type":"control"`) {
			control = msg
			continue
		}
		if err := down.WriteMessage(typ, msg); err != nil {
			return
		}
		outputFirst = true
	}
	_ = up.SetReadDeadline(time.Time{})
	if control != nil {
		if err := down.WriteMessage(websocket.TextMessage, control); err != nil {
			return
		}
		if outputFirst {
			reordered()
		}
	}
	done := make(chan struct{})
	go func() { // client -> daemon
		defer close(done)
		for {
			typ, msg, err := down.ReadMessage()
			if err != nil || up.WriteMessage(typ, msg) != nil {
				up.Close()
				return
			}
		}
	}()
	for { // daemon -> client
		typ, msg, err := up.ReadMessage()
		if err != nil || down.WriteMessage(typ, msg) != nil {
			down.Close()
			break
		}
	}
	<-done
}
