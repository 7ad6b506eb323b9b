package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/chainkey/chainkey/ethereum"
	"github.com/chainkey/chainkey/ethereum/gethtest"
)

var (
	walletResult  = regexp.MustCompile(`^\(\s*variant \{\s*(ok|err) = "(.*)"\s*\},?\s*\)$`)
	walletBalance = regexp.MustCompile(`^\(\s*variant \{\s*ok = ([0-9_]+) : nat\s*\},?\s*\)$`)
)

// walletBalanceOf is the balance the wallet reads from the node at rpcURL.
func walletBalanceOf(t *testing.T, ep, id, did, rpcURL string) *big.Int {
	t.Helper()
	out := walletCLI(t, ep, "call", id, "balance", fmt.Sprintf(`("%s")`, rpcURL), "--candid", did)
	m := walletBalance.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("balance printed %s", out)
	}
	b, ok := new(big.Int).SetString(strings.ReplaceAll(m[1], "_", ""), 10)
	if !ok {
		t.Fatalf("balance printed %s", out)
	}
	return b
}

// walletSend calls the wallet's send and returns its ok or err text and
// how long the call took.
func walletSend(t *testing.T, ep, id, did, to string, value *big.Int, rpcURL string) (ok, errText string, took time.Duration) {
	t.Helper()
	arg := fmt.Sprintf(`(record { to = "%s"; value = %s : nat; rpc = "%s" })`, to, value, rpcURL)
	start := time.Now()
	out := walletCLI(t, ep, "call", id, "send", arg, "--candid", did)
	took = time.Since(start)
	m := walletResult.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("send printed %s", out)
	}
	if m[1] == "ok" {
		return m[2], "", took
	}
	return "", m[2], took
}

// TestEthWalletGeth: the Motoko wallet canister on a local 4-node subnet
// holds ETH on a real geth --dev chain. The test funds the canister's
// address (from its ecdsa_public_key) and the canister sends ETH back: it
// reads the chain id, nonce and gas price through HTTPS outcalls to geth,
// signs with sign_with_ecdsa and sends the raw transaction with
// eth_sendRawTransaction, which geth mines.
func TestEthWalletGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("builds (once) and runs geth --dev and a 4-node subnet")
	}
	ethWallet(t)
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
	id, did := deployWallet(t, info.HTTP[0])

	// The canister's address is that of the subnet's key derived for the
	// canister.
	start := time.Now()
	addr := candidText(t, walletCLI(t, info.HTTP[1], "call", id, "address"))
	t.Logf("address (ecdsa_public_key): %v", time.Since(start))
	var pk struct {
		PublicKey string `json:"public_key"`
	}
	out, err := runCLI(t, "pubkey", "--endpoint", info.GRPC[2], "--caller", id)
	if err != nil || json.Unmarshal([]byte(out), &pk) != nil {
		t.Fatalf("pubkey --caller %s: %v %s", id, err, out)
	}
	pub, _ := hex.DecodeString(pk.PublicKey)
	if want, err := ethereum.AddressFromPublicKey(pub); err != nil || addr != want.Hex() {
		t.Fatalf("the canister says %s, the subnet's key for %s gives %s (%v)", addr, id, want.Hex(), err)
	}
	if q := candidText(t, walletCLI(t, info.HTTP[0], "call", id, "address_of", fmt.Sprintf(`(blob "%s")`, blobEscape(pub)), "--query", "--candid", did)); q != addr {
		t.Fatalf("address_of the key: %s, address %s", q, addr)
	}
	wallet := common.HexToAddress(addr)

	funding := new(big.Int).Mul(big.NewInt(5), big.NewInt(params.Ether))
	node.Fund(t, wallet, funding)
	start = time.Now()
	if b := walletBalanceOf(t, info.HTTP[2], id, did, node.URL); b.Cmp(funding) != 0 {
		t.Fatalf("the wallet reads a balance of %v, want %v", b, funding)
	}
	t.Logf("balance (one outcall, eth_getBalance): %v", time.Since(start))

	spent := new(big.Int)
	to := common.HexToAddress("0x00000000000000000000000000000000000e7a11")
	sent := new(big.Int)
	var took []time.Duration
	for i, v := range []*big.Int{big.NewInt(1_234_500_000_000_000_000), big.NewInt(1), new(big.Int).Mul(big.NewInt(2), big.NewInt(params.Ether))} {
		hash, errText, d := walletSend(t, info.HTTP[i%4], id, did, to.Hex(), v, node.URL)
		if errText != "" {
			t.Fatalf("send %d: %s", i, errText)
		}
		took = append(took, d)
		steps := strings.Join(strings.Fields(walletCLI(t, info.HTTP[0], "call", id, "last_send_ms", "--query", "--candid", did)), " ")
		t.Logf("send %d: %v; in the canister, ms of reads, sign_with_ecdsa, eth_sendRawTransaction, check: %s", i, d, steps)
		rc, err := node.WaitMined(ctx, common.HexToHash(hash))
		if err != nil || rc.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("send %d: receipt %+v (%v)", i, rc, err)
		}
		tx, _, err := ec.TransactionByHash(ctx, rc.TxHash)
		if err != nil {
			t.Fatal(err)
		}
		if tx.Type() != types.LegacyTxType || !tx.Protected() || tx.Nonce() != uint64(i) || tx.Value().Cmp(v) != 0 || *tx.To() != to {
			t.Fatalf("send %d: transaction type %d protected %v nonce %d value %v to %v", i, tx.Type(), tx.Protected(), tx.Nonce(), tx.Value(), tx.To())
		}
		sender, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
		if err != nil || sender != wallet {
			t.Fatalf("send %d: geth's transaction recovers %s (%v), want %s", i, sender.Hex(), err, addr)
		}
		sent.Add(sent, v)
		spent.Add(spent, v)
		spent.Add(spent, new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), rc.EffectiveGasPrice))
	}
	t.Logf("send (3 outcalls at once, sign_with_ecdsa, eth_sendRawTransaction, eth_getTransactionByHash): %v", took)
	if b, _ := ec.BalanceAt(ctx, to, nil); b.Cmp(sent) != 0 {
		t.Fatalf("recipient has %v, want %v", b, sent)
	}
	left := new(big.Int).Sub(funding, spent)
	if b, _ := ec.BalanceAt(ctx, wallet, nil); b.Cmp(left) != 0 {
		t.Fatalf("wallet has %v, want %v", b, left)
	}
	if b := walletBalanceOf(t, info.HTTP[3], id, did, node.URL); b.Cmp(left) != 0 {
		t.Fatalf("the wallet reads a balance of %v, want %v", b, left)
	}

	// Refusals: geth's, agreed by the nodes and returned as err; nothing
	// is sent.
	nonce, _ := ec.NonceAt(ctx, wallet, nil)
	if _, e, _ := walletSend(t, info.HTTP[0], id, did, to.Hex(), funding, node.URL); !strings.Contains(e, "insufficient funds") {
		t.Fatalf("sending more than the balance: %q", e)
	}
	if _, e, _ := walletSend(t, info.HTTP[0], id, did, "0x1234", big.NewInt(1), node.URL); !strings.Contains(e, "not an address") {
		t.Fatalf("a bad address: %q", e)
	}
	if after, _ := ec.NonceAt(ctx, wallet, nil); after != nonce {
		t.Fatalf("nonce moved from %d to %d", nonce, after)
	}
}

// blobEscape writes b as the escapes of a Candid blob literal.
func blobEscape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, `\%02x`, c)
	}
	return s.String()
}
