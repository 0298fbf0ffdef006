package llm

import (
	"regexp"
	"strings"
)

// Price is what a model costs, in USD per million tokens.
type Price struct {
	InputPerMTok  float64
	OutputPerMTok float64
	// CachedInputPerMTok is charged for prompt tokens served from the
	// provider's prompt cache; 0 means "same as InputPerMTok".
	CachedInputPerMTok float64
	// CacheWritePerMTok is charged for prompt tokens written to the cache
	// (Anthropic); 0 means "same as InputPerMTok".
	CacheWritePerMTok float64
}

// versionSuffix is what may follow a table key in a dated or aliased
// model name: gpt-4o-2024-08-06, claude-sonnet-4-20250514,
// claude-3-7-sonnet-latest, gpt-4-0613, gemini-2.5-flash-001.
var versionSuffix = regexp.MustCompile(`^-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}|latest)$`)

// LookupPrice finds the price of model: overrides first, then the built-in
// table. Names are matched exactly, then without a vendor prefix
// ("openai/gpt-4o" → gpt-4o) or an OpenRouter variant (":beta"), then as a
// dated/versioned form of a known name ("gpt-4o-2024-08-06" → gpt-4o).
// OpenRouter ":free" models cost 0 unless overridden. The second result is
// false when the model is unknown; no price is ever invented.
func LookupPrice(model string, overrides map[string]Price) (Price, bool) {
	if p, ok := overrides[model]; ok {
		return p, true
	}
	name, free := canonicalModel(model)
	if p, ok := matchPrice(name, overrides, true); ok {
		return p, true
	}
	if free {
		return Price{}, true
	}
	return matchPrice(name, builtinPrices, false)
}

// canonicalModel lower-cases model, drops any vendor/ prefix and :variant
// suffix, and writes Claude versions with dashes as Anthropic does
// (OpenRouter's "claude-3.5-sonnet" is Anthropic's "claude-3-5-sonnet").
func canonicalModel(model string) (name string, free bool) {
	name = strings.ToLower(strings.TrimSpace(model))
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		free = name[i+1:] == "free"
		name = name[:i]
	}
	if strings.HasPrefix(name, "claude-") {
		name = strings.ReplaceAll(name, ".", "-")
	}
	return name, free
}

// matchPrice tries name exactly, then the longest table key of which name
// is a versioned form. Override keys are canonicalised too when asked, so
// users may write "anthropic/claude-sonnet-4" or "claude-sonnet-4".
func matchPrice(name string, table map[string]Price, canonKeys bool) (Price, bool) {
	best, bestLen, found := Price{}, -1, false
	for key, p := range table {
		if canonKeys {
			key, _ = canonicalModel(key)
		}
		if key == name {
			return p, true
		}
		if len(key) > bestLen && strings.HasPrefix(name, key) && versionSuffix.MatchString(name[len(key):]) {
			best, bestLen, found = p, len(key), true
		}
	}
	return best, found
}

// cost prices one call's usage; cached and cache-written prompt tokens
// are part of prompt.
func (p Price) cost(prompt, cached, written, completion int) float64 {
	cachedRate := p.CachedInputPerMTok
	if cachedRate == 0 {
		cachedRate = p.InputPerMTok
	}
	writeRate := p.CacheWritePerMTok
	if writeRate == 0 {
		writeRate = p.InputPerMTok
	}
	cached = min(cached, prompt)
	written = min(written, prompt-cached)
	return (float64(prompt-cached-written)*p.InputPerMTok +
		float64(cached)*cachedRate +
		float64(written)*writeRate +
		float64(completion)*p.OutputPerMTok) / 1e6
}
