package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// Where a server runs.
const (
	InSandbox = "sandbox" // the default: a stdio server inside the agent's sandbox
	OnHost    = "host"    // a stdio server on this machine, as you (explicit only)
	OverHTTP  = "http"    // a streamable-HTTP endpoint (explicit only)
)

// Server is one MCP server to connect to.
type Server struct {
	Name    string            // tools are named "<Name>__<tool>"
	Where   string            // InSandbox (default), OnHost or OverHTTP
	Command string            // stdio: the command line (a shell string in the sandbox; argv[0] on the host)
	Args    []string          // OnHost: the arguments
	Env     map[string]string // extra environment for the server
	URL     string            // OverHTTP: the endpoint
	// CallTimeout bounds one tool call (default 2 minutes); StartTimeout
	// bounds connecting and listing tools (default 30 s).
	CallTimeout, StartTimeout time.Duration
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Validate says what is wrong with s, if anything.
func (s Server) Validate() error {
	if !namePattern.MatchString(s.Name) {
		return fmt.Errorf("mcp server name %q: use 1–32 letters, digits, - or _", s.Name)
	}
	switch s.Where {
	case "", InSandbox, OnHost:
		if strings.TrimSpace(s.Command) == "" {
			return fmt.Errorf("mcp server %s: set command (the stdio server to start)", s.Name)
		}
	case OverHTTP:
		if !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") {
			return fmt.Errorf("mcp server %s: where = \"http\" needs url = \"http(s)://…\"", s.Name)
		}
	default:
		return fmt.Errorf("mcp server %s: where = %q: use \"sandbox\" (default), \"host\" or \"http\"", s.Name, s.Where)
	}
	return nil
}

// Source is a set of MCP servers as a session.ToolSource.
type Source struct {
	Servers []Server
	Logger  *slog.Logger
}

// Tools connects to every server with sb as the sandbox for in-sandbox
// ones. A server that fails is skipped and named in the error (the others'
// tools are still returned): the session reports it and carries on.
func (src Source) Tools(ctx context.Context, sb sandbox.Sandbox) ([]session.Tool, io.Closer, error) {
	log := src.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var (
		tools []session.Tool
		conns closers
		errs  []error
	)
	for _, s := range src.Servers {
		c, err := connect(ctx, s, sb, log)
		if err != nil {
			errs = append(errs, fmt.Errorf("mcp server %s did not start: %w", s.Name, err))
			continue
		}
		conns = append(conns, c)
		tools = append(tools, c.tools...)
	}
	return tools, conns, errors.Join(errs...)
}

type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// conn is one connected server.
type conn struct {
	srv      Server
	sess     *sdk.ClientSession
	stop     context.CancelFunc // ends an in-sandbox server's process tree
	done     chan struct{}      // closed when an in-sandbox server's Exec returned
	gone     chan struct{}      // closed when the server is known to be gone
	goneOnce sync.Once
	tools    []session.Tool

	mu   sync.Mutex
	dead error // why the server is gone
}

func connect(ctx context.Context, s Server, sb sandbox.Sandbox, log *slog.Logger) (*conn, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := &conn{srv: s, gone: make(chan struct{})}
	transport, err := c.transport(sb, log)
	if err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, orDefault(s.StartTimeout, 30*time.Second))
	defer cancel()
	client := sdk.NewClient(&sdk.Implementation{Name: "tether", Version: session.Version}, nil)
	sess, err := client.Connect(startCtx, transport, nil)
	if err != nil {
		c.shutdown()
		return nil, fmt.Errorf("connect: %w%s", err, c.why())
	}
	c.mu.Lock()
	c.sess = sess
	c.mu.Unlock()
	listed, err := sess.ListTools(startCtx, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("list its tools: %w%s", err, c.why())
	}
	for _, t := range listed.Tools {
		c.tools = append(c.tools, newTool(c, t))
	}
	log.Info("mcp server connected", "server", s.Name, "where", where(s), "tools", len(c.tools))
	return c, nil
}

func where(s Server) string {
	if s.Where == "" {
		return InSandbox
	}
	return s.Where
}

func (c *conn) transport(sb sandbox.Sandbox, log *slog.Logger) (sdk.Transport, error) {
	s := c.srv
	switch where(s) {
	case OverHTTP:
		return &sdk.StreamableClientTransport{Endpoint: s.URL, MaxRetries: 1}, nil
	case OnHost:
		cmd := exec.Command(s.Command, s.Args...)
		// A small environment, not tether's own: it holds the API keys.
		for _, k := range []string{"PATH", "HOME", "USER", "LANG", "TMPDIR", "TERM"} {
			if v, ok := os.LookupEnv(k); ok {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
		}
		for k, v := range s.Env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		return &sdk.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}, nil
	}
	if sb == nil {
		return nil, errors.New("no sandbox to start it in")
	}
	// stdin and stdout of a command in the sandbox, for as long as it runs.
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr tail
	ctx, stop := context.WithCancel(context.Background())
	c.stop, c.done = stop, make(chan struct{})
	go func() {
		defer close(c.done)
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: s.Command, Env: s.Env, Stdin: inR, Stdout: outW, Stderr: &stderr})
		if term, ok := sandbox.As[sandbox.Terminal](sb); ok && errors.Is(err, sandbox.ErrNoStdin) {
			log.Info("mcp server: no stdin on exec, running it on a terminal", "server", s.Name)
			res.ExitCode, err = runOnShell(ctx, sb, term, s, inR, outW, &stderr)
		}
		switch {
		case err != nil:
			c.setDead(err)
		case ctx.Err() == nil:
			c.setDead(fmt.Errorf("it exited (code %d)%s", res.ExitCode, stderr.suffix()))
		}
		outW.CloseWithError(io.EOF)
		inR.Close()
		if ctx.Err() == nil {
			c.endSession() // calls waiting for the dead server fail now, not at their timeout
		}
		log.Info("mcp server ended", "server", s.Name, "err", err, "exit", res.ExitCode)
	}()
	return &sdk.IOTransport{Reader: outR, Writer: inW}, nil
}

func (c *conn) setDead(err error) {
	c.mu.Lock()
	if c.dead == nil {
		c.dead = err
	}
	c.mu.Unlock()
	c.goneOnce.Do(func() { close(c.gone) })
}

// why is what is known of a server's end, as an error suffix.
func (c *conn) why() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead == nil {
		return ""
	}
	return " (" + c.dead.Error() + ")"
}

func (c *conn) shutdown() {
	if c.stop != nil {
		c.stop()
		<-c.done
	}
}

// Close ends the session with the server and, for an in-sandbox server,
// kills its process tree.
func (c *conn) Close() error {
	err := c.endSession()
	c.shutdown()
	return err
}

func (c *conn) endSession() error {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return nil
	}
	return sess.Close()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// tail keeps the last bytes a server wrote to stderr, for error text.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2048 {
		t.buf = t.buf[len(t.buf)-2048:]
	}
	return len(p), nil
}

func (t *tail) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return ""
	}
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return ": " + s
}
