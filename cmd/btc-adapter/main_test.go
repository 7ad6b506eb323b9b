package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRunRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--network", "simnet"}, "unknown network"},
		{[]string{"--log-level", "loud"}, "loud"},
		{[]string{"--bogus"}, "bogus"},
		{[]string{"--network", "regtest", "--listen", "tcp://256.0.0.1:1"}, "listen"},
	} {
		if err := run(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%v) = %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}

func TestListenUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "adapter.sock")
	for range 2 { // a stale socket file is replaced
		l, err := listen("unix://" + path)
		if err != nil {
			t.Fatal(err)
		}
		if l.Addr().Network() != "unix" {
			t.Fatalf("network %s", l.Addr().Network())
		}
		l.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
		l.Close()
	}
}
