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

// builtinPrices are list prices (USD per million tokens) of common models
// as published by their vendors; OpenRouter passes them on unchanged.
// Keys are canonical names (see canonicalModel). A model missing here has
// no known cost — the table never guesses.
var builtinPrices = map[string]Price{
	// OpenAI
	"gpt-4o":            {2.50, 10.00, 1.25, 0},
	"gpt-4o-2024-05-13": {5.00, 15.00, 0, 0},
	"gpt-4o-mini":       {0.15, 0.60, 0.075, 0},
	"gpt-4.1":           {2.00, 8.00, 0.50, 0},
	"gpt-4.1-mini":      {0.40, 1.60, 0.10, 0},
	"gpt-4.1-nano":      {0.10, 0.40, 0.025, 0},
	"gpt-4-turbo":       {10.00, 30.00, 0, 0},
	"gpt-4":             {30.00, 60.00, 0, 0},
	"gpt-3.5-turbo":     {0.50, 1.50, 0, 0},
	"o1":                {15.00, 60.00, 7.50, 0},
	"o1-mini":           {1.10, 4.40, 0.55, 0},
	"o3":                {2.00, 8.00, 0.50, 0},
	"o3-mini":           {1.10, 4.40, 0.55, 0},
	"o3-pro":            {20.00, 80.00, 0, 0},
	"o4-mini":           {1.10, 4.40, 0.275, 0},
	"gpt-5":             {1.25, 10.00, 0.125, 0},
	"gpt-5-chat":        {1.25, 10.00, 0.125, 0},
	"gpt-5-codex":       {1.25, 10.00, 0.125, 0},
	"gpt-5-mini":        {0.25, 2.00, 0.025, 0},
	"gpt-5-nano":        {0.05, 0.40, 0.005, 0},
	// Anthropic (cached = cache read)
	"claude-opus-4":     {15.00, 75.00, 1.50, 0},
	"claude-opus-4-1":   {15.00, 75.00, 1.50, 0},
	"claude-sonnet-4":   {3.00, 15.00, 0.30, 0},
	"claude-sonnet-4-5": {3.00, 15.00, 0.30, 0},
	"claude-3-7-sonnet": {3.00, 15.00, 0.30, 0},
	"claude-3-5-sonnet": {3.00, 15.00, 0.30, 0},
	"claude-haiku-4-5":  {1.00, 5.00, 0.10, 0},
	"claude-3-5-haiku":  {0.80, 4.00, 0.08, 0},
	"claude-3-haiku":    {0.25, 1.25, 0.03, 0},
	"claude-3-opus":     {15.00, 75.00, 1.50, 0},
	// Google (prompts up to 200k tokens)
	"gemini-2.5-pro":        {1.25, 10.00, 0.31, 0},
	"gemini-2.5-flash":      {0.30, 2.50, 0.075, 0},
	"gemini-2.5-flash-lite": {0.10, 0.40, 0.025, 0},
	"gemini-2.0-flash":      {0.10, 0.40, 0.025, 0},
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
