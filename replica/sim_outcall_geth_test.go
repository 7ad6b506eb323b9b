package replica

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ethereum/gethtest"
	"github.com/chainkey/chainkey/internal/nodejstest"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// ethRPCWasm compiles testdata/ethrpc.mo with the official Motoko
// compiler (npm motoko, pinned in canisters/testdata/motoko), cached in
// that project's node_modules by compiler project and source.
func ethRPCWasm(t testing.TB) []byte {
	t.Helper()
	proj := nodejstest.Install(t, "canisters/testdata/motoko", "the Motoko compiler (npm motoko)")
	src, err := os.ReadFile("testdata/ethrpc.mo")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := proj.CompileMotoko(nodejstest.MotokoActor{Name: "EthRPC", Source: string(src)})
	if err != nil {
		t.Fatal(err)
	}
	return wasm["EthRPC"]
}

// createArg creates a canister and installs wasm with the install
// argument arg.
func (c *canClient) createArg(wasm, arg []byte) principal.Principal {
	c.s.t.Helper()
	r := c.run(0, c.msg(canisters.Message{Kind: canisters.KindCreate, Sender: simCtrl.Bytes()}))
	var res struct {
		ID principal.Principal `candid:"canister_id"`
	}
	if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &res) != nil {
		c.s.t.Fatalf("create: %+v", r[0])
	}
	r = c.run(1, c.msg(canisters.Message{Kind: canisters.KindInstall, Sender: simCtrl.Bytes(), Canister: res.ID.Bytes(), Wasm: wasm, Arg: arg}))
	if r[0].Status != canisters.StatusReplied {
		c.s.t.Fatalf("install: %+v", r[0])
	}
	return res.ID
}

// TestSimOutcallGeth: a Motoko canister on four nodes asks a real geth
// --dev for eth_blockNumber and eth_getBalance through http_request; its
// transform drops the headers and everything of the body but the
// JSON-RPC result, so that the nodes agree; the replies are geth's.
func TestSimOutcallGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("builds (once) and runs geth --dev and the Motoko compiler")
	}
	wasm := ethRPCWasm(t)
	node := gethtest.Start(t)
	s := newSimSubnet(t, 4, subnetOptions{}, func(c *Config) {
		c.OutcallsAllowHTTPLoopback = true
		c.OutcallTimeoutMS = 10_000
	})
	c := &canClient{s: s}
	can := c.createArg(wasm, []byte("DIDL\x00\x00"))
	ctx := context.Background()
	// A transfer mines a block and gives an address a balance.
	to := common.HexToAddress("0x00000000000000000000000000000000c0ffee42")
	node.Fund(t, to, big.NewInt(123_456_789))
	bn, err := node.Client.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bal, err := node.Client.BalanceAt(ctx, to, nil)
	if err != nil {
		t.Fatal(err)
	}
	rpc := func(method, params string) []byte {
		arg, err := candid.Encode(node.URL, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"%s","params":%s}`, c.nonce, method, params))
		if err != nil {
			t.Fatal(err)
		}
		return arg
	}
	start := s.height()
	r := c.runOutcalls(2,
		c.call(can, "rpc", rpc("eth_blockNumber", "[]")),
		c.call(can, "rpc", rpc("eth_getBalance", fmt.Sprintf(`["%s","latest"]`, to.Hex()))))
	t.Logf("two outcalls to geth: %d heights", s.height()-start)
	if bn == 0 || bal.Int64() != 123_456_789 {
		t.Fatalf("geth: block %d, balance %v", bn, bal)
	}
	for i, want := range []string{hexutil.EncodeUint64(bn), hexutil.EncodeBig(bal)} {
		var got string
		if r[i].Status != canisters.StatusReplied || candid.Decode(r[i].Reply, &got) != nil {
			t.Fatalf("rpc %d: %+v %q", i, r[i], r[i].Reply)
		}
		if got != want {
			t.Fatalf("rpc %d: canister got %q, geth says %q", i, got, want)
		}
		t.Logf("rpc %d: %s", i, got)
	}
	s.sameCanisters()
}
