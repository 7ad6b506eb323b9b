package main

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/internal/nodejstest"
	"github.com/chainkey/chainkey/principal"
)

// The Motoko canister that holds ETH (testdata/ethwallet/wallet.mo),
// compiled with the official Motoko compiler of testdata/icmgmt.
const ethWalletSource = "testdata/ethwallet/wallet.mo"

var (
	ethWalletOnce sync.Once
	ethWalletWasm []byte
	ethWalletErr  error
)

// ethWallet returns the compiled wallet canister, compiling it on first
// use (cached in node_modules, keyed by the compiler project and the
// source).
func ethWallet(t *testing.T) []byte {
	t.Helper()
	proj := nodejstest.Install(t, "testdata/icmgmt", "the Motoko compiler (npm motoko)")
	ethWalletOnce.Do(func() {
		src, err := os.ReadFile(ethWalletSource)
		if err != nil {
			ethWalletErr = err
			return
		}
		wasm, err := proj.CompileMotoko(nodejstest.MotokoActor{Name: "EthWallet", Source: string(src)})
		ethWalletWasm, ethWalletErr = wasm["EthWallet"], err
	})
	if ethWalletErr != nil {
		t.Fatalf("compiling %s: %v", ethWalletSource, ethWalletErr)
	}
	return ethWalletWasm
}

// walletEngine runs the wallet canister alone in the execution engine:
// its query methods are pure.
type walletEngine struct {
	t *testing.T
	c *execution.Canister
}

func newWalletEngine(t *testing.T) *walletEngine {
	wasm := ethWallet(t)
	cfg := execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{})}
	c, err := execution.New(cfg, principal.FromCanisterIndex(1), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if r, err := c.Install(wasm, execution.Message{Arg: []byte("DIDL\x00\x00")}); err != nil || r.Trap != nil {
		t.Fatalf("install: %v %+v", err, r)
	}
	return &walletEngine{t: t, c: c}
}

// query calls method with the Candid encoding of args, decodes the reply
// into out and returns the instructions used.
func (w *walletEngine) query(method string, out any, args ...any) uint64 {
	w.t.Helper()
	arg, err := candid.Encode(args...)
	if err != nil {
		w.t.Fatal(err)
	}
	r := w.c.Query(execution.Message{Method: method, Arg: arg})
	if !r.Replied {
		w.t.Fatalf("%s: not replied: %d %s %v", method, r.RejectCode, r.RejectMessage, r.Trap)
	}
	if err := candid.Decode(r.Reply, out); err != nil {
		w.t.Fatalf("%s: reply %x: %v", method, r.Reply, err)
	}
	return r.Fuel
}

