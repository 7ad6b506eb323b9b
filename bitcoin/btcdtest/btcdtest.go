package btcdtest

import (
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
)

//go:embed btcd.mod
var buildMod []byte

//go:embed btcd.sum
var buildSum []byte

// Version is the btcd release the tests run.
const Version = "v0.24.2"

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds (once per process, reusing an earlier build in the
// temporary directory) btcd and btcctl and returns their paths.
func Binaries(tb testing.TB) (btcd, btcctl string) {
	tb.Helper()
	buildOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "chainkey-btcd-"+Version)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), buildMod, 0o644); err != nil {
			buildErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "go.sum"), buildSum, 0o644); err != nil {
			buildErr = err
			return
		}
		for _, p := range []struct{ out, pkg string }{
			{"btcd", "github.com/btcsuite/btcd"},
			{"btcctl", "github.com/btcsuite/btcd/cmd/btcctl"},
		} {
			out := filepath.Join(dir, p.out)
			if _, err := os.Stat(out); err == nil {
				continue
			}
			tmp := out + ".tmp" + strconv.Itoa(os.Getpid())
			cmd := exec.Command("go", "build", "-o", tmp, p.pkg)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", p.pkg, err, b)
				return
			}
			if err := os.Rename(tmp, out); err != nil {
				buildErr = err
				return
			}
		}
		buildDir = dir
	})
	if buildErr != nil {
		tb.Fatalf("btcdtest: building btcd: %v", buildErr)
	}
	return filepath.Join(buildDir, "btcd"), filepath.Join(buildDir, "btcctl")
}

// Key is a test wallet key with its regtest P2PKH address.
type Key struct {
	Priv *btcec.PrivateKey
	Addr *btcutil.AddressPubKeyHash
}

// NewKey derives a deterministic key from seed.
func NewKey(seed byte) *Key {
	var b [32]byte
	b[31] = seed
	b[0] = 0x42
	priv, _ := btcec.PrivKeyFromBytes(b[:])
	addr, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(priv.PubKey().SerializeCompressed()), &chaincfg.RegressionNetParams)
	if err != nil {
		panic(err)
	}
	return &Key{Priv: priv, Addr: addr}
}

// Node is a running btcd.
type Node struct {
	P2PAddr string
	RPC     *rpcclient.Client
	Dir     string
	cmd     *exec.Cmd
	done    chan struct{}
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start launches btcd --regtest mining to miner and waits for its RPC.
func Start(tb testing.TB, miner *Key, extraArgs ...string) *Node {
	tb.Helper()
	btcd, _ := Binaries(tb)
	dir := tb.TempDir()
	p2p, rpcPort := FreePort(tb), FreePort(tb)
	n := &Node{P2PAddr: fmt.Sprintf("127.0.0.1:%d", p2p), Dir: dir, done: make(chan struct{})}
	args := []string{
		"--regtest", "--datadir=" + filepath.Join(dir, "data"), "--logdir=" + filepath.Join(dir, "logs"),
		"--listen=" + n.P2PAddr, fmt.Sprintf("--rpclisten=127.0.0.1:%d", rpcPort),
		"--rpcuser=user", "--rpcpass=pass", "--notls", "--miningaddr=" + miner.Addr.EncodeAddress(),
		"--nodnsseed", "--debuglevel=info", "--nobanning", "--norelaypriority", "--minrelaytxfee=0.00001",
	}
	args = append(args, extraArgs...)
	n.cmd = exec.Command(btcd, args...)
	logf, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		tb.Fatal(err)
	}
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		tb.Fatalf("btcdtest: start btcd: %v", err)
	}
	go func() { _ = n.cmd.Wait(); logf.Close(); close(n.done) }()
	tb.Cleanup(n.Stop)
	n.RPC, err = rpcclient.New(&rpcclient.ConnConfig{
		Host: fmt.Sprintf("127.0.0.1:%d", rpcPort), User: "user", Pass: "pass", HTTPPostMode: true, DisableTLS: true,
	}, nil)
	if err != nil {
		tb.Fatalf("btcdtest: rpc client: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := n.RPC.GetBlockCount(); err == nil {
			break
		}
		select {
		case <-n.done:
			b, _ := os.ReadFile(filepath.Join(dir, "stdout.log"))
			tb.Fatalf("btcdtest: btcd exited early:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("btcdtest: btcd RPC not ready after 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return n
}

// Stop interrupts btcd and waits (killing it after 10 s).
func (n *Node) Stop() {
	if n.cmd.Process == nil {
		return
	}
	select {
	case <-n.done:
		return
	default:
	}
	if n.RPC != nil {
		n.RPC.Shutdown()
	}
	_ = n.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// Generate mines n blocks and returns their hashes.
func (n *Node) Generate(tb testing.TB, count int) []*chainhash.Hash {
	tb.Helper()
	var out []*chainhash.Hash
	for count > 0 {
		k := min(count, 500)
		hs, err := n.RPC.Generate(uint32(k))
		if err != nil {
			tb.Fatalf("btcdtest: generate %d: %v", k, err)
		}
		out = append(out, hs...)
		count -= k
	}
	return out
}

// Height returns the node's block count.
func (n *Node) Height(tb testing.TB) int64 {
	tb.Helper()
	h, err := n.RPC.GetBlockCount()
	if err != nil {
		tb.Fatalf("btcdtest: getblockcount: %v", err)
	}
	return h
}
