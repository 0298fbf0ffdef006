package realdaemon

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// TestProxyKeepsAFastAnswerWhoseRequestIsStillBeingChecked pins the
// interleaving behind the FilesRoundTrip flake (1 run in 5 under load):
// the daemon has the whole request body and is answering while the
// proxy's transport makes its last read of that body (the check that it
// is no longer than its Content-Length). That read is held until the
// client has the first part of the answer, i.e. until the proxy has
// started its response. Without full duplex the server has closed the
// body by then, the read fails, the transport drops the daemon connection
// and the client gets half an answer and unexpected EOF.
func TestProxyKeepsAFastAnswerWhoseRequestIsStillBeingChecked(t *testing.T) {
	release := make(chan struct{}) // the last read saw a clean EOF: the daemon may finish
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			t.Errorf("backend read: %v", err)
			return
		}
		io.WriteString(w, "first part|")
		w.(http.Flusher).Flush()
		select {
		case <-release:
			io.WriteString(w, "second part")
		case <-r.Context().Done(): // the proxy dropped us
		case <-time.After(10 * time.Second):
		}
	}))
	defer backend.Close()
	target, _ := url.Parse(backend.URL)

	clientHasFirst := make(chan struct{})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	gated := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		req.Body = &heldLastRead{rc: req.Body, left: req.ContentLength, hold: clientHasFirst, eof: release}
		return tr.RoundTrip(req)
	})
	front := httptest.NewServer(newToolboxProxy(target, gated))
	defer front.Close()

	resp, err := http.Post(front.URL+"/files/bulk-download", "application/json", bytes.NewReader([]byte(`{"paths":["/w/file.bin"]}`)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("first part|"))
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("first part: %v", err)
	}
	close(clientHasFirst)
	rest, err := io.ReadAll(resp.Body)
	if got := string(first) + string(rest); err != nil || got != "first part|second part" {
		t.Fatalf("answer through the proxy: %q, %v; want the whole answer", got, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// heldLastRead passes a request body through; the read after its last
// byte waits for hold (at most 10 s), and a clean EOF there closes eof.
type heldLastRead struct {
	rc   io.ReadCloser
	left int64
	hold <-chan struct{}
	eof  chan struct{}
	once sync.Once
}

func (b *heldLastRead) Read(p []byte) (int, error) {
	if b.left > 0 {
		n, err := b.rc.Read(p)
		b.left -= int64(n)
		if err == io.EOF && b.left <= 0 {
			err = nil // report the end on the next, held, read
		}
		return n, err
	}
	select {
	case <-b.hold:
	case <-time.After(10 * time.Second):
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.once.Do(func() { close(b.eof) })
	}
	return n, err
}

func (b *heldLastRead) Close() error { return b.rc.Close() }
