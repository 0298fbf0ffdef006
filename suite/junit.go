package suite

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// The JUnit XML shape CI systems read (Jenkins, GitLab, GitHub actions):
// testsuites > testsuite (one per model) > testcase, with failure for a
// failed check, error for a case that could not run, skipped for a case
// the interrupted run never finished.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Errors    int             `xml:"errors,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Time      string          `xml:"time,attr"`
	Timestamp string          `xml:"timestamp,attr,omitempty"`
	Props     *junitPropList  `xml:"properties,omitempty"`
	Cases     []junitTestCase `xml:"testcase"`
}

type junitPropList struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite per model, one
// testcase per case (name = case id, classname = suite.case).
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: r.Suite, Time: seconds(r.Duration)}
	index := map[string]int{}
	var durs []time.Duration
	for _, c := range r.Cases {
		model := c.Model
		if model == "" {
			model = "default"
		}
		i, ok := index[model]
		if !ok {
			i = len(out.Suites)
			index[model] = i
			out.Suites = append(out.Suites, junitSuite{
				Name: r.Suite + "[" + model + "]", Timestamp: r.Started.UTC().Format(time.RFC3339),
				Props: &junitPropList{Props: []junitProp{{Name: "model", Value: model}, {Name: "file", Value: r.File}}},
			})
			durs = append(durs, 0)
		}
		durs[i] += c.Duration
		s := &out.Suites[i]
		tc := junitTestCase{Name: c.ID, Classname: r.Suite + "." + c.Case, Time: seconds(c.Duration), SystemOut: caseLog(c)}
		switch c.Status {
		case StateFailed:
			tc.Failure = &junitMessage{Message: oneLine(c.Reason, 500), Type: "check", Text: failedChecks(c)}
			s.Failures++
		case StateError:
			tc.Error = &junitMessage{Message: oneLine(c.Reason, 500), Type: "error", Text: sanitize(c.Reason)}
			s.Errors++
		case StateCancelled:
			tc.Skipped = &junitMessage{Message: oneLine(c.Reason, 500)}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for i := range out.Suites {
		s := &out.Suites[i]
		s.Time = seconds(durs[i])
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func failedChecks(c CaseResult) string {
	var b strings.Builder
	for _, ch := range c.Checks {
		if !ch.Passed {
			fmt.Fprintf(&b, "FAIL %s: %s\n", ch.Name, ch.Message)
		}
	}
	return sanitize(b.String())
}

// caseLog is the testcase's system-out: what a CI reader needs to follow
// up (the checks, the agent's ending, where the recording is).
func caseLog(c CaseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "agent: %s", c.AgentStatus)
	if c.AgentReason != "" {
		fmt.Fprintf(&b, " (%s)", c.AgentReason)
	}
	fmt.Fprintf(&b, "; steps %d; cost %s\n", c.Steps, formatCost(c.CostUSD, c.CostKnown, c.LLMCalls))
	for _, ch := range c.Checks {
		mark := "PASS"
		if !ch.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s: %s\n", mark, ch.Name, oneLine(ch.Message, 300))
	}
	if c.SandboxID != "" {
		kept := ""
		if c.Kept {
			kept = " (kept)"
		}
		fmt.Fprintf(&b, "sandbox: %s%s\n", c.SandboxID, kept)
	}
	if c.RecordPath != "" {
		fmt.Fprintf(&b, "recording: tether replay %s\n", c.RecordPath)
	}
	return sanitize(b.String())
}
