package ethereum

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/params"
)

// storageSetter is a hand-assembled contract whose code stores the first
// 32 bytes of the call data in slot 0. Init code: PUSH1 7 DUP1 PUSH1 11
// PUSH1 0 CODECOPY PUSH1 0 RETURN; runtime: PUSH1 0 CALLDATALOAD PUSH1 0
// SSTORE STOP.
var storageSetter = common.FromHex("0x600780600b6000396000f3" + "60003560005500")

var _ Client = simulated.Client(nil)

func mined(t *testing.T, sim *simulated.Backend, tx *types.Transaction) *types.Receipt {
	t.Helper()
	sim.Commit()
	r, err := sim.Client().TransactionReceipt(context.Background(), tx.Hash())
	if err != nil {
		t.Fatalf("receipt of %s: %v", tx.Hash().Hex(), err)
	}
	return r
}

// TestSimulatedChain sends threshold-style signed transactions (the signer
// returns only r||s) to go-ethereum's simulated backend: a transfer, a
// contract creation and a call, then the failure cases.
func TestSimulatedChain(t *testing.T) {
	ctx := context.Background()
	k := testKey(t, 6)
	from := crypto.PubkeyToAddress(k.PublicKey)
	sim := simulated.NewBackend(types.GenesisAlloc{from: {Balance: big.NewInt(params.Ether)}})
	defer sim.Close()
	c := sim.Client()
	signer := &keySigner{key: k}
	send := func(req TxRequest) (*types.Transaction, error) {
		req.From = from
		tx, chainID, err := Prepare(ctx, c, req)
		if err != nil {
			return nil, err
		}
		signed, err := SignTx(ctx, signer, from, chainID, tx)
		if err != nil {
			return nil, err
		}
		return signed, Send(ctx, c, signed)
	}

	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	tx, err := send(TxRequest{To: &to, Value: big.NewInt(12345)})
	if err != nil {
		t.Fatal(err)
	}
	if tx.Type() != types.DynamicFeeTxType || tx.Gas() != params.TxGas || tx.Nonce() != 0 {
		t.Fatalf("prepared type %d gas %d nonce %d", tx.Type(), tx.Gas(), tx.Nonce())
	}
	if r := mined(t, sim, tx); r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("transfer status %d", r.Status)
	}
	if b, _ := c.BalanceAt(ctx, to, nil); b.Int64() != 12345 {
		t.Fatalf("recipient balance %v", b)
	}

	deploy, err := send(TxRequest{Data: storageSetter})
	if err != nil {
		t.Fatal(err)
	}
	r := mined(t, sim, deploy)
	if r.Status != types.ReceiptStatusSuccessful || r.ContractAddress != crypto.CreateAddress(from, 1) {
		t.Fatalf("deploy status %d at %s", r.Status, r.ContractAddress.Hex())
	}
	word := common.BigToHash(big.NewInt(0xc0ffee))
	call, err := send(TxRequest{To: &r.ContractAddress, Data: word[:]})
	if err != nil {
		t.Fatal(err)
	}
	if r := mined(t, sim, call); r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("call status %d", r.Status)
	}
	slot, err := c.StorageAt(ctx, r.ContractAddress, common.Hash{}, nil)
	if err != nil || common.BytesToHash(slot) != word {
		t.Fatalf("slot 0 = %x (%v)", slot, err)
	}

	// Nonce taken: by a mined transaction, and by a pending one.
	zero := uint64(0)
	calls := signer.calls
	if _, err := send(TxRequest{To: &to, Value: big.NewInt(1), Nonce: &zero}); !errors.Is(err, ErrNonceTaken) {
		t.Fatalf("mined nonce reused: %v", err)
	}
	if signer.calls != calls {
		t.Fatal("a signature was spent on a nonce known to be taken")
	}
	// The node's own refusal of a mined nonce is recognised too.
	chainID, _ := c.ChainID(ctx)
	reused, err := SignTx(ctx, signer, from, chainID, types.NewTx(&types.DynamicFeeTx{ChainID: chainID, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(1e11), Gas: params.TxGas, To: &to}))
	if err != nil {
		t.Fatal(err)
	}
	if err := Send(ctx, c, reused); !errors.Is(err, ErrNonceTaken) {
		t.Fatalf("node-side mined nonce: %v", err)
	}
	pending, err := send(TxRequest{To: &to, Value: big.NewInt(1)})
	if err != nil {
		t.Fatal(err)
	}
	n := pending.Nonce()
	if _, err := send(TxRequest{To: &to, Value: big.NewInt(2), Nonce: &n, MaxFeePerGas: pending.GasFeeCap(), MaxPriorityFeePerGas: pending.GasTipCap()}); !errors.Is(err, ErrNonceTaken) {
		t.Fatalf("pending nonce reused: %v", err)
	}
	if err := Send(ctx, c, pending); !errors.Is(err, ErrNonceTaken) {
		t.Fatalf("same transaction again: %v", err)
	}
	mined(t, sim, pending)

	// Cannot pay: the value alone, or the value plus the fee.
	if _, err := send(TxRequest{To: &to, Value: big.NewInt(params.Ether)}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("overspend: %v", err)
	}
	bal, _ := c.BalanceAt(ctx, from, nil)
	if _, err := send(TxRequest{To: &to, Value: bal}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("whole balance, no fee left: %v", err)
	}
	poor := testKey(t, 7)
	poorAddr := crypto.PubkeyToAddress(poor.PublicKey)
	if _, _, err := Prepare(ctx, c, TxRequest{From: poorAddr, To: &to}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("empty account: %v", err)
	}
	// The node itself refuses a transaction the account cannot pay for.
	head, _ := c.HeaderByNumber(ctx, nil)
	unpaid := types.NewTx(&types.DynamicFeeTx{ChainID: chainID, GasTipCap: big.NewInt(1), GasFeeCap: new(big.Int).Mul(head.BaseFee, big.NewInt(2)), Gas: params.TxGas, To: &to})
	signed, err := SignTx(ctx, &keySigner{key: poor}, poorAddr, chainID, unpaid)
	if err != nil {
		t.Fatal(err)
	}
	if err := Send(ctx, c, signed); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("node accepted an unpaid transaction: %v", err)
	}
}
