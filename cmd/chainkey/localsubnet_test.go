package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestLockHomeNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := lockHome(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockHome(dir)
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second lock: %v, want 'in use' naming pid %d", err, os.Getpid())
	}
	l.release()
	l2, err := lockHome(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.release()
}

func TestResolveTarget(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	home, err := defaultUpHome()
	if err != nil {
		t.Fatal(err)
	}
	// Nothing running: the first node of "chainkey init".
	got, err := resolveTarget("", "")
	if err != nil || !slices.Equal(got.Endpoints, []string{fallbackEndpoint}) || got.Local || got.RootKey != nil {
		t.Fatalf("no subnet: %+v %v", got, err)
	}
	// A running local subnet (this process stands in for it).
	rootDER := blsTestDERPrefix + blsTestKey
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	running := upOutput{GRPC: []string{"127.0.0.1:4001", "127.0.0.1:4002"}, RootKey: rootDER, Home: home, PID: os.Getpid()}
	if err := writeLocalSubnet(home, running); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(home, localSubnetFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("endpoints file: %v %v", fi, err)
	}
	got, err = resolveTarget("", "")
	if err != nil || !got.Local || !slices.Equal(got.Endpoints, running.GRPC) || hex.EncodeToString(got.RootKey) != rootDER {
		t.Fatalf("local subnet: %+v %v", got, err)
	}
	// An explicit endpoint wins; a given root key is checked.
	got, err = resolveTarget("127.0.0.1:1, 127.0.0.1:2", rootDER)
	if err != nil || got.Local || !slices.Equal(got.Endpoints, []string{"127.0.0.1:1", "127.0.0.1:2"}) {
		t.Fatalf("explicit: %+v %v", got, err)
	}
	if _, err := resolveTarget("", "00"+rootDER); err == nil {
		t.Fatal("malformed root key accepted")
	}
	// A file left behind by a process that is gone is ignored.
	running.PID = 1 << 30
	if err := writeLocalSubnet(home, running); err != nil {
		t.Fatal(err)
	}
	if got, err = resolveTarget("", ""); err != nil || got.Local {
		t.Fatalf("stale subnet file used: %+v %v", got, err)
	}
	removeLocalSubnet(home)
}

func TestIsGoRunBinary(t *testing.T) {
	for exe, want := range map[string]bool{
		"/tmp/go-build123/b001/exe/chainkey":  true,
		"/tmp/go-build123/b001/chainkey.test": false,
		"/usr/local/bin/chainkey":             false,
		"/home/u/go/bin/chainkey":             false,
	} {
		if got := isGoRunBinary(exe); got != want {
			t.Errorf("%s: %v, want %v", exe, got, want)
		}
	}
}
