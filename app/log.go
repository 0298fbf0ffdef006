package app

import (
	"context"
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
		}
	}
	return a
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
