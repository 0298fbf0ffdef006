package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/tether-dev/tether/internal/safefile"
	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/internal/tomlpos"
)

// seeExample ends every suite-file error: where to look for the valid form.
const seeExample = "see examples/suite.toml for every valid key"

// Load reads and checks a suite file. Every problem (a TOML syntax error,
// an unknown key, a bad value, a prompt_file that cannot be read, a matrix
// over the case limit) is an error naming the file, the line and the key.
func Load(path string) (*Suite, error) { return LoadWith(path, LoadOptions{}) }

// LoadOptions adjust Load.
type LoadOptions struct {
	// MaxCases, when > 0, is the most cases the suite may expand to,
	// replacing the file's [matrix] max_cases (the --max-cases flag).
	// Unset in both: DefaultMaxCases.
	MaxCases int
}

// LoadWith is Load with options.
func LoadWith(path string, opts LoadOptions) (*Suite, error) {
	data, err := safefile.Read(path, safefile.DefaultMax) // not a FIFO, not /dev/zero
	if err != nil {
		return nil, fmt.Errorf("read suite: %w (give the path of a suite .toml file)", err)
	}
	return parse(path, data, opts)
}

// parse is Load on data already read; path names the file in errors and
// anchors relative prompt_file / from paths.
func parse(path string, data []byte, opts LoadOptions) (*Suite, error) {
	p := &parser{file: path, dir: filepath.Dir(path), data: data, loc: tomlpos.New(data)}
	var fs fileSuite
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&fs)
	if err != nil {
		return nil, p.decodeError(err, "")
	}
	cases := make([]fileCase, len(fs.Cases))
	for i, prim := range fs.Cases {
		if err := md.PrimitiveDecode(prim, &cases[i]); err != nil {
			return nil, p.decodeError(err, "case["+strconv.Itoa(i)+"]")
		}
	}
	if err := p.unknownKeys(md); err != nil {
		return nil, err
	}
	s := &Suite{Name: fs.Name, Path: path}
	if s.Name == "" {
		// Derived from the file name, which the user did not choose as
		// an identifier: made valid rather than refused.
		s.Name = strings.Trim(fileSafe(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))), "_.-")
		if !validName(s.Name) {
			s.Name = "suite"
		}
	}
	if !validName(s.Name) {
		return nil, p.errAt("name", "suite name %q is not valid: use letters, digits, '-', '_' and '.'", s.Name)
	}
	if s.matrix, err = p.matrix(fs.Matrix); err != nil {
		return nil, err
	}
	if err := p.checkCommon(fs.Defaults, "defaults"); err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%s: the suite has no cases: add a [[case]] table with a name and a prompt; %s", path, seeExample)
	}
	limit := caseLimit{max: DefaultMaxCases, from: "the default"}
	switch {
	case opts.MaxCases > 0:
		limit = caseLimit{max: opts.MaxCases, from: "--max-cases"}
	case s.matrix.MaxCases > 0:
		limit = caseLimit{max: s.matrix.MaxCases, from: p.where("matrix.max_cases")}
	}
	seen := map[string]string{}
	for i, fc := range cases {
		at := "case[" + strconv.Itoa(i) + "]"
		def, err := p.caseDef(fc, fs.Defaults, s.matrix, at)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[def.Name]; dup {
			return nil, p.errAt(at+".name", "case name %q is used twice (also at %s): give each case its own name", def.Name, prev)
		}
		seen[def.Name] = at
		// Counted before anything is expanded: the cross product is
		// never built, so a huge one cannot exhaust memory.
		if err := p.count(s, def, fc, at, limit); err != nil {
			return nil, err
		}
		// Expanding now reports bad variables and regexps at load time,
		// so Case itself cannot fail.
		if err := p.checkVariants(def, at); err != nil {
			return nil, err
		}
		s.defs = append(s.defs, def)
	}
	return s, nil
}

type parser struct {
	file string
	dir  string
	data []byte
	loc  *tomlpos.Locator

	read     map[string][]byte // files read so far, by full path: each read once
	readSize int               // their total size, at most maxSuiteUploadBytes
}

// errAt builds "file:line: key: message; see ...".
func (p *parser) errAt(path, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if n := p.loc.Line(path); n > 0 {
		return fmt.Errorf("%s:%d: %s: %s; %s", p.file, n, path, msg, seeExample)
	}
	return fmt.Errorf("%s: %s: %s; %s", p.file, path, msg, seeExample)
}

// lastKeyMsg matches the decoder's type errors, which carry the key in text.
var lastKeyMsg = regexp.MustCompile(`^toml: (?:line \d+ )?\(last key "([^"]*)"\): (.*)$`)

