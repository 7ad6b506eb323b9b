package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/internal/nodejstest"
	"github.com/chainkey/chainkey/principal"
)

// motokoBitcoin calls the Bitcoin canister at dfx's id and the
// management canister's bitcoin_get_balance.
const motokoBitcoin = `persistent actor {
  type Network = { #mainnet; #testnet; #regtest };
  type Outpoint = { txid : Blob; vout : Nat32 };
  type Utxo = { outpoint : Outpoint; value : Nat64; height : Nat32 };
  type GetUtxosResponse = { utxos : [Utxo]; tip_block_hash : Blob; tip_height : Nat32; next_page : ?Blob };
  type BalanceArgs = { network : Network; address : Text; min_confirmations : ?Nat32 };
  transient let btc = actor ("g4xu7-jiaaa-aaaan-aaaaq-cai") : actor {
    bitcoin_get_balance : (BalanceArgs) -> async Nat64;
    bitcoin_get_utxos : ({ network : Network; address : Text; filter : ?{ #min_confirmations : Nat32; #page : Blob } }) -> async GetUtxosResponse;
    bitcoin_send_transaction : ({ network : Network; transaction : Blob }) -> async ();
  };
  transient let ic = actor ("aaaaa-aa") : actor {
    bitcoin_get_balance : (BalanceArgs) -> async Nat64;
  };
  public func balance(a : Text, minConf : Nat32) : async Nat64 {
    await btc.bitcoin_get_balance({ network = #regtest; address = a; min_confirmations = ?minConf })
  };
  public func balanceMgmt(a : Text) : async Nat64 {
    await ic.bitcoin_get_balance({ network = #regtest; address = a; min_confirmations = null })
  };
  public func utxos(a : Text) : async GetUtxosResponse {
    await btc.bitcoin_get_utxos({ network = #regtest; address = a; filter = null })
  };
  public func send(tx : Blob) : async () {
    await btc.bitcoin_send_transaction({ network = #regtest; transaction = tx })
  };
  public func wrongNetwork(a : Text) : async Nat64 {
    await btc.bitcoin_get_balance({ network = #mainnet; address = a; min_confirmations = null })
  };
}`

// compileMotokoBitcoin compiles motokoBitcoin with the pinned compiler of
// the canister component's tests (cached in its node_modules).
func compileMotokoBitcoin(t *testing.T) []byte {
	t.Helper()
	const dir = "canisters/testdata/motoko"
	proj := nodejstest.Install(t, dir, "the Motoko compiler (npm motoko)")
	wasm, err := proj.CompileMotoko(nodejstest.MotokoActor{Name: "Btc", Source: motokoBitcoin})
	if err != nil {
		t.Fatal(err)
	}
	return wasm["Btc"]
}

type btcTestOutpoint struct {
	Txid []byte `candid:"txid"`
	Vout uint32 `candid:"vout"`
}

type btcTestUtxo struct {
	Outpoint btcTestOutpoint `candid:"outpoint"`
	Value    uint64          `candid:"value"`
	Height   uint32          `candid:"height"`
}

type btcTestUtxos struct {
	Utxos        []btcTestUtxo `candid:"utxos"`
	TipBlockHash []byte        `candid:"tip_block_hash"`
	TipHeight    uint32        `candid:"tip_height"`
	NextPage     *[]byte       `candid:"next_page"`
}

