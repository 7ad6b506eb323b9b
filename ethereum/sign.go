package ethereum

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrSignatureMismatch reports a signature that recovers to neither
// candidate key the expected address could be: it is not a signature of
// the hash by that address's key.
var ErrSignatureMismatch = errors.New("ethereum: signature does not recover the expected address")

// Signer produces ECDSA signatures over secp256k1 with one key, such as the
// subnet's threshold key derived for a caller and derivation path.
type Signer interface {
	// SignHash returns the 64-byte signature r||s (big-endian, 32 bytes
	// each) of the 32-byte hash.
	SignHash(ctx context.Context, hash []byte) ([]byte, error)
}

var (
	secp256k1N     = crypto.S256().Params().N
	secp256k1HalfN = new(big.Int).Rsh(secp256k1N, 1)
)

// RecoverableSignature returns the 65-byte signature r||s||v that Ethereum
// uses (v the recovery id, 0 or 1) for the 64-byte ECDSA signature sig of
// the 32-byte hash by the key of want. A high s is replaced by n−s, which
// is the same signature in the low-s form Ethereum requires. The recovery
// id is found by trying both and keeping the one that recovers want; a
// signature that recovers neither is refused with ErrSignatureMismatch, so
// a returned signature is always a valid one by want's key.
func RecoverableSignature(hash, sig []byte, want common.Address) ([]byte, error) {
	if len(hash) != 32 {
		return nil, fmt.Errorf("ethereum: hash of %d bytes, want 32", len(hash))
	}
	if len(sig) != 64 {
		return nil, fmt.Errorf("ethereum: signature of %d bytes, want 64 (r||s)", len(sig))
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	if r.Sign() == 0 || r.Cmp(secp256k1N) >= 0 || s.Sign() == 0 || s.Cmp(secp256k1N) >= 0 {
		return nil, errors.New("ethereum: signature r or s out of range")
	}
	if s.Cmp(secp256k1HalfN) > 0 {
		s.Sub(secp256k1N, s)
	}
	out := make([]byte, 65)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:64])
	for v := byte(0); v < 2; v++ {
		out[64] = v
		pub, err := crypto.Ecrecover(hash, out)
		if err != nil {
			continue
		}
		got := common.BytesToAddress(crypto.Keccak256(pub[1:])[12:])
		if bytes.Equal(got[:], want[:]) {
			return out, nil
		}
	}
	return nil, fmt.Errorf("%w %s", ErrSignatureMismatch, want.Hex())
}

// SigningHash returns the hash a transaction's sender signs on the chain
// chainID: EIP-155 for legacy transactions, the typed-transaction hash for
// EIP-2930 and EIP-1559 ones.
func SigningHash(tx *types.Transaction, chainID *big.Int) (common.Hash, error) {
	if chainID == nil || chainID.Sign() <= 0 {
		return common.Hash{}, errors.New("ethereum: chain id must be positive")
	}
	if tx.Type() != types.LegacyTxType {
		if id := tx.ChainId(); id == nil || id.Cmp(chainID) != 0 {
			return common.Hash{}, fmt.Errorf("ethereum: transaction for chain %v, signing for chain %v", tx.ChainId(), chainID)
		}
	}
	switch tx.Type() {
	case types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType:
	default:
		return common.Hash{}, fmt.Errorf("ethereum: transaction type %d not supported", tx.Type())
	}
	return types.LatestSignerForChainID(chainID).Hash(tx), nil
}

// SignTx signs tx for the chain chainID with s, whose key must be the one of
// from. The signature is checked (the recovery id that recovers from is
// kept, see RecoverableSignature) and the signed transaction's sender, as
// go-ethereum's types.Sender recovers it, must be from.
func SignTx(ctx context.Context, s Signer, from common.Address, chainID *big.Int, tx *types.Transaction) (*types.Transaction, error) {
	hash, err := SigningHash(tx, chainID)
	if err != nil {
		return nil, err
	}
	sig, err := s.SignHash(ctx, hash[:])
	if err != nil {
		return nil, fmt.Errorf("ethereum: sign: %w", err)
	}
	rsv, err := RecoverableSignature(hash[:], sig, from)
	if err != nil {
		return nil, err
	}
	signer := types.LatestSignerForChainID(chainID)
	signed, err := tx.WithSignature(signer, rsv)
	if err != nil {
		return nil, fmt.Errorf("ethereum: sign: %w", err)
	}
	sender, err := types.Sender(signer, signed)
	if err != nil {
		return nil, fmt.Errorf("ethereum: sign: signed transaction: %w", err)
	}
	if sender != from {
		return nil, fmt.Errorf("ethereum: sign: signed transaction recovers %s, want %s", sender.Hex(), from.Hex())
	}
	return signed, nil
}
