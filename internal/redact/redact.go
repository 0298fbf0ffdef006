// Package redact replaces secret values (API keys, passwords) in text with
// one marker, so that logs, errors, events, results, reports and
// recordings mask a key the same way wherever it turns up — whole, or any
// long fragment of it (a server that echoes 27 of a key's 28 characters
// leaks it just as well).
//
// It owns the one rule for what counts as a secret (IsSecret) and what
// counts as a fragment (FragmentLen); callers only say which values are
// secret. It knows nothing of events, files or terminals.
package redact

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Marker stands where a secret (or a fragment of one) was.
const Marker = "[REDACTED]"

// MinSecretLen is the shortest value treated as a secret. Shorter values
// are placeholders (local servers such as Ollama ignore the key, so users
// put "x" or "none"): redacting them would shred ordinary words, and no
// real key is that short.
const MinSecretLen = 8

// FragmentLen is the shortest run of a secret's characters that is
// redacted on its own: any FragmentLen consecutive characters of a secret
// are masked wherever they appear. A secret shorter than FragmentLen is
// masked only whole.
const FragmentLen = 12

// gram is the sampling width of the index: every match is at least
// MinSecretLen >= 2*gram-1 bytes long, so it contains gram bytes starting
// at a multiple of gram, and only those positions of a text are looked
// up.
const gram = 4

const filterBits = 16 // a 64 Kibit (8 KiB) Bloom-style prefilter of grams

// IsSecret reports whether v is long enough to count as a secret.
func IsSecret(v string) bool { return len(v) >= MinSecretLen }

// Set is a compiled list of secrets. Its methods are safe for concurrent
// use; a nil or empty Set changes nothing.
type Set struct {
	secrets []string
	frag    []int // shortest run of secrets[i] that is redacted
	maxHold int   // longest tail a Stream may hold back
	filter  [1 << filterBits / 64]uint64
	grams   map[uint32][]occ
	// runs holds every substring of a secret shorter than a fragment,
	// for the tail a Stream must hold back; bytes is its 1-byte level.
	runs  map[string]struct{}
	bytes [4]uint64
}

// occ is where a gram occurs: secret index and byte offset.
type occ struct{ sec, off int32 }

// New compiles the secrets that count (IsSecret); duplicates and empty
// values are dropped.
func New(secrets ...string) *Set {
	s := &Set{grams: map[uint32][]occ{}, runs: map[string]struct{}{}}
	for _, v := range secrets {
		if !IsSecret(v) || slices.Contains(s.secrets, v) {
			continue
		}
		i := int32(len(s.secrets))
		s.secrets = append(s.secrets, v)
		f := min(FragmentLen, len(v))
		s.frag = append(s.frag, f)
		s.maxHold = max(s.maxHold, f-1)
		for off := 0; off+gram <= len(v); off++ {
			g := load(v, off)
			s.filter[hash(g)/64] |= 1 << (hash(g) % 64)
			s.grams[g] = append(s.grams[g], occ{i, int32(off)})
		}
		for off := range len(v) {
			s.bytes[v[off]/64] |= 1 << (v[off] % 64)
			for k := 2; k < f && off+k <= len(v); k++ {
				s.runs[v[off:off+k]] = struct{}{}
			}
		}
	}
	return s
}

// Text redacts t with the secrets that count, compiling them each call:
// for a rare text. Hot paths keep a Set.
func Text(t string, secrets []string) string { return New(secrets...).Text(t) }

// Empty reports whether s redacts nothing.
func (s *Set) Empty() bool { return s == nil || len(s.secrets) == 0 }

// Text returns t with every secret and every fragment of one replaced by
// Marker (overlapping or adjacent ones by a single Marker).
func (s *Set) Text(t string) string {
	if s.Empty() || len(t) < MinSecretLen {
		return t
	}
	m := s.find(t, nil)
	if len(m) == 0 {
		return t
	}
	return render(t, m)
}

// Strings redacts every string of vs in place.
func (s *Set) Strings(vs ...*string) {
	for _, v := range vs {
		*v = s.Text(*v)
	}
}

// match is a redacted span of a text, [start, end).
type match struct{ start, end int }

// find appends the spans of t to redact, sorted and merged, to m.
func (s *Set) find(t string, m []match) []match {
	n := len(t)
	last, lastSec, lastDiag := match{start: -1, end: -1}, int32(-1), 0
	sorted := true
	for a := 0; a+gram <= n; a += gram {
		g := load(t, a)
		h := hash(g)
		if s.filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, o := range s.grams[g] {
			sec := s.secrets[o.sec]
			off := int(o.off)
			if o.sec == lastSec && a-off == lastDiag && a+gram <= last.end {
				continue // inside the span just found, on its diagonal
			}
			l := 0
			for a-l > 0 && off-l > 0 && t[a-l-1] == sec[off-l-1] {
				l++
			}
			r := gram
			for a+r < n && off+r < len(sec) && t[a+r] == sec[off+r] {
				r++
			}
			if l+r < s.frag[o.sec] {
				continue
			}
			cur := match{start: a - l, end: a + r}
			for cur.start > 0 && !utf8.RuneStart(t[cur.start]) {
				cur.start-- // mask whole characters only
			}
			for cur.end < n && !utf8.RuneStart(t[cur.end]) {
				cur.end++
			}
			if len(m) > 0 && cur.start < m[len(m)-1].start {
				sorted = false
			}
			m = append(m, cur)
			last, lastSec, lastDiag = cur, o.sec, a-off
		}
	}
	if len(m) < 2 {
		return m
	}
	if !sorted {
		slices.SortFunc(m, func(x, y match) int { return x.start - y.start })
	}
	out := m[:1]
	for _, x := range m[1:] {
		p := &out[len(out)-1]
		switch {
		case x.start > p.end:
			out = append(out, x)
		case x.end > p.end:
			p.end = x.end
		}
	}
	return out
}

// render writes t with the spans m replaced by Marker.
func render(t string, m []match) string {
	var b strings.Builder
	b.Grow(len(t) + len(m)*len(Marker))
	at := 0
	for _, x := range m {
		b.WriteString(t[at:x.start])
		b.WriteString(Marker)
		at = x.end
	}
	b.WriteString(t[at:])
	return b.String()
}

// isRun reports whether t is a substring of a secret shorter than a
// fragment (the start of one that may go on in the next chunk).
func (s *Set) isRun(t string) bool {
	if len(t) == 1 {
		return s.bytes[t[0]/64]&(1<<(t[0]%64)) != 0
	}
	_, ok := s.runs[t]
	return ok
}

// load reads gram bytes of t at i as a little-endian word.
func load(t string, i int) uint32 {
	_ = t[i+3]
	return uint32(t[i]) | uint32(t[i+1])<<8 | uint32(t[i+2])<<16 | uint32(t[i+3])<<24
}

func hash(g uint32) uint32 { return (g * 0x9E3779B1) >> (32 - filterBits) }

// Error returns err with its message redacted (nil for nil; err itself
// when nothing needs masking). errors.Is and errors.As still see through
// it to err.
func (s *Set) Error(err error) error {
	if err == nil || s.Empty() {
		return err
	}
	msg := err.Error()
	if red := s.Text(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
