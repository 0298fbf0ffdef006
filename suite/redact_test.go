package suite

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The key is built in the sandbox from three pieces, so the suite file does
// not hold it: whatever a check or setup command prints of it must not
// reach report.json, JUnit or the summary.
const (
	suiteKey   = "sk-suite-SECRET-0123456789abcdef"
	splitKey   = "a=sk-suite-SE; b=CRET-012345; c=6789abcdef" // pieces shorter than a fragment
	secretSuit = `
name = "secrets"
[defaults.sandbox]
provider = "local"

[[case]]
name = "checks-print-it"
prompt = "` + splitKey + `; echo \"agent saw $a$b$c\""
[[case.checks]]
command = "` + splitKey + `; echo \"pass $a$b$c\""
[[case.checks]]
command = "` + splitKey + `; echo \"fail $a$b$c\"; echo \"echo ${a}${b}${c%?}\"; exit 1"

[[case]]
name = "setup-prints-it"
prompt = "true"
[case.setup]
commands = ["` + splitKey + `; echo \"setup $a$b$c\"; exit 2"]
`
)

func TestReportsRedactCheckAndSetupOutput(t *testing.T) {
	s, err := Load(writeSuite(t, secretSuit, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, models := shellModel(t)
	rep, err := Run(context.Background(), s, RunOptions{
		Providers: providers(newLocalProvider(t)), Models: models, DefaultModel: "fake-model",
		Secrets: []string{suiteKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	var js, junit, sum bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJUnit(&junit); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"report.json": js.String(), "JUnit": junit.String(), "summary": sum.String()} {
		if i := fragmentAt(out, suiteKey); i >= 0 {
			t.Errorf("%s carries the key: %q", name, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	// The texts are there, masked: the test would prove little otherwise.
	for _, want := range []string{"agent saw [REDACTED]", "pass [REDACTED]", "fail [REDACTED]", "echo [REDACTED]", "setup [REDACTED]"} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("report.json lacks %q:\n%s", want, js.String())
		}
	}
}

// fragmentAt is where out holds FragmentLen (12) bytes of key in a row, or -1.
func fragmentAt(out, key string) int {
	for i := 0; i+12 <= len(key); i++ {
		if j := strings.Index(out, key[i:i+12]); j >= 0 {
			return j
		}
	}
	return -1
}
