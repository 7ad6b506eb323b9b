package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

func TestBuildPaymentVerifies(t *testing.T) {
	params := &chaincfg.RegressionNetParams
	priv, _ := btcec.PrivKeyFromBytes([]byte("0123456789abcdef0123456789abcdef"))
	dest, _ := btcutil.DecodeAddress("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", params)
	for _, witness := range []bool{true, false} {
		wpkh, pkh, err := keyAddresses(priv.PubKey(), params)
		if err != nil {
			t.Fatal(err)
		}
		var from btcutil.Address = pkh
		if witness {
			from = wpkh
		}
		script, _ := txscript.PayToAddrScript(from)
		// The newest UTXO first: the oldest must be spent first.
		utxos := []payUtxo{
			{OutPoint: wire.OutPoint{Hash: chainhash.Hash{2}, Index: 1}, Value: 50e8, Height: 300},
			{OutPoint: wire.OutPoint{Hash: chainhash.Hash{1}}, Value: 30e6, Height: 5},
			{OutPoint: wire.OutPoint{Hash: chainhash.Hash{3}}, Value: 80e6, Height: 7},
		}
		p, err := buildPayment(priv, witness, params, utxos, dest, 1e8, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Tx.TxIn) != 2 || p.Tx.TxIn[0].PreviousOutPoint.Hash != (chainhash.Hash{1}) || p.Tx.TxIn[1].PreviousOutPoint.Hash != (chainhash.Hash{3}) {
			t.Fatalf("witness=%v: inputs %v, want the two oldest", witness, p.Tx.TxIn)
		}
		if got := p.Tx.TxOut[0].Value + p.Change + p.Fee; got != 110e6 || p.Tx.TxOut[0].Value != 1e8 || p.Tx.TxOut[1].Value != p.Change {
			t.Fatalf("witness=%v: outputs %v change %d fee %d", witness, p.Tx.TxOut, p.Change, p.Fee)
		}
		if vsize := (3*p.Tx.SerializeSizeStripped() + p.Tx.SerializeSize() + 3) / 4; p.Fee < int64(vsize)*3 {
			t.Fatalf("witness=%v: fee %d below 3 sat/vB for %d vbytes", witness, p.Fee, vsize)
		}
		prev := txscript.NewMultiPrevOutFetcher(nil)
		values := map[chainhash.Hash]int64{{1}: 30e6, {3}: 80e6}
		for _, in := range p.Tx.TxIn {
			prev.AddPrevOut(in.PreviousOutPoint, wire.NewTxOut(values[in.PreviousOutPoint.Hash], script))
		}
		hashes := txscript.NewTxSigHashes(p.Tx, prev)
		for i, in := range p.Tx.TxIn {
			vm, err := txscript.NewEngine(script, p.Tx, i, txscript.StandardVerifyFlags, nil, hashes, values[in.PreviousOutPoint.Hash], prev)
			if err != nil {
				t.Fatal(err)
			}
			if err := vm.Execute(); err != nil {
				t.Fatalf("witness=%v: input %d does not verify: %v", witness, i, err)
			}
		}
	}
	if _, err := buildPayment(priv, true, params, []payUtxo{{Value: 1000}}, dest, 1e8, 2); err == nil || !strings.Contains(err.Error(), "holds 1000 sat") {
		t.Fatalf("too little money: %v", err)
	}
	if _, err := buildPayment(priv, true, params, []payUtxo{{Value: 1e8}}, dest, 100, 2); err == nil {
		t.Fatal("a dust payment was built")
	}
	// Change below the dust limit goes to the fee.
	p, err := buildPayment(priv, true, params, []payUtxo{{Value: 1e6}}, dest, 1e6-400, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tx.TxOut) != 1 || p.Fee != 400 || p.Change != 0 {
		t.Fatalf("dust change: outputs %d fee %d change %d", len(p.Tx.TxOut), p.Fee, p.Change)
	}
}

func TestBTCKeygen(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	kf := filepath.Join(t.TempDir(), "k.wif")
	var out map[string]string
	cliJSON(t, &out, "btc", "keygen", "--out", kf)
	fi, err := os.Stat(kf)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	w, err := readWIF(kf, &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	wpkh, pkh, _ := keyAddresses(w.PrivKey.PubKey(), &chaincfg.RegressionNetParams)
	if out["address"] != wpkh.EncodeAddress() || out["p2pkh_address"] != pkh.EncodeAddress() || !strings.HasPrefix(out["address"], "bcrt1q") {
		t.Fatalf("keygen printed %v", out)
	}
	if _, err := runCLI(t, "btc", "keygen", "--out", kf); err == nil {
		t.Fatal("keygen replaced an existing key without --force")
	}
	if _, err := readWIF(kf, &chaincfg.MainNetParams); err == nil {
		t.Fatal("a regtest key was accepted for mainnet")
	}
}

func TestIdentityCommands(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	p := filepath.Join(t.TempDir(), "bob.pem")
	var made, got, def, def2 map[string]string
	cliJSON(t, &made, "identity", "new", "--out", p)
	cliJSON(t, &got, "identity", "principal", "--identity", p)
	if made["principal"] == "" || made["principal"] != got["principal"] {
		t.Fatalf("new printed %v, principal printed %v", made, got)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity file %v %v", fi, err)
	}
	if _, err := runCLI(t, "identity", "new", "--out", p); err == nil {
		t.Fatal("identity new replaced an existing file")
	}
	cliJSON(t, &def, "identity", "principal")
	cliJSON(t, &def2, "identity", "principal")
	if def["principal"] == "" || def["principal"] != def2["principal"] || def["principal"] == made["principal"] {
		t.Fatalf("default identity %v then %v", def, def2)
	}
}
