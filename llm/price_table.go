package llm

// builtinPrices are list prices in USD per million tokens, standard tier,
// as the vendors publish them: {input, output, cached input, cache write}
// (0 = the input rate). Keys are canonical names (see canonicalModel). A
// model missing here has no known cost: the table never guesses.
//
// Every row ends with its source and the date it was read, "[tag]
// YYYY-MM-DD", tags as below (a test checks). The sources were read
// through stored copies of public pages, not the live web: where only a
// third party's transcription was found, the tag says so, and a row whose
// price could not be confirmed at all is left out, with a note.
//
// Sources:
// [oai-model] OpenAI's model pages, developers.openai.com/api/docs/models/ID
// [oai-gh] GitHub's Copilot price table (github/docs data/tables/copilot/models-and-pricing.yml), which lists OpenAI's per-token rates; third party
// [oai-ae] api-evangelist/openai plans/openai-plans-pricing.yml, transcribed from developers.openai.com/api/docs/pricing on 2026-05-04; third party
// [oai-legacy] OpenAI's legacy rates per 1K tokens as listed in 2023-24 (gpt-3.5 snapshots), via a transcription (huggingface.co/spaces/Bikatr7/Kudasai openai_chat_model_info.csv); third party
// [table] carried over from the previous table; not re-read this time
// [anthropic] platform.claude.com/docs/en/about-claude/pricing and docs.anthropic.com/en/docs/about-claude/pricing (model pricing table: base input, 5-minute cache write, cache hit, output)
// [anthropic-model] platform.claude.com/docs/.../models/<model>/overview and whats-new pages
// [anthropic-3p] third-party copies of Anthropic's table (docs.electronhub.ai/guides/prompt-caching, claudecodeguides.com)
// [deepseek] api-docs.deepseek.com/quick_start/pricing as quoted by tokenmix.ai and chat-deep.ai (checked 2026-04-30); third party
// [gemini-3p] Google's official rates as quoted by a reseller (evolink.ai/gemini-3-pro); third party
// [gemini-forum] ai.google.dev/gemini-api/docs/pricing as quoted on Google's developer forum (discuss.ai.google.dev/t/question-about-gemini-api-caching-pricing/107349); third party
//
// Not modelled: long-context tiers (Gemini above 200k prompt tokens,
// Anthropic above 200k, Claude Haiku 5.5 above 100k: those prompts cost
// more than computed here), 1-hour cache writes (the 5-minute rate is
// used), Batch and Flex discounts, regional uplifts.
//
// Left unknown, for want of a vendor source found: the gpt-5.6 and gpt-6
// families (only resellers' tables were found), deepseek-chat and
// deepseek-reasoner (aliases DeepSeek retired after 2026-07-24), Claude
// Haiku 5.5 (tiered by prompt length), Gemini 3 Flash.
var builtinPrices = map[string]Price{
	// OpenAI
	"gpt-4o":                 {2.50, 10.00, 1.25, 0},  // [table] 2026-12-03
	"gpt-4o-2024-05-13":      {5.00, 15.00, 0, 0},     // [table] 2026-12-03
	"gpt-4o-mini":            {0.15, 0.60, 0.075, 0},  // [table] 2026-12-03
	"gpt-4.1":                {2.00, 8.00, 0.50, 0},   // [oai-gh] 2026-12-03
	"gpt-4.1-mini":           {0.40, 1.60, 0.10, 0},   // [table] 2026-12-03
	"gpt-4.1-nano":           {0.10, 0.40, 0.025, 0},  // [table] 2026-12-03
	"gpt-4-turbo":            {10.00, 30.00, 0, 0},    // [table] 2026-12-03
	"gpt-4":                  {30.00, 60.00, 0, 0},    // [oai-legacy] 2026-12-03
	"gpt-4-0613":             {30.00, 60.00, 0, 0},    // [oai-legacy] 2026-12-03
	"gpt-4-32k":              {60.00, 120.00, 0, 0},   // [oai-legacy] 2026-12-03
	"gpt-4-1106-preview":     {10.00, 30.00, 0, 0},    // [oai-legacy] 2026-12-03
	"gpt-4-0125-preview":     {10.00, 30.00, 0, 0},    // [oai-legacy] 2026-12-03
	"gpt-3.5-turbo":          {0.50, 1.50, 0, 0},      // [oai-legacy] 2026-12-03
	"gpt-3.5-turbo-0125":     {0.50, 1.50, 0, 0},      // [oai-legacy] 2026-12-03
	"gpt-3.5-turbo-1106":     {1.00, 2.00, 0, 0},      // [oai-legacy] 2026-12-03
	"gpt-3.5-turbo-0613":     {1.50, 2.00, 0, 0},      // [oai-legacy] 2026-12-03
	"gpt-3.5-turbo-0301":     {1.50, 2.00, 0, 0},      // [oai-legacy] 2026-12-03
	"gpt-3.5-turbo-16k":      {3.00, 4.00, 0, 0},      // [oai-legacy] 2026-12-03
	"gpt-3.5-turbo-16k-0613": {3.00, 4.00, 0, 0},      // [oai-legacy] 2026-12-03
	"gpt-3.5-turbo-instruct": {1.50, 2.00, 0, 0},      // [oai-model] 2026-12-03
	"o1":                     {15.00, 60.00, 7.50, 0}, // [table] 2026-12-03
	"o1-mini":                {1.10, 4.40, 0.55, 0},   // [table] 2026-12-03
	"o3":                     {2.00, 8.00, 0.50, 0},   // [table] 2026-12-03
	"o3-mini":                {1.10, 4.40, 0.55, 0},   // [table] 2026-12-03
	"o3-pro":                 {20.00, 80.00, 0, 0},    // [table] 2026-12-03
	"o4-mini":                {1.10, 4.40, 0.275, 0},  // [table] 2026-12-03
	"gpt-5":                  {1.25, 10.00, 0.125, 0}, // [oai-model] 2026-12-03 (gpt-5-codex page's comparison)
	"gpt-5-chat":             {1.25, 10.00, 0.125, 0}, // [table] 2026-12-03
	"gpt-5-codex":            {1.25, 10.00, 0.125, 0}, // [oai-model] 2026-12-03
	"gpt-5-mini":             {0.25, 2.00, 0.025, 0},  // [oai-gh] 2026-12-03
	"gpt-5-nano":             {0.05, 0.40, 0.005, 0},  // [oai-model] 2026-12-03
	"gpt-5.1":                {1.25, 10.00, 0.125, 0}, // [oai-model] 2026-12-03
	"gpt-5.2":                {1.75, 14.00, 0.175, 0}, // [oai-gh] 2026-12-03
	"gpt-5.2-codex":          {1.75, 14.00, 0.175, 0}, // [oai-gh] 2026-12-03
	"gpt-5.3-codex":          {1.75, 14.00, 0.175, 0}, // [oai-gh] 2026-12-03
	"gpt-5.4":                {2.50, 15.00, 0.25, 0},  // [oai-ae] 2026-12-03 (same in [oai-gh])
	"gpt-5.4-mini":           {0.75, 4.50, 0.075, 0},  // [oai-ae] 2026-12-03
	"gpt-5.4-nano":           {0.20, 1.25, 0.02, 0},   // [oai-ae] 2026-12-03
	"gpt-5.5":                {5.00, 30.00, 0.50, 0},  // [oai-ae] 2026-12-03
	"gpt-5.5-pro":            {30.00, 180.00, 0, 0},   // [oai-ae] 2026-12-03 (no cached rate listed)

	// Anthropic: cached = cache hit, cache write = the 5-minute write.
	"claude-opus-5":     {5.00, 25.00, 0.50, 6.25},   // [anthropic] 2026-12-03
	"claude-opus-4-8":   {5.00, 25.00, 0.50, 6.25},   // [anthropic] 2026-12-03
	"claude-opus-4-7":   {5.00, 25.00, 0.50, 6.25},   // [anthropic] 2026-12-03
	"claude-opus-4-6":   {5.00, 25.00, 0.50, 6.25},   // [anthropic] 2026-12-03
	"claude-opus-4-5":   {5.00, 25.00, 0.50, 6.25},   // [anthropic] 2026-12-03
	"claude-opus-4-1":   {15.00, 75.00, 1.50, 18.75}, // [anthropic] 2026-12-03
	"claude-opus-4":     {15.00, 75.00, 1.50, 18.75}, // [anthropic] 2026-12-03
	"claude-opus-5-5":   {4.00, 20.00, 0, 0},         // [anthropic-model] 2026-12-03 (cache rates not found on a vendor page: billed here at the input rate)
	"claude-sonnet-5-5": {2.00, 10.00, 0, 0},         // [anthropic-model] 2026-12-03 (cache rates not found on a vendor page: billed here at the input rate)
	"claude-sonnet-5":   {2.00, 10.00, 0.20, 2.50},   // [anthropic-model] 2026-12-03
	"claude-sonnet-4-6": {3.00, 15.00, 0.30, 3.75},   // [anthropic-3p] 2026-12-03
	"claude-sonnet-4-5": {3.00, 15.00, 0.30, 3.75},   // [anthropic-3p] 2026-12-03
	"claude-sonnet-4":   {3.00, 15.00, 0.30, 3.75},   // [anthropic] 2026-12-03
	"claude-3-7-sonnet": {3.00, 15.00, 0.30, 3.75},   // [anthropic] 2026-12-03
	"claude-3-5-sonnet": {3.00, 15.00, 0.30, 3.75},   // [anthropic] 2026-12-03
	"claude-haiku-4-5":  {1.00, 5.00, 0.10, 1.25},    // [anthropic-3p] 2026-12-03 ($1/$5 also on [anthropic-model] Sonnet 5's page)
	"claude-3-5-haiku":  {0.80, 4.00, 0.08, 1.00},    // [anthropic] 2026-12-03
	"claude-3-haiku":    {0.25, 1.25, 0.03, 0.30},    // [anthropic] 2026-12-03
	"claude-3-opus":     {15.00, 75.00, 1.50, 18.75}, // [anthropic] 2026-12-03

	// Google, prompts up to 200k tokens. The Gemini 2.5 cached rates of
	// the old table were stale (2.5 Pro's $0.31 is the old rate, now
	// $0.125); for the Flash models no current figure was found: their
	// cached tokens are billed here at the input rate (an overestimate).
	"gemini-3-pro-preview":  {2.00, 12.00, 0.20, 0},  // [gemini-3p] 2026-12-03
	"gemini-2.5-pro":        {1.25, 10.00, 0.125, 0}, // [gemini-forum] 2026-12-03
	"gemini-2.5-flash":      {0.30, 2.50, 0, 0},      // [table] 2026-12-03
	"gemini-2.5-flash-lite": {0.10, 0.40, 0, 0},      // [table] 2026-12-03
	"gemini-2.0-flash":      {0.10, 0.40, 0, 0},      // [table] 2026-12-03

	// DeepSeek: cached = cache hit, input = cache miss. V4 Pro at its
	// regular listed rate (the 75% promotion ended 2026-05-31).
	"deepseek-v4-flash": {0.14, 0.28, 0.0028, 0}, // [deepseek] 2026-12-03
	"deepseek-v4-pro":   {1.74, 3.48, 0.0145, 0}, // [deepseek] 2026-12-03
}
