package session

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Shell-session persistence.
//
// Sandbox.Exec starts a fresh bash for every call, yet the model expects a
// shell session: `cd sub` in one call, `pwd` in the next. So every command
// is wrapped in a small script that:
//
//  1. records the fresh process's exported environment (the baseline),
//  2. cd's to the directory the previous call ended in and re-applies the
//     environment changes (exports and unsets) earlier calls made,
//  3. runs the command with eval in that same shell, so that cd and export
//     take effect, with fd 9 closed so the command cannot write there,
//  4. writes the final working directory and environment to fd 9 (the
//     original stdout) framed by a per-tool random marker of printable
//     ASCII, then exits with the command's status.
//
// The tool strips that trailer out of the stdout stream (stateFilter) so the
// model and the UI never see it, and stores the difference between the
// final environment and the baseline as the state to re-apply next time.
// This costs no extra round trip to the sandbox, which matters for remote
// sandboxes. A command that exits the shell (`exit 3`, `exec prog`), is
// killed (timeout, cancel) or redirects fd 9 leaves no trailer, so the
// previous state is kept. Shell variables that are not exported, functions,
// aliases and shell options do not persist.

// termState is what persists between terminal calls.
type termState struct {
	cwd   string            // "" = the sandbox's work dir
	set   map[string]string // exported variables that differ from a fresh shell
	unset []string          // variables of a fresh shell the session removed
}

// notPersisted are variables bash manages itself; carrying them over would
// be wrong (SHLVL, PWD) or fail (readonly ones).
var notPersisted = map[string]bool{
	"PWD": true, "SHLVL": true, "_": true, "SHELLOPTS": true, "BASHOPTS": true,
	"BASHPID": true, "PPID": true, "UID": true, "EUID": true, "BASH_VERSINFO": true,
}

// maxPersistedValue bounds one persisted variable, so a huge export cannot
// blow up the size of every later command line.
const maxPersistedValue = 32 << 10

// buildScript returns the bash script that runs command under state st.
func buildScript(command string, st termState, marker string) string {
	var b strings.Builder
	b.WriteString("__tether_base=()\n")
	b.WriteString("for __tether_n in $(compgen -e); do __tether_base+=(\"$__tether_n=${!__tether_n}\"); done\n")
	if st.cwd != "" {
		q := shellQuote(st.cwd)
		fmt.Fprintf(&b, "cd -- %s 2>/dev/null || printf 'tether: the previous working directory %%s is gone; running in %%s\\n' %s \"$PWD\" >&2\n", q, q)
	}
	if len(st.unset) > 0 {
		b.WriteString("unset -v")
		for _, n := range st.unset {
			b.WriteString(" " + shellQuote(n))
		}
		b.WriteString(" 2>/dev/null\n")
	}
	if len(st.set) > 0 {
		names := make([]string, 0, len(st.set))
		for n := range st.set {
			names = append(names, n)
		}
		sort.Strings(names)
		b.WriteString("export")
		for _, n := range names {
			b.WriteString(" " + shellQuote(n+"="+st.set[n]))
		}
		b.WriteString(" 2>/dev/null\n")
	}
	// The trailer: marker, then length-prefixed fields ("<bytes>:<value>")
	// cwd, baseline count + entries, final count + entries, then marker.
	// Lengths rather than separators because a value may hold any byte but
	// NUL, and NUL itself may not survive a remote sandbox's log transport.
	fmt.Fprintf(&b, `__tether_save() {
  local IFS=$' \t\n' LC_ALL=C __tether_n __tether_e __tether_fin=()
  for __tether_n in $(compgen -e); do __tether_fin+=("$__tether_n=${!__tether_n}"); done
  { printf '%%s' %s
    for __tether_e in "$PWD" "${#__tether_base[@]}" "${__tether_base[@]}" "${#__tether_fin[@]}" "${__tether_fin[@]}"; do
      printf '%%d:%%s' "${#__tether_e}" "$__tether_e"
    done
    printf '%%s' %s; } >&9 2>/dev/null
}
exec 9>&1
`, shellQuote(marker), shellQuote(marker))
	b.WriteString("eval -- " + shellQuote(command) + " 9>&-\n")
	// Shell options the command set (xtrace above all) must not leak the
	// trailer's workings into its output or abort it.
	b.WriteString("{ __tether_ec=$?; set +euxv +o pipefail; } 2>/dev/null\n__tether_save\nexit $__tether_ec\n")
	return b.String()
}

