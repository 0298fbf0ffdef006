package daytona

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	toolbox "github.com/daytonaio/daytona/libs/toolbox-api-client-go"
	"github.com/gorilla/websocket"

	"github.com/tether-dev/tether/sandbox"
)

// dtPty is one raw PTY session of the toolbox, as Exec uses it: created
// with an environment, its WebSocket read by a goroutine that never blocks
// (the daemon drops a reader that lags, keeping nothing), input typed
// once. It talks to the toolbox API directly: the SDK's PtyHandle polls
// for the connection every 100 ms and blocks its reader on a channel.
type dtPty struct {
	s    *daytonaSandbox
	id   string
	conn *websocket.Conn
	out  sandbox.ShellOutput // everything the terminal printed
	// closed is closed when the WebSocket has ended; err says why.
	closed chan struct{}
	err    error

	writeMu sync.Mutex
}

// dtOpenPty creates a PTY session (cwd and env as given) and connects to
// it, waiting for the daemon's "connected" frame.
func dtOpenPty(ctx context.Context, s *daytonaSandbox, id, cwd string, env map[string]string) (*dtPty, error) {
	req := toolbox.NewPtyCreateRequest()
	req.SetId(id)
	req.SetCwd(cwd)
	req.SetEnvs(env)
	// Wide: nothing formats to it (commands write to pipes), but a narrow
	// terminal could wrap what the shell itself prints.
	req.SetCols(500)
	req.SetRows(50)
	if _, httpResp, err := s.sb.ToolboxClient.ProcessAPI.CreatePtySession(ctx).Request(*req).Execute(); err != nil {
		return nil, dtWrap(dtAPIError(err, httpResp), "create a PTY session")
	}
	p := &dtPty{s: s, id: id, closed: make(chan struct{})}
	cfg := s.sb.ToolboxClient.GetConfig()
	if len(cfg.Servers) == 0 {
		p.delete(ctx)
		return nil, errors.New("daytona: the toolbox client has no URL")
	}
	u := cfg.Servers[0].URL
	u = "ws" + strings.TrimPrefix(u, "http") + "/process/pty/" + id + "/connect"
	hdr := http.Header{}
	for k, v := range cfg.DefaultHeader {
		hdr.Set(k, v)
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, u, hdr)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		p.delete(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("daytona: connect to PTY session %s: %w", id, err)
	}
	p.conn = conn
	if err := p.awaitConnected(ctx); err != nil {
		conn.Close()
		p.delete(context.WithoutCancel(ctx))
		return nil, err
	}
	go p.read()
	return p, nil
}

// awaitConnected reads up to the daemon's {"type":"control",
// "status":"connected"} frame. It is not always the first: the daemon
// registers the client for the terminal's output before it writes that
// frame, from another goroutine, so the shell's first output (its prompt)
// can come ahead of it. Such frames are output, kept in order.
func (p *dtPty) awaitConnected(ctx context.Context) error {
	deadline := time.Now().Add(dtConnectWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = p.conn.SetReadDeadline(deadline)
	defer p.conn.SetReadDeadline(time.Time{})
	for {
		typ, msg, err := p.conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("daytona: PTY session %s did not connect: %w", p.id, err)
		}
		if ctl, ok := dtControlFrame(typ, msg); ok {
			if ctl.Status != "connected" {
				return fmt.Errorf("daytona: PTY session %s did not connect: %s %s", p.id, ctl.Status, ctl.Error)
			}
			return nil
		}
		_, _ = p.out.Write(msg)
	}
}

// dtPtyControl is a control frame of the daemon's PTY WebSocket, e.g.
// {"status":"connected","type":"control"} (keys in any order).
type dtPtyControl struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

// dtControlFrame says whether a frame is a control frame (a text frame
// that is JSON with type "control", as the SDK reads them) and decodes it.
func dtControlFrame(typ int, msg []byte) (dtPtyControl, bool) {
	var c dtPtyControl
	if typ != websocket.TextMessage || json.Unmarshal(msg, &c) != nil || c.Type != "control" {
		return dtPtyControl{}, false
	}
	return c, true
}

// read moves every binary frame into the output queue at once.
func (p *dtPty) read() {
	defer close(p.closed)
	defer p.out.CloseWrite()
	for {
		typ, msg, err := p.conn.ReadMessage()
		if err != nil {
			p.err = err
			return
		}
		if _, ctl := dtControlFrame(typ, msg); !ctl {
			_, _ = p.out.Write(msg)
		}
	}
}

// send types p into the terminal (one message; callers keep it short).
func (p *dtPty) send(b []byte) error {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	return p.conn.WriteMessage(websocket.BinaryMessage, b)
}

// delete removes the PTY session: the daemon kills its shell and the
// shell's foreground job. A session already gone is not an error.
func (p *dtPty) delete(ctx context.Context) {
	_, httpResp, err := p.s.sb.ToolboxClient.ProcessAPI.DeletePtySession(ctx, p.id).Execute()
	// The daemon answers 200 with a body the client does not expect.
	if err != nil && (httpResp == nil || httpResp.StatusCode >= 300 && httpResp.StatusCode != http.StatusNotFound) {
		p.s.p.log.Warn("could not delete a PTY session", "id", p.s.info.ID, "pty", p.id, "err", err)
	}
}

// close deletes the session and closes the connection.
func (p *dtPty) close(ctx context.Context) {
	p.delete(ctx)
	if p.conn != nil {
		p.conn.Close()
		<-p.closed
	}
}
