package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/bitcoin/service"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
)

type recordingForwarder struct {
	mu  sync.Mutex
	txs [][]byte
}

func (r *recordingForwarder) Forward(_ context.Context, raw []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.txs = append(r.txs, raw)
	return nil
}

func runBTC(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestBTCCommands(t *testing.T) {
	st, err := canister.New(canister.Config{Network: chain.Regtest, StabilityThreshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	key, payee := regtest.NewKey(1), regtest.NewKey(2)
	c := regtest.NewChain(time.Unix(1_700_000_000, 0))
	b1 := c.Next(key.Script, 50e8)
	var outs []regtest.Output
	for i := range 1100 {
		outs = append(outs, regtest.Output{Script: payee.Script, Value: int64(1000 + i)})
	}
	tx, _ := regtest.SpendP2PKH(key, []wire.OutPoint{{Hash: b1.Transactions[0].TxHash()}}, outs)
	b2 := c.Next(key.Script, 50e8, tx)
	if err := st.ApplySuccessors([][]byte{regtest.BlockBytes(b1), regtest.BlockBytes(b2)}, nil); err != nil {
		t.Fatal(err)
	}
	fwd := &recordingForwarder{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	bpb.RegisterBitcoinServer(srv, service.NewServer(service.NewCanister(st, fwd)))
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	ep := l.Addr().String()

	out, err := runBTC(t, "btc", "utxos", "--endpoint", ep, "--network", "regtest", "--address", payee.Addr.EncodeAddress())
	if err != nil {
		t.Fatal(err, out)
	}
	var u btcUtxosOutput
	if err := json.Unmarshal([]byte(out), &u); err != nil {
		t.Fatal(err)
	}
	txid := tx.TxHash()
	if len(u.Utxos) != 1100 || u.TipHeight != 2 || u.TipBlockHash != b2.BlockHash().String() || u.Utxos[0].Txid != txid.String() {
		t.Fatalf("utxos: %d, tip %d %s", len(u.Utxos), u.TipHeight, u.TipBlockHash)
	}
	// The exact JSON field names of the contract.
	for _, field := range []string{`"utxos":[{"txid":"`, `"vout":`, `"value":`, `"height":2`, `"tip_height":2`, `"tip_block_hash":"`} {
		if !strings.Contains(out, field) {
			t.Fatalf("output lacks %s", field)
		}
	}
	out, err = runBTC(t, "btc", "utxos", "--endpoint", ep, "--network", "regtest", "--address", payee.Addr.EncodeAddress(), "--min-confirmations", "2")
	if err != nil || !strings.HasPrefix(out, `{"utxos":[],"tip_height":1,`) {
		t.Fatalf("min-confirmations 2: %s %v", out, err)
	}
	out, err = runBTC(t, "btc", "balance", "--endpoint", ep, "--network", "regtest", "--address", key.Addr.EncodeAddress())
	if err != nil || strings.TrimSpace(out) != `{"balance":5000000000}` {
		t.Fatalf("balance: %s %v", out, err)
	}
	out, err = runBTC(t, "btc", "fees", "--endpoint", ep, "--network", "regtest")
	var fees []uint64
	if err != nil || json.Unmarshal([]byte(out), &fees) != nil || len(fees) != 101 || fees[0] == 0 {
		t.Fatalf("fees: %s %v", out, err)
	}
	raw := regtest.TxBytes(tx)
	out, err = runBTC(t, "btc", "send", "--endpoint", ep, "--network", "regtest", "--tx", hex.EncodeToString(raw))
	if err != nil || strings.TrimSpace(out) != `{"txid":"`+txid.String()+`"}` || len(fwd.txs) != 1 || !bytes.Equal(fwd.txs[0], raw) {
		t.Fatalf("send: %s %v", out, err)
	}
	// Errors name the Internet Computer's variant.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"btc", "balance", "--endpoint", ep, "--network", "regtest", "--address", "nonsense"}, "MALFORMED_ADDRESS"},
		{[]string{"btc", "balance", "--endpoint", ep, "--network", "regtest", "--address", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}, "ADDRESS_FOR_WRONG_NETWORK"},
		{[]string{"btc", "balance", "--endpoint", ep, "--network", "mainnet", "--address", key.Addr.EncodeAddress()}, "WRONG_NETWORK"},
		{[]string{"btc", "utxos", "--endpoint", ep, "--network", "regtest", "--address", key.Addr.EncodeAddress(), "--min-confirmations", "99"}, "MIN_CONFIRMATIONS_TOO_LARGE"},
		{[]string{"btc", "send", "--endpoint", ep, "--network", "regtest", "--tx", "00ff"}, "malformed transaction"},
		{[]string{"btc", "send", "--endpoint", ep, "--network", "regtest", "--tx", "zz"}, "not hex"},
		{[]string{"btc", "fees", "--endpoint", "127.0.0.1:1", "--network", "regtest", "--timeout", "2s"}, "Unavailable"},
		{[]string{"btc", "fees", "--endpoint", ep, "--network", "simnet"}, "unknown network"},
	} {
		if _, err := runBTC(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args[1:], err, tc.want)
		}
	}
}
