//go:build !race

package main

// raceEnabled: the race detector changes what the program allocates.
const raceEnabled = false
