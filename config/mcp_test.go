package config

import (
	"strings"
	"testing"
	"time"
)

func TestMCPServersFromTheFile(t *testing.T) {
	p := writeFile(t, `
[[mcp]]
name = "fs"
command = "./server --root ."
call_timeout = "10s"
[mcp.env]
ROOT = "/w"

[[mcp]]
name = "docs"
where = "http"
url = "http://127.0.0.1:9/mcp"
`)
	cfg, err := Load(p, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.MCP) != 2 || cfg.MCP[0].Command != "./server --root ." || cfg.MCP[0].Env["ROOT"] != "/w" ||
		cfg.MCP[0].CallTimeout.D() != 10*time.Second || cfg.MCP[1].Where != "http" {
		t.Fatalf("mcp = %+v", cfg.MCP)
	}
}

func TestMCPMistakesAreNamed(t *testing.T) {
	for body, want := range map[string]string{
		"[[mcp]]\nname = \"a\"\ncomand = \"x\"\n":                                          `:3: unknown setting "mcp.comand"`,
		"[[mcp]]\nname = \"a\"\ncommand = \"x\"\nwhere = \"cloud\"\n":                      `mcp[0].where = "cloud"`,
		"[[mcp]]\ncommand = \"x\"\n":                                                       "mcp[0]: set name",
		"[[mcp]]\nname = \"a\"\nwhere = \"http\"\n":                                        "mcp[0] (a): set command",
		"[[mcp]]\nname = \"a\"\ncommand = \"x\"\n[[mcp]]\nname = \"a\"\ncommand = \"y\"\n": `name "a" is used twice`,
	} {
		_, err := Load(writeFile(t, body), env(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
	}
}
