package jsonsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWriter(t *testing.T) {
	var s strings.Builder
	for r := rune(0x80); r <= 0x9f; r++ {
		s.WriteRune(r)
		s.WriteString("x")
	}
	in := map[string]string{"data": "del\u007f csi\u009b6n osc\u009d0;t\u0007 ok Â¢ é ␛[2J €" + s.String(), "k\u0085": "v"}
	var out bytes.Buffer
	if err := json.NewEncoder(Writer(&out)).Encode(in); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < out.Len(); {
		r, size := utf8.DecodeRune(out.Bytes()[i:])
		if r >= 0x7f && r <= 0x9f || r == utf8.RuneError {
			t.Fatalf("raw %U left at %d in %q", r, i, out.String())
		}
		i += size
	}
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if back["data"] != in["data"] || back["k\u0085"] != "v" {
		t.Errorf("round trip changed the value: %q", back)
	}

	// Written a byte at a time (a C1 rune split across writes).
	var whole bytes.Buffer
	_ = json.NewEncoder(&whole).Encode(in)
	var split bytes.Buffer
	w := Writer(&split)
	for _, b := range whole.Bytes() {
		if n, err := w.Write([]byte{b}); n != 1 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if split.String() != out.String() {
		t.Errorf("byte-wise writes differ:\n%q\n%q", split.String(), out.String())
	}
}
