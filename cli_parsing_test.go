package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// parsed is what the real command tree made of a command line, with the
// commands' work replaced by recording it.
type parsed struct {
	cmd  *cobra.Command
	args []string
}

func (p parsed) flag(t *testing.T, name string) string {
	t.Helper()
	f := p.cmd.Flags().Lookup(name)
	if f == nil {
		t.Fatalf("%s has no --%s flag", p.cmd.CommandPath(), name)
	}
	return f.Value.String()
}

func parse(t *testing.T, argv ...string) parsed {
	t.Helper()
	root := newRoot()
	var got parsed
	var stub func(c *cobra.Command)
	stub = func(c *cobra.Command) {
		if c.RunE != nil || c.Run != nil {
			c.Run, c.RunE = nil, func(c *cobra.Command, args []string) error {
				got = parsed{c, args}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			stub(sub)
		}
	}
	stub(root)
	root.SetArgs(argv)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	if _, err := root.ExecuteC(); err != nil {
		t.Fatalf("tether %s: %v", strings.Join(argv, " "), err)
	}
	if got.cmd == nil {
		t.Fatalf("tether %s: no command ran", strings.Join(argv, " "))
	}
	return got
}

func TestFlagsGoAnywhere(t *testing.T) {
	p := parse(t, "suite", "run", "examples/suite.toml", "-j", "8", "--junit", "report.xml")
	if p.cmd.CommandPath() != "tether suite run" || len(p.args) != 1 || p.args[0] != "examples/suite.toml" {
		t.Fatalf("got %q %q", p.cmd.CommandPath(), p.args)
	}
	if p.flag(t, "jobs") != "8" || p.flag(t, "junit") != "report.xml" {
		t.Errorf("jobs=%s junit=%s; want 8, report.xml", p.flag(t, "jobs"), p.flag(t, "junit"))
	}

	p = parse(t, "suite", "add", "REC.jsonl", "--to", "F.toml")
	if len(p.args) != 1 || p.args[0] != "REC.jsonl" || p.flag(t, "to") != "F.toml" {
		t.Errorf("suite add: args %q to=%s", p.args, p.flag(t, "to"))
	}

	p = parse(t, "run", "hello", "--json")
	if strings.Join(p.args, " ") != "hello" || p.flag(t, "json") != "true" {
		t.Errorf("run hello --json: prompt %q json=%s; want the prompt hello and --json set", p.args, p.flag(t, "json"))
	}

	p = parse(t, "suite", "run", "--keep-failed", "f.toml")
	if len(p.args) != 1 || p.args[0] != "f.toml" || p.flag(t, "keep-failed") != "true" {
		t.Errorf("--keep-failed is a bool: args %q keep-failed=%s", p.args, p.flag(t, "keep-failed"))
	}
}

func TestDoubleDashEndsFlags(t *testing.T) {
	p := parse(t, "run", "--quiet", "--", "--json", "is", "text")
	if strings.Join(p.args, " ") != "--json is text" || p.flag(t, "json") != "false" || p.flag(t, "quiet") != "true" {
		t.Errorf("args %q json=%s quiet=%s", p.args, p.flag(t, "json"), p.flag(t, "quiet"))
	}
}

func TestSandboxExecPassesTheCommandsFlags(t *testing.T) {
	p := parse(t, "sandbox", "exec", "--timeout", "5s", "sb-1", "ls", "-la", "--color")
	if strings.Join(p.args, " ") != "sb-1 ls -la --color" || p.flag(t, "timeout") != "5s" {
		t.Errorf("args %q timeout=%s", p.args, p.flag(t, "timeout"))
	}
}

func TestHelpListsOnlyFlagsThatAct(t *testing.T) {
	help := func(argv ...string) string {
		var out bytes.Buffer
		if code := execute(context.Background(), append(argv, "--help"), &out, &out); code != 0 {
			t.Fatalf("%v --help: exit %d\n%s", argv, code, out.String())
		}
		return out.String()
	}
	cl := help("cleanup")
	for _, unwanted := range []string{"--budget", "--planning", "--model", "--max-iterations", "--label"} {
		if strings.Contains(cl, unwanted) {
			t.Errorf("cleanup --help lists %s, which does nothing there:\n%s", unwanted, cl)
		}
	}
	for _, wanted := range []string{"--yes", "--all", "--provider", "--config"} {
		if !strings.Contains(cl, wanted) {
			t.Errorf("cleanup --help misses %s:\n%s", wanted, cl)
		}
	}
	sr := help("suite", "run")
	for _, line := range strings.Split(sr, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "--keep-failed" && !strings.HasPrefix(f[1], "keep") {
			t.Errorf("--keep-failed shows an argument %q: %s", f[1], line)
		}
	}
	if ls := help("ls"); strings.Contains(ls, "--provider") || !strings.Contains(ls, "--config") {
		t.Errorf("ls --help:\n%s", ls)
	}
	if ex := help("sandbox", "exec"); !strings.Contains(ex, "--timeout") {
		t.Errorf("sandbox exec --help misses --timeout:\n%s", ex)
	}
	if ls := help("sandbox", "ls"); strings.Contains(ls, "--timeout") {
		t.Errorf("sandbox ls --help lists --timeout, which only exec takes:\n%s", ls)
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "complete -o default", "zsh": "#compdef tether", "fish": "complete -c tether"} {
		var out, errb bytes.Buffer
		if code := execute(context.Background(), []string{"completion", shell}, &out, &errb); code != 0 {
			t.Fatalf("completion %s: exit %d: %s", shell, code, errb.String())
		}
		if !strings.Contains(out.String(), marker) {
			t.Errorf("completion %s: no %q in %d bytes", shell, marker, out.Len())
		}
	}
}

func TestBadUsageExitsTwo(t *testing.T) {
	for _, argv := range [][]string{
		{"bogus"},
		{"run"},
		{"run", "--budget", "lots", "hi"},
		{"cleanup", "--budget", "1"}, // not a cleanup flag
		{"suite"},
		{"suite", "frobnicate"},
		{"suite", "run"},
		{"replay"},
		{"sandbox", "rm"},
		{"--nope"},
	} {
		var out, errb bytes.Buffer
		code := execute(context.Background(), argv, &out, &errb)
		if code != 2 {
			t.Errorf("tether %s: exit %d; want 2 (stderr %q)", strings.Join(argv, " "), code, errb.String())
		}
		if n := strings.Count(errb.String(), "\n"); n != 2 || !strings.Contains(errb.String(), "--help") {
			t.Errorf("tether %s: want the error once and a --help pointer, got %q", strings.Join(argv, " "), errb.String())
		}
	}
}

func TestVersion(t *testing.T) {
	for _, argv := range [][]string{{"version"}, {"--version"}} {
		var out bytes.Buffer
		if code := execute(context.Background(), argv, &out, &out); code != 0 || out.String() != "tether "+version+"\n" {
			t.Errorf("tether %v: exit %d, %q", argv, code, out.String())
		}
	}
}
