// Package gethtest runs a real go-ethereum node, geth --dev, for tests.
//
// Binary builds geth at Version once through the Go module proxy (go
// install in module mode, outside chainkey's own module, so that geth's
// own go.mod decides its dependencies) and caches it under the user cache
// directory; Start runs it on loopback with a temporary data directory and
// stops it in t.Cleanup. The dev chain mines a block whenever a
// transaction is pending, and its prefunded developer account pays
// whatever a test needs through Fund.
package gethtest

import (
	"context"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Version is the go-ethereum release the tests run.
const Version = "v1.17.10"

// EnvBinary names an environment variable that, when set, is the path of a
// geth binary to use instead of building one.
const EnvBinary = "CHAINKEY_GETH"

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary returns the path of geth Version, building it on first use (this
// takes minutes) into os.UserCacheDir()/chainkey/geth-<Version>/geth.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() { buildPath, buildErr = build() })
	if buildErr != nil {
		tb.Fatalf("gethtest: %v", buildErr)
	}
	return buildPath
}

func build() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache directory: %w", err)
	}
	dir := filepath.Join(cache, "chainkey", "geth-"+Version)
	out := filepath.Join(dir, "geth")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build into a directory of our own and rename, so that concurrent
	// test processes never see a half-written binary.
	bin, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(bin)
	cmd := exec.Command("go", "install", "github.com/ethereum/go-ethereum/cmd/geth@"+Version)
	cmd.Dir = bin // outside any module: go install pkg@version uses geth's go.mod
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOWORK=off", "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install geth@%s: %v\n%s", Version, err, b)
	}
	if err := os.Rename(filepath.Join(bin, "geth"), out); err != nil {
		return "", err
	}
	return out, nil
}

// Node is a running geth --dev.
type Node struct {
	// URL is the HTTP JSON-RPC endpoint, http://127.0.0.1:PORT.
	URL string
	// Client is connected to URL.
	Client *ethclient.Client
	// Dev is the prefunded developer account, unlocked in geth.
	Dev common.Address

	rpc  *rpc.Client
	cmd  *exec.Cmd
	done chan struct{}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs geth --dev on loopback and waits until its JSON-RPC answers.
func Start(tb testing.TB) *Node {
	tb.Helper()
	geth := Binary(tb)
	dir := tb.TempDir()
	httpPort, authPort := freePort(tb), freePort(tb)
	n := &Node{URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort), done: make(chan struct{})}
	n.cmd = exec.Command(geth, "--dev", "--dev.period", "0", "--datadir", filepath.Join(dir, "data"),
		"--http", "--http.addr", "127.0.0.1", "--http.port", fmt.Sprint(httpPort), "--http.api", "eth,net,web3",
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", fmt.Sprint(authPort),
		"--ipcdisable", "--nodiscover", "--maxpeers", "0", "--port", "0", "--verbosity", "2")
	logFile, err := os.Create(filepath.Join(dir, "geth.log"))
	if err != nil {
		tb.Fatal(err)
	}
	n.cmd.Stdout, n.cmd.Stderr = logFile, logFile
	if err := n.cmd.Start(); err != nil {
		tb.Fatalf("gethtest: start geth: %v", err)
	}
	go func() { _ = n.cmd.Wait(); logFile.Close(); close(n.done) }()
	tb.Cleanup(func() {
		_ = n.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-n.done:
		case <-time.After(15 * time.Second):
			_ = n.cmd.Process.Kill()
			<-n.done
		}
		if n.rpc != nil {
			n.rpc.Close()
		}
	})
	fail := func(format string, args ...any) {
		tb.Helper()
		b, _ := os.ReadFile(filepath.Join(dir, "geth.log"))
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		tb.Fatalf("gethtest: "+format+"\ngeth log:\n%s", append(args, b)...)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-n.done:
			fail("geth exited")
		default:
		}
		c, err := rpc.Dial(n.URL)
		if err == nil {
			var accounts []common.Address
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = c.CallContext(ctx, &accounts, "eth_accounts")
			cancel()
			if err == nil && len(accounts) > 0 {
				n.rpc, n.Client, n.Dev = c, ethclient.NewClient(c), accounts[0]
				return n
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			fail("JSON-RPC at %s not ready: %v", n.URL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Fund sends wei from the developer account to to (eth_sendTransaction,
// signed by geth's own keystore) and waits until it is mined.
func (n *Node) Fund(tb testing.TB, to common.Address, wei *big.Int) *types.Receipt {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var hash common.Hash
	args := map[string]any{"from": n.Dev, "to": to, "value": (*hexutil.Big)(wei)}
	if err := n.rpc.CallContext(ctx, &hash, "eth_sendTransaction", args); err != nil {
		tb.Fatalf("gethtest: fund %s: %v", to.Hex(), err)
	}
	r, err := n.WaitMined(ctx, hash)
	if err != nil {
		tb.Fatalf("gethtest: fund %s: %v", to.Hex(), err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		tb.Fatalf("gethtest: fund %s: status %d", to.Hex(), r.Status)
	}
	return r
}

// WaitMined polls for the receipt of hash until it exists or ctx ends.
func (n *Node) WaitMined(ctx context.Context, hash common.Hash) (*types.Receipt, error) {
	for {
		r, err := n.Client.TransactionReceipt(ctx, hash)
		if err == nil {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("receipt of %s: %w (last: %v)", hash.Hex(), ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
