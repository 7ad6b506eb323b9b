package ledger_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/internal/nodejstest"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
)

// bridgeRequest is a line from testdata/ledgericrc/client.mjs.
type bridgeRequest struct {
	Kind   string          `json:"kind"`
	Method string          `json:"method"`
	Arg    string          `json:"arg"`
	Caller string          `json:"caller"`
	Result json.RawMessage `json:"result"`
}

// TestLedgerICRCClient drives the ledger with the unmodified npm client
// @dfinity/ledger-icrc 4.1.2: its IcrcLedgerCanister for queries, its
// converters and Candid interface for updates (see
// testdata/ledgericrc/README.md). Every Candid message crosses between
// @dfinity/candid and this package's Call and Query.
//
// The test fails when node or npm is not on PATH; CHAINKEY_SKIP_NODE=1
// skips it.
func TestLedgerICRCClient(t *testing.T) {
	js := nodejstest.Install(t, "testdata/ledgericrc", "@dfinity/ledger-icrc")

	minter := principal.FromCanisterIndex(1)
	alice := principal.SelfAuthenticating([]byte("alice's public key"))
	bob := principal.SelfAuthenticating([]byte("bob's public key"))
	l, err := ledger.New(ledger.CkBTCConfig(minter), t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Mint(ledger.Account{Owner: alice}, 1_000_000, nil, t0); err != nil {
		t.Fatal(err)
	}
	cert := []byte("certificate")
	l.SetCertificateSource(func() []byte { return cert })
	sub := [32]byte{31: 7, 30: 1}
	subAcct := ledger.Account{Owner: alice, Subaccount: ledger.Subaccount(sub)}
	now := uint64(t0 + 1_000_000_000)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := js.Command(ctx, "client.mjs")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	answer := func(v any) {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(stdin, "%s\n", b); err != nil {
			t.Fatalf("writing to client.mjs: %v (stderr: %s)", err, stderr.String())
		}
	}
	var result json.RawMessage
	calls := 0
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 16<<20)
	for result == nil && sc.Scan() {
		var req bridgeRequest
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			t.Fatalf("client.mjs said %q: %v", sc.Text(), err)
		}
		switch req.Kind {
		case "init":
			answer(map[string]string{
				"alice": alice.String(), "bob": bob.String(), "minter": minter.String(),
				"ledger": principal.FromCanisterIndex(2).String(), "now": fmt.Sprint(now),
				"subaccount": hex.EncodeToString(sub[:]), "accountText": subAcct.String(),
			})
		case "query", "call":
			arg, err := hex.DecodeString(req.Arg)
			if err != nil {
				t.Fatal(err)
			}
			var reply []byte
			if req.Kind == "query" {
				reply, err = l.Query(req.Method, arg, principal.Anonymous(), now)
			} else {
				caller := principal.MustParse(req.Caller)
				now += 1_000
				calls++
				reply, err = l.Call(req.Method, arg, caller, now)
			}
			if err != nil {
				answer(map[string]string{"reject": err.Error()})
			} else {
				answer(map[string]string{"reply": hex.EncodeToString(reply)})
			}
		case "done":
			result = req.Result
			answer(map[string]string{})
		default:
			t.Fatalf("unknown request %q", req.Kind)
		}
	}
	if result == nil {
		t.Fatalf("client.mjs ended without a result: %v\nstderr: %s", sc.Err(), stderr.String())
	}

	var out struct {
		Metadata       [][]json.RawMessage      `json:"metadata"`
		Fee            string                   `json:"fee"`
		AliceBefore    string                   `json:"aliceBefore"`
		MintingAccount []struct{ Owner string } `json:"mintingAccount"`
		Transfer       map[string]any           `json:"transfer"`
		Duplicate      map[string]any           `json:"duplicate"`
		BadFee         map[string]any           `json:"badFee"`
		BadBurn        map[string]any           `json:"badBurn"`
		Approve        map[string]any           `json:"approve"`
		Allowance      struct {
			Allowance string   `json:"allowance"`
			ExpiresAt []string `json:"expires_at"`
		} `json:"allowance"`
		TransferFrom          map[string]any `json:"transferFrom"`
		InsufficientAllowance map[string]any `json:"insufficientAllowance"`
		SelfApproval          map[string]any `json:"selfApproval"`
		AliceAfter            string         `json:"aliceAfter"`
		BobAfter              string         `json:"bobAfter"`
		TotalSupply           string         `json:"totalSupply"`
		Blocks                struct {
			LogLength string `json:"log_length"`
			Blocks    []struct {
				ID    string         `json:"id"`
				Block map[string]any `json:"block"`
			} `json:"blocks"`
		} `json:"blocks"`
		GetBlocks struct {
			ChainLength string   `json:"chain_length"`
			Blocks      []any    `json:"blocks"`
			Certificate []string `json:"certificate"`
		} `json:"getBlocks"`
		Transactions struct {
			Transactions []struct {
				Kind string `json:"kind"`
			} `json:"transactions"`
		} `json:"transactions"`
		Tip []struct {
			Certificate string `json:"certificate"`
			HashTree    string `json:"hash_tree"`
		} `json:"tip"`
		Standards []struct {
			Name string `json:"name"`
		} `json:"standards"`
		BlockTypes  []any  `json:"blockTypes"`
		Archives    []any  `json:"archives"`
		AccountText string `json:"accountText"`
		AccountBack struct {
			Owner      string `json:"owner"`
			Subaccount string `json:"subaccount"`
		} `json:"accountBack"`
	}
	if err := json.Unmarshal(result, &out); err != nil {
		t.Fatalf("%v: %s", err, result)
	}
	t.Logf("%d update calls through @dfinity/ledger-icrc", calls)

	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("fee", out.Fee, 10)
	check("alice before", out.AliceBefore, 1_000_000)
	if len(out.MintingAccount) != 1 || out.MintingAccount[0].Owner != minter.String() {
		t.Errorf("minting account %+v", out.MintingAccount)
	}
	check("metadata entries", len(out.Metadata), 5)
	check("transfer", out.Transfer["Ok"], "1")
	check("duplicate", fmt.Sprint(out.Duplicate["Err"]), "map[Duplicate:map[duplicate_of:1]]")
	check("bad fee", fmt.Sprint(out.BadFee["Err"]), "map[BadFee:map[expected_fee:10]]")
	check("bad burn", fmt.Sprint(out.BadBurn["Err"]), "map[BadBurn:map[min_burn_amount:10]]")
	check("approve", out.Approve["Ok"], "2")
	check("allowance", out.Allowance.Allowance, 5_000)
	check("allowance expiry", fmt.Sprint(out.Allowance.ExpiresAt), fmt.Sprintf("[%d]", t0+1_000_000_000+3_600_000_000_000))
	check("transfer_from", out.TransferFrom["Ok"], "3")
	check("insufficient allowance", fmt.Sprint(out.InsufficientAllowance["Err"]), "map[InsufficientAllowance:map[allowance:3990]]")
	if r, ok := out.SelfApproval["reject"].(string); !ok || !strings.Contains(r, "self approval") {
		t.Errorf("self approval: %v", out.SelfApproval)
	}
	check("alice after", out.AliceAfter, l.BalanceOf(ledger.Account{Owner: alice}))
	check("bob after", out.BobAfter, l.BalanceOf(ledger.Account{Owner: bob}))
	check("total supply", out.TotalSupply, l.TotalSupply())
	check("log length", out.Blocks.LogLength, l.Len())
	check("blocks", len(out.Blocks.Blocks), l.Len())
	check("get_blocks chain length", out.GetBlocks.ChainLength, l.Len())
	check("get_blocks certificate", fmt.Sprint(out.GetBlocks.Certificate), "["+hex.EncodeToString(cert)+"]")
	check("transactions", len(out.Transactions.Transactions), l.Len())
	kinds := []string{}
	for _, tx := range out.Transactions.Transactions {
		kinds = append(kinds, tx.Kind)
	}
	check("kinds", strings.Join(kinds, ","), "mint,transfer,approve,transfer")
	if len(out.Tip) != 1 || out.Tip[0].Certificate != hex.EncodeToString(cert) || out.Tip[0].HashTree == "" {
		t.Errorf("tip certificate %+v", out.Tip)
	}
	check("standards", len(out.Standards) >= 3, true)
	check("block types", len(out.BlockTypes), 4)
	check("archives", len(out.Archives), 0)
	check("ICRC-1 text of an account", out.AccountText, subAcct.String())
	check("decoded account owner", out.AccountBack.Owner, alice.String())
}
