package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/rpc"
)

// The multi-process tests share one build of the chainkey binary.
var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// chainkeyBinary builds the chainkey command once per test process and
// returns its path (TestMain removes it).
func chainkeyBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "chainkey-bin-"); binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "chainkey"), ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{err: err, out: out}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "chainkey")
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

// initSubnet runs `chainkey init --nodes n ARGS --out DIR/subnet` and
// returns what it printed.
func initSubnet(t *testing.T, bin, dir string, n int, args ...string) initOutput {
	t.Helper()
	argv := append(append([]string{"init", "--nodes", itoa(uint64(n))}, args...), "--out", filepath.Join(dir, "subnet"))
	out, err := exec.Command(bin, argv...).Output()
	if err != nil {
		t.Fatalf("chainkey init: %v", err)
	}
	var ini initOutput
	if err := json.Unmarshal(out, &ini); err != nil || len(ini.Nodes) != n {
		t.Fatalf("init printed %q: %v", out, err)
	}
	return ini
}

// nodeProc is a running `chainkey node` process with its log file.
type nodeProc struct {
	home string
	cmd  *exec.Cmd
	log  *os.File
}

// startNodeProc starts `chainkey node --home HOME EXTRA...`, its output
// appended to HOME/node.log.
func startNodeProc(t *testing.T, bin, home string, extra ...string) *nodeProc {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(home, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"node", "--home", home}, extra...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &nodeProc{home: home, cmd: cmd, log: logf}
}

// kill SIGKILLs the process (if still running) and waits for it.
func (p *nodeProc) kill() {
	if p == nil {
		return
	}
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
	p.log.Close()
}

// cleanupNodeProcs kills every process of *procs when the test ends and,
// if it failed, logs the tail of each node's log.
func cleanupNodeProcs(t *testing.T, procs *[]*nodeProc) {
	t.Cleanup(func() {
		for _, p := range *procs {
			p.kill()
		}
		if t.Failed() {
			for _, p := range *procs {
				if p != nil {
					b, _ := os.ReadFile(filepath.Join(p.home, "node.log"))
					t.Logf("%s log tail:\n%s", p.home, tail(b, 3000))
				}
			}
		}
	})
}

// dialNodes connects a gRPC client with key to every node of ini.
func dialNodes(t *testing.T, ini initOutput, key ingress.Signer) []*rpc.Client {
	t.Helper()
	var clients []*rpc.Client
	for _, n := range ini.Nodes {
		c, err := rpc.Dial(n.GRPC, key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
	}
	return clients
}
