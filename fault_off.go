//go:build !faults

package main

import "github.com/tether-dev/tether/session"

// withFault is the identity in release builds: the fault hook (fault.go)
// is compiled in only with -tags faults, which the e2e tests use.
func withFault(m session.Model) session.Model { return m }
