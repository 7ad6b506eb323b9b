package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"

	"github.com/chainkey/chainkey/ethereum"
	"github.com/chainkey/chainkey/ingress"
)

// runEth runs the root command with stdin and args and returns stdout and
// stderr apart (progress goes to stderr, JSON to stdout).
func runEth(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func ethJSON(t *testing.T, v any, stdin string, args ...string) {
	t.Helper()
	out, stderr, err := runEth(t, stdin, args...)
	if err != nil {
		t.Fatalf("chainkey %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("chainkey %s printed %q: %v", strings.Join(args, " "), out, err)
	}
}

func ethFails(t *testing.T, want string, args ...string) {
	t.Helper()
	out, stderr, err := runEth(t, "", args...)
	if err == nil {
		t.Fatalf("chainkey %s succeeded: %s", strings.Join(args, " "), out)
	}
	t.Logf("chainkey %s: %v", strings.Join(args, " "), err)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("chainkey %s: %v (want %q)\n%s", strings.Join(args, " "), err, want, stderr)
	}
}

// simHTTP is go-ethereum's simulated backend serving JSON-RPC over HTTP on
// loopback, mining a block every few milliseconds while the test runs.
func simHTTP(t *testing.T, alloc types.GenesisAlloc) (*simulated.Backend, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sim := simulated.NewBackend(alloc, func(nc *node.Config, _ *ethconfig.Config) {
		nc.HTTPHost, nc.HTTPPort, nc.HTTPModules = "127.0.0.1", port, []string{"eth", "net", "web3"}
	})
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				sim.Commit()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done; sim.Close() })
	return sim, "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// TestEthCommandsSimulated drives `chainkey eth` against a node stand-in
