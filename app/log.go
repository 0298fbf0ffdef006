package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/tether-dev/tether/internal/redact"
)

// redactHandler masks configured secrets in every log record: keys never
// reach the log even if a library puts one in an error message.
type redactHandler struct {
	slog.Handler
	secrets *redact.Set
}

func (h redactHandler) redact(s string) string { return h.secrets.Text(s) }

func (h redactHandler) attr(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve() // a LogValuer's value is what gets written
	switch a.Value.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.redact(a.Value.String()))
	case slog.KindGroup:
		attrs := a.Value.Group()
		out := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			out[i] = h.attr(g)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(h.redact(err.Error()))
			return a
		}
		a.Value = h.anyValue(a.Value)
	}
	return a
}

// anyValue checks a struct, slice, map or pointer as the text and JSON
// handlers would write it (fmt's %+v, encoding/json): when either holds
// a secret, the value is written as its redacted text instead.
func (h redactHandler) anyValue(v slog.Value) slog.Value {
	text := fmt.Sprintf("%+v", v.Any())
	if r := h.redact(text); r != text {
		return slog.StringValue(r)
	}
	if b, err := json.Marshal(v.Any()); err == nil {
		if r := h.redact(string(b)); r != string(b) {
			return slog.StringValue(r)
		}
	}
	return v
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.secrets.Empty() {
		return h.Handler.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, h.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return redactHandler{Handler: h.Handler.WithAttrs(clean), secrets: h.secrets}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{Handler: h.Handler.WithGroup(name), secrets: h.secrets}
}
