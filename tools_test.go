package main

import (
	"os"
	"os/exec"
	"testing"
)

// Tests that drive a program from a Debian package (ii, bash, nc, irssi,
// weechat-headless) find it with needTool. On a developer's machine a
// missing program skips the test with the command that installs it, so
// `go test ./...` passes with only Go installed; under CI=true it fails
// instead, because .ci/run installs every such package and a skip there
// would hide a test that no longer runs.

// needTool returns the path of program, from Debian package pkg.
func needTool(t *testing.T, program, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	if inCI() {
		t.Fatalf("%s is not installed (%v), and CI=true: .ci/run must install Debian package %s", program, err, pkg)
	}
	t.Skipf("%s is not installed: `sudo apt-get install %s` to run this test (CI installs it)", program, pkg)
	return ""
}

// inCI reports whether the tests run in CI, where nothing may be skipped.
func inCI() bool { return os.Getenv("CI") == "true" }
