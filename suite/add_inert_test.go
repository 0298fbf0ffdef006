package suite

import (
	"strings"
	"testing"
	"unicode"

	"github.com/BurntSushi/toml"
)

// TestAddWritesInvisibleCharactersEscaped: a recorded prompt with bidi
// overrides, zero-width and C1 characters (one line or several) is written
// into the suite file as TOML escapes, so printing the file drives nothing,
// and it decodes back to the same prompt.
func TestAddWritesInvisibleCharactersEscaped(t *testing.T) {
	for _, prompt := range []string{
		"rename \u202eexe.txt\u202c and fix it",
		"line one\nzero\u200bwidth \u2066isolate\u2069\nand a tag \U000E0041 char",
		"c1 \u0085 next-line and \u009b csi",
	} {
		quoted := tomlQuote(prompt)
		for _, r := range quoted {
			if unicode.Is(unicode.Cf, r) || (r >= 0x80 && r <= 0x9f) {
				t.Errorf("%q written raw in %q", r, quoted)
			}
		}
		var got struct{ P string }
		if _, err := toml.Decode("P = "+quoted, &got); err != nil {
			t.Fatalf("%q does not decode: %v", quoted, err)
		}
		if got.P != prompt {
			t.Errorf("decoded %q, want %q", got.P, prompt)
		}
		if strings.HasPrefix(quoted, "'''") {
			t.Errorf("a literal string cannot carry escapes: %q", quoted)
		}
	}
}
