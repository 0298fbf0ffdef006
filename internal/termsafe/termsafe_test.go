package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"plain", "hello world\n", "hello world\n"},
		{"crlf", "a\r\nb\r\n", "a\nb\n"},
		{"bare cr", "10%\r20%\r", "10%␍20%␍"},
		{"sgr dropped", "\x1b[1;31mred\x1b[0m ok\x1b[m", "red ok"},
		{"sgr colon", "\x1b[38:2:1:2:3mx", "x"},
		{"clear screen", "\x1b[2J\x1b[H", "␛[2J␛[H"},
		{"cursor move", "a\x1b[10;20Hb", "a␛[10;20Hb"},
		{"osc52 clipboard", "\x1b]52;c;ZXZpbA==\x07", "␛]52;c;ZXZpbA==␇"},
		{"osc8 link", "\x1b]8;;http://x\x1b\\click\x1b]8;;\x1b\\", "␛]8;;http://x␛\\click␛]8;;␛\\"},
		{"title", "\x1b]0;pwned\x07", "␛]0;pwned␇"},
		{"dcs", "\x1bP+q544e\x1b\\", "␛P+q544e␛\\"},
		{"DA query", "\x1b[c\x1b[>c", "␛[c␛[>c"},
		{"DSR query", "\x1b[6n", "␛[6n"},
		{"private mode", "\x1b[?1049h", "␛[?1049h"},
		{"backspace bel nul del", "a\bb\x07\x00\x7f", "a␈b␇␀␡"},
		{"c1 as utf8", "x\u009b31mY\u009d", `x\x9b31mY\x9d`},
		{"raw c1 byte", "x\x9b2J", `x\x9b2J`},
		{"invalid utf8", "ok\xff\xfe\xc3", `ok\xff\xfe\xc3`},
		{"bidi override", "a\u202eevil\u2066", `a\u202eevil\u2066`},
		{"every bidi control", "\u202a\u202b\u202c\u202d\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u2067\u2068\u2069`},
		{"zero-width and other format chars", "a\u200bb\u2060c\ufeffd\u00ade\U000e0041", `a\u200bb\u2060c\ufeffd\u00ade\U000e0041`},
		{"emoji joiner kept", "👩\u200d💻", "👩\u200d💻"},
		{"tab", "a\tb\n\tc\n12345678\td", "a       b\n        c\n12345678        d"},
		{"tab after wide", "世\tx", "世      x"},
		{"sgr too long shown", "\x1b[" + strings.Repeat("1;", 40) + "m", "␛[" + strings.Repeat("1;", 40) + "m"},
		{"unterminated sgr", "\x1b[31", "␛[31"},
		{"utf8 kept", "héllo 世界 🎉", "héllo 世界 🎉"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Sanitize(tc.in)
			if got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
			assertSafe(t, got, true)
		})
	}
}

func TestSanitizeLine(t *testing.T) {
	got := SanitizeLine("a\r\nb\tc\x1b[31md")
	if want := "a␍␊b    cd"; got != want {
		t.Errorf("SanitizeLine = %q, want %q", got, want)
	}
	if got := SanitizeLine("plain"); got != "plain" {
		t.Errorf("plain changed: %q", got)
	}
	buf := []byte("prefix:")
	buf = AppendLine(buf, "\tx\x07")
	if want := "prefix:        x␇"; string(buf) != want {
		t.Errorf("AppendLine = %q, want %q (tab column counts from the appended line)", buf, want)
	}
}

func assertSafe(t *testing.T, out string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output is not valid UTF-8: %q", out)
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		if c == '\n' && multiline {
			continue
		}
		if c < 0x20 || c == 0x7f {
			t.Fatalf("output contains control byte %#x at %d: %q", c, i, out)
		}
	}
	for _, r := range out {
		if r >= 0x80 && r <= 0x9f {
			t.Fatalf("output contains C1 control %U: %q", r, out)
		}
		if isInvisibleFormat(r) {
			t.Fatalf("output contains format character %U: %q", r, out)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"", "hello\n", "\x1b[31mred\x1b[0m", "\x1b]52;c;AAAA\x07", "\x1b[2J\x1b[H",
		"a\r\nb\rc", "\t\tx\ty", "\u009b\x9b\xff", "\x1bP1$r\x1b\\", "世\t界\x1b[",
		"\u202e\u2066", "\x00\x01\x7f", "\x1b[38;5;300;1mx\r\x1b[48;2;1;2;3my", "10%\r\x1b[32m100%", "\x1b[38:2::1:2:3m\x1b[5;8mz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		assertSafe(t, out, true)
		if again := Sanitize(out); again != out {
			t.Fatalf("not stable: Sanitize(%q) = %q, again %q", s, out, again)
		}
		line := SanitizeLine(s)
		assertSafe(t, line, false)
		if again := SanitizeLine(line); again != line {
			t.Fatalf("line not stable: %q -> %q -> %q", s, line, again)
		}
		if strings.Contains(s, "\n") {
			return
		}
		text, spans := Line(s)
		assertSafe(t, text, false)
		assertSpans(t, text, spans)
	})
}

func BenchmarkSanitizeASCII(b *testing.B) {
	line := strings.Repeat("the quick brown fox jumps over the lazy dog ", 2) + "\n"
	s := strings.Repeat(line, 100)
	b.SetBytes(int64(len(s)))
	var buf []byte
	for b.Loop() {
		buf = AppendLine(buf[:0], s)
	}
}

func BenchmarkSanitizeHostile(b *testing.B) {
	s := strings.Repeat("\x1b[31merror\x1b[0m: \x1b]0;x\x07 세계 \t\r\n", 200)
	b.SetBytes(int64(len(s)))
	var buf []byte
	for b.Loop() {
		buf = AppendLine(buf[:0], s)
	}
}
