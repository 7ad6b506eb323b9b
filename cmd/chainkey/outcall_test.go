package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/chainkey/chainkey/ethereum/gethtest"
	"github.com/chainkey/chainkey/internal/nodejstest"
)

// compileEthRPC compiles the outcall canister (replica/testdata/ethrpc.mo)
// with the pinned Motoko compiler and writes it to dir.
func compileEthRPC(t *testing.T, proj *nodejstest.Project, dir string) string {
	t.Helper()
	src, err := os.ReadFile("../../replica/testdata/ethrpc.mo")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := proj.CompileMotoko(nodejstest.MotokoActor{Name: "EthRPC", Source: string(src)})
	if err != nil {
		t.Fatal(err)
	}
	b := wasm["EthRPC"]
	p := filepath.Join(dir, "ethrpc.wasm")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOutcallGethEndToEnd: on a real local 4-node subnet (chainkey up,
// CometBFT between the nodes), a Motoko canister deployed with the
// canister commands asks a real geth --dev for eth_blockNumber and
// eth_getBalance through the management canister's http_request; every
// node performs the request and runs the canister's transform, and the
// canister's answers are geth's; a non-replicated call (one node asks)
// gets the same answer.
func TestOutcallGethEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds (once) and runs geth --dev and a 4-node subnet")
	}
	proj := nodejstest.Install(t, "testdata/icmgmt", "the Motoko compiler (npm motoko)")
	wasm := compileEthRPC(t, proj, t.TempDir())
	node := gethtest.Start(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	info, stop := startUp(t, t.TempDir(), 4)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	ep := info.HTTP[1]
	must := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, append(append([]string{"canister"}, args...), "--endpoint", ep)...)
		if err != nil {
			t.Fatalf("canister %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(out)
	}
	id := must("create")
	must("install", id, "--wasm", wasm)

	ctx := context.Background()
	to := common.HexToAddress("0x00000000000000000000000000000000c0ffee43")
	node.Fund(t, to, big.NewInt(987_654_321))
	bn, err := node.Client.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bal, err := node.Client.BalanceAt(ctx, to, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bn == 0 || bal.Int64() != 987_654_321 {
		t.Fatalf("geth: block %d, balance %v", bn, bal)
	}
	for _, tc := range []struct{ canMethod, method, params, want string }{
		{"rpc", "eth_blockNumber", "[]", hexutil.EncodeUint64(bn)},
		{"rpc", "eth_getBalance", fmt.Sprintf(`[\"%s\",\"latest\"]`, to.Hex()), hexutil.EncodeBig(bal)},
		// Non-replicated: one node asks geth, and its response is
		// delivered once it proposes a block.
		{"rpcOnce", "eth_getBalance", fmt.Sprintf(`[\"%s\",\"latest\"]`, to.Hex()), hexutil.EncodeBig(bal)},
	} {
		req := fmt.Sprintf(`{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}`, tc.method, tc.params)
		start := time.Now()
		out := must("call", id, tc.canMethod, fmt.Sprintf(`("%s", "%s")`, node.URL, req))
		t.Logf("%s through the canister's %s: %s in %v", tc.method, tc.canMethod, out, time.Since(start).Round(time.Millisecond))
		if out != fmt.Sprintf(`("%s")`, tc.want) {
			t.Fatalf("%s: canister answered %s, geth says %s", tc.method, out, tc.want)
		}
	}
}
