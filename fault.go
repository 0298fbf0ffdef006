//go:build faults

package main

import (
	"context"
	"os"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/session"
)

// faultEnv is a test hook read in this one place: TETHER_FAULT=panic-model
// makes the model panic on its first call, in the session's goroutine, so
// the process-level tests can check that a crash deep in the engine still
// ends the run cleanly and deletes the sandbox. Unset, it changes nothing.
const faultEnv = "TETHER_FAULT"

// withFault returns m, or a model that panics when TETHER_FAULT asks.
func withFault(m session.Model) session.Model {
	if m == nil || os.Getenv(faultEnv) != "panic-model" {
		return m
	}
	return panicModel{}
}

type panicModel struct{}

func (panicModel) Stream(context.Context, llm.Request, func(llm.Delta)) (llm.Response, error) {
	panic("TETHER_FAULT=panic-model: injected panic in the model call")
}
