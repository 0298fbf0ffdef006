// Package local is tether's embedded sandbox provider: each sandbox is a
// workspace directory on this machine whose commands run under bubblewrap
// (bwrapArgs: own user, PID, IPC, UTS and cgroup namespaces, no
// capabilities even as root, a seccomp filter, a minimal read-only system
// view with only the workspace, a private HOME and /tmp writable, optional
// network off; limits by pids cgroup, rlimits and CPU affinity), or
// unconfined when isolation "none" is explicitly chosen (then started by
// the same init run on the host as a child subreaper, hostinit.go, so that
// nothing a command starts outlives it). Inside
// bubblewrap runs the helper (tether's own executable, helper.go), which
// adds Landlock where the kernel has it (landlock.go) and stays as the
// sandbox's init (initproc.go, initclient.go): one bubblewrap per sandbox
// starts every Exec command, and kills what each leaves behind. The file
// tools resolve paths inside the sandbox (openat2 RESOLVE_IN_ROOT, or cat
// run inside it), never through the host's view.
//
// It implements sandbox.Provider and sandbox.Sandbox and knows nothing of
// the LLM, the agent loop or the UI: it must not import llm, session, ui or
// another provider.
package local
