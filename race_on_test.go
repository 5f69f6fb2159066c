//go:build race

package main

// raceEnabled: the race detector makes the server several times slower,
// so timing bounds in tests scale with it.
const raceEnabled = true
