package styles

import (
	"embed"
	"io/fs"
	"sort"
	"sync"

	"github.com/alecthomas/chroma/v2"
)

//go:embed *.xml
var embedded embed.FS

// Registry of Styles.
//
// tether: the embedded XML styles are parsed on first use (Register, Names,
// Get), not at package init: parsing them cost ~8 ms of every start-up of a
// program that links chroma, before main. Reading the map directly before
// that sees only the styles Registered so far (glamour registers its own
// theme that way when it finds it missing, which stays correct).
var Registry = map[string]*chroma.Style{}

var loadEmbedded sync.Once

// load adds the embedded styles to Registry, once; a style Registered
// before keeps its place (upstream registered the embedded ones first, so
// a later Register replaced them: the same outcome).
func load() {
	loadEmbedded.Do(func() {
		files, err := fs.ReadDir(embedded, ".")
		if err != nil {
			panic(err)
		}
		for _, file := range files {
			if file.IsDir() {
				continue
			}
			r, err := embedded.Open(file.Name())
			if err != nil {
				panic(err)
			}
			style, err := chroma.NewXMLStyle(r)
			if err != nil {
				panic(err)
			}
			if _, ok := Registry[style.Name]; !ok {
				Registry[style.Name] = style
			}
			_ = r.Close()
		}
		if Fallback == nil {
			Fallback = Registry["swapoff"]
		}
	})
}

// Fallback style. Reassign to change the default fallback style; nil until
// the styles are loaded (Get loads them).
var Fallback *chroma.Style

// Register a chroma.Style.
func Register(style *chroma.Style) *chroma.Style {
	load()
	Registry[style.Name] = style
	return style
}

// Names of all available styles.
func Names() []string {
	load()
	out := []string{}
	for name := range Registry {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Get named style, or Fallback.
func Get(name string) *chroma.Style {
	load()
	if style, ok := Registry[name]; ok {
		return style
	}
	return Fallback
}
