package canister

import (
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"github.com/chainkey/chainkey/bitcoin/chain"
)

// MaxAddressLength bounds the address strings accepted (the longest valid
// ones, P2WSH and P2TR on regtest, have 64 characters).
const MaxAddressLength = 100

// AddressScript parses a P2PKH, P2SH, P2WPKH, P2WSH or P2TR address for
// network n and returns its output script. It returns a
// *MalformedAddressError or, for an address of another network, an
// *AddressForWrongNetworkError. Testnet and regtest share base58 version
// bytes, so a base58 address of one is accepted on the other.
func AddressScript(n chain.Network, address string) ([]byte, error) {
	if len(address) == 0 || len(address) > MaxAddressLength {
		return nil, &MalformedAddressError{Address: address, Reason: "bad length"}
	}
	a, err := decodeFor(n, address)
	if err == nil {
		script, err := txscript.PayToAddrScript(a)
		if err != nil {
			return nil, &MalformedAddressError{Address: address, Reason: err.Error()}
		}
		return script, nil
	}
	for _, other := range []chain.Network{chain.Mainnet, chain.Testnet, chain.Regtest} {
		if other == n {
			continue
		}
		if _, err2 := decodeFor(other, address); err2 == nil {
			return nil, &AddressForWrongNetworkError{Address: address, Expected: n}
		}
	}
	return nil, &MalformedAddressError{Address: address, Reason: err.Error()}
}

type reasonError string

func (e reasonError) Error() string { return string(e) }

func decodeFor(n chain.Network, address string) (btcutil.Address, error) {
	p := n.Params()
	a, err := btcutil.DecodeAddress(address, p)
	if err != nil {
		return nil, err
	}
	switch a.(type) {
	case *btcutil.AddressPubKeyHash, *btcutil.AddressScriptHash, *btcutil.AddressWitnessPubKeyHash,
		*btcutil.AddressWitnessScriptHash, *btcutil.AddressTaproot:
	default:
		return nil, reasonError("unsupported address type")
	}
	if !a.IsForNet(p) {
		return nil, reasonError("address for another network")
	}
	return a, nil
}
