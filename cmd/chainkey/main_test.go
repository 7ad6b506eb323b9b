package main

import (
	"os"
	"testing"
)

// TestMain makes every node process a test starts stop when the test
// binary dies (a test that times out is killed without its cleanups), and
// removes the shared build of the binary afterwards.
func TestMain(m *testing.M) {
	os.Setenv(stopWithParentEnv, "1")
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
