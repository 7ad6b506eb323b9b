package replica

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/service"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

func rejectCode(t *testing.T, err error) int {
	t.Helper()
	var r *canisters.GoReject
	if !errors.As(err, &r) {
		t.Fatalf("error %v is not a reject", err)
	}
	return r.Code
}

// TestBitcoinCanisterFees: the Bitcoin canister's update methods are for
// canisters, need their maximum fee attached and take their fee (the
// testnet fees here), and send_transaction queues a well-formed
// transaction for the adapter.
func TestBitcoinCanisterFees(t *testing.T) {
	st, err := canister.New(canister.Config{Network: chain.Regtest, StabilityThreshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	svc := service.NewCanister(st, nil)
	fees := bitcoinFees(chain.Testnet)
	b := &bitcoinCanister{network: chain.Regtest, fees: fees, can: func() *service.Canister { return svc }}
	regtest := networkVariant(chain.Regtest)
	addr := "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
	balArg, _ := candid.Encode(getBalanceRequest{Network: regtest, Address: addr})
	can := canisters.CanisterID(5)
	user := principal.SelfAuthenticating([]byte("user"))

	if _, _, err := b.UpdatePaid("bitcoin_get_balance", balArg, user, 0, fees.GetBalanceMax); rejectCode(t, err) != execution.RejectCanisterReject {
		t.Fatal("an ingress message reached bitcoin_get_balance")
	}
	if _, _, err := b.UpdatePaid("bitcoin_get_balance", balArg, can, 0, fees.GetBalanceMax-1); rejectCode(t, err) != execution.RejectCanisterReject {
		t.Fatal("bitcoin_get_balance without its maximum fee attached")
	}
	r, used, err := b.UpdatePaid("bitcoin_get_balance", balArg, can, 0, fees.GetBalanceMax)
	var bal uint64
	if err != nil || used != fees.GetBalance || candid.Decode(r, &bal) != nil || bal != 0 {
		t.Fatalf("bitcoin_get_balance: %v, used %d, balance %d", err, used, bal)
	}
	// The query form is free and open to all.
	if r, err := b.Query("bitcoin_get_balance_query", balArg, user, 0); err != nil || candid.Decode(r, &bal) != nil {
		t.Fatalf("bitcoin_get_balance_query: %v", err)
	}
	wrong, _ := candid.Encode(getBalanceRequest{Network: networkVariant(chain.Mainnet), Address: addr})
	if _, _, err := b.UpdatePaid("bitcoin_get_balance", wrong, can, 0, fees.GetBalanceMax); rejectCode(t, err) != execution.RejectCanisterError {
		t.Fatal("wrong network accepted")
	}
	utxoArg, _ := candid.Encode(getUtxosRequest{Network: regtest, Address: addr})
	if _, used, err := b.UpdatePaid("bitcoin_get_utxos", utxoArg, can, 0, fees.GetUtxosMax); err != nil || used != fees.GetUtxosBase {
		t.Fatalf("bitcoin_get_utxos: %v, used %d", err, used)
	}
	hdrArg, _ := candid.Encode(getBlockHeadersRequest{Network: regtest})
	r, used, err = b.UpdatePaid("bitcoin_get_block_headers", hdrArg, can, 0, fees.GetBlockHeadersMax)
	var hdrs getBlockHeadersResponse
	if err != nil || used != fees.GetBlockHeadersBase || candid.Decode(r, &hdrs) != nil || len(hdrs.BlockHeaders) != 1 {
		t.Fatalf("bitcoin_get_block_headers: %v, used %d, %d headers", err, used, len(hdrs.BlockHeaders))
	}

	// send_transaction: base plus per byte, a malformed one refused.
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	var raw bytes.Buffer
	if err := tx.Serialize(&raw); err != nil {
		t.Fatal(err)
	}
	fee := fees.SendTransactionBase + fees.SendTransactionPerByte*uint64(raw.Len())
	send, _ := candid.Encode(sendTransactionRequest{Network: regtest, Transaction: raw.Bytes()})
	if _, _, err := b.UpdatePaid("bitcoin_send_transaction", send, can, 0, fee-1); rejectCode(t, err) != execution.RejectCanisterReject {
		t.Fatal("send_transaction with too few cycles")
	}
	bad, _ := candid.Encode(sendTransactionRequest{Network: regtest, Transaction: []byte{1, 2, 3}})
	if _, _, err := b.UpdatePaid("bitcoin_send_transaction", bad, can, 0, 1e12); rejectCode(t, err) != execution.RejectCanisterError {
		t.Fatal("malformed transaction accepted")
	}
	if _, used, err := b.UpdatePaid("bitcoin_send_transaction", send, can, 0, fee+5); err != nil || used != fee {
		t.Fatalf("send_transaction: %v, used %d, want %d", err, used, fee)
	}
	if len(b.broadcast) != 1 || !bytes.Equal(b.broadcast[0], raw.Bytes()) {
		t.Fatalf("%d transactions queued for the adapter", len(b.broadcast))
	}

	// get_config reports the fees and network.
	r, err = b.Query("get_config", nil, user, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cfg configRecord
	if err := candid.Decode(r, &cfg); err != nil || cfg.Fees.GetUtxosBase.Uint64() != 20_000_000 || cfg.Network.Regtest == nil ||
		cfg.StabilityThreshold.Uint64() != 3 {
		t.Fatalf("get_config %+v %v", cfg, err)
	}
	if _, err := b.Query("get_blockchain_info", nil, user, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Query("set_config", nil, user, 0); rejectCode(t, err) != execution.RejectDestinationInvalid {
		t.Fatal("set_config answered")
	}
	if m, r := bitcoinFees(chain.Mainnet), bitcoinFees(chain.Regtest); m.SendTransactionBase != 5_000_000_000 || m.GetUtxosMax != 10_000_000_000 || r != (btcFees{}) {
		t.Fatalf("fee tables %+v %+v", m, r)
	}
}
