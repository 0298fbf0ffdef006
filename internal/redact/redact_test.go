package redact

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	key28 = "sk-live-7f3a9c41Zq8WbX2mN0pR" // 28 bytes
	key9  = "tok9Short"                    // a secret shorter than a fragment
)

func TestTextRedactsSecretsAndLongFragments(t *testing.T) {
	set := New(key28, key9, "", "x", "short7!")
	for _, tc := range []struct{ name, in, want string }{
		{"whole key", "key " + key28 + " again " + key28, "key [REDACTED] again [REDACTED]"},
		{"27 of 28 characters, echoed by a server", "bad key '" + key28[:27] + "'", "bad key '[REDACTED]'"},
		{"27 of 28 from the back", "bad key '" + key28[1:] + "'", "bad key '[REDACTED]'"},
		{"a 12-character fragment from the middle", "got " + key28[9:21] + "!", "got [REDACTED]!"},
		{"an 11-character fragment is shown", "got " + key28[9:20] + "!", "got " + key28[9:20] + "!"},
		{"a short secret only whole", key9 + " " + key9[:8], "[REDACTED] " + key9[:8]},
		{"two fragments side by side are one marker", key28[:14] + key28[3:20], "[REDACTED]"},
		{"values shorter than MinSecretLen are no secrets", "x short7! x", "x short7! x"},
		{"nothing secret", "nothing secret here at all", "nothing secret here at all"},
		{"empty", "", ""},
		{"the key in unicode text", "ключ: «" + key28 + "» ✓", "ключ: «[REDACTED]» ✓"},
	} {
		if got := set.Text(tc.in); got != tc.want {
			t.Errorf("%s: Text(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
	var none *Set
	if got := none.Text(key28); got != key28 || !none.Empty() || !New("x", "").Empty() {
		t.Errorf("a nil or empty set changed the text: %q", got)
	}
}

func TestIsSecretIsTheOneRule(t *testing.T) {
	for v, want := range map[string]bool{"": false, "x": false, "ollama": false, "1234567": false, "12345678": true, key28: true} {
		if IsSecret(v) != want {
			t.Errorf("IsSecret(%q) = %v, want %v", v, !want, want)
		}
	}
}

// naive marks every byte covered by a run of a secret at least frag long,
// by brute force, and renders like Text.
func naive(t string, secrets []string) string {
	covered := make([]bool, len(t))
	for _, sec := range secrets {
		if !IsSecret(sec) {
			continue
		}
		f := min(FragmentLen, len(sec))
		for i := range len(t) {
			for off := range len(sec) {
				k := 0
				for i+k < len(t) && off+k < len(sec) && t[i+k] == sec[off+k] {
					k++
				}
				if k >= f {
					start, end := i, i+k
					for start > 0 && !utf8.RuneStart(t[start]) {
						start-- // whole characters only
					}
					for end < len(t) && !utf8.RuneStart(t[end]) {
						end++
					}
					for j := start; j < end; j++ {
						covered[j] = true
					}
				}
			}
		}
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if !covered[i] {
			b.WriteByte(t[i])
			continue
		}
		b.WriteString(Marker)
		for i+1 < len(t) && covered[i+1] {
			i++
		}
	}
	return b.String()
}

// randomText mixes noise with pieces of the secrets of random lengths.
func randomText(r *rand.Rand, secrets []string) string {
	const noise = "abcdefxyz0123 \n-_sk"
	var b strings.Builder
	for range r.IntN(12) {
		if r.IntN(2) == 0 {
			sec := secrets[r.IntN(len(secrets))]
			i := r.IntN(len(sec))
			j := i + r.IntN(len(sec)-i) + 1
			b.WriteString(sec[i:j])
		} else {
			for range r.IntN(6) {
				b.WriteByte(noise[r.IntN(len(noise))])
			}
		}
	}
	return b.String()
}

var randomSecrets = []string{key28, key9, "abcabcabcabcabcabc", "0123-sk-0123-sk-xyz"}

func TestTextMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	set := New(randomSecrets...)
	for range 20000 {
		in := randomText(r, randomSecrets)
		if got, want := set.Text(in), naive(in, randomSecrets); got != want {
			t.Fatalf("Text(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// TestStreamCatchesSecretsSplitAcrossChunks cuts random texts into random
// chunks: what the stream writes must be what Text makes of the whole.
func TestStreamCatchesSecretsSplitAcrossChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	set := New(randomSecrets...)
	for range 20000 {
		in := randomText(r, randomSecrets)
		var chunks []string
		for rest := in; rest != ""; {
			k := min(len(rest), r.IntN(16))
			chunks = append(chunks, rest[:k])
			rest = rest[k:]
		}
		st := set.Stream()
		var out, outBytes strings.Builder
		for _, c := range chunks {
			out.WriteString(st.Write(c))
		}
		out.WriteString(st.Flush())
		// The same chunks as bytes, some of them (a tool's reads).
		st = set.Stream()
		for _, c := range chunks {
			if r.IntN(2) == 0 {
				outBytes.WriteString(st.WriteBytes([]byte(c)))
			} else {
				outBytes.WriteString(st.Write(c))
			}
		}
		outBytes.WriteString(st.Flush())
		want := naive(in, randomSecrets)
		if got := out.String(); got != want {
			t.Fatalf("chunks %q\n -> %q\nwant %q", chunks, got, want)
		}
		if got := outBytes.String(); got != want {
			t.Fatalf("chunks as bytes %q\n -> %q\nwant %q", chunks, got, want)
		}
	}
}

func TestStreamHoldsBackOnlyWhatCouldBeASecret(t *testing.T) {
	set := New(key28)
	st := set.Stream()
	if got := st.Write("line one\n"); got != "line one\n" {
		t.Errorf("a line ending in no secret character was held: %q", got)
	}
	got := st.Write("key=" + key28[:11])
	if got != "key=" {
		t.Errorf("the possible start of the key was not held back: %q", got)
	}
	if got := st.Write(key28[11:20]); got != "[REDACTED]" {
		t.Errorf("the key completed in the next chunk: %q, want the marker", got)
	}
	if got := st.Write(key28[20:] + " done."); got != " done." {
		t.Errorf("the key's rest in a third chunk: %q, want it swallowed by the marker", got)
	}
	if got := st.Write("sk-li"); got != "" {
		t.Errorf("a held tail was written: %q", got)
	}
	if got := st.Flush(); got != "sk-li" {
		t.Errorf("Flush = %q, want the held tail", got)
	}
	st2 := set.Stream()
	long := strings.Repeat("a", 100) + key28[:5]
	if got := st2.Write(long); len(long)-len(got) > FragmentLen-1 {
		t.Errorf("held back %d bytes, more than a fragment less one", len(long)-len(got))
	}
	st3 := New("ключ-секрет-значение").Stream() // multi-byte secret: hold whole characters
	var out strings.Builder
	for _, chunk := range []string{"x кл", "\xd1", "\x8eч", "-се", "крет", " ok"} {
		got := st3.Write(chunk)
		if !validUTF8(got) {
			t.Errorf("Write(%q) = %q: not whole characters", chunk, got)
		}
		out.WriteString(got)
	}
	if got := out.String() + st3.Flush(); got != "x [REDACTED] ok" {
		t.Errorf("multi-byte secret in pieces: %q", got)
	}
	// A span never cuts a character: "Ѐ" and "ѐ" share their last byte.
	if got := New("ab\u0450cdefghijk").Text("ab\u0400cdefghijk"); !validUTF8(got) {
		t.Errorf("a span cut a character: %q", got)
	}
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func FuzzText(f *testing.F) {
	f.Add("key " + key28[2:20] + " and " + key9)
	f.Add(strings.Repeat("abc", 10))
	set := New(randomSecrets...)
	f.Fuzz(func(t *testing.T, in string) {
		if got, want := set.Text(in), naive(in, randomSecrets); got != want {
			t.Fatalf("Text(%q) = %q, want %q", in, got, want)
		}
	})
}

func TestErrorIsRedactedAndStillUnwraps(t *testing.T) {
	set := New(key28)
	base := errors.New("auth failed for " + key28[2:])
	err := set.Error(fmt.Errorf("create: %w", base))
	if strings.Contains(err.Error(), key28[2:14]) || !strings.Contains(err.Error(), "auth failed for "+Marker) {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, base) {
		t.Error("errors.Is no longer finds the cause")
	}
	plain := errors.New("nothing secret")
	if set.Error(plain) != plain || set.Error(nil) != nil {
		t.Error("an error without a secret was wrapped")
	}
}