// for the threshold key and go-ethereum's simulated chain over JSON-RPC.
func TestEthCommandsSimulated(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ep := startCLIFake(t)
	id, err := loadCallerIdentity("")
	if err != nil {
		t.Fatal(err)
	}
	key := cliFakeKey("ecdsa:secp256k1:dfx_test_key", ingress.Sender(id), [][]byte{{0xee}})
	want, err := ethereum.AddressFromPublicKey(key.PubKey().SerializeCompressed())
	if err != nil {
		t.Fatal(err)
	}
	var addr struct {
		Address string `json:"address"`
	}
	ethJSON(t, &addr, "", "eth", "address", "--endpoint", ep, "--path", "ee")
	if addr.Address != want.Hex() {
		t.Fatalf("address %s, want %s", addr.Address, want.Hex())
	}
	var other struct {
		Address string `json:"address"`
	}
	ethJSON(t, &other, "", "eth", "address", "--endpoint", ep, "--path", "ef")
	if other.Address == addr.Address {
		t.Fatal("another path gives the same address")
	}

	sim, url := simHTTP(t, types.GenesisAlloc{want: {Balance: big.NewInt(params.Ether)}})
	ctx := context.Background()
	var bal struct{ Address, Balance string }
	ethJSON(t, &bal, "", "eth", "balance", "--rpc", url, "--endpoint", ep, "--path", "ee")
	if bal.Address != want.Hex() || bal.Balance != "1000000000000000000" {
		t.Fatalf("balance %+v", bal)
	}
	ethJSON(t, &bal, "", "eth", "balance", "--rpc", url, strings.ToLower(want.Hex()))
	if bal.Address != want.Hex() || bal.Balance != "1000000000000000000" {
		t.Fatalf("balance by address %+v", bal)
	}

	to := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	keyArgs := []string{"--endpoint", ep, "--path", "ee", "--rpc", url}
	var sent ethSendOutput
	out, stderr, err := runEth(t, "", append([]string{"eth", "send", "--to", to.Hex(), "--value", "123456789"}, keyArgs...)...)
	if err != nil {
		t.Fatalf("send: %v\n%s", err, stderr)
	}
	if err := json.Unmarshal([]byte(out), &sent); err != nil {
		t.Fatal(err)
	}
	if sent.From != want.Hex() || sent.Nonce != 0 || sent.Status != 1 || sent.BlockNumber == 0 || !strings.Contains(stderr, "waiting for it to be mined") {
		t.Fatalf("send printed %+v, stderr %q", sent, stderr)
	}
	c := sim.Client()
	if b, _ := c.BalanceAt(ctx, to, nil); b.Int64() != 123456789 {
		t.Fatalf("recipient has %v", b)
	}
	tx, _, err := c.TransactionByHash(ctx, common.HexToHash(sent.TxHash))
	if err != nil || tx.Type() != types.DynamicFeeTxType {
		t.Fatalf("sent transaction %v (%v)", tx, err)
	}

	// Offline: a legacy transaction with the next nonce, signed into raw
	// hex, then submitted by the test.
	unsigned := `{"type":0,"chain_id":"1337","nonce":1,"to":"` + to.Hex() + `","value":"0x10","gas_limit":21000,"gas_price":"100000000000"}`
	var st ethSignTxOutput
	ethJSON(t, &st, unsigned, "eth", "sign-tx", "--endpoint", ep, "--path", "ee")
	raw, err := hexutil.Decode(st.RawTransaction)
	if err != nil {
		t.Fatal(err)
	}
	var stx types.Transaction
	if err := stx.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if s, err := types.Sender(types.LatestSignerForChainID(big.NewInt(1337)), &stx); err != nil || s != want || st.From != want.Hex() || stx.Hash().Hex() != st.TxHash {
		t.Fatalf("sign-tx: sender %s (%v), printed %+v", s.Hex(), err, st)
	}
	if err := c.SendTransaction(ctx, &stx); err != nil {
		t.Fatal(err)
	}

	// A contract that always reverts: the estimate fails before anything
	// is signed; with a gas limit given, the transaction is mined with
	// status 0, printed, and the command fails.
	out, stderr, err = runEth(t, "", append([]string{"eth", "send", "--data", "0x600580600b6000396000f3" + "60006000fd"}, keyArgs...)...)
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, stderr)
	}
	var created ethSendOutput
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ContractAddress == "" {
		t.Fatalf("deploy printed %q (%v)", out, err)
	}
	ethFails(t, "execution reverted", append([]string{"eth", "send", "--to", created.ContractAddress}, keyArgs...)...)
	out, _, err = runEth(t, "", append([]string{"eth", "send", "--to", created.ContractAddress, "--gas-limit", "50000"}, keyArgs...)...)
	var reverted ethSendOutput
	if err == nil || !strings.Contains(err.Error(), "status 0") || json.Unmarshal([]byte(out), &reverted) != nil || reverted.Status != 0 || reverted.BlockNumber == 0 {
		t.Fatalf("reverting call: %v, printed %q", err, out)
	}

	ethFails(t, "nonce already used", append([]string{"eth", "send", "--to", to.Hex(), "--value", "1", "--nonce", "0"}, keyArgs...)...)
	ethFails(t, "insufficient funds", append([]string{"eth", "send", "--to", to.Hex(), "--value", "2000000000000000000"}, keyArgs...)...)
	ethFails(t, "insufficient funds", "eth", "send", "--to", to.Hex(), "--value", "1", "--endpoint", ep, "--path", "01", "--rpc", url)
	ethFails(t, "no Ethereum JSON-RPC node answers", append([]string{"eth", "send", "--to", to.Hex(), "--value", "1", "--timeout", "5s"}, "--endpoint", ep, "--rpc", "http://127.0.0.1:1")...)
	ethFails(t, "no Ethereum JSON-RPC node answers", "eth", "balance", "--rpc", "http://"+ep, to.Hex())
	ethFails(t, "--rpc", "eth", "balance", "--rpc", "ftp://127.0.0.1:1", to.Hex())
	ethFails(t, "--rpc is required", "eth", "send", "--to", to.Hex(), "--endpoint", ep)
	ethFails(t, "EIP-55", "eth", "send", "--to", "0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "--rpc", url, "--endpoint", ep)
	ethFails(t, "--to is required", "eth", "send", "--rpc", url, "--endpoint", ep)
	ethFails(t, "--value", "eth", "send", "--to", to.Hex(), "--value", "1.5", "--rpc", url, "--endpoint", ep)
	ethFails(t, "ecdsa:secp256k1", "eth", "address", "--endpoint", ep, "--key-id", "schnorr:ed25519:dfx_test_key")
	ethFails(t, "no transaction", "eth", "sign-tx", "--endpoint", ep, "--file", "/dev/null")
	bad := filepath.Join(t.TempDir(), "tx.json")
	if err := os.WriteFile(bad, []byte(`{"type":2,"chain_id":"1337","nonce":0,"gas_limit":21000,"to":"`+to.Hex()+`","gas_price":"1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ethFails(t, "type 2 has no gas_price", "eth", "sign-tx", "--endpoint", ep, "--file", bad)
}