// parseTrailer decodes the trailer's payload (between the markers) into the
// state to carry over. ok is false when it is malformed.
func parseTrailer(payload []byte) (st termState, ok bool) {
	rest := payload
	next := func() (string, bool) {
		i := bytes.IndexByte(rest, ':')
		if i <= 0 || i > 12 {
			return "", false
		}
		n, err := strconv.Atoi(string(rest[:i]))
		if err != nil || n < 0 || i+1+n > len(rest) {
			return "", false
		}
		v := string(rest[i+1 : i+1+n])
		rest = rest[i+1+n:]
		return v, true
	}
	readEnv := func() (map[string]string, bool) {
		c, ok := next()
		if !ok {
			return nil, false
		}
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			return nil, false
		}
		env := make(map[string]string, n)
		for range n {
			kv, ok := next()
			if !ok {
				return nil, false
			}
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		return env, true
	}
	cwd, ok0 := next()
	base, ok1 := readEnv()
	fin, ok2 := readEnv()
	if !ok0 || !ok1 || !ok2 || len(rest) != 0 || cwd == "" {
		return termState{}, false
	}
	st.cwd = cwd
	st.set = map[string]string{}
	for k, v := range fin {
		if notPersisted[k] || len(v) > maxPersistedValue {
			continue
		}
		if bv, had := base[k]; !had || bv != v {
			st.set[k] = v
		}
	}
	for k := range base {
		if _, still := fin[k]; !still && !notPersisted[k] {
			st.unset = append(st.unset, k)
		}
	}
	sort.Strings(st.unset)
	return st, true
}

// maxTrailer bounds how much the filter buffers while reading a trailer.
const maxTrailer = 4 << 20

// stateFilter passes a command's stdout through to dst, cutting out the
// trailer framed by marker. It holds back only trailing bytes that could be
// the start of the marker, so output still streams live.
type stateFilter struct {
	dst     io.Writer
	marker  []byte
	pending []byte // held-back bytes (passing) or the trailer so far (capturing)
	mode    int    // 0 passing, 1 capturing, 2 done (pass everything)
	payload []byte // the complete trailer payload, once seen
	found   bool
}

func (f *stateFilter) Write(p []byte) (int, error) {
	n := len(p)
	switch f.mode {
	case 2:
		f.dst.Write(p)
		return n, nil
	case 1:
		f.pending = append(f.pending, p...)
		f.capture()
		return n, nil
	}
	data := p
	if len(f.pending) > 0 {
		data = append(f.pending, p...)
		f.pending = nil
	}
	if i := bytes.Index(data, f.marker); i >= 0 {
		if i > 0 {
			f.dst.Write(data[:i])
		}
		f.mode = 1
		f.pending = append([]byte(nil), data[i+len(f.marker):]...)
		f.capture()
		return n, nil
	}
	keep := partialSuffix(data, f.marker)
	if len(data)-keep > 0 {
		f.dst.Write(data[:len(data)-keep])
	}
	if keep > 0 {
		f.pending = append([]byte(nil), data[len(data)-keep:]...)
	}
	return n, nil
}

// capture looks for the closing marker in the trailer collected so far.
func (f *stateFilter) capture() {
	if i := bytes.Index(f.pending, f.marker); i >= 0 {
		f.payload = f.pending[:i]
		f.found = true
		rest := f.pending[i+len(f.marker):]
		f.pending = nil
		f.mode = 2
		if len(rest) > 0 {
			f.dst.Write(rest)
		}
		return
	}
	if len(f.pending) > maxTrailer {
		// Not a trailer after all (or a broken one): give up on state.
		f.pending = nil
		f.mode = 2
	}
}

// Flush passes on bytes held back at the end of the stream. An incomplete
// trailer (the command was killed while writing it) is dropped.
func (f *stateFilter) Flush() {
	if f.mode == 0 && len(f.pending) > 0 {
		f.dst.Write(f.pending)
	}
	f.pending = nil
}

// partialSuffix returns the length of the longest suffix of data that is a
// proper prefix of marker.
func partialSuffix(data, marker []byte) int {
	max := len(marker) - 1
	if max > len(data) {
		max = len(data)
	}
	for k := max; k > 0; k-- {
		if bytes.HasPrefix(marker, data[len(data)-k:]) {
			return k
		}
	}
	return 0
}
