package replica

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ckbtc"
	"github.com/chainkey/chainkey/ckbtc/client"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/thresholdsig"
)

// ckbtcClient connects a new identity to node n's IC HTTP interface.
func ckbtcClient(t *testing.T, ctx context.Context, n *Node) (*client.Client, ingress.Signer) {
	t.Helper()
	h, err := n.HTTPInterface()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	id, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(ctx, agent.Config{Endpoint: srv.URL, Identity: id, RootKey: n.RootKeyDER()})
	if err != nil {
		t.Fatal(err)
	}
	ids, ok := n.CkBTC()
	if !ok {
		t.Fatal("the node has no ckBTC")
	}
	return &client.Client{T: a, Ledger: ids.Ledger, Minter: ids.Minter}, id
}

// TestCkBTCRegtest runs ckBTC end to end against a real btcd regtest
// network through the IC HTTP interface of a 4-node subnet: BTC sent to
// the deposit address get_btc_address gives is minted by update_balance
// after the minimum confirmations, icrc1_transfer moves the ckBTC,
// icrc2_approve and retrieve_btc_with_approval burn it, and btcd receives
// the withdrawal (signed with the subnet's threshold ECDSA key) paying the
// destination the amount less the fees; a second withdrawal spends the
// first one's change.
func TestCkBTCRegtest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs btcd and a 4-node subnet")
	}
	miner := btcdtest.NewKey(1)
	btcd := btcdtest.Start(t, miner)
	target := startTestAdapter(t, btcd.P2PAddr)
	btcd.Generate(t, 450) // past btcd's SegWit activation on regtest

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const minConf = 3
	bc := &BitcoinConfig{Network: "regtest", Adapter: target, StabilityThreshold: 3,
		CkBTC: &CkBTCConfig{MinConfirmations: minConf, CheckFee: 100}}
	home := t.TempDir()
	s, err := StartLocalSubnetWith(ctx, home, 4, nil, LocalOptions{
		TimeoutCommitMS: 50, PresignatureTarget: 2, Logger: testLogger(t), Bitcoin: bc,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	alice, aliceID := ckbtcClient(t, ctx, s.Nodes()[0])
	bob, bobID := ckbtcClient(t, ctx, s.Nodes()[1])
	bobP := ingress.Sender(bobID)

	// The minter answers once the subnet has its ECDSA key.
	var addr string
	waitUntil(t, ctx, "the minter's deposit address", func() bool {
		addr, err = alice.Address(ctx, nil, nil)
		return err == nil
	})
	// The same address through another node (the minter answers for
	// the caller, so bob's client asks for alice's account).
	aliceP := ingress.Sender(aliceID)
	if again, err := bob.Address(ctx, &aliceP, nil); err != nil || again != addr {
		t.Fatalf("alice's address through node 1: %q %v, want %q", again, err, addr)
	}
	dest, err := btcutil.DecodeAddress(addr, regtest.Params)
	if err != nil {
		t.Fatalf("deposit address %q: %v", addr, err)
	}
	depScript, _ := txscript.PayToAddrScript(dest)

	// The miner pays 1 BTC to the deposit address.
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
	btcd.Generate(t, 1)
	// One confirmation is not enough.
	waitUntil(t, ctx, "the deposit seen with one confirmation", func() bool {
		_, err := alice.UpdateBalance(ctx, nil, nil)
		var ub *ckbtc.UpdateBalanceError
		if !errors.As(err, &ub) || ub.NoNewUtxos == nil {
			t.Fatalf("update_balance after one confirmation: %v", err)
		}
		return ub.NoNewUtxos.PendingUtxos != nil && len(*ub.NoNewUtxos.PendingUtxos) == 1
	})
	btcd.Generate(t, minConf-1)
	start := time.Now() // btcd has the block of the last needed confirmation
	var minted []ckbtc.UtxoStatus
	waitUntil(t, ctx, "update_balance to mint", func() bool {
		minted, err = alice.UpdateBalance(ctx, nil, nil)
		return err == nil
	})
	t.Logf("deposit to mint: %v (from btcd mining the block of the last needed confirmation to update_balance's certified reply)", time.Since(start))
	if len(minted) != 1 || minted[0].Minted == nil || minted[0].Minted.MintedAmount != 1e8-100 {
		t.Fatalf("update_balance: %+v", minted)
	}
	me := client.Account{Owner: aliceP}
	if b, err := alice.Balance(ctx, me); err != nil || b != 1e8-100 {
		t.Fatalf("alice's balance %d, %v", b, err)
	}

	// alice sends bob 40,000,000; the ledger takes its 10 satoshi fee.
	if _, err := alice.Transfer(ctx, nil, client.Account{Owner: bobP}, 40_000_000, []byte("to bob")); err != nil {
		t.Fatal(err)
	}
	if b, _ := bob.Balance(ctx, client.Account{Owner: bobP}); b != 40_000_000 {
		t.Fatalf("bob's balance %d", b)
	}
	if b, _ := alice.Balance(ctx, me); b != 1e8-100-40_000_000-10 {
		t.Fatalf("alice's balance %d after the transfer", b)
	}
	checkTipCertificate(t, ctx, alice, s.Nodes()[0])
	// Too much is refused by the ledger.
	var le *client.LedgerError
	if _, err := bob.Transfer(ctx, nil, me, 50_000_000, nil); !errors.As(err, &le) || le.InsufficientFunds == nil {
		t.Fatalf("overdraft: %v", err)
	}

	// bob withdraws 30,000,000 to a fresh regtest address, then 5,000,000.
	payee := regtest.NewKey(77)
	minterUtxo := int64(1e8)
	var lastWithdrawal uint64
	withdraw := func(who *client.Client, amount uint64) *wire.MsgTx {
		t.Helper()
		start := time.Now()
		w, err := who.Withdraw(ctx, nil, payee.Addr.EncodeAddress(), amount)
		if err != nil {
			t.Fatal(err)
		}
		lastWithdrawal = w.BlockIndex
		var txid []byte
		waitUntil(t, ctx, "the withdrawal submitted", func() bool {
			st, err := who.Status(ctx, w.BlockIndex)
			if err != nil {
				t.Fatal(err)
			}
			if st.Submitted != nil {
				txid = st.Submitted.Txid
			}
			return txid != nil
		})
		var h chainhash.Hash
		copy(h[:], txid)
		var tx *btcutil.Tx
		waitUntil(t, ctx, "btcd's mempool to have the withdrawal", func() bool {
			tx, err = btcd.RPC.GetRawTransaction(&h)
			return err == nil
		})
		t.Logf("withdrawal to mempool: %v (from the approve call to the transaction in btcd's mempool)", time.Since(start))
		// The destination gets the amount less the Bitcoin fee and the
		// minter's fee; the change returns the rest of the input (the
		// minter's only UTXO) plus the minter's fee to the minter.
		mtx := tx.MsgTx()
		if len(mtx.TxIn) != 1 || len(mtx.TxOut) != 2 {
			t.Fatalf("withdrawal with %d inputs, %d outputs", len(mtx.TxIn), len(mtx.TxOut))
		}
		out, change := mtx.TxOut[0], mtx.TxOut[1]
		minterFee := int64(ckbtc.MinterFee(1, 2))
		btcFee := minterUtxo - out.Value - change.Value
		if !bytes.Equal(out.PkScript, payee.Script) || change.Value != minterUtxo-int64(amount)+minterFee ||
			out.Value != int64(amount)-btcFee-minterFee || btcFee <= 0 || btcFee > 10_000 {
			t.Fatalf("destination output %d to %x, change %d, Bitcoin fee %d, for %d from a %d input",
				out.Value, out.PkScript, change.Value, btcFee, amount, minterUtxo)
		}
		t.Logf("withdrawal of %d: %d to the destination, Bitcoin fee %d, minter fee %d", amount, out.Value, btcFee, minterFee)
		minterUtxo = change.Value
		btcd.Generate(t, minConf)
		waitUntil(t, ctx, "the withdrawal confirmed", func() bool {
			st, err := who.Status(ctx, w.BlockIndex)
			return err == nil && st.Confirmed != nil
		})
		return tx.MsgTx()
	}
	first := withdraw(bob, 30_000_000)
	if b, _ := bob.Balance(ctx, client.Account{Owner: bobP}); b != 40_000_000-30_000_000-10 {
		t.Fatalf("bob's balance %d after the withdrawal", b)
	}
	second := withdraw(alice, 5_000_000)
	if second.TxIn[0].PreviousOutPoint != (wire.OutPoint{Hash: first.TxHash(), Index: 1}) {
		t.Fatalf("second withdrawal spends %v, not the first one's change", second.TxIn[0].PreviousOutPoint)
	}
	// Every node has the same ckBTC state.
	waitUntil(t, ctx, "equal canister states", func() bool {
		h0 := s.Nodes()[0].canisterStateHash()
		for _, n := range s.Nodes()[1:] {
			if n.canisterStateHash() != h0 {
				return false
			}
		}
		return true
	})

	// The ledger and the minter survive a restart of the subnet.
	aliceBal, _ := alice.Balance(ctx, me)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s, err = StartLocalSubnetWith(ctx, home, 0, nil, LocalOptions{Logger: testLogger(t), Bitcoin: bc})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	carol, _ := ckbtcClient(t, ctx, s.Nodes()[3])
	waitUntil(t, ctx, "the ledger and the minter after the restart", func() bool {
		b, err1 := carol.Balance(ctx, me)
		st, err2 := carol.Status(ctx, lastWithdrawal)
		a, err3 := carol.Address(ctx, &aliceP, nil)
		if err1 == nil && b != aliceBal || err3 == nil && a != addr {
			t.Fatalf("after the restart: balance %d (was %d), address %s (was %s)", b, aliceBal, a, addr)
		}
		return err1 == nil && err2 == nil && st.Confirmed != nil && err3 == nil
	})
}

// canisterStateHash is the hash of the node's canister component (Wasm
// and Go canisters).
func (n *Node) canisterStateHash() [32]byte {
	n.app.cans.mu.Lock()
	defer n.app.cans.mu.Unlock()
	return n.app.cans.c.StateHash()
}

// checkTipCertificate asks the ledger for icrc3_get_tip_certificate until
// it has one and checks it: a certificate of the subnet's root key whose
// /canister/<ledger>/certified_data is the digest of the hash tree beside
// it, which reveals the tip's index.
func checkTipCertificate(t *testing.T, ctx context.Context, c *client.Client, n *Node) {
	t.Helper()
	var tip *struct {
		Certificate []byte `candid:"certificate"`
		HashTree    []byte `candid:"hash_tree"`
	}
	empty, _ := candid.Encode()
	waitUntil(t, ctx, "a tip certificate", func() bool {
		r, err := c.T.Query(ctx, c.Ledger, "icrc3_get_tip_certificate", empty)
		if err != nil {
			t.Fatal(err)
		}
		if err := candid.Decode(r, &tip); err != nil {
			t.Fatal(err)
		}
		return tip != nil
	})
	cert, err := certification.ParseCertificate(tip.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	root, err := thresholdsig.ParseDERPublicKey(n.RootKeyDER())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certification.Verify(cert, root, certification.VerifyOptions{}); err != nil {
		t.Fatalf("tip certificate: %v", err)
	}
	tree, err := certification.DecodeHashTree(tip.HashTree)
	if err != nil {
		t.Fatal(err)
	}
	st, data := cert.Lookup([]byte("canister"), c.Ledger.Bytes(), []byte("certified_data"))
	d := tree.Digest()
	if st != certification.Found || !bytes.Equal(data, d[:]) {
		t.Fatalf("certified data %x, hash tree digest %x", data, d)
	}
	if st, _ := certification.Lookup(tree, [][]byte{[]byte("last_block_index")}); st != certification.Found {
		t.Fatal("the hash tree does not reveal last_block_index")
	}
}
