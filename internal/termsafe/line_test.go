package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineTranslatesSGRToSpans(t *testing.T) {
	text, spans := Line("ok \x1b[1;31mFAIL\x1b[0m done \x1b[38;5;208mor\x1b[48;2;1;2;3mange\x1b[m")
	if text != "ok FAIL done orange" {
		t.Fatalf("text = %q", text)
	}
	want := []Span{
		{3, 7, Style{Fg: Indexed(1), Attr: Bold}},
		{13, 15, Style{Fg: Indexed(208)}},
		{15, 19, Style{Fg: Indexed(208), Bg: RGB(1, 2, 3)}},
	}
	if len(spans) != len(want) {
		t.Fatalf("spans = %+v, want %+v", spans, want)
	}
	for i := range want {
		if spans[i] != want[i] {
			t.Errorf("span %d = %+v, want %+v", i, spans[i], want[i])
		}
	}
	if h, ok := RGB(1, 2, 3).Hex(); !ok || h != "#010203" {
		t.Errorf("Hex = %q %v", h, ok)
	}
}

func TestLineAttributesOnAndOff(t *testing.T) {
	text, spans := Line("\x1b[1;4;7;9;3;2ma\x1b[22;24mb\x1b[27;29;23mc\x1b[92;101md\x1b[39;49me")
	want := []Span{
		{0, 1, Style{Attr: Bold | Faint | Italic | Underline | Reverse | Strike}},
		{1, 2, Style{Attr: Italic | Reverse | Strike}},
		{3, 4, Style{Fg: Indexed(10), Bg: Indexed(9)}},
	}
	if text != "abcde" || len(spans) != len(want) {
		t.Fatalf("text %q spans %+v", text, spans)
	}
	for i := range want {
		if spans[i] != want[i] {
			t.Errorf("span %d = %+v, want %+v", i, spans[i], want[i])
		}
	}
}

func TestLineCarriageReturnOverwrites(t *testing.T) {
	for raw, want := range map[string]string{
		"10%\r20%\r100%":       "100%",
		"downloading\rdone":    "doneloading",
		"abc\r":                "abc",
		"\r\rx":                "x",
		"[##  ]\r[####]\r":     "[####]",
		"a\tb\rxy\tz":          "xy      z",
		"\x1b[32m50%\r\x1b[0m": "50%",
	} {
		if got, _ := Line(raw); got != want {
			t.Errorf("Line(%q) = %q, want %q", raw, got, want)
		}
	}
	// Colour survives an overwrite by the cells it still covers.
	text, spans := Line("\x1b[31mred\x1b[0m\rX")
	if text != "Xed" || len(spans) != 1 || spans[0] != (Span{1, 3, Style{Fg: Indexed(1)}}) {
		t.Fatalf("text %q spans %+v", text, spans)
	}
}

func TestLineKeepsOtherEscapesInert(t *testing.T) {
	hostile := "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\ \x1b]52;c;cm0=\x07 \x1b[2J\x1b[H \x9b31m \x1b[31;" + strings.Repeat("1;", 40) + "m \x1b[5;8mhidden\x00\x7f\u202e"
	text, spans := Line(hostile)
	assertSafe(t, text, false)
	assertSpans(t, text, spans)
	for _, want := range []string{"␛]8;;http://evil␛\\click", "␛]52;c;cm0=␇", "␛[2J␛[H", `\x9b31m`, "␛[31;1;", "hidden␀␡", `\u202e`} {
		if !strings.Contains(text, want) {
			t.Errorf("%q missing from %q", want, text)
		}
	}
	for _, s := range spans {
		if s.Style.Attr&^(Bold|Faint|Italic|Underline|Reverse|Strike) != 0 {
			t.Errorf("unknown attribute kept: %+v", s)
		}
	}
}

func TestLineBoundsSpans(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 1000; i++ {
		b.WriteString("\x1b[3")
		b.WriteByte(byte('0' + i%8))
		b.WriteString("mx")
	}
	text, spans := Line(b.String())
	if text != strings.Repeat("x", 1000) || len(spans) != MaxSpans {
		t.Fatalf("len(text)=%d spans=%d", len(text), len(spans))
	}
}

func TestLineWithoutEscapesIsSanitizeLine(t *testing.T) {
	for _, s := range []string{"plain", "tab\there", "nul\x00", "\xff"} {
		text, spans := Line(s)
		if text != SanitizeLine(s) || spans != nil {
			t.Errorf("Line(%q) = %q %v", s, text, spans)
		}
	}
}

func assertSpans(t *testing.T, text string, spans []Span) {
	t.Helper()
	if len(spans) > MaxSpans {
		t.Fatalf("%d spans", len(spans))
	}
	prev := 0
	for _, s := range spans {
		if s.Start < prev || s.End <= s.Start || s.End > len(text) ||
			!utf8.ValidString(text[s.Start:s.End]) || s.Style == (Style{}) {
			t.Fatalf("bad span %+v in %q (%+v)", s, text, spans)
		}
		prev = s.End
	}
}
