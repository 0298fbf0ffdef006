package suite

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// bigMatrixSuite is one case with variants × models × runs cases.
func bigMatrixSuite(variants, models, runs int) string {
	var b strings.Builder
	b.WriteString("name = \"big\"\n[matrix]\nmodels = [")
	for i := range models {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", fmt.Sprintf("model-%d", i))
	}
	fmt.Fprintf(&b, "]\nruns = %d\n\n[[case]]\nname = \"big\"\nprompt = \"say {{word}} please\"\nvars = { word = \"hi\" }\n"+
		"[[case.checks]]\ncommand = \"test -s {{word}}.txt\"\n[[case.checks]]\nfile = \"{{word}}.txt\"\nmatches = \"^w[0-9]+$\"\n", runs)
	for i := range variants {
		fmt.Fprintf(&b, "[[case.variants]]\nname = \"v%d\"\nvars = { word = \"w%d\" }\n", i, i)
	}
	return b.String()
}

func TestMatrixOverTheLimitIsRefusedWithItsSizeAndLine(t *testing.T) {
	// The 10 cases × 100 models × 1000 runs, as 10 variants: a
	// million cases, refused at load without building one.
	path := writeSuite(t, bigMatrixSuite(10, 100, 1000), nil)
	_, err := Load(path)
	if err == nil {
		t.Fatal("a million-case matrix loaded")
	}
	msg := err.Error()
	for _, want := range []string{
		path + ":6: case[0]", `case "big" alone expands to 1,000,000 cases`,
		"10 variants × 100 models (matrix.models at line 3) × 1,000 runs (matrix.runs at line 4)",
		"more than the 100,000 allowed (the default)", "max_cases", "--max-cases",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestMatrixLimitAddsUpOverCasesAndNamesTheCaseThatCrossesIt(t *testing.T) {
	path := writeSuite(t, `
[matrix]
runs = 6
max_cases = 10
[[case]]
name = "a"
prompt = "p"
[[case]]
name = "b"
prompt = "q"
`, nil)
	_, err := Load(path)
	if err == nil {
		t.Fatal("12 cases loaded under a limit of 10")
	}
	for _, want := range []string{path + ":8: case[1]", `with case "b"`, "reaches 12 cases",
		"more than the 10 allowed (matrix.max_cases at line 4)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// The caller's limit (--max-cases) replaces the file's.
	s, err := LoadWith(path, LoadOptions{MaxCases: 12})
	if err != nil || s.Len() != 12 {
		t.Fatalf("with MaxCases 12: %v", err)
	}
	if _, err := LoadWith(path, LoadOptions{MaxCases: 11}); err == nil || !strings.Contains(err.Error(), "(--max-cases)") {
		t.Fatalf("with MaxCases 11: %v", err)
	}
	bad := writeSuite(t, "[matrix]\nmax_cases = 0\n[[case]]\nname = \"a\"\nprompt = \"p\"\n", nil)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), ":2: matrix.max_cases") {
		t.Fatalf("max_cases = 0: %v", err)
	}
}

func TestCaseByIndexIsTheSameAsCasesInOrder(t *testing.T) {
	s, err := Load(writeSuite(t, bigMatrixSuite(3, 4, 5), nil))
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Collect(s.Cases())
	if len(all) != 60 || s.Len() != 60 {
		t.Fatalf("%d cases, Len %d; want 60", len(all), s.Len())
	}
	seen := map[string]bool{}
	for i, c := range all {
		got, ok := s.Case(i)
		if !ok || got.ID != c.ID || got.Prompt != c.Prompt {
			t.Fatalf("Case(%d) = %q %q, Cases has %q %q", i, got.ID, got.Prompt, c.ID, c.Prompt)
		}
		seen[c.ID] = true
	}
	if len(seen) != 60 {
		t.Fatalf("%d distinct ids of 60", len(seen))
	}
	if c := all[59]; c.ID != "big/v2[model-3]#5" || c.Prompt != "say w2 please" || c.Checks[2].File != "w2.txt" {
		t.Fatalf("last case %+v", c)
	}
	if _, ok := s.Case(60); ok {
		t.Fatal("Case(60) of 60")
	}
}

func TestDefaultUploadsAreReadOnceForTheWholeSuite(t *testing.T) {
	// A [defaults] upload of 10 MiB for 20 cases reads 200 MiB unless
	// the bytes are shared: one read, one copy.
	big := strings.Repeat("x", maxUploadBytes)
	var b strings.Builder
	b.WriteString("[[defaults.setup.files]]\npath = \"big\"\nfrom = \"big.txt\"\n")
	for i := range 20 {
		fmt.Fprintf(&b, "[[case]]\nname = \"c%d\"\nprompt = \"p\"\n", i)
	}
	path := writeSuite(t, b.String(), map[string]string{"big.txt": big})
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := s.Case(0)
	last, _ := s.Case(19)
	if len(first.Setup.Files) != 1 || &first.Setup.Files[0].Content[0] != &last.Setup.Files[0].Content[0] {
		t.Fatal("each case holds its own copy of the default upload")
	}
	_ = os.Remove(filepath.Join(filepath.Dir(path), "big.txt"))
}

// BenchmarkCasesOfALargeMatrix loads a suite of 100,000 cases (10 variants
// × 100 models × 100 runs, the default limit) and walks every case, as
// Run does. It reports the peak live heap: flat, since each case is built
// when reached and dropped after. (Before cases were built lazily,
// materialising this matrix peaked at 87 MiB live heap.)
func BenchmarkCasesOfALargeMatrix(b *testing.B) {
	s, err := Load(writeSuite(b, bigMatrixSuite(10, 100, 100), nil))
	if err != nil {
		b.Fatal(err)
	}
	if s.Len() != DefaultMaxCases {
		b.Fatalf("%d cases", s.Len())
	}
	var peak uint64
	for b.Loop() {
		runtime.GC()
		stop := samplePeakHeap(&peak)
		n := 0
		for c := range s.Cases() {
			n += len(c.ID)
		}
		stop()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
