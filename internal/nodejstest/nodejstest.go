// Package nodejstest runs the Node.js clients that the interoperability tests
// check chainkey against (@dfinity/agent, @dfinity/candid, @dfinity/vetkeys,
// ...). Each client lives in a small Node project under a package's testdata
// with a committed package.json and package-lock.json; Project installs it
// with `npm ci` once per lock file and runs its scripts.
//
// A test that needs Node.js fails with an explanation when node or npm is
// missing, and is skipped when CHAINKEY_SKIP_NODE=1.
package nodejstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stampFile records, inside node_modules, the digest of the manifest that
// node_modules was installed from.
const stampFile = ".chainkey-install-stamp"

// Project is an installed Node project.
type Project struct {
	// Dir is the project's directory.
	Dir string
	// Node is the path of the node binary.
	Node string
}

// Install finds node and npm and runs `npm ci` in dir unless node_modules was
// installed from the current package.json and package-lock.json. what names
// the client in messages ("@dfinity/candid").
func Install(t testing.TB, dir, what string) *Project {
	t.Helper()
	if os.Getenv("CHAINKEY_SKIP_NODE") == "1" {
		t.Skipf("CHAINKEY_SKIP_NODE=1: not checking with %s", what)
	}
	var missing []string
	path := func(name string) string {
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
		}
		return p
	}
	node, npm := path("node"), path("npm")
	if len(missing) > 0 {
		t.Fatalf("%s not found on PATH: Node.js (v20+) and npm are needed to check with %s; "+
			"install them, or set CHAINKEY_SKIP_NODE=1 to skip this test", strings.Join(missing, " and "), what)
	}
	var manifest []byte
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		manifest = append(manifest, b...)
	}
	sum := sha256.Sum256(manifest)
	want := hex.EncodeToString(sum[:]) + "\n"
	stamp := filepath.Join(dir, "node_modules", stampFile)
	if b, err := os.ReadFile(stamp); err != nil || string(b) != want {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
		if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &Project{Dir: dir, Node: node}
}

// Run runs `node script` in the project with stdin as its standard input
// and returns its standard output, failing the test if it fails.
func (p *Project) Run(t testing.TB, script string, stdin []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := p.Command(ctx, script)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// Command returns the command `node script` in the project's directory, for
// a test that talks to a long-running script.
func (p *Project) Command(ctx context.Context, script string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.Node, script)
	cmd.Dir = p.Dir
	return cmd
}
