package suite

import (
	"bytes"
	"strings"
	"testing"
)

// A reason can quote a provider's or server's error, an id comes from the
// provider: the JSON report (`--json -` prints it) and the summary must not
// carry a C1 control (CSI as U+009B) or an escape that acts on a terminal.
func TestReportsPrintProviderStringsInert(t *testing.T) {
	r := &Report{Suite: "s", Cases: []CaseResult{{
		ID: "c", Case: "c", Status: StateError, Kept: true,
		Reason:    "sandbox provider \"x\": create: \u009b2J\u009d0;title\u0007 refused",
		SandboxID: "sb-1\x1b]2;pwned\x07",
	}}}
	r.summarize()
	var js, text bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(js.String(), "\u009b\u009d") || !strings.Contains(js.String(), `\u009b2J`) {
		t.Errorf("JSON report holds raw C1 controls (or lost them):\n%q", js.String())
	}
	back, err := ReadJSON(&js)
	if err != nil || back.Cases[0].Reason != r.Cases[0].Reason {
		t.Fatalf("the JSON report does not read back the same: %v", err)
	}
	if err := r.WriteSummary(&text); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(text.String(), "\x1b\x07\u009b\u009d") || !strings.Contains(text.String(), "pwned") {
		t.Errorf("summary prints provider strings raw:\n%q", text.String())
	}
}

func TestModelNamesWithControlOrInvisibleCharactersAreRefused(t *testing.T) {
	// As TOML escapes: the file itself may not hold raw controls.
	for _, m := range []string{`gpt\u001b]2;pwned\u0007`, `gpt\u202e`, `gpt\u200b`} {
		path := writeSuite(t, "[matrix]\nmodels = [\"ok\", \""+m+"\"]\n[[case]]\nname = \"a\"\nprompt = \"p\"\n", nil)
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), ":2: matrix.models: model 2") {
			t.Errorf("model %q: %v", m, err)
		}
	}
}
