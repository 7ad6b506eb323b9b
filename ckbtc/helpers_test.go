package ckbtc

import (
	"errors"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	becdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"

	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/idkg/derivation"
	"github.com/chainkey/chainkey/principal"
)

// fakeLedger keeps balances and the minter's allowances like an ICRC-2
// ledger whose minting account is the minter's default account.
type fakeLedger struct {
	minter     principal.Principal
	balances   map[accountKey]uint64
	allowances map[accountKey]uint64 // spender = minter
	next       uint64
	mints      []mintRec
	burns      []mintRec
	failMint   error
	failBurn   error
}

type mintRec struct {
	acc    Account
	amount uint64
	memo   []byte
	block  uint64
}

func newFakeLedger(minter principal.Principal) *fakeLedger {
	return &fakeLedger{minter: minter, balances: map[accountKey]uint64{}, allowances: map[accountKey]uint64{}}
}

func (l *fakeLedger) Mint(to Account, amount uint64, memo []byte) (uint64, error) {
	if l.failMint != nil {
		return 0, l.failMint
	}
	if len(memo) > MaxMemoLen {
		return 0, errors.New("memo too long")
	}
	l.balances[to.key()] += amount
	b := l.next
	l.next++
	l.mints = append(l.mints, mintRec{to, amount, memo, b})
	return b, nil
}

func (l *fakeLedger) Burn(from [SubaccountLen]byte, amount uint64, memo []byte) (uint64, error) {
	s := from
	return l.burn(Account{Owner: l.minter, Subaccount: &s}, amount, memo, false)
}

func (l *fakeLedger) BurnFrom(from Account, amount uint64, memo []byte) (uint64, error) {
	return l.burn(from, amount, memo, true)
}

func (l *fakeLedger) burn(from Account, amount uint64, memo []byte, approval bool) (uint64, error) {
	if l.failBurn != nil {
		return 0, l.failBurn
	}
	if len(memo) > MaxMemoLen {
		return 0, errors.New("memo too long")
	}
	k := from.key()
	if approval && l.allowances[k] < amount {
		return 0, &InsufficientAllowanceError{Allowance: l.allowances[k]}
	}
	if l.balances[k] < amount {
		return 0, &InsufficientFundsError{Balance: l.balances[k]}
	}
	l.balances[k] -= amount
	if approval {
		l.allowances[k] -= amount
	}
	b := l.next
	l.next++
	l.burns = append(l.burns, mintRec{from, amount, memo, b})
	return b, nil
}

func (l *fakeLedger) Balance(a Account) (uint64, error) { return l.balances[a.key()], nil }

func (l *fakeLedger) total() uint64 {
	var t uint64
	for _, v := range l.balances {
		t += v
	}
	return t
}

// fakeBitcoin answers get_utxos from a list of UTXOs per address.
type fakeBitcoin struct {
	utxos       map[string][]Utxo
	tip         uint32
	percentiles []uint64
	err         error
}

func newFakeBitcoin() *fakeBitcoin { return &fakeBitcoin{utxos: map[string][]Utxo{}, tip: 100} }

func (b *fakeBitcoin) GetUtxos(address string, minConf uint32) ([]Utxo, uint32, error) {
	if b.err != nil {
		return nil, 0, b.err
	}
	var out []Utxo
	for _, u := range b.utxos[address] {
		if u.Height > b.tip {
			continue
		}
		if minConf == 0 || b.tip-u.Height+1 >= minConf {
			out = append(out, u)
		}
	}
	return out, b.tip, nil
}

func (b *fakeBitcoin) FeePercentiles() ([]uint64, error) { return b.percentiles, nil }

func (b *fakeBitcoin) add(address string, u Utxo) { b.utxos[address] = append(b.utxos[address], u) }

// testKey is the master key of the tests' threshold key: the host signs
// with it as the subnet would with the shared key.
type testKey struct {
	priv *btcec.PrivateKey
	pk   PublicKey
}

func newTestKey() *testKey {
	var seed [32]byte
	seed[31] = 7
	priv, _ := btcec.PrivKeyFromBytes(seed[:])
	cc := make([]byte, 32)
	for i := range cc {
		cc[i] = byte(i)
	}
	return &testKey{priv: priv, pk: PublicKey{Key: priv.PubKey().SerializeCompressed(), ChainCode: cc}}
}

// sign answers a sign request: 64-byte r‖s under the derived key.
func (k *testKey) sign(t testing.TB, req *SignRequest) []byte {
	t.Helper()
	d, err := derivation.Secp256k1(k.pk.Key, k.pk.ChainCode, req.DerivationPath)
	if err != nil {
		t.Fatal(err)
	}
	x := new(big.Int).SetBytes(k.priv.Serialize())
	x.Add(x, new(big.Int).SetBytes(d.Tweak))
	x.Mod(x, btcec.S256().N)
	var xb [32]byte
	x.FillBytes(xb[:])
	child, _ := btcec.PrivKeyFromBytes(xb[:])
	compact := becdsa.SignCompact(child, req.MessageHash[:], true)
	return compact[1:]
}

var (
	minterID = principal.FromCanisterIndex(1)
	alice    = principal.MustParse("2chl6-4hpzw-vqaaa-aaaaa-c")
	bob      = principal.FromCanisterIndex(77)
)

const (
	sec       = uint64(1_000_000_000)
	startTime = 1_700_000_000 * sec
)

type env struct {
	m   *Minter
	l   *fakeLedger
	b   *fakeBitcoin
	key *testKey
}

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	key := newTestKey()
	cfg := Config{
		Network:           chain.Regtest,
		MinterID:          minterID,
		KeyName:           "dfx_test_key",
		PublicKey:         key.pk,
		MinConfirmations:  6,
		CheckFee:          100,
		RetrieveMinAmount: 10_000,
	}
	if mod != nil {
		mod(&cfg)
	}
	l := newFakeLedger(minterID)
	b := newFakeBitcoin()
	m, err := New(cfg, l, b)
	if err != nil {
		t.Fatal(err)
	}
	return &env{m: m, l: l, b: b, key: key}
}

func txidOf(n byte) [32]byte {
	var t [32]byte
	t[0] = n
	t[31] = 0xaa
	return t
}

// deposit gives account a a UTXO of value with enough confirmations and
// mints it.
func (e *env) deposit(t testing.TB, a Account, n byte, value uint64) {
	t.Helper()
	addr, err := DepositAddress(e.m.cfg.Network, e.m.cfg.PublicKey, a)
	if err != nil {
		t.Fatal(err)
	}
	e.b.add(addr, Utxo{Txid: txidOf(n), Vout: 0, Value: value, Height: 10})
	st, err := e.m.UpdateBalance(a.Owner, nil, a.Subaccount, startTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Minted == nil {
		t.Fatalf("deposit not minted: %+v", st)
	}
}

// signAll answers every sign request and returns the send requests.
func (e *env) signAll(t testing.TB) []*SendRequest {
	t.Helper()
	var sends []*SendRequest
	for round := 0; round < 3; round++ {
		reqs := e.m.TakeRequests()
		if len(reqs) == 0 {
			break
		}
		for _, r := range reqs {
			if r.Send != nil {
				sends = append(sends, r.Send)
				continue
			}
			if err := e.m.DeliverSignature(r.Sign.ID, e.key.sign(t, r.Sign), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return sends
}

func anonymous() principal.Principal { return principal.Anonymous() }
