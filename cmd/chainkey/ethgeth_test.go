package main

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/chainkey/chainkey/ethereum/gethtest"
)

// storageSetter is a hand-assembled contract: its code stores the first 32
// bytes of the call data in storage slot 0. Init code: PUSH1 7 DUP1
// PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN; runtime: PUSH1 0 CALLDATALOAD
// PUSH1 0 SSTORE STOP.
const storageSetter = "0x600780600b6000396000f3" + "60003560005500"

func ethSendCLI(t *testing.T, args ...string) ethSendOutput {
	t.Helper()
	out, stderr, err := runEth(t, "", append([]string{"eth", "send"}, args...)...)
	if err != nil {
		t.Fatalf("eth send %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	var r ethSendOutput
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("eth send printed %q: %v", out, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("eth send: status %d", r.Status)
	}
	return r
}

// TestEthGethEndToEnd moves ETH on a real geth --dev chain from an address
// held by a real local subnet's threshold ECDSA key, deploys a contract and
// calls it, all through `chainkey eth`.
func TestEthGethEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds (once) and runs geth --dev and a 4-node subnet")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	node := gethtest.Start(t)
	info, stop := startUpArgs(t, "--nodes", "4", "--home", t.TempDir())
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	ctx := context.Background()
	ec := node.Client

	var a struct {
		Address string `json:"address"`
	}
	ethJSON(t, &a, "", "eth", "address", "--endpoint", info.GRPC[0], "--path", "657468")
	from := common.HexToAddress(a.Address)
	if from.Hex() != a.Address {
		t.Fatalf("address %s is not EIP-55", a.Address)
	}
	// The same key seen through another node.
	ethJSON(t, &a, "", "eth", "address", "--endpoint", info.GRPC[3], "--path", "657468")
	if a.Address != from.Hex() {
		t.Fatalf("node 3 says %s, node 0 %s", a.Address, from.Hex())
	}

	funding := new(big.Int).Mul(big.NewInt(10), big.NewInt(params.Ether))
	node.Fund(t, from, funding)
	var bal struct{ Address, Balance string }
	ethJSON(t, &bal, "", "eth", "balance", "--rpc", node.URL, "--endpoint", info.GRPC[1], "--path", "657468")
	if bal.Address != from.Hex() || bal.Balance != funding.String() {
		t.Fatalf("balance %+v, want %s", bal, funding)
	}

	spent := new(big.Int)
	account := func(r ethSendOutput) {
		t.Helper()
		rc, err := ec.TransactionReceipt(ctx, common.HexToHash(r.TxHash))
		if err != nil {
			t.Fatal(err)
		}
		if rc.BlockNumber.Uint64() != r.BlockNumber {
			t.Fatalf("receipt in block %v, CLI said %d", rc.BlockNumber, r.BlockNumber)
		}
		tx, _, err := ec.TransactionByHash(ctx, rc.TxHash)
		if err != nil {
			t.Fatal(err)
		}
		sender, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
		if err != nil || sender != from {
			t.Fatalf("geth's transaction recovers %s (%v), want %s", sender.Hex(), err, from.Hex())
		}
		spent.Add(spent, tx.Value())
		spent.Add(spent, new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), rc.EffectiveGasPrice))
	}

	// A transfer.
	to := common.HexToAddress("0x000000000000000000000000000000000000c4a1")
	// Every signature's certificate is checked against the root key.
	keyArgs := []string{"--endpoint", info.GRPC[2], "--path", "657468", "--rpc", node.URL, "--root-key", info.RootKey}
	r := ethSendCLI(t, append([]string{"--to", to.Hex(), "--value", "1234500000000000000"}, keyArgs...)...)
	if r.From != from.Hex() || r.Nonce != 0 {
		t.Fatalf("send printed %+v", r)
	}
	account(r)
	if b, _ := ec.BalanceAt(ctx, to, nil); b.String() != "1234500000000000000" {
		t.Fatalf("recipient has %v", b)
	}

	// A contract: created, then called (a state-changing method).
	r = ethSendCLI(t, append([]string{"--data", storageSetter}, keyArgs...)...)
	account(r)
	contract := common.HexToAddress(r.ContractAddress)
	if code, err := ec.CodeAt(ctx, contract, nil); err != nil || hexutil.Encode(code) != "0x60003560005500" {
		t.Fatalf("contract code %x (%v)", code, err)
	}
	word := common.BigToHash(big.NewInt(0x5ca1ab1e))
	r = ethSendCLI(t, append([]string{"--to", contract.Hex(), "--data", hexutil.Encode(word[:])}, keyArgs...)...)
	account(r)
	if slot, err := ec.StorageAt(ctx, contract, common.Hash{}, nil); err != nil || common.BytesToHash(slot) != word {
		t.Fatalf("slot 0 = %x (%v)", slot, err)
	}

	// Offline signing: an EIP-2930 transaction signed into raw hex and
	// submitted with eth_sendRawTransaction.
	nonce, _ := ec.PendingNonceAt(ctx, from)
	price, _ := ec.SuggestGasPrice(ctx)
	price.Mul(price, big.NewInt(2))
	unsigned, _ := json.Marshal(map[string]any{
		"type": 1, "chain_id": "1337", "nonce": nonce, "to": to.Hex(), "value": "7", "gas_limit": 30000,
		"gas_price": price.String(), "access_list": []map[string]any{{"address": contract.Hex(), "storage_keys": []string{common.Hash{}.Hex()}}},
	})
	var st ethSignTxOutput
	ethJSON(t, &st, string(unsigned), "eth", "sign-tx", "--endpoint", info.GRPC[0], "--path", "657468")
	var hash common.Hash
	if err := ec.Client().CallContext(ctx, &hash, "eth_sendRawTransaction", st.RawTransaction); err != nil {
		t.Fatal(err)
	}
	if hash.Hex() != st.TxHash {
		t.Fatalf("geth hashed %s, sign-tx printed %s", hash.Hex(), st.TxHash)
	}
	rc, err := node.WaitMined(ctx, hash)
	if err != nil || rc.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("offline transaction: %v (%v)", rc, err)
	}
	account(ethSendOutput{TxHash: hash.Hex(), BlockNumber: rc.BlockNumber.Uint64()})

	got, _ := ec.BalanceAt(ctx, from, nil)
	if want := new(big.Int).Sub(funding, spent); got.Cmp(want) != 0 {
		t.Fatalf("sender has %s wei, want %s", got, want)
	}

	// A signature whose certificate does not verify under the given root
	// key is not used: nothing is sent.
	// (The Internet Computer mainnet's root key, valid but not this
	// subnet's.)
	before, _ := ec.PendingNonceAt(ctx, from)
	ethFails(t, "certificate", "eth", "send", "--to", to.Hex(), "--value", "1", "--endpoint", info.GRPC[1], "--path", "657468", "--rpc", node.URL, "--root-key", blsTestDERPrefix+blsTestKey)
	if after, _ := ec.PendingNonceAt(ctx, from); after != before {
		t.Fatalf("nonce moved from %d to %d: a transaction was sent", before, after)
	}

	// Refusals from the real node.
	ethFails(t, "nonce already used", append([]string{"eth", "send", "--to", to.Hex(), "--value", "1", "--nonce", "1"}, keyArgs...)...)
	ethFails(t, "insufficient funds", append([]string{"eth", "send", "--to", to.Hex(), "--value", funding.String()}, keyArgs...)...)
	ethFails(t, "insufficient funds", append([]string{"eth", "send", "--to", to.Hex(), "--value", "1", "--gas-limit", "21000", "--max-fee-per-gas", "1000000000000000000"}, keyArgs...)...)
}
