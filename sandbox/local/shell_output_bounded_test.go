package local

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// queuedShellOutput is how many bytes the shell has read from its PTY that
// nobody has taken yet.
func queuedShellOutput(sh sandbox.Shell) int {
	return sh.(*localShell).out.Queued()
}

// A program flooding its terminal faster than tether reads it waits on the
// terminal, as on any terminal: tether holds one PTY read's worth, not the
// flood (which made a line wait behind megabytes before it could be shown,
// and memory grow with the flood). Every byte still arrives, in order.
func TestShellFloodWaitsForItsReader(t *testing.T) {
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	sh, err := sb.(sandbox.Terminal).OpenShell(context.Background(), sandbox.ShellSpec{})
	if err != nil {
		t.Fatalf("OpenShell: %v", err)
	}
	defer sh.Close(context.Background())
	const flood = 8 << 20
	if err := sh.Send(context.Background(), []byte("stty -echo; head -c "+strconv.Itoa(flood)+" /dev/zero | tr '\\0' '\\132'; echo; echo END-$((6*7))\n")); err != nil {
		t.Fatal(err)
	}
	// Nobody reads for a while: the flood must stop at the queue's bound.
	time.Sleep(700 * time.Millisecond)
	if n := queuedShellOutput(sh); n > localShellQueue {
		t.Fatalf("%d bytes queued with nobody reading, want at most %d", n, localShellQueue)
	}
	var got bytes.Buffer
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(got.String()[max(0, got.Len()-200):], "END-42") {
		if time.Now().After(deadline) {
			t.Fatalf("no END-42 after %d bytes", got.Len())
		}
		n, err := sh.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("read after %d bytes: %v", got.Len(), err)
		}
	}
	if x := bytes.Count(got.Bytes(), []byte("Z")); x != flood {
		t.Fatalf("%d of the %d bytes printed arrived", x, flood)
	}
}

// A shell nobody reads any more does not hold Close up, however full its
// terminal is.
func TestShellNobodyReadsClosesPromptly(t *testing.T) {
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	sh, err := sb.(sandbox.Terminal).OpenShell(context.Background(), sandbox.ShellSpec{})
	if err != nil {
		t.Fatalf("OpenShell: %v", err)
	}
	if err := sh.Send(context.Background(), []byte("yes\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sh.Close(ctx); err != nil {
		t.Fatalf("Close of an unread flooding shell: %v", err)
	}
}
