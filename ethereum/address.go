package ethereum

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrBadChecksum reports a mixed-case address whose capitalisation is not
// its EIP-55 checksum.
var ErrBadChecksum = errors.New("ethereum: address fails its EIP-55 checksum")

// AddressFromPublicKey returns the address of a secp256k1 public key given in
// SEC1 form: 33 bytes compressed (as the subnet's ecdsa_public_key returns
// it) or 65 bytes uncompressed. The point must be on the curve.
func AddressFromPublicKey(pub []byte) (common.Address, error) {
	switch len(pub) {
	case 33:
		if pub[0] != 0x02 && pub[0] != 0x03 {
			return common.Address{}, fmt.Errorf("ethereum: public key: bad compressed prefix %#x", pub[0])
		}
		k, err := crypto.DecompressPubkey(pub)
		if err != nil {
			return common.Address{}, fmt.Errorf("ethereum: public key: %w", err)
		}
		return crypto.PubkeyToAddress(*k), nil
	case 65:
		k, err := crypto.UnmarshalPubkey(pub)
		if err != nil {
			return common.Address{}, fmt.Errorf("ethereum: public key: %w", err)
		}
		return crypto.PubkeyToAddress(*k), nil
	default:
		return common.Address{}, fmt.Errorf("ethereum: public key of %d bytes, want 33 or 65", len(pub))
	}
}

// ParseAddress decodes a 0x-prefixed address of 40 hex digits. An address
// in one case (all lower or all upper) carries no checksum and is accepted;
// a mixed-case one must match its EIP-55 checksum, so that a mistyped
// address is refused rather than paid.
func ParseAddress(s string) (common.Address, error) {
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return common.Address{}, fmt.Errorf("ethereum: address %q: missing 0x prefix", s)
	}
	digits := s[2:]
	if len(digits) != 2*common.AddressLength {
		return common.Address{}, fmt.Errorf("ethereum: address %q: %d hex digits, want 40", s, len(digits))
	}
	b, err := hex.DecodeString(digits)
	if err != nil {
		return common.Address{}, fmt.Errorf("ethereum: address %q: %w", s, err)
	}
	a := common.BytesToAddress(b)
	if digits != strings.ToLower(digits) && digits != strings.ToUpper(digits) && a.Hex()[2:] != digits {
		return common.Address{}, fmt.Errorf("%w: %s (checksummed: %s)", ErrBadChecksum, s, a.Hex())
	}
	return a, nil
}
