package transcript

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/llm/llmtest"
)

func TestCompareShowsBothSessionsAndTheirWorkspaceDiff(t *testing.T) {
	a := record(t, "model-a", "write hello",
		sh("printf 'hello\\nworld\\n' > hello.txt && echo same > same.txt && echo a > only-a.txt"),
		llmtest.TextReply("wrote hello.txt"))
	b := record(t, "model-b", "write hello",
		sh("printf 'hello\\nthere\\n' > hello.txt && echo same > same.txt"),
		sh("echo b > only-b.txt"),
		llmtest.TextReply("wrote hello.txt and more"))
	cmp, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.A.Steps != 1 || cmp.B.Steps != 2 || cmp.A.Status != "finished" || cmp.B.Model != "model-b" ||
		cmp.A.FinalMessage != "wrote hello.txt" || cmp.B.PromptTokens == 0 {
		t.Fatalf("summaries wrong:\nA %+v\nB %+v", cmp.A, cmp.B)
	}
	f := cmp.Files
	if !f.Known || strings.Join(f.Changed, ",") != "hello.txt" || strings.Join(f.OnlyA, ",") != "only-a.txt" ||
		strings.Join(f.OnlyB, ",") != "only-b.txt" || f.Same != 1 {
		t.Fatalf("file diff %+v", f)
	}
	if !strings.Contains(f.Diff, "-world\n+there\n") {
		t.Fatalf("diff lacks the changed line:\n%s", f.Diff)
	}
	var out bytes.Buffer
	if err := cmp.WriteText(&out, redact.New()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"steps", "model-a", "model-b", "wrote hello.txt and more", "1 changed, 1 only in A, 1 only in B, 1 the same", "+there"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := cmp.WriteJSON(&out, redact.New()); err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.B.Steps != 2 || !back.Files.Known {
		t.Fatalf("--json does not round-trip: %v\n%s", err, out.String())
	}
}

func TestCompareSaysWhenAWorkspaceWasNotRecorded(t *testing.T) {
	a := record(t, "m", "say hi", llmtest.TextReply("hi")) // no tool call: no snapshot
	b := record(t, "m", "touch", sh("touch x"), llmtest.TextReply("done"))
	cmp, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Files.Known || !strings.Contains(cmp.Files.FilesLine(), "session A recorded no workspace snapshot") {
		t.Fatalf("files %+v", cmp.Files)
	}
}
