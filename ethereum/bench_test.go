package ethereum

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// BenchmarkRecoverableSignature is the local cost the package adds to each
// threshold signature: finding the recovery id (one or two recoveries).
func BenchmarkRecoverableSignature(b *testing.B) {
	k := testKey(b, 8)
	from := crypto.PubkeyToAddress(k.PublicKey)
	hashes := make([][]byte, 64)
	sigs := make([][]byte, 64)
	for i := range hashes {
		hashes[i] = crypto.Keccak256([]byte{byte(i)})
		sigs[i], _ = (&keySigner{key: k}).SignHash(context.Background(), hashes[i])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := RecoverableSignature(hashes[i%64], sigs[i%64], from); err != nil {
			b.Fatal(err)
		}
	}
}

// precomputedSigner returns a signature made beforehand, so that
// BenchmarkSignTx measures SignTx without the signing itself.
type precomputedSigner struct{ sig []byte }

func (p precomputedSigner) SignHash(context.Context, []byte) ([]byte, error) { return p.sig, nil }

// BenchmarkSignTx is SignTx around a signer that costs nothing: hashing,
// recovery id, the signed transaction and the types.Sender check.
func BenchmarkSignTx(b *testing.B) {
	k := testKey(b, 9)
	from := crypto.PubkeyToAddress(k.PublicKey)
	chainID := big.NewInt(1337)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: chainID, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2), Gas: 21000, To: &to, Value: big.NewInt(1)})
	hash, _ := SigningHash(tx, chainID)
	sig, _ := (&keySigner{key: k}).SignHash(context.Background(), hash[:])
	s := precomputedSigner{sig}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := SignTx(context.Background(), s, from, chainID, tx); err != nil {
			b.Fatal(err)
		}
	}
}
