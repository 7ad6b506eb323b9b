package ckbtc

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/idkg/derivation"
	"github.com/chainkey/chainkey/principal"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Memo encodings from the Internet Computer minter's memo tests.
func TestMemoVectors(t *testing.T) {
	var txid [32]byte
	for i := range txid {
		txid[i] = []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0}[i%8]
	}
	want := []byte{130, 0, 131, 88, 32, 18, 52, 86, 120, 154, 188, 222, 240, 18, 52, 86, 120, 154, 188,
		222, 240, 18, 52, 86, 120, 154, 188, 222, 240, 18, 52, 86, 120, 154, 188, 222, 240, 0, 25, 3, 232}
	if got := MintConvertMemo(txid, 0, 1000); !bytes.Equal(got, want) {
		t.Errorf("mint convert memo\n got %v\nwant %v", got, want)
	}
	if got := MintReimburseWithdrawalMemo(1234); !bytes.Equal(got, []byte{130, 3, 129, 25, 4, 210}) {
		t.Errorf("reimburse memo %v", got)
	}
	// BurnMemo::Convert{address, kyt_fee: None, status: Accepted}: the
	// absent fee is null.
	got := BurnConvertMemo("bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c")
	wantBurn := append([]byte{130, 0, 131, 120, 42}, "bc1q34aq5drpuwy3wgl9lhup9892qp6svr8ldzyy7c"...)
	wantBurn = append(wantBurn, 0xf6, 0)
	if !bytes.Equal(got, wantBurn) {
		t.Errorf("burn memo %v", got)
	}
	// The longest address (regtest P2TR) still fits the ledger's memo limit.
	if n := len(BurnConvertMemo("bcrt1p" + string(bytes.Repeat([]byte{'q'}, 58)))); n > MaxMemoLen {
		t.Errorf("burn memo of %d bytes", n)
	}
}

// The withdrawal subaccount vector of the Internet Computer minter.
func TestWithdrawalSubaccountVector(t *testing.T) {
	want := []byte{211, 145, 143, 138, 238, 246, 17, 130, 84, 217, 3, 153, 163, 32, 123, 31, 160, 98, 150,
		15, 94, 27, 22, 100, 63, 46, 142, 251, 144, 173, 213, 69}
	got := WithdrawalSubaccount(principal.MustParse("2chl6-4hpzw-vqaaa-aaaaa-c"))
	if !bytes.Equal(got[:], want) {
		t.Fatalf("got %x", got)
	}
}

