package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	osexec "os/exec"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/internal/nodejstest"
)

// TestCkBTCNpmClients drives the ckBTC ledger and minter of a 4-node
// subnet with Bitcoin through the IC HTTP interface with the unmodified
// npm clients @dfinity/ckbtc 4.0.4 and @dfinity/ledger-icrc 4.1.2 over
// @dfinity/agent 3.4.3: get_btc_address, a deposit mined by btcd,
// update_balance, balances (query and certified), icrc1_transfer,
// icrc2_approve, retrieve_btc_with_approval and the withdrawal's status;
// btcd receives the withdrawal.
func TestCkBTCNpmClients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs btcd, a 4-node subnet and Node.js")
	}
	proj := nodejstest.Install(t, "testdata/ckbtcjs", "@dfinity/ckbtc")
	miner := btcdtest.NewKey(2)
	btcd := btcdtest.Start(t, miner)
	target := startTestAdapter(t, btcd.P2PAddr)
	btcd.Generate(t, 450) // past btcd's SegWit activation on regtest

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	const minConf = 3
	bc := &BitcoinConfig{Network: "regtest", Adapter: target, StabilityThreshold: 3,
		CkBTC: &CkBTCConfig{MinConfirmations: minConf, CheckFee: 100}}
	s, err := StartLocalSubnetWith(ctx, t.TempDir(), 4, nil, LocalOptions{
		TimeoutCommitMS: 50, PresignatureTarget: 2, Logger: testLogger(t), Bitcoin: bc,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	h, err := s.Nodes()[0].HTTPInterface()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ids, _ := s.Nodes()[0].CkBTC()
	const seed = "0102030405060708091011121314151617181920212223242526272829303132"
	drive := func(args ...string) map[string]any {
		t.Helper()
		var out map[string]any
		for {
			cmd := proj.Command(ctx, "drive.mjs")
			cmd.Args = append(cmd.Args, append([]string{args[0], srv.URL, ids.Ledger.String(), ids.Minter.String(), seed}, args[1:]...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if err == nil {
				if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
					t.Fatalf("drive.mjs printed %q: %v", stdout.String(), err)
				}
				return out
			}
			// The minter answers once the subnet has its ECDSA key.
			if _, ok := err.(*osexec.ExitError); !ok || args[0] != "address" || ctx.Err() != nil {
				os.Stderr.Write(stderr.Bytes())
				t.Fatalf("drive.mjs %s: %v", args[0], err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	addrOut := drive("address")
	dest, err := btcutil.DecodeAddress(addrOut["address"].(string), regtest.Params)
	if err != nil {
		t.Fatalf("address %v: %v", addrOut, err)
	}
	depScript, _ := txscript.PayToAddrScript(dest)
	mk := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	mk.Script, _ = txscript.PayToAddrScript(miner.Addr)
	h1, _ := btcd.RPC.GetBlockHash(1)
	b1, err := btcd.RPC.GetBlock(h1)
	if err != nil {
		t.Fatal(err)
	}
	cb := b1.Transactions[0]
	pay, err := regtest.SpendP2PKH(mk, []wire.OutPoint{{Hash: cb.TxHash()}},
		[]regtest.Output{{Script: depScript, Value: 1e8}, {Script: mk.Script, Value: cb.TxOut[0].Value - 1e8 - 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := btcd.RPC.SendRawTransaction(pay, false); err != nil {
		t.Fatal(err)
	}
	btcd.Generate(t, minConf)

	bob := SubnetCkBTCIDs().Bitcoin // any principal
	payee := regtest.NewKey(79)
	out := drive("flow", bob.String(), payee.Addr.EncodeAddress())
	t.Logf("npm clients: %v", out)
	ub, _ := json.Marshal(out["updateBalance"])
	if !bytes.Contains(ub, []byte(`"minted_amount":"99999900"`)) {
		t.Fatalf("updateBalance %s", ub)
	}
	want := map[string]string{"symbol": "ckBTC", "fee": "10", "balance": "99999900", "balanceCertified": "99999900",
		"bobBalance": "40000000", "balanceAfter": "29999880"}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %v, want %s", k, out[k], v)
		}
	}
	// btcd receives the withdrawal.
	waitUntil(t, ctx, "btcd's mempool to have the withdrawal", func() bool {
		pool, err := btcd.RPC.GetRawMempool()
		if err != nil {
			return false
		}
		for _, id := range pool {
			tx, err := btcd.RPC.GetRawTransaction(id)
			if err != nil {
				continue
			}
			if o := tx.MsgTx().TxOut[0]; bytes.Equal(o.PkScript, payee.Script) {
				if o.Value >= 30_000_000 || o.Value < 30_000_000-20_000 {
					t.Fatalf("destination output %d", o.Value)
				}
				return true
			}
		}
		return false
	})
}
