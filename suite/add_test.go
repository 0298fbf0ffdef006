package suite

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// recordSession runs a real session (local sandbox, fake model) with the
// prompts and returns its recording.
func recordSession(t *testing.T, prompts ...string) string {
	t.Helper()
	_, models := shellModel(t)
	model, err := models("gpt-4o-mini")
	if err != nil {
		t.Fatal(err)
	}
	p := newLocalProvider(t)
	ctx := context.Background()
	sb, err := p.Create(ctx, sandbox.Spec{Labels: map[string]string{"team": "evals"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(ctx)
	rec := filepath.Join(t.TempDir(), "rec.jsonl")
	sess, err := session.Spawn(ctx, sb, session.Options{Model: model, ModelName: "gpt-4o-mini", RecordPath: rec})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range sess.Events() {
		}
	}()
	for _, pr := range prompts {
		res, err := sess.Run(ctx, pr)
		if err != nil || res.Status != session.StateFinished {
			t.Fatalf("run %q: %v %s %s", pr, err, res.Status, res.Reason)
		}
	}
	if err := sess.Close(); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestAddFromRecordingRoundTrip(t *testing.T) {
	prompt := "printf 'it''s \"quoted\"\\n' > out.txt\n# a second line with {{braces}}"
	rec := recordSession(t, prompt, "cat out.txt")
	suitePath := filepath.Join(t.TempDir(), "my suite.toml")

	name, err := AddRecording(rec, suitePath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(suitePath)
	if err != nil {
		data, _ := os.ReadFile(suitePath)
		t.Fatalf("%v\n%s", err, data)
	}
	cases := slices.Collect(s.Cases())
	if len(cases) != 1 {
		t.Fatalf("cases = %+v", cases)
	}
	c := cases[0]
	if c.Name != name || !strings.HasPrefix(name, "printf-") {
		t.Errorf("name = %q (returned %q)", c.Name, name)
	}
	if c.Prompt != prompt {
		t.Errorf("prompt = %q\nwant     %q", c.Prompt, prompt)
	}
	if len(c.Followups) != 1 || c.Followups[0] != "cat out.txt" {
		t.Errorf("followups = %q", c.Followups)
	}
	if c.Model != "gpt-4o-mini" || c.Sandbox.Provider != "local" || c.Sandbox.Labels["team"] != "evals" {
		t.Errorf("model %q, sandbox %+v", c.Model, c.Sandbox)
	}
	for k := range c.Sandbox.Labels {
		if k != "team" {
			t.Errorf("tether's own label %q copied into the suite", k)
		}
	}
	if len(c.Checks) != 1 || c.Checks[0].Status != "finished" {
		t.Errorf("checks = %+v", c.Checks)
	}
	data, _ := os.ReadFile(suitePath)
	if !strings.Contains(string(data), "TODO: edit this check") {
		t.Errorf("no placeholder note:\n%s", data)
	}

	// Adding again appends a second case with its own name.
	name2, err := AddRecording(rec, suitePath)
	if err != nil {
		t.Fatal(err)
	}
	if name2 != name+"-2" {
		t.Errorf("second name = %q", name2)
	}
	s, err = Load(suitePath)
	if err != nil || len(slices.Collect(s.Cases())) != 2 {
		t.Fatalf("after the second add: %v", err)
	}
}

func TestAddFromRecordingLeavesABrokenSuiteAlone(t *testing.T) {
	rec := recordSession(t, "true")
	suitePath := filepath.Join(t.TempDir(), "s.toml")
	broken := "[[case]]\nname = \"a\"\nprompt = \"x\"\nbogus = 1\n"
	if err := os.WriteFile(suitePath, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	err := AddFromRecording(rec, suitePath)
	if err == nil || !strings.Contains(err.Error(), "bogus") || !strings.Contains(err.Error(), "s.toml:4") {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(suitePath); string(data) != broken {
		t.Errorf("the suite file changed:\n%s", data)
	}
	if err := AddFromRecording(filepath.Join(t.TempDir(), "none.jsonl"), suitePath); err == nil {
		t.Error("a missing recording was accepted")
	}
}

func TestTOMLQuote(t *testing.T) {
	for _, s := range []string{"plain", "multi\nline", "ends with '", "has ''' inside\n", "tab\tand \"q\" and \\", "cr\r\nlf", "\x01ctl\n", "é ✓"} {
		path := writeSuite(t, "[[case]]\nname = \"a\"\nprompt = "+tomlQuote(s)+"\n", nil)
		st, err := Load(path)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if got := slices.Collect(st.Cases())[0].Prompt; got != s {
			t.Errorf("%q came back as %q", s, got)
		}
	}
}
