package ethereum

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// keySigner signs with a local key and drops the recovery id, as a
// threshold signer's reply (r||s) does.
type keySigner struct {
	key   *ecdsa.PrivateKey
	highS bool // return n−s instead of the low s
	calls int
}

func (k *keySigner) SignHash(_ context.Context, hash []byte) ([]byte, error) {
	k.calls++
	sig, err := crypto.Sign(hash, k.key)
	if err != nil {
		return nil, err
	}
	if k.highS {
		s := new(big.Int).SetBytes(sig[32:64])
		s.Sub(secp256k1N, s)
		s.FillBytes(sig[32:64])
	}
	return sig[:64], nil
}

func testKey(t testing.TB, seed byte) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte{seed}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAddressFromPublicKey(t *testing.T) {
	for _, tc := range []struct{ priv, addr string }{
		{"0000000000000000000000000000000000000000000000000000000000000001", "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"},
		// geth --dev's developer account.
		{"b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291", "0x71562b71999873DB5b286dF957af199Ec94617F7"},
	} {
		k, err := crypto.HexToECDSA(tc.priv)
		if err != nil {
			t.Fatal(err)
		}
		for _, pub := range [][]byte{crypto.CompressPubkey(&k.PublicKey), crypto.FromECDSAPub(&k.PublicKey)} {
			a, err := AddressFromPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			if a.Hex() != tc.addr {
				t.Fatalf("address %s, want %s", a.Hex(), tc.addr)
			}
		}
	}
	good := crypto.CompressPubkey(&testKey(t, 1).PublicKey)
	offCurve := bytes.Clone(good)
	offCurve[0] = 0x02
	offCurve[1] ^= 1 // most x have no point; find one that does not
	for i := 0; ; i++ {
		if _, err := crypto.DecompressPubkey(offCurve); err != nil {
			break
		}
		offCurve[32]++
	}
	unc := crypto.FromECDSAPub(&testKey(t, 1).PublicKey)
	unc[64] ^= 1
	for name, pub := range map[string][]byte{
		"empty":            nil,
		"32 bytes":         good[1:],
		"prefix 04 in 33":  append([]byte{4}, good[1:]...),
		"not on curve":     offCurve,
		"uncompressed off": unc,
		"64 bytes":         crypto.FromECDSAPub(&testKey(t, 1).PublicKey)[1:],
	} {
		if _, err := AddressFromPublicKey(pub); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseAddressEIP55(t *testing.T) {
	f, err := os.Open("testdata/eip55.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		s := sc.Text()
		a, err := ParseAddress(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if mixed := s[2:] != strings.ToLower(s[2:]) && s[2:] != strings.ToUpper(s[2:]); mixed && a.Hex() != s {
			t.Fatalf("Hex() = %s, want %s", a.Hex(), s)
		}
		if !strings.EqualFold(a.Hex(), s) {
			t.Fatalf("%s decoded as %s", s, a.Hex())
		}
		n++
	}
	if n != 8 {
		t.Fatalf("%d vectors", n)
	}
	for _, bad := range []string{
		"0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed", // one letter's case flipped
		"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",
		"",
	} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseAddress("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"); !errors.Is(err, ErrBadChecksum) {
		t.Errorf("bad checksum: %v", err)
	}
}

func TestRecoverableSignature(t *testing.T) {
	k := testKey(t, 2)
	from := crypto.PubkeyToAddress(k.PublicKey)
	other := crypto.PubkeyToAddress(testKey(t, 3).PublicKey)
	seen := map[byte]bool{}
	for i := 0; i < 64; i++ {
		hash := crypto.Keccak256([]byte{byte(i)})
		want, _ := crypto.Sign(hash, k)
		for _, high := range []bool{false, true} {
			sig, _ := (&keySigner{key: k, highS: high}).SignHash(context.Background(), hash)
			got, err := RecoverableSignature(hash, sig, from)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("high s %v: got %x, want %x", high, got, want)
			}
			if _, err := RecoverableSignature(hash, sig, other); !errors.Is(err, ErrSignatureMismatch) {
				t.Fatalf("other address: %v", err)
			}
		}
		seen[want[64]] = true
		// A tampered signature recovers some key, never from's.
		bad := bytes.Clone(want[:64])
		bad[40] ^= 1
		if _, err := RecoverableSignature(hash, bad, from); !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("tampered: %v", err)
		}
	}
	if !seen[0] || !seen[1] {
		t.Fatalf("recovery ids seen: %v", seen)
	}
	hash := crypto.Keccak256(nil)
	sig, _ := (&keySigner{key: k}).SignHash(context.Background(), hash)
	n := secp256k1N.FillBytes(make([]byte, 32))
	for name, c := range map[string]struct{ hash, sig []byte }{
		"short hash": {hash[:31], sig},
		"short sig":  {hash, sig[:63]},
		"65 bytes":   {hash, append(bytes.Clone(sig), 0)},
		"r zero":     {hash, append(make([]byte, 32), sig[32:]...)},
		"s zero":     {hash, append(bytes.Clone(sig[:32]), make([]byte, 32)...)},
		"r = n":      {hash, append(bytes.Clone(n), sig[32:]...)},
		"s = n":      {hash, append(bytes.Clone(sig[:32]), n...)},
	} {
		if _, err := RecoverableSignature(c.hash, c.sig, from); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSignTxEIP155Vector(t *testing.T) {
	data, err := os.ReadFile("testdata/eip155.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		PrivateKey  string `json:"private_key"`
		SigningHash string `json:"signing_hash"`
		SignedTx    string `json:"signed_tx"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	// The vector file carries more fields than an UnsignedTx; the
	// transaction part goes through the strict parser.
	strict, _ := json.Marshal(map[string]any{
		"type": 0, "chain_id": "1", "nonce": 9, "gas_price": "20000000000", "gas_limit": 21000,
		"to": "0x3535353535353535353535353535353535353535", "value": "1000000000000000000",
	})
	tx, chainID, err := ParseUnsignedTx(strict)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := SigningHash(tx, chainID)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(hash[:]) != v.SigningHash {
		t.Fatalf("signing hash %x, want %s", hash, v.SigningHash)
	}
	k, _ := crypto.HexToECDSA(v.PrivateKey)
	signed, err := SignTx(context.Background(), &keySigner{key: k}, crypto.PubkeyToAddress(k.PublicKey), chainID, tx)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := signed.MarshalBinary()
	if hex.EncodeToString(raw) != v.SignedTx {
		t.Fatalf("signed %x\nwant   %s", raw, v.SignedTx)
	}
}

// TestSignTxTypes signs each transaction type through the Signer interface
// and compares with go-ethereum signing the same transaction with the
// private key itself (both are RFC 6979, so the bytes must be equal).
func TestSignTxTypes(t *testing.T) {
	k := testKey(t, 4)
	from := crypto.PubkeyToAddress(k.PublicKey)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	chainID := big.NewInt(1337)
	acl := types.AccessList{{Address: to, StorageKeys: []common.Hash{{1}}}}
	for _, inner := range []types.TxData{
		&types.LegacyTx{Nonce: 1, GasPrice: big.NewInt(7), Gas: 21000, To: &to, Value: big.NewInt(5)},
		&types.AccessListTx{ChainID: chainID, Nonce: 2, GasPrice: big.NewInt(7), Gas: 30000, To: &to, Value: big.NewInt(5), AccessList: acl},
		&types.DynamicFeeTx{ChainID: chainID, Nonce: 3, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(9), Gas: 30000, To: &to, Value: big.NewInt(5), Data: []byte{1, 2}, AccessList: acl},
		&types.DynamicFeeTx{ChainID: chainID, Nonce: 4, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(9), Gas: 60000, Data: []byte{0x60, 0}},
	} {
		tx := types.NewTx(inner)
		for _, high := range []bool{false, true} {
			signed, err := SignTx(context.Background(), &keySigner{key: k, highS: high}, from, chainID, tx)
			if err != nil {
				t.Fatalf("type %d: %v", tx.Type(), err)
			}
			want, err := types.SignTx(tx, types.LatestSignerForChainID(chainID), k)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := signed.MarshalBinary()
			exp, _ := want.MarshalBinary()
			if !bytes.Equal(got, exp) {
				t.Fatalf("type %d: %x, want %x", tx.Type(), got, exp)
			}
			if s, err := types.Sender(types.LatestSignerForChainID(chainID), signed); err != nil || s != from {
				t.Fatalf("type %d: sender %s, %v", tx.Type(), s.Hex(), err)
			}
		}
		// A signer with another key is refused; so is a wrong chain id.
		if _, err := SignTx(context.Background(), &keySigner{key: testKey(t, 5)}, from, chainID, tx); !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("type %d, other key: %v", tx.Type(), err)
		}
		if tx.Type() != types.LegacyTxType {
			if _, err := SignTx(context.Background(), &keySigner{key: k}, from, big.NewInt(1), tx); err == nil {
				t.Fatalf("type %d signed for another chain", tx.Type())
			}
		}
	}
	blob := types.NewTx(&types.BlobTx{})
	if _, err := SigningHash(blob, chainID); err == nil {
		t.Fatal("blob transaction accepted")
	}
}

func TestParseUnsignedTx(t *testing.T) {
	to := "0x00000000000000000000000000000000000000aa"
	ok := map[string]string{
		"legacy":   `{"type":0,"chain_id":"1337","nonce":0,"to":"` + strings.ToLower(to) + `","value":"0x10","gas_limit":21000,"gas_price":"1000"}`,
		"2930":     `{"type":1,"chain_id":"0x539","nonce":1,"to":null,"gas_limit":60000,"gas_price":"1000","data":"0x6000","access_list":[{"address":"0x00000000000000000000000000000000000000aa","storage_keys":["0x0000000000000000000000000000000000000000000000000000000000000001"]}]}`,
		"1559":     `{"type":2,"chain_id":"1337","nonce":2,"to":"0x00000000000000000000000000000000000000aa","value":"1","gas_limit":21000,"max_fee_per_gas":"2000","max_priority_fee_per_gas":"1"}`,
		"1559 acl": `{"type":2,"chain_id":"1337","nonce":3,"to":"0x00000000000000000000000000000000000000aa","gas_limit":21000,"max_fee_per_gas":"2","max_priority_fee_per_gas":"2","access_list":[]}`,
	}
	for name, js := range ok {
		tx, chainID, err := ParseUnsignedTx([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if chainID.Int64() != 1337 {
			t.Fatalf("%s: chain %v", name, chainID)
		}
		if v, r, s := tx.RawSignatureValues(); (v != nil && v.Sign() != 0) || (r != nil && r.Sign() != 0) || (s != nil && s.Sign() != 0) {
			t.Fatalf("%s: already signed", name)
		}
	}
	tx, _, _ := ParseUnsignedTx([]byte(ok["legacy"]))
	if tx.Type() != 0 || tx.Value().Int64() != 16 || *tx.To() != common.HexToAddress(to) || tx.GasPrice().Int64() != 1000 {
		t.Fatalf("legacy decoded as %+v", tx)
	}
	tx, _, _ = ParseUnsignedTx([]byte(ok["2930"]))
	if tx.Type() != 1 || tx.To() != nil || len(tx.AccessList()) != 1 || !bytes.Equal(tx.Data(), []byte{0x60, 0}) {
		t.Fatalf("2930 decoded as %+v", tx)
	}
	tx, _, _ = ParseUnsignedTx([]byte(ok["1559"]))
	if tx.Type() != 2 || tx.GasFeeCap().Int64() != 2000 || tx.GasTipCap().Int64() != 1 || tx.Nonce() != 2 {
		t.Fatalf("1559 decoded as %+v", tx)
	}
	base := `"chain_id":"1337","nonce":0,"to":"0x00000000000000000000000000000000000000aa","gas_limit":21000`
	for name, js := range map[string]string{
		"no type":         `{` + base + `,"gas_price":"1"}`,
		"type 3":          `{"type":3,` + base + `,"gas_price":"1"}`,
		"no chain":        `{"type":0,"nonce":0,"gas_limit":21000,"gas_price":"1","to":"0x00000000000000000000000000000000000000aa"}`,
		"chain 0":         `{"type":0,"chain_id":"0","nonce":0,"gas_limit":21000,"gas_price":"1","to":"0x00000000000000000000000000000000000000aa"}`,
		"no nonce":        `{"type":0,"chain_id":"1","gas_limit":21000,"gas_price":"1","to":"0x00000000000000000000000000000000000000aa"}`,
		"no gas":          `{"type":0,"chain_id":"1","nonce":0,"gas_price":"1","to":"0x00000000000000000000000000000000000000aa"}`,
		"legacy no price": `{"type":0,` + base + `}`,
		"legacy 1559 fee": `{"type":0,` + base + `,"gas_price":"1","max_fee_per_gas":"1"}`,
		"legacy acl":      `{"type":0,` + base + `,"gas_price":"1","access_list":[]}`,
		"1559 gas price":  `{"type":2,` + base + `,"gas_price":"1","max_fee_per_gas":"1","max_priority_fee_per_gas":"1"}`,
		"1559 no tip":     `{"type":2,` + base + `,"max_fee_per_gas":"1"}`,
		"1559 tip > cap":  `{"type":2,` + base + `,"max_fee_per_gas":"1","max_priority_fee_per_gas":"2"}`,
		"unknown field":   `{"type":0,` + base + `,"gas_price":"1","gas":1}`,
		"trailing":        `{"type":0,` + base + `,"gas_price":"1"} {}`,
		"negative value":  `{"type":0,` + base + `,"gas_price":"1","value":"-1"}`,
		"leading zero":    `{"type":0,` + base + `,"gas_price":"01"}`,
		"number value":    `{"type":0,` + base + `,"gas_price":"1","value":1}`,
		"float nonce":     `{"type":0,"chain_id":"1","nonce":1.5,"gas_limit":21000,"gas_price":"1","to":"0x00000000000000000000000000000000000000aa"}`,
		"huge value":      `{"type":0,` + base + `,"gas_price":"1","value":"0x1` + strings.Repeat("0", 64) + `"}`,
		"bad checksum to": `{"type":0,"chain_id":"1","nonce":0,"gas_limit":21000,"gas_price":"1","to":"0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}`,
		"create no code":  `{"type":0,"chain_id":"1","nonce":0,"gas_limit":21000,"gas_price":"1"}`,
		"data not hex":    `{"type":0,` + base + `,"gas_price":"1","data":"0xzz"}`,
		"data no prefix":  `{"type":0,` + base + `,"gas_price":"1","data":"00"}`,
		"short slot":      `{"type":1,` + base + `,"gas_price":"1","access_list":[{"address":"0x00000000000000000000000000000000000000aa","storage_keys":["0x01"]}]}`,
	} {
		if _, _, err := ParseUnsignedTx([]byte(js)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