// TestBitcoinCanisterMotoko runs btcd regtest and a subnet with Bitcoin:
// a Motoko canister calls bitcoin_get_balance and bitcoin_get_utxos of
// the Bitcoin canister at g4xu7-jiaaa-aaaan-aaaaq-cai, and the
// management canister's bitcoin_get_balance, and gets btcd's values; an
// agent reaches the Bitcoin canister's query methods at that id through
// the IC HTTP interface.
func TestBitcoinCanisterMotoko(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs btcd and a subnet")
	}
	wasm := compileMotokoBitcoin(t)
	miner := btcdtest.NewKey(1)
	btcd := btcdtest.Start(t, miner)
	target := startTestAdapter(t, btcd.P2PAddr)
	const mined = 110
	btcd.Generate(t, mined)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bc := &BitcoinConfig{Network: "regtest", Adapter: target, StabilityThreshold: 3, CkBTC: &CkBTCConfig{Disabled: true}}
	s, err := StartLocalSubnetWith(ctx, t.TempDir(), 1, nil, LocalOptions{TimeoutCommitMS: 50, PresignatureTarget: 1,
		Logger: testLogger(t), Bitcoin: bc})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	n := s.Nodes()[0]
	if id, ok := n.BitcoinCanister(); !ok || id.String() != "g4xu7-jiaaa-aaaan-aaaaq-cai" {
		t.Fatalf("Bitcoin canister %s %v", id, ok)
	}
	h, err := n.HTTPInterface()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	idn, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(ctx, agent.Config{Endpoint: srv.URL, Identity: idn, RootKey: n.RootKeyDER()})
	if err != nil {
		t.Fatal(err)
	}
	mgmt := func(method string, arg any) []byte {
		t.Helper()
		b, err := candid.Encode(arg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := a.Call(ctx, principal.Management(), method, b)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return r
	}
	var created struct {
		ID principal.Principal `candid:"canister_id"`
	}
	if err := candid.Decode(mgmt("provisional_create_canister_with_cycles", struct {
		Amount *big.Int `candid:"amount,opt"`
	}{}), &created); err != nil {
		t.Fatal(err)
	}
	type install struct {
		Mode struct {
			candid.IsVariant
			Install *candid.Null `candid:"install"`
		} `candid:"mode"`
		CanisterID principal.Principal `candid:"canister_id"`
		Wasm       []byte              `candid:"wasm_module"`
		Arg        []byte              `candid:"arg"`
	}
	in := install{CanisterID: created.ID, Wasm: wasm, Arg: []byte("DIDL\x00\x00")}
	in.Mode.Install = &candid.Null{}
	mgmt("install_code", in)

	addr := miner.Addr.EncodeAddress()
	const want = mined * 50e8 // the coinbases of blocks 1 … 110
	call := func(method string, args ...any) ([]byte, error) {
		b, err := candid.Encode(args...)
		if err != nil {
			t.Fatal(err)
		}
		return a.Call(ctx, created.ID, method, b)
	}
	var got uint64
	waitUntil(t, ctx, "the Bitcoin canister to see the mined blocks", func() bool {
		r, err := call("balance", addr, uint32(0))
		if err != nil {
			t.Fatal(err)
		}
		if err := candid.Decode(r, &got); err != nil {
			t.Fatal(err)
		}
		return got == want
	})
	// Confirmations: the tip has 1, block 1 has 110.
	r, err := call("balance", addr, uint32(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := candid.Decode(r, &got); err != nil || got != want-2*50e8 {
		t.Fatalf("balance with 3 confirmations %d (%v), want %d", got, err, uint64(want-2*50e8))
	}
	if r, err = call("balanceMgmt", addr); err != nil {
		t.Fatal(err)
	}
	if err := candid.Decode(r, &got); err != nil || got != want {
		t.Fatalf("management canister's bitcoin_get_balance %d (%v)", got, err)
	}
	if r, err = call("utxos", addr); err != nil {
		t.Fatal(err)
	}
	var us btcTestUtxos
	if err := candid.Decode(r, &us); err != nil {
		t.Fatal(err)
	}
	tip, err := btcd.RPC.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	if len(us.Utxos) != mined || us.TipHeight != mined || !bytes.Equal(us.TipBlockHash, tip[:]) || us.NextPage != nil {
		t.Fatalf("get_utxos: %d utxos, tip %d %x", len(us.Utxos), us.TipHeight, us.TipBlockHash)
	}
	// Newest first: the first is the tip's coinbase.
	blk, err := btcd.RPC.GetBlock(tip)
	if err != nil {
		t.Fatal(err)
	}
	cb := blk.Transactions[0].TxHash()
	if u := us.Utxos[0]; !bytes.Equal(u.Outpoint.Txid, cb[:]) || u.Outpoint.Vout != 0 || u.Height != mined || u.Value != 50e8 {
		t.Fatalf("first utxo %+v, want the coinbase %s of block %d", u, cb, mined)
	}
	// A transaction the canister sends reaches btcd: the miner's first
	// (mature) coinbase, paid on to a fresh key.
	mk := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	mk.Script, _ = txscript.PayToAddrScript(miner.Addr)
	h1, err := btcd.RPC.GetBlockHash(1)
	if err != nil {
		t.Fatal(err)
	}
	b1, err := btcd.RPC.GetBlock(h1)
	if err != nil {
		t.Fatal(err)
	}
	payee := regtest.NewKey(9)
	cb1 := b1.Transactions[0]
	tx, err := regtest.SpendP2PKH(mk, []wire.OutPoint{{Hash: cb1.TxHash()}},
		[]regtest.Output{{Script: payee.Script, Value: 1e8}, {Script: mk.Script, Value: cb1.TxOut[0].Value - 1e8 - 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if err := tx.Serialize(&raw); err != nil {
		t.Fatal(err)
	}
	if _, err := call("send", raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	txid := tx.TxHash()
	waitUntil(t, ctx, "btcd's mempool to have the canister's transaction", func() bool {
		_, err := btcd.RPC.GetRawTransaction(&txid)
		return err == nil
	})
	// The wrong network is refused.
	var re *agent.RejectError
	if _, err := call("wrongNetwork", addr); !errors.As(err, &re) {
		t.Fatalf("wrong network: %v", err)
	}

	// The subnet's certified canister ranges include the Bitcoin
	// canister's id.
	sid := n.SubnetID()
	cert, err := a.ReadSubnetState(ctx, sid, [][][]byte{{[]byte("subnet"), sid.Bytes(), []byte("canister_ranges")}})
	if err != nil {
		t.Fatal(err)
	}
	st, v := cert.Lookup([]byte("subnet"), sid.Bytes(), []byte("canister_ranges"))
	ranges, err := certification.ParseCanisterRanges(v)
	if st != certification.Found || err != nil {
		t.Fatalf("canister_ranges: %v %v", st, err)
	}
	listed := false
	for _, rg := range ranges {
		listed = listed || BitcoinCanisterID.InRange(rg.Low, rg.High)
	}
	if !listed {
		t.Fatalf("canister_ranges %v without the Bitcoin canister", ranges)
	}

	// Agents reach the Bitcoin canister's queries at its id; its update
	// methods are for canisters only.
	barg, err := candid.Encode(struct {
		Network struct {
			candid.IsVariant
			Regtest *candid.Null `candid:"regtest"`
		} `candid:"network"`
		Address string `candid:"address"`
	}{Network: struct {
		candid.IsVariant
		Regtest *candid.Null `candid:"regtest"`
	}{Regtest: &candid.Null{}}, Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	q, err := a.Query(ctx, BitcoinCanisterID, "bitcoin_get_balance_query", barg)
	if err != nil {
		t.Fatal(err)
	}
	if err := candid.Decode(q, &got); err != nil || got != want {
		t.Fatalf("bitcoin_get_balance_query %d (%v)", got, err)
	}
	if _, err := a.Call(ctx, BitcoinCanisterID, "bitcoin_get_balance", barg); !errors.As(err, &re) {
		t.Fatalf("ingress bitcoin_get_balance: %v", err)
	}
	q, err = a.Query(ctx, BitcoinCanisterID, "get_config", []byte("DIDL\x00\x00"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Stability *big.Int `candid:"stability_threshold"`
		Network   struct {
			candid.IsVariant
			Mainnet *candid.Null `candid:"mainnet"`
			Testnet *candid.Null `candid:"testnet"`
			Regtest *candid.Null `candid:"regtest"`
		} `candid:"network"`
	}
	if err := candid.Decode(q, &cfg); err != nil || cfg.Network.Regtest == nil || cfg.Stability.Uint64() != 3 {
		t.Fatalf("get_config %+v (%v)", cfg, err)
	}

	// The unmodified BitcoinCanister client of @dfinity/ckbtc reads the
	// same through the HTTP interface.
	js := nodejstest.Install(t, "testdata/ckbtcjs", "@dfinity/ckbtc")
	cmd := js.Command(ctx, "bitcoin.mjs")
	cmd.Args = append(cmd.Args, srv.URL, addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bitcoin.mjs: %v\n%s", err, stderr.Bytes())
	}
	var out struct{ Balance, Confirmed, UtxosError string }
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("bitcoin.mjs printed %q: %v", stdout.Bytes(), err)
	}
	// (The client's getUtxosQuery asks for mainnet when given regtest.)
	if out.Balance != fmt.Sprint(uint64(want)) || out.Confirmed != fmt.Sprint(uint64(want-2*50e8)) ||
		!strings.Contains(out.UtxosError, "network must be regtest, found mainnet") {
		t.Fatalf("@dfinity/ckbtc BitcoinCanister: %+v", out)
	}
}
