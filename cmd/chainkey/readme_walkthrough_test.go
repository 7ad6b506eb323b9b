package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chainkey/chainkey/bitcoin/btcdtest"
)

// readmeBlock returns the first ```sh block after heading in the
// repository's README.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, heading)
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	s = s[i:]
	start := strings.Index(s, "```sh\n")
	if start < 0 {
		t.Fatalf("no sh block after %q", heading)
	}
	s = s[start+len("```sh\n"):]
	end := strings.Index(s, "\n```")
	if end < 0 {
		t.Fatal("unterminated sh block")
	}
	return s[:end+1]
}

// TestReadmeCkBTCWalkthrough runs the README's ckBTC walk-through as
// written, with the tools built by the test in place of "go install" and
// free ports in place of btcd's default regtest ports.
func TestReadmeCkBTCWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("runs btcd, the adapter and a 4-node subnet")
	}
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("the walk-through uses jq (Debian package jq), which is not installed")
	}
	script := readmeBlock(t, "#### Walk-through on regtest: deposit, mint, transfer, withdraw")
	var lines []string
	for _, l := range strings.Split(script, "\n") {
		if strings.HasPrefix(l, "go install ") || strings.HasPrefix(l, "export PATH=") {
			continue // the test builds the tools and puts them on PATH itself
		}
		lines = append(lines, l)
	}
	script = strings.Join(lines, "\n")
	p2p, rpc := btcdtest.FreePort(t), btcdtest.FreePort(t)
	script = strings.NewReplacer("127.0.0.1:18444", "127.0.0.1:"+strconv.Itoa(p2p), "127.0.0.1:18334", "127.0.0.1:"+strconv.Itoa(rpc)).Replace(script)

	bin := t.TempDir()
	btcd, btcctl := btcdtest.Binaries(t)
	for _, p := range []string{btcd, btcctl} {
		if err := os.Symlink(p, filepath.Join(bin, filepath.Base(p))); err != nil {
			t.Fatal(err)
		}
	}
	for _, pkg := range []string{"chainkey", "btc-adapter"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, pkg), "./cmd/"+pkg)
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}

	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+work, "XDG_CONFIG_HOME="+filepath.Join(work, "config"), "XDG_DATA_HOME="+filepath.Join(work, "data"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything the script left running
	}
	if err != nil {
		logs, _ := os.ReadFile(filepath.Join(work, "ckbtc-walk", "adapter.log"))
		t.Fatalf("walk-through: %v\n%s\nadapter log (tail): %s", err, out.String(), tail(logs, 2000))
	}
	got := out.String()
	t.Logf("walk-through output:\n%s", got)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`"minted_amount":99999000`),
		regexp.MustCompile(`\{"balance":99999000,`),
		regexp.MustCompile(`\{"balance":40000000,`),
		regexp.MustCompile(`"status":"Confirmed"`),
		regexp.MustCompile(`\{"balance":299[0-9]{5}\}`), // DEST's BTC: 0.3 BTC less the fees
		regexp.MustCompile(`\{"balance":9999990,`),      // Bob's ckBTC afterwards
	} {
		if !want.MatchString(got) {
			t.Errorf("walk-through output lacks %s", want)
		}
	}
}
