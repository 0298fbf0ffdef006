package suite

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tether-dev/tether/session"
)

const mcpSuite = `[defaults.sandbox]
provider = "local"

[[defaults.mcp]]
name = "shared"
command = "shared-server"

[[defaults.mcp]]
name = "docs"
command = "docs-v1"

[[case]]
name = "plain"
prompt = "true"

[[case]]
name = "own"
prompt = "true"

[[case.mcp]]
name = "docs"
command = "docs-v2"

[[case.mcp]]
name = "web"
where = "http"
url = "http://127.0.0.1:1/mcp"
`

// TestCaseMCPMergesOverDefaults: [[defaults.mcp]] servers reach every
// case; a case's own [[case.mcp]] adds to them and replaces a default of
// the same name.
func TestCaseMCPMergesOverDefaults(t *testing.T) {
	s, err := Load(writeSuite(t, mcpSuite, nil))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range slices.Collect(s.Cases()) {
		var names []string
		for _, m := range c.MCP {
			names = append(names, m.Name+"="+m.Command+m.URL)
		}
		got[c.Name] = strings.Join(names, ",")
	}
	want := map[string]string{
		"plain": "shared=shared-server,docs=docs-v1",
		"own":   "shared=shared-server,docs=docs-v2,web=http://127.0.0.1:1/mcp",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("case %s servers = %q, want %q", name, got[name], w)
		}
	}
}

// TestCaseMCPErrorsNameFileAndLine: a bad server entry is refused at
// load with the line of its table, like any other suite key.
func TestCaseMCPErrorsNameFileAndLine(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"no command":  {"[[case]]\nname = \"a\"\nprompt = \"p\"\n\n[[case.mcp]]\nname = \"x\"\n", ":5: case[0].mcp[0]"},
		"bad where":   {"[[case]]\nname = \"a\"\nprompt = \"p\"\n[[case.mcp]]\nname = \"x\"\ncommand = \"c\"\nwhere = \"moon\"\n", ":4: case[0].mcp[0]"},
		"twice":       {"[[defaults.mcp]]\nname = \"x\"\ncommand = \"c\"\n[[defaults.mcp]]\nname = \"x\"\ncommand = \"d\"\n[[case]]\nname = \"a\"\nprompt = \"p\"\n", "used twice"},
		"unknown key": {"[[case]]\nname = \"a\"\nprompt = \"p\"\n[[case.mcp]]\nname = \"x\"\ncomand = \"c\"\n", ":6: case[0].mcp[0].comand"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeSuite(t, tc.body, nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestCaseMCPStartsForItsCaseOnly: a case's own server is started for
// that case's agent and no other (a host command that does not exist
// shows up as that case's tool-source error).
func TestCaseMCPStartsForItsCaseOnly(t *testing.T) {
	body := "[defaults.sandbox]\nprovider = \"local\"\n[[case]]\nname = \"plain\"\nprompt = \"true\"\n" +
		"[[case]]\nname = \"own\"\nprompt = \"true\"\n[[case.mcp]]\nname = \"ghost\"\nwhere = \"host\"\ncommand = \"/nonexistent/tether-mcp-ghost\"\n"
	s, err := Load(writeSuite(t, body, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, models := shellModel(t)
	log := &eventLog{byCase: map[string][]session.Event{}, busy: map[string]bool{}}
	rep, err := Run(context.Background(), s, RunOptions{Concurrency: 2, Providers: providers(newLocalProvider(t)),
		Models: models, DefaultModel: "m", OnEvent: log.add})
	if err != nil || rep.Failed() {
		t.Fatalf("run: %v %+v (a server that fails to start must not fail the case)", err, rep)
	}
	mentions := func(id string) bool {
		for _, ev := range log.byCase[id] {
			if ev.Kind == session.KindError && ev.Error != nil && strings.Contains(ev.Error.Message, "ghost") {
				return true
			}
		}
		return false
	}
	if !mentions("own") {
		t.Errorf("case own: no error event for its server ghost: %+v", log.byCase["own"])
	}
	if mentions("plain") {
		t.Error("case plain started case own's server")
	}
}
