package suite

import (
	"bytes"
	"encoding/xml"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sampleReport has one case of each outcome over two models.
func sampleReport() *Report {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &Report{Suite: "demo", File: "demo.toml", Started: t0, Duration: 90 * time.Second, Concurrency: 4,
		Cases: []CaseResult{
			{ID: "a[m1]", Case: "a", Model: "m1", Run: 1, Status: StatePassed, AgentStatus: "finished",
				Checks:  []CheckResult{{Name: "status finished", Kind: CheckStatus, Passed: true, Message: "agent ended finished"}},
				CostUSD: 0.01, CostKnown: true, LLMCalls: 2, PromptTokens: 100, CompletionTokens: 10, Started: t0, Duration: 10 * time.Second},
			{ID: "a[m2]", Case: "a", Model: "m2", Run: 1, Status: StateFailed, Reason: "check failed: file x: x does not exist",
				AgentStatus: "finished", Checks: []CheckResult{{Name: "file x", Kind: CheckFile, Message: "x does not exist \x1b[31m<&>"}},
				LLMCalls: 1, Started: t0, Duration: 20 * time.Second, SandboxID: "sb-1", Kept: true, RecordPath: "/r/a.jsonl"},
			{ID: "b/v[m1]#1", Case: "b", Variant: "v", Model: "m1", Run: 1, Status: StateError, Reason: "setup failed: exited 3\x07",
				Started: t0, Duration: 5 * time.Second},
			{ID: "b/v[m1]#2", Case: "b", Variant: "v", Model: "m1", Run: 2, Status: StateCancelled, Reason: "not started"},
		}}
	r.summarize()
	return r
}

func TestTotals(t *testing.T) {
	r := sampleReport()
	tot := r.Totals
	if tot.Cases != 4 || tot.Passed != 1 || tot.Failed != 1 || tot.Errors != 1 || tot.Cancelled != 1 || tot.PassRate != 0.25 {
		t.Errorf("totals = %+v", tot)
	}
	if tot.CostKnown || tot.TotalTokens != 110 {
		t.Errorf("cost known %v (a case has an unknown cost), tokens %d", tot.CostKnown, tot.TotalTokens)
	}
	if tot.DurationP50 != 10*time.Second || tot.DurationP90 != 20*time.Second || tot.DurationMax != 20*time.Second {
		t.Errorf("percentiles %v %v %v (cancelled cases excluded)", tot.DurationP50, tot.DurationP90, tot.DurationMax)
	}
	if len(tot.ByModel) != 2 || tot.ByModel[0].Name != "m1" || tot.ByModel[0].Cases != 3 || tot.ByModel[0].Passed != 1 ||
		tot.ByModel[1].PassRate != 0 {
		t.Errorf("by model = %+v", tot.ByModel)
	}
	if len(tot.ByCase) != 2 || tot.ByCase[0].Name != "a" || tot.ByCase[0].PassRate != 0.5 || tot.ByCase[1].Name != "b/v" {
		t.Errorf("by case = %+v", tot.ByCase)
	}
	if !r.Failed() {
		t.Error("Failed() = false")
	}
	ok := &Report{Cases: []CaseResult{{Status: StatePassed}}}
	if ok.Failed() {
		t.Error("an all-passed report Failed()")
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	if p50, p90, top := percentiles(d); p50 != 50 || p90 != 90 || top != 100 {
		t.Errorf("got %v %v %v", p50, p90, top)
	}
	if p50, p90, top := percentiles([]time.Duration{7}); p50 != 7 || p90 != 7 || top != 7 {
		t.Errorf("one value: %v %v %v", p50, p90, top)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("round trip differs:\n%+v\n%+v", back, r)
	}
	if _, err := ReadJSON(strings.NewReader("{not json")); err == nil {
		t.Error("ReadJSON accepted garbage")
	}
}

// The JUnit schema as CI tools read it.
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    string   `xml:"tests,attr"`
	Failures string   `xml:"failures,attr"`
	Errors   string   `xml:"errors,attr"`
	Skipped  string   `xml:"skipped,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    string `xml:"tests,attr"`
		Failures string `xml:"failures,attr"`
		Errors   string `xml:"errors,attr"`
		Skipped  string `xml:"skipped,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitShape(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasPrefix(raw, "<?xml") || strings.ContainsAny(raw, "\x1b\x07") {
		t.Fatalf("not clean XML:\n%s", raw)
	}
	// Well-formed: the tokenizer reads it to the end.
	dec := xml.NewDecoder(strings.NewReader(raw))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("malformed XML: %v\n%s", err, raw)
			}
			break
		}
	}
	var x xSuites
	if err := xml.Unmarshal(buf.Bytes(), &x); err != nil {
		t.Fatal(err)
	}
	if x.Tests != "4" || x.Failures != "1" || x.Errors != "1" || x.Skipped != "1" || x.Time != "90.000" {
		t.Errorf("testsuites = %+v", x)
	}
	if len(x.Suites) != 2 {
		t.Fatalf("%d testsuites; want one per model", len(x.Suites))
	}
	m1, m2 := x.Suites[0], x.Suites[1]
	if m1.Name != "demo[m1]" || m1.Tests != "3" || m1.Failures != "0" || m1.Errors != "1" || m1.Skipped != "1" || m1.Time != "15.000" {
		t.Errorf("m1 suite = %+v", m1)
	}
	if m2.Name != "demo[m2]" || m2.Tests != "1" || m2.Failures != "1" || m2.Time != "20.000" {
		t.Errorf("m2 suite = %+v", m2)
	}
	f := m2.Cases[0]
	if f.Name != "a[m2]" || f.Classname != "demo.a" || f.Time != "20.000" || f.Failure == nil ||
		!strings.Contains(f.Failure.Message, "does not exist") || !strings.Contains(f.Failure.Text, "<&>") {
		t.Errorf("failed testcase = %+v", f)
	}
	if !strings.Contains(f.SystemOut, "sb-1 (kept)") || !strings.Contains(f.SystemOut, "tether replay /r/a.jsonl") {
		t.Errorf("system-out = %q", f.SystemOut)
	}
	if e := m1.Cases[1]; e.Error == nil || !strings.Contains(e.Error.Message, "setup failed") || strings.Contains(e.Error.Message, "\x07") {
		t.Errorf("error testcase = %+v", e)
	}
	if s := m1.Cases[2]; s.Skipped == nil {
		t.Errorf("cancelled testcase not skipped: %+v", s)
	}
	if p := m1.Cases[0]; p.Failure != nil || p.Error != nil || p.Skipped != nil {
		t.Errorf("passed testcase has an outcome element: %+v", p)
	}
	for _, s := range x.Suites {
		n, _ := strconv.Atoi(s.Tests)
		if n != len(s.Cases) {
			t.Errorf("suite %s says %d tests, has %d", s.Name, n, len(s.Cases))
		}
	}
}

func TestSummarySanitises(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteSummary(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters in the summary:\n%q", out)
	}
	for _, w := range []string{"a[m2]", "failed", "[sandbox sb-1 kept]", "By model:", "m1", "1/3 passed", "By case:", "b/v", "$0.0100"} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
}
