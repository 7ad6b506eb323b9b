package ckbtc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/idkg/derivation"
	"github.com/chainkey/chainkey/principal"
)

// SubaccountLen is the length of an ICRC-1 subaccount.
const SubaccountLen = 32

// Account is an ICRC-1 account. A nil Subaccount and 32 zero bytes name the
// same account.
type Account struct {
	Owner      principal.Principal
	Subaccount *[SubaccountLen]byte
}

// EffectiveSubaccount returns the subaccount, 32 zero bytes for the default.
func (a Account) EffectiveSubaccount() [SubaccountLen]byte {
	if a.Subaccount == nil {
		return [SubaccountLen]byte{}
	}
	return *a.Subaccount
}

// key is a comparable form of the account (None and zeros are equal).
func (a Account) key() accountKey {
	return accountKey{a.Owner, a.EffectiveSubaccount()}
}

type accountKey struct {
	owner principal.Principal
	sub   [SubaccountLen]byte
}

func (k accountKey) account() Account {
	a := Account{Owner: k.owner}
	if k.sub != ([SubaccountLen]byte{}) {
		s := k.sub
		a.Subaccount = &s
	}
	return a
}

func compareAccountKeys(a, b accountKey) int {
	if c := a.owner.Compare(b.owner); c != 0 {
		return c
	}
	return bytes.Compare(a.sub[:], b.sub[:])
}

// FeeCollectorSubaccount is the minter's subaccount that collects the
// ledger's fees; consolidation fees are burned from it.
func FeeCollectorSubaccount() [SubaccountLen]byte {
	var s [SubaccountLen]byte
	s[30], s[31] = 0x0f, 0xee
	return s
}

// schemaV1 is the first element of every derivation path the minter uses.
const schemaV1 = 0x01

// DerivationPath returns the path under which the minter derives the key of
// an account: [0x01, owner bytes, effective subaccount], the Internet
// Computer minter's schema 1. The same path is passed to sign_with_ecdsa.
func DerivationPath(a Account) [][]byte {
	sub := a.EffectiveSubaccount()
	return [][]byte{{schemaV1}, a.Owner.Bytes(), sub[:]}
}

// PublicKey is the minter's threshold ECDSA public key as ecdsa_public_key
// returns it for the minter's canister id and the empty path: a 33-byte
// compressed secp256k1 key and a 32-byte chain code.
type PublicKey struct {
	Key       []byte
	ChainCode []byte
}

func (pk PublicKey) check() error {
	if len(pk.Key) != 33 || (pk.Key[0] != 2 && pk.Key[0] != 3) {
		return errors.New("ckbtc: public key is not a 33-byte compressed secp256k1 key")
	}
	if len(pk.ChainCode) != derivation.ChainCodeLen {
		return errors.New("ckbtc: chain code is not 32 bytes")
	}
	return nil
}

// DeriveAccountKey returns the compressed public key the minter controls for
// account a.
func DeriveAccountKey(pk PublicKey, a Account) ([]byte, error) {
	if err := pk.check(); err != nil {
		return nil, err
	}
	k, err := derivation.Secp256k1(pk.Key, pk.ChainCode, DerivationPath(a))
	if err != nil {
		return nil, fmt.Errorf("ckbtc: derive key: %w", err)
	}
	return k.PublicKey, nil
}

// P2WPKHAddress returns the bech32 P2WPKH address of a compressed public key
// on network n (HRP bc, tb or bcrt).
func P2WPKHAddress(n chain.Network, pubkey []byte) (string, error) {
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pubkey), n.Params())
	if err != nil {
		return "", fmt.Errorf("ckbtc: p2wpkh address: %w", err)
	}
	return a.EncodeAddress(), nil
}

// DepositAddress is get_btc_address: the P2WPKH address of account a's key.
func DepositAddress(n chain.Network, pk PublicKey, a Account) (string, error) {
	key, err := DeriveAccountKey(pk, a)
	if err != nil {
		return "", err
	}
	return P2WPKHAddress(n, key)
}

// WithdrawalSubaccount returns the subaccount of the minter that a caller
// deposits ckBTC to before retrieve_btc:
// SHA-256(0x05 ‖ "ckbtc" ‖ caller bytes ‖ nonce 0 as u64 big-endian).
func WithdrawalSubaccount(caller principal.Principal) [SubaccountLen]byte {
	h := sha256.New()
	h.Write([]byte{5})
	h.Write([]byte("ckbtc"))
	h.Write(caller.Bytes())
	var nonce [8]byte
	binary.BigEndian.PutUint64(nonce[:], 0)
	h.Write(nonce[:])
	var s [SubaccountLen]byte
	h.Sum(s[:0])
	return s
}

// AddressKind is the type of a destination address, as the minter's
// BitcoinAddress variant names it.
type AddressKind uint8

// Address kinds.
const (
	P2WPKHv0 AddressKind = iota + 1
	P2WSHv0
	P2TRv1
	P2PKH
	P2SH
)

// ParseAddress parses a withdrawal destination on network n and returns its
// output script and kind, or an error that retrieve_btc reports as
// MalformedAddress.
func ParseAddress(n chain.Network, address string) ([]byte, AddressKind, error) {
	script, err := canister.AddressScript(n, address)
	if err != nil {
		return nil, 0, err
	}
	kind, _, ok := classifyScript(script)
	if !ok {
		return nil, 0, fmt.Errorf("unsupported address type")
	}
	return script, kind, nil
}

// classifyScript returns the kind and the hash or key of a standard output
// script.
func classifyScript(script []byte) (AddressKind, []byte, bool) {
	switch txscript.GetScriptClass(script) {
	case txscript.WitnessV0PubKeyHashTy:
		return P2WPKHv0, script[2:], true
	case txscript.WitnessV0ScriptHashTy:
		return P2WSHv0, script[2:], true
	case txscript.WitnessV1TaprootTy:
		return P2TRv1, script[2:], true
	case txscript.PubKeyHashTy:
		return P2PKH, script[3:23], true
	case txscript.ScriptHashTy:
		return P2SH, script[2:22], true
	}
	return 0, nil, false
}
