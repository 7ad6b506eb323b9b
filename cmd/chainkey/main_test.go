package main

import (
	"os"
	"testing"
)

// TestMain makes every node process a test starts stop when the test
// binary dies (a test that times out is killed without its cleanups).
func TestMain(m *testing.M) {
	os.Setenv(stopWithParentEnv, "1")
	os.Exit(m.Run())
}