// P2WPKH encodings checked by the Internet Computer minter's tests.
func TestP2WPKHVectors(t *testing.T) {
	for _, v := range []struct {
		n        chain.Network
		pk, addr string
	}{
		{chain.Mainnet, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{chain.Testnet, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"},
		{chain.Mainnet, "02530c548d402670b13ad8887ff99c294e67fc18097d236d57880c69261b42def7", "bc1qg9stkxrszkdqsuj92lm4c7akvk36zvhqw7p6ck"},
		{chain.Mainnet, "02cc66d74b61bc47ea4985692974e49354f4e2c6623a470db3b2452be83fba341c", "bc1qs78u0r46979lgtv6dyrmwc859s35k2tn355r9d"},
		{chain.Mainnet, "035dcb63b5f7485efbd5d4546d87adde5d3410dc42063e21989f0abcc2ba06ce92", "bc1qcu2ah8ed2f4p3xyz9za3t56kcttdz0lchc20ws"},
		{chain.Mainnet, "036459e0847455a60ead262da40169fff31b2fcfb89f0398d328760c67d2848d91", "bc1q4plljhyk2wrp5j3eucq2seng8lczsspfuczvd9"},
		{chain.Mainnet, "03fe5aae628ef0311c567b6cca0229a66ce1000b09aaadfbe7fdfb51a299578f39", "bc1q7vv3ux23nfrf3qnampcyl2apljsyhz29twdazt"},
		{chain.Mainnet, "02c7961cebf8565ea23ab79d9b82e9afd34ac0490bc44590f58b6fd5a2d9f341f8", "bc1qjlkzt2fvc44j2kzex88lsjffcn7g4l4ren0e0w"},
	} {
		got, err := P2WPKHAddress(v.n, unhex(t, v.pk))
		if err != nil || got != v.addr {
			t.Errorf("%s: got %q, %v; want %q", v.pk, got, err, v.addr)
		}
	}
}

// userSubaccount is the subaccount layout of the vectors' source: the
// principal's bytes right-aligned, preceded by their length.
func userSubaccount(p principal.Principal) *[SubaccountLen]byte {
	var s [SubaccountLen]byte
	b := p.Bytes()
	copy(s[SubaccountLen-len(b):], b)
	s[SubaccountLen-len(b)-1] = byte(len(b))
	return &s
}

// Deposit addresses derived from the mainnet ckBTC minter's key with the
// schema-1 path, as mainnet's minter gives them.
func TestDepositAddressMainnetVectors(t *testing.T) {
	pk := PublicKey{
		Key:       unhex(t, "0222047a81d4f8a067031c89273d241b79a5a007c04dfaf36d07963db0b99097eb"),
		ChainCode: unhex(t, "821aebb643bd97d319d2fd0b2e483d4e7de2ea9039ff67568b693e6abc14a03b"),
	}
	for _, v := range []struct{ owner, user, addr string }{
		{"3gvau-pyaaa-aaaao-qa7kq-cai", "2vxsx-fae", "bc1q9q0kg90px3w9dadxku2x5pme77plcqxtn535rt"},
		{"3gvau-pyaaa-aaaao-qa7kq-cai", "gjcgk-x4xlt-6dzvd-q3mrr-pvgj5-5bjoe-beege-n4b7d-7hna5-pa5uq-5qe", "bc1qvxx6fzd8hzzw070zsd5m0k0eh00593negrvtrj"},
		{"farwr-jqaaa-aaaao-qj4ya-cai", "2vxsx-fae", "bc1q7grqgee386r6qf74srt4h0s69cvkav7kgup4l7"},
		{"farwr-jqaaa-aaaao-qj4ya-cai", "mgqao-xam3j-a3ruc-umodo-tnifj-sszm7-7lilh-aibsy-2u7uz-gwph7-jae", "bc1qpamdxt8rx5lr256dq7u4dnua02tlrdwyeerzwx"},
		{"farwr-jqaaa-aaaao-qj4ya-cai", "rl3fy-hyflm-6r3qg-7nid5-lr6cp-ysfwh-xiqme-stgsq-bcga5-vnztf-mqe", "bc1qxzlu00s4k83ts763s57xz89n3tnwfm3q6z3pt8"},
	} {
		a := Account{Owner: principal.MustParse(v.owner), Subaccount: userSubaccount(principal.MustParse(v.user))}
		got, err := DepositAddress(chain.Mainnet, pk, a)
		if err != nil || got != v.addr {
			t.Errorf("%s/%s: got %q, %v; want %q", v.owner, v.user, got, err, v.addr)
		}
	}
}

// The minter derives from ecdsa_public_key(minter, []) what the subnet
// signs for with sign_with_ecdsa(caller = minter, path): derivation is
// incremental, so both are the master key at [minter, 0x01, owner, sub].
func TestDerivationMatchesSignWithEcdsa(t *testing.T) {
	master := newTestKey().priv.PubKey().SerializeCompressed()
	canisterKey, err := derivation.Secp256k1(master, derivation.ZeroChainCode(), derivation.CanisterPath(minterID.Bytes(), nil))
	if err != nil {
		t.Fatal(err)
	}
	pk := PublicKey{Key: canisterKey.PublicKey, ChainCode: canisterKey.ChainCode}
	sub := [32]byte{0: 9, 31: 3}
	a := Account{Owner: alice, Subaccount: &sub}
	got, err := DeriveAccountKey(pk, a)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := derivation.Secp256k1(master, derivation.ZeroChainCode(), derivation.CanisterPath(minterID.Bytes(), DerivationPath(a)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, signer.PublicKey) {
		t.Fatal("the deposit key is not the key sign_with_ecdsa signs with")
	}
}
