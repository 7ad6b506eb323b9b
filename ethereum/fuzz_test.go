package ethereum

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
)

// FuzzParseUnsignedTx: any input either is refused or yields a transaction
// of a supported type, with code if it creates a contract, whose signing
// hash can be computed.
func FuzzParseUnsignedTx(f *testing.F) {
	for _, s := range []string{
		`{"type":0,"chain_id":"1","nonce":9,"gas_price":"20000000000","gas_limit":21000,"to":"0x3535353535353535353535353535353535353535","value":"1000000000000000000"}`,
		`{"type":1,"chain_id":"0x539","nonce":1,"gas_limit":60000,"gas_price":"1000","data":"0x6000","access_list":[{"address":"0x00000000000000000000000000000000000000aa","storage_keys":["0x0000000000000000000000000000000000000000000000000000000000000001"]}]}`,
		`{"type":2,"chain_id":"1337","nonce":2,"to":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","value":"1","gas_limit":21000,"max_fee_per_gas":"2000","max_priority_fee_per_gas":"1"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, chainID, err := ParseUnsignedTx(data)
		if err != nil {
			return
		}
		switch tx.Type() {
		case types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType:
		default:
			t.Fatalf("type %d accepted", tx.Type())
		}
		if _, err := SigningHash(tx, chainID); err != nil {
			t.Fatalf("accepted transaction has no signing hash: %v", err)
		}
		if tx.To() == nil && len(tx.Data()) == 0 {
			t.Fatal("contract creation without code accepted")
		}
	})
}

// FuzzParseAddress: an accepted address prints back (EIP-55) as the input
// up to case, and a mixed-case input is exactly its checksummed form.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xde709f2102306220921060314715629080e2fb77", "0x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(a.Hex(), s) {
			t.Fatalf("%q parsed as %s", s, a.Hex())
		}
		d := s[2:]
		if d != strings.ToLower(d) && d != strings.ToUpper(d) && a.Hex()[2:] != d {
			t.Fatalf("mixed-case %q accepted without its checksum %s", s, a.Hex())
		}
	})
}
