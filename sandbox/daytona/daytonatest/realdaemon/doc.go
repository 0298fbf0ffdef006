// Package realdaemon runs Daytona's real toolbox daemon (v0.173.0, the
// binary in shared/daytona/daemon) for tests, behind daytonatest's
// in-process fake of the control plane: a *daytona.Provider built on an Env
// creates, lists and deletes sandboxes in the fake, and every toolbox call
// (process, files, git, PTY, WebSockets) goes to a real daemon.
//
// Each sandbox gets a daemon of its own, started on create and killed on
// stop or delete, because the daemon listens on fixed ports and a sandbox's
// processes should die with it. Each daemon runs in its own network
// namespace (loopback only: nothing it does reaches a network), PID
// namespace (killing its init kills all it started, setsid and nohup
// children included; ps inside the sandbox sees only the sandbox) and
// mount namespace (for that /proc). The fake reaches it through a dialer
// whose OS thread sits in the daemon's network namespace. HOME, the daemon
// log and temp files live in a temp dir; the sandbox's work dir is the
// fake's sandbox directory.
//
// The binary is $TETHER_DAYTONA_DAEMON, else shared/daytona/daemon in the
// working directory or a parent (a checkout's ../shared). Where it is absent
// or namespaces are not permitted (root or CAP_SYS_ADMIN, unshare, ip), New
// and Provider skip the test and say why; Start returns an error wrapping
// ErrUnavailable.
//
//	env := realdaemon.New(t)
//	p, _ := env.NewProvider(daytona.Options{})
//	sb, _ := p.Create(ctx, sandbox.Spec{})
//	d, _ := env.Daemon(sb.ID())
//	procs, sessions, _ := d.WaitIdle(ctx, time.Second) // leak check
//
// It is for tests and benchmarks only: production code must not import it.
package realdaemon
