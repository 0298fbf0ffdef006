package redact

import "testing"

func TestText(t *testing.T) {
	secrets := []string{"", "sk-live-123", "tok"}
	for _, tc := range []struct{ in, want string }{
		{"key sk-live-123 and tok, again sk-live-123", "key [REDACTED] and [REDACTED], again [REDACTED]"},
		{"nothing secret here", "nothing secret here"},
		{"", ""},
	} {
		if got := Text(tc.in, secrets); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Text("a b", nil); got != "a b" {
		t.Errorf("no secrets changed the text: %q", got)
	}
}
