package lexers

import (
	"embed"
	"io/fs"
	"sync"

	"github.com/alecthomas/chroma/v2"
)

//go:embed embedded
var embedded embed.FS

// GlobalLexerRegistry is the global LexerRegistry of Lexers.
//
// tether: the embedded XML lexers are registered on first use (any function
// of this package but Register), not at package init: parsing their 250
// definitions cost ~10 ms of every start-up of a program that links chroma,
// before main. Use the functions, not the variable, to see them.
var GlobalLexerRegistry = chroma.NewLexerRegistry()

var (
	loadEmbedded sync.Once
	loaded       []func() // run once the embedded lexers are registered
)

// afterLoad runs f once the embedded lexers are registered (f sees them in
// GlobalLexerRegistry; it must not call this package's functions).
func afterLoad(f func()) bool {
	loaded = append(loaded, f)
	return true
}

// registry is GlobalLexerRegistry with the embedded lexers in it. Lexers
// defined in Go register at init and take precedence over an embedded one
// of the same name, as when the embedded ones were registered first.
func registry() *chroma.LexerRegistry {
	loadEmbedded.Do(func() {
		paths, err := fs.Glob(embedded, "embedded/*.xml")
		if err != nil {
			panic(err)
		}
		// The same order as upstream's (embedded first), which Match and
		// Analyse break ties by.
		goDefined := GlobalLexerRegistry.Lexers
		GlobalLexerRegistry.Lexers = nil
		for _, path := range paths {
			GlobalLexerRegistry.Register(chroma.MustNewXMLLexer(embedded, path))
		}
		for _, l := range goDefined {
			GlobalLexerRegistry.Register(l)
		}
		for _, f := range loaded {
			f()
		}
	})
	return GlobalLexerRegistry
}

// Names of all lexers, optionally including aliases.
func Names(withAliases bool) []string {
	return registry().Names(withAliases)
}

// Get a Lexer by name, alias or file extension.
//
// Note that this if there isn't an exact match on name or alias, this will
// call Match(), so it is not efficient.
func Get(name string) chroma.Lexer {
	return registry().Get(name)
}

// MatchMimeType attempts to find a lexer for the given MIME type.
func MatchMimeType(mimeType string) chroma.Lexer {
	return registry().MatchMimeType(mimeType)
}

// Match returns the first lexer matching filename.
//
// Note that this iterates over all file patterns in all lexers, so it's not
// particularly efficient.
func Match(filename string) chroma.Lexer {
	return registry().Match(filename)
}

// Register a Lexer with the global registry.
func Register(lexer chroma.Lexer) chroma.Lexer {
	return GlobalLexerRegistry.Register(lexer)
}

// Analyse text content and return the "best" lexer..
func Analyse(text string) chroma.Lexer {
	return registry().Analyse(text)
}

// PlaintextRules is used for the fallback lexer as well as the explicit
// plaintext lexer.
func PlaintextRules() chroma.Rules {
	return chroma.Rules{
		"root": []chroma.Rule{
			{`.+`, chroma.Text, nil},
			{`\n`, chroma.Text, nil},
		},
	}
}

// Fallback lexer if no other is found.
var Fallback chroma.Lexer = chroma.MustNewLexer(&chroma.Config{
	Name:      "fallback",
	Filenames: []string{"*"},
	Priority:  -1,
}, PlaintextRules)