// decodeError turns a decoder error into one naming file, line and key.
// within is the case ("case[2]") a Primitive was decoded for, "" for the
// whole file.
func (p *parser) decodeError(err error, within string) error {
	var pe toml.ParseError
	key, msg := "", err.Error()
	if errors.As(err, &pe) {
		key, msg = pe.LastKey, pe.Message
		if within == "" {
			// A syntax error: the parser knows the exact line.
			where := ""
			if key != "" {
				where = fmt.Sprintf(" (after key %q)", key)
			}
			return fmt.Errorf("%s:%d: %s%s: fix the TOML syntax; %s", p.file, pe.Position.Line, msg, where, seeExample)
		}
	} else if m := lastKeyMsg.FindStringSubmatch(msg); m != nil {
		key, msg = m[1], m[2]
	}
	if key == "" {
		return fmt.Errorf("%s: %s; %s", p.file, msg, seeExample)
	}
	path, _ := p.loc.Find(key, "")
	if within != "" {
		path, _ = p.loc.Find(key, within)
	}
	return p.errAt(path, "%s", msg)
}

// unknownKeys reports the first key the file sets that the suite format
// does not have.
func (p *parser) unknownKeys(md toml.MetaData) error {
	for _, key := range md.Undecoded() {
		generic := strings.Join(key, ".")
		path, _ := p.loc.Find(generic, "")
		return p.errAt(path, "unknown key %q (a typo?)", key[len(key)-1])
	}
	return nil
}

func (p *parser) matrix(fm fileMatrix) (matrix, error) {
	m := matrix{Runs: 1}
	if fm.Runs != nil {
		if *fm.Runs < 1 || *fm.Runs > maxRuns {
			return m, p.errAt("matrix.runs", "runs must be between 1 and %d (got %d)", maxRuns, *fm.Runs)
		}
		m.Runs = *fm.Runs
	}
	if fm.MaxCases != nil {
		if *fm.MaxCases < 1 {
			return m, p.errAt("matrix.max_cases", "max_cases must be at least 1 (got %d)", *fm.MaxCases)
		}
		m.MaxCases = *fm.MaxCases
	}
	models, err := p.models(fm.Models, "matrix.models")
	m.Models = models
	return m, err
}

func (p *parser) models(list []string, at string) ([]string, error) {
	seen := map[string]bool{}
	for i, m := range list {
		if strings.TrimSpace(m) == "" || strings.ContainsAny(m, "[]#\n") {
			return nil, p.errAt(at, "model %d (%q) is not a valid model name", i+1, m)
		}
		if termsafe.SanitizeLine(m) != m {
			// It is in every case id, progress line and report.
			return nil, p.errAt(at, "model %d (%q) holds control or invisible characters: write the model's plain name", i+1, m)
		}
		if seen[m] {
			return nil, p.errAt(at, "model %q is listed twice", m)
		}
		seen[m] = true
	}
	return list, nil
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

// validName keeps case and variant names out of the id syntax
// (name/variant[model]#run) and safe as file names and labels.
func validName(s string) bool { return nameRe.MatchString(s) }

// readRel reads a file named relative to the suite file.
func (p *parser) readRel(name, at string) ([]byte, error) {
	full := name
	if !filepath.IsAbs(full) {
		full = filepath.Join(p.dir, name)
	}
	if data, ok := p.read[full]; ok {
		// [defaults] uploads are named once per case: one read, one copy.
		return data, nil
	}
	fi, err := os.Stat(full)
	if err != nil {
		return nil, p.errAt(at, "cannot read %s: %v (paths are relative to the suite file)", full, err)
	}
	// Devices and pipes could block or never end: regular files only.
	if !fi.Mode().IsRegular() || fi.Size() > maxUploadBytes {
		return nil, p.errAt(at, "%s must be a regular file of at most %d MiB", full, maxUploadBytes>>20)
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, p.errAt(at, "cannot read %s: %v", full, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
	if err != nil || len(data) > maxUploadBytes {
		return nil, p.errAt(at, "cannot read %s: %v (at most %d MiB)", full, err, maxUploadBytes>>20)
	}
	if p.readSize += len(data); p.readSize > maxSuiteUploadBytes {
		return nil, p.errAt(at, "the files this suite reads (prompts and uploads) pass %d MiB with %s: upload big trees with setup.repo or a setup command instead",
			maxSuiteUploadBytes>>20, full)
	}
	if p.read == nil {
		p.read = map[string][]byte{}
	}
	p.read[full] = data
	return data, nil
}