// rejects calls method and says whether the canister trapped or rejected.
func (w *walletEngine) rejects(method string, args ...any) bool {
	arg, err := candid.Encode(args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return !w.c.Query(execution.Message{Method: method, Arg: arg}).Replied
}

// walletLegacyTx is the canister's LegacyTx record.
type walletLegacyTx struct {
	Nonce    *big.Int `candid:"nonce"`
	GasPrice *big.Int `candid:"gas_price"`
	GasLimit *big.Int `candid:"gas_limit"`
	To       []byte   `candid:"to"`
	Value    *big.Int `candid:"value"`
	Data     []byte   `candid:"data"`
	ChainID  *big.Int `candid:"chain_id"`
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randNat is 0, a small number, or a number of up to 256 bits.
func randNat(r *rand.Rand) *big.Int {
	switch r.IntN(4) {
	case 0:
		return new(big.Int)
	case 1:
		return big.NewInt(int64(r.IntN(300)))
	default:
		return new(big.Int).SetBytes(randBytes(r, 1+r.IntN(32)))
	}
}

func randKey(t *testing.T, r *rand.Rand) *ecdsa.PrivateKey {
	for {
		k, err := crypto.ToECDSA(randBytes(r, 32))
		if err == nil {
			return k
		}
	}
}

// TestEthWalletKeccak: the canister's Keccak-256 against go-ethereum's on
// inputs of every length around the 136-byte rate and random ones.
func TestEthWalletKeccak(t *testing.T) {
	w := newWalletEngine(t)
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{0, 1, 2, 31, 32, 33, 55, 56, 64, 134, 135, 136, 137, 271, 272, 273, 408, 1000, 4096}
	for range 40 {
		lengths = append(lengths, r.IntN(600))
	}
	fuel := map[int]uint64{}
	for _, n := range lengths {
		in := randBytes(r, n)
		var got []byte
		fuel[n] = w.query("keccak", &got, in)
		if want := crypto.Keccak256(in); !bytes.Equal(got, want) {
			t.Fatalf("keccak of %d bytes %x: %x, want %x", n, in, got, want)
		}
	}
	t.Logf("instructions of the keccak query: 0 bytes %d, 32 bytes %d, 136 bytes %d, 1000 bytes %d", fuel[0], fuel[32], fuel[136], fuel[1000])
}

// TestEthWalletAddress: decompression and the EIP-55 address of a
// compressed key against go-ethereum, and refusals of what is not a key.
func TestEthWalletAddress(t *testing.T) {
	w := newWalletEngine(t)
	r := rand.New(rand.NewPCG(3, 4))
	parities := map[byte]int{}
	var fuelXY, fuelAddr uint64
	for range 40 {
		k := randKey(t, r)
		pub := crypto.CompressPubkey(&k.PublicKey)
		parities[pub[0]]++
		var xy []byte
		fuelXY += w.query("decompress", &xy, pub)
		if want := crypto.FromECDSAPub(&k.PublicKey)[1:]; !bytes.Equal(xy, want) {
			t.Fatalf("decompress %x: %x, want %x", pub, xy, want)
		}
		var addr string
		fuelAddr += w.query("address_of", &addr, pub)
		if want := crypto.PubkeyToAddress(k.PublicKey).Hex(); addr != want {
			t.Fatalf("address of %x: %s, want %s", pub, addr, want)
		}
	}
	t.Logf("instructions: decompress %d, address_of (decompression, two keccak256 for the address and EIP-55) %d", fuelXY/40, fuelAddr/40)
	if parities[2] == 0 || parities[3] == 0 {
		t.Fatalf("keys of one parity only: %v", parities)
	}
	good := crypto.CompressPubkey(&randKey(t, r).PublicKey)
	notOnCurve := bytes.Clone(good)
	for {
		// x such that x³ + 7 is not a square: about half of all x.
		notOnCurve[32]++
		if _, err := crypto.DecompressPubkey(notOnCurve); err != nil {
			break
		}
	}
	p := common.FromHex("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")
	for name, pub := range map[string][]byte{
		"empty":        nil,
		"short":        good[:32],
		"uncompressed": crypto.FromECDSAPub(&randKey(t, r).PublicKey),
		"prefix 4":     append([]byte{4}, good[1:]...),
		"x = p":        append([]byte{2}, p...),
		"not on curve": notOnCurve,
	} {
		if !w.rejects("address_of", pub) {
			t.Errorf("address_of accepts %s %x", name, pub)
		}
	}
}

// TestEthWalletLegacyTx: the canister's EIP-155 signing hash and signed
// raw transaction (RLP, recovery id, v) against go-ethereum's for random
// transactions signed with random keys.
func TestEthWalletLegacyTx(t *testing.T) {
	w := newWalletEngine(t)
	r := rand.New(rand.NewPCG(5, 6))
	dataLens := []int{0, 1, 1, 55, 56, 57, 200, 1100}
	var fuelSign, fuelHash uint64
	recids := map[byte]int{}
	const n = 24
	for i := range n {
		chainID := []*big.Int{big.NewInt(1337), big.NewInt(1), big.NewInt(1 << 40), new(big.Int).Lsh(big.NewInt(1), 70)}[i%4]
		var data []byte
		if i < len(dataLens) {
			data = randBytes(r, dataLens[i])
		} else {
			data = randBytes(r, r.IntN(90))
		}
		if i == 1 {
			data[0] = 0x7f // a single byte below 0x80 is its own encoding
		}
		var to *common.Address
		if i%5 != 0 {
			a := common.BytesToAddress(randBytes(r, 20))
			to = &a
		}
		inner := &types.LegacyTx{Nonce: randNat(r).Uint64(), GasPrice: randNat(r), Gas: r.Uint64() >> uint(r.IntN(64)), To: to, Value: randNat(r), Data: data}
		if i == 2 {
			inner.Nonce, inner.GasPrice, inner.Gas, inner.Value = 0, new(big.Int), 0, new(big.Int)
		}
		signer := types.NewEIP155Signer(chainID)
		tx := types.NewTx(inner)
		k := randKey(t, r)
		signed, err := types.SignTx(tx, signer, k)
		if err != nil {
			t.Fatal(err)
		}
		want, err := signed.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		arg := walletLegacyTx{Nonce: new(big.Int).SetUint64(inner.Nonce), GasPrice: inner.GasPrice, GasLimit: new(big.Int).SetUint64(inner.Gas),
			Value: inner.Value, Data: data, ChainID: chainID, To: []byte{}}
		if to != nil {
			arg.To = to.Bytes()
		}
		var h []byte
		fuelHash += w.query("legacy_sighash", &h, arg)
		if wantH := signer.Hash(tx); !bytes.Equal(h, wantH[:]) {
			t.Fatalf("tx %d: signing hash %x, want %x", i, h, wantH)
		}
		sig, err := crypto.Sign(h, k)
		if err != nil {
			t.Fatal(err)
		}
		recids[sig[64]]++
		var raw []byte
		fuelSign += w.query("legacy_signed", &raw, arg, sig[:64], crypto.CompressPubkey(&k.PublicKey))
		if !bytes.Equal(raw, want) {
			t.Fatalf("tx %d: raw %x\nwant %x", i, raw, want)
		}
		var back types.Transaction
		if err := back.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		if from, err := types.Sender(signer, &back); err != nil || from != crypto.PubkeyToAddress(k.PublicKey) {
			t.Fatalf("tx %d: sender %s (%v)", i, from.Hex(), err)
		}
		// Another key's signature does not verify under this key.
		if i%6 == 0 {
			other, _ := crypto.Sign(h, randKey(t, r))
			if !w.rejects("legacy_signed", arg, other[:64], crypto.CompressPubkey(&k.PublicKey)) {
				t.Fatalf("tx %d: a signature by another key accepted", i)
			}
		}
	}
	if recids[0] == 0 || recids[1] == 0 {
		t.Fatalf("recovery ids of one kind only: %v", recids)
	}
	t.Logf("instructions: signing hash %d, signed transaction (with the recovery id) %d", fuelHash/n, fuelSign/n)
}

// TestEthWalletRejectsBadSignatures: r or s out of range and malformed
// signatures give no transaction.
func TestEthWalletRejectsBadSignatures(t *testing.T) {
	w := newWalletEngine(t)
	r := rand.New(rand.NewPCG(7, 8))
	k := randKey(t, r)
	pub := crypto.CompressPubkey(&k.PublicKey)
	tx := walletLegacyTx{Nonce: big.NewInt(1), GasPrice: big.NewInt(1), GasLimit: big.NewInt(21000), To: randBytes(r, 20), Value: big.NewInt(1), Data: []byte{}, ChainID: big.NewInt(1337)}
	var h []byte
	w.query("legacy_sighash", &h, tx)
	sig, _ := crypto.Sign(h, k)
	n := common.FromHex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
	for name, s := range map[string][]byte{
		"short":  sig[:63],
		"long":   sig,
		"r = 0":  append(make([]byte, 32), sig[32:64]...),
		"s = 0":  append(bytes.Clone(sig[:32]), make([]byte, 32)...),
		"r = n":  append(bytes.Clone(n), sig[32:64]...),
		"s = n":  append(bytes.Clone(sig[:32]), n...),
		"flip":   append(bytes.Clone(sig[:31]), append([]byte{sig[31] ^ 1}, sig[32:64]...)...),
		"to key": sig[:64],
	} {
		p := pub
		if name == "to key" {
			p = append([]byte{5}, pub[1:]...)
		}
		if !w.rejects("legacy_signed", tx, s, p) {
			t.Errorf("%s: accepted", name)
		}
	}
	var raw []byte
	w.query("legacy_signed", &raw, tx, sig[:64], pub)
	if !strings.HasPrefix(hex.EncodeToString(raw), "f8") && !strings.HasPrefix(hex.EncodeToString(raw), "f9") {
		t.Fatalf("raw %x", raw)
	}
}

// walletCLI runs `chainkey canister ARGS --endpoint ep` and returns its
// trimmed output.
func walletCLI(t *testing.T, ep string, args ...string) string {
	t.Helper()
	out, err := runCLI(t, append(append([]string{"canister"}, args...), "--endpoint", ep)...)
	if err != nil {
		t.Fatalf("canister %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// candidText is the text of a reply of one text value, ("...").
func candidText(t *testing.T, out string) string {
	t.Helper()
	if !strings.HasPrefix(out, `("`) || !strings.HasSuffix(out, `")`) {
		t.Fatalf("not one text: %s", out)
	}
	return out[2 : len(out)-2]
}

// wasmCustomSection returns the content of the custom section name
// (icp:public or icp:private name for a canister's metadata) of a module.
func wasmCustomSection(t *testing.T, wasm []byte, name string) []byte {
	t.Helper()
	leb := func(b []byte, i int) (int, int) {
		v, shift := 0, 0
		for i < len(b) {
			c := b[i]
			i++
			v |= int(c&0x7f) << shift
			shift += 7
			if c < 0x80 {
				return v, i
			}
		}
		t.Fatal("truncated module")
		return 0, 0
	}
	for i := 8; i < len(wasm); {
		id := wasm[i]
		n, j := leb(wasm, i+1)
		end := j + n
		if id == 0 {
			l, k := leb(wasm, j)
			sec := string(wasm[k : k+l])
			if sec == "icp:public "+name || sec == "icp:private "+name {
				return wasm[k+l : end]
			}
		}
		i = end
	}
	t.Fatalf("no %s section", name)
	return nil
}

// deployWallet creates and installs the wallet canister on the subnet
// behind ep and returns its id and the path of its Candid interface (the
// compiler's, from the module).
func deployWallet(t *testing.T, ep string) (id, did string) {
	t.Helper()
	dir := t.TempDir()
	wasm, did := filepath.Join(dir, "wallet.wasm"), filepath.Join(dir, "wallet.did")
	if err := os.WriteFile(wasm, ethWallet(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(did, wasmCustomSection(t, ethWallet(t), "candid:service"), 0o644); err != nil {
		t.Fatal(err)
	}
	var created struct {
		CanisterID string `json:"canister_id"`
	}
	if err := json.Unmarshal([]byte(walletCLI(t, ep, "create", "--json")), &created); err != nil || created.CanisterID == "" {
		t.Fatalf("create: %v", err)
	}
	walletCLI(t, ep, "install", created.CanisterID, "--wasm", wasm)
	return created.CanisterID, did
}

type walletHTTPHeader struct {
	Name  string `candid:"name"`
	Value string `candid:"value"`
}

type walletHTTPResponse struct {
	Status  *big.Int           `candid:"status"`
	Headers []walletHTTPHeader `candid:"headers"`
	Body    []byte             `candid:"body"`
}

// TestEthWalletTransform: the transform keeps the status and body and
// drops the headers; for eth_sendRawTransaction every answer that says
// the node has the transaction becomes one outcome, so that the nodes,
// each of which sends it, agree.
func TestEthWalletTransform(t *testing.T) {
	w := newWalletEngine(t)
	hdrs := []walletHTTPHeader{{"Date", "Thu, 03 Dec 2026 10:00:00 GMT"}, {"Content-Type", "application/json"}}
	for _, tc := range []struct{ context, body, want string }{
		{"", `{"jsonrpc":"2.0","id":1,"result":"0x539"}`, `{"jsonrpc":"2.0","id":1,"result":"0x539"}`},
		{"send", `{"jsonrpc":"2.0","id":1,"result":"0x4746ba4a697bb065aa0b64fe997f044eba0700ba1f9db2b4045c998217403a57"}`, `{"result":"sent"}`},
		{"send", `{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"already known"}}`, `{"result":"sent"}`},
		{"send", `{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"nonce too low: next nonce 3, tx nonce 2"}}`, `{"result":"sent"}`},
		{"send", `{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"insufficient funds for gas * price + value"}}`,
			`{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"insufficient funds for gas * price + value"}}`},
		{"known", `{"jsonrpc":"2.0","id":1,"result":{"blockHash":null,"nonce":"0x2"}}`, `{"result":"known"}`},
		{"known", `{"jsonrpc":"2.0","id":1,"result":null}`, `{"result":"unknown"}`},
	} {
		var got walletHTTPResponse
		w.query("transform", &got, struct {
			Response walletHTTPResponse `candid:"response"`
			Context  []byte             `candid:"context"`
		}{walletHTTPResponse{big.NewInt(200), hdrs, []byte(tc.body)}, []byte(tc.context)})
		if got.Status.Int64() != 200 || len(got.Headers) != 0 || string(got.Body) != tc.want {
			t.Errorf("transform %q of %s: %d %v %s, want %s", tc.context, tc.body, got.Status, got.Headers, got.Body, tc.want)
		}
	}
}
