package ethereum_test

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainkey/chainkey/ethereum"
)

// localSigner stands in for the subnet's threshold ECDSA: like it, it
// returns only r||s, without the recovery id.
type localSigner struct{ key []byte }

func (s localSigner) SignHash(_ context.Context, hash []byte) ([]byte, error) {
	k, err := crypto.ToECDSA(s.key)
	if err != nil {
		return nil, err
	}
	sig, err := crypto.Sign(hash, k)
	if err != nil {
		return nil, err
	}
	return sig[:64], nil
}

func Example() {
	// The subnet's ecdsa_public_key for a caller and derivation path is a
	// 33-byte compressed key; here, the key of private key 1.
	priv := common.LeftPadBytes([]byte{1}, 32)
	k, _ := crypto.ToECDSA(priv)
	from, err := ethereum.AddressFromPublicKey(crypto.CompressPubkey(&k.PublicKey))
	if err != nil {
		panic(err)
	}
	fmt.Println("address:", from.Hex())

	to, err := ethereum.ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	if err != nil {
		panic(err)
	}
	chainID := big.NewInt(1337)
	tx := types.NewTx(&types.DynamicFeeTx{
		ChainID:   chainID,
		Nonce:     0,
		GasTipCap: big.NewInt(1_000_000_000),
		GasFeeCap: big.NewInt(2_000_000_000),
		Gas:       21000,
		To:        &to,
		Value:     big.NewInt(1_000_000_000_000_000),
	})
	signed, err := ethereum.SignTx(context.Background(), localSigner{priv}, from, chainID, tx)
	if err != nil {
		panic(err)
	}
	sender, _ := types.Sender(types.LatestSignerForChainID(chainID), signed)
	fmt.Println("type:", signed.Type(), "sender:", sender.Hex())
	// Output:
	// address: 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf
	// type: 2 sender: 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf
}

func ExampleParseUnsignedTx() {
	// The example transaction of EIP-155, as `chainkey eth sign-tx` reads it.
	tx, chainID, err := ethereum.ParseUnsignedTx([]byte(`{"type":0,"chain_id":"1","nonce":9,
		"to":"0x3535353535353535353535353535353535353535","value":"1000000000000000000",
		"gas_limit":21000,"gas_price":"20000000000"}`))
	if err != nil {
		panic(err)
	}
	hash, err := ethereum.SigningHash(tx, chainID)
	if err != nil {
		panic(err)
	}
	fmt.Println(hash.Hex())
	// Output: 0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53
}
