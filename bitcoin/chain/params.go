package chain

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Network names a Bitcoin network.
type Network int

// The supported networks. Testnet is testnet4 (BIP94), like the Internet
// Computer's "testnet".
const (
	Mainnet Network = iota + 1
	Testnet
	Regtest
)

// String returns the network's name as the Internet Computer spells it.
func (n Network) String() string {
	switch n {
	case Mainnet:
		return "mainnet"
	case Testnet:
		return "testnet"
	case Regtest:
		return "regtest"
	}
	return fmt.Sprintf("network(%d)", int(n))
}

// ParseNetwork accepts "mainnet", "testnet" (or "testnet4") and "regtest".
func ParseNetwork(s string) (Network, error) {
	switch s {
	case "mainnet", "bitcoin":
		return Mainnet, nil
	case "testnet", "testnet4":
		return Testnet, nil
	case "regtest":
		return Regtest, nil
	}
	return 0, fmt.Errorf("chain: unknown network %q (want mainnet, testnet or regtest)", s)
}

// Params returns the consensus parameters of n. The returned value must not
// be modified.
func (n Network) Params() *chaincfg.Params {
	switch n {
	case Mainnet:
		return &chaincfg.MainNetParams
	case Testnet:
		return &testNet4Params
	case Regtest:
		return &chaincfg.RegressionNetParams
	}
	return nil
}

// MinimumDifficultyBlocks reports whether n allows minimum-difficulty blocks
// after 20 minutes without a block, which makes difficulty-based depth
// meaningless there (the Internet Computer's testnet and regtest escape).
func (n Network) MinimumDifficultyBlocks() bool { return n == Testnet || n == Regtest }

// TestNet4Magic is testnet4's network magic (pchMessageStart 1c 16 3f 28).
const TestNet4Magic wire.BitcoinNet = 0x283f161c

// testnet4 is not in btcd v0.24.2: its parameters are defined here from
// BIP94 and Bitcoin Core's chainparams (genesis 00000000da84f2ba…f043).
var (
	testNet4PowLimit = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 224), big.NewInt(1))

	testNet4GenesisCoinbase = func() *wire.MsgTx {
		msg := []byte("03/May/2024 000000000000000000001ebd58c244970b3aa9d783bb001011fbe8ea8e98e00e")
		sig := []byte{0x04, 0xff, 0xff, 0x00, 0x1d, 0x01, 0x04, 0x4c, byte(len(msg))}
		sig = append(sig, msg...)
		pk := append([]byte{0x21}, make([]byte, 33)...)
		pk = append(pk, 0xac)
		tx := wire.NewMsgTx(1)
		tx.AddTxIn(&wire.TxIn{
			PreviousOutPoint: wire.OutPoint{Index: 0xffffffff},
			SignatureScript:  sig,
			Sequence:         0xffffffff,
		})
		tx.AddTxOut(wire.NewTxOut(50_0000_0000, pk))
		return tx
	}()

	testNet4GenesisBlock = wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    1,
			MerkleRoot: mustHash("7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e"),
			Timestamp:  time.Unix(1714777860, 0),
			Bits:       0x1d00ffff,
			Nonce:      393743547,
		},
		Transactions: []*wire.MsgTx{testNet4GenesisCoinbase},
	}
	testNet4GenesisHash = mustHash("00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043")

	testNet4Params = chaincfg.Params{
		Name:        "testnet4",
		Net:         TestNet4Magic,
		DefaultPort: "48333",
		DNSSeeds: []chaincfg.DNSSeed{
			{Host: "seed.testnet4.bitcoin.sprovoost.nl", HasFiltering: true},
			{Host: "seed.testnet4.wiz.biz", HasFiltering: true},
		},
		GenesisBlock:             &testNet4GenesisBlock,
		GenesisHash:              &testNet4GenesisHash,
		PowLimit:                 testNet4PowLimit,
		PowLimitBits:             0x1d00ffff,
		BIP0034Height:            1,
		BIP0065Height:            1,
		BIP0066Height:            1,
		CoinbaseMaturity:         100,
		SubsidyReductionInterval: 210000,
		TargetTimespan:           14 * 24 * time.Hour,
		TargetTimePerBlock:       10 * time.Minute,
		RetargetAdjustmentFactor: 4,
		ReduceMinDifficulty:      true,
		MinDiffReductionTime:     20 * time.Minute,
		Bech32HRPSegwit:          "tb",
		PubKeyHashAddrID:         0x6f,
		ScriptHashAddrID:         0xc4,
		PrivateKeyID:             0xef,
		WitnessPubKeyHashAddrID:  0x03,
		WitnessScriptHashAddrID:  0x28,
		HDPrivateKeyID:           [4]byte{0x04, 0x35, 0x83, 0x94},
		HDPublicKeyID:            [4]byte{0x04, 0x35, 0x87, 0xcf},
		HDCoinType:               1,
	}
)

func mustHash(s string) chainhash.Hash {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != chainhash.HashSize {
		panic("chain: bad hash literal " + s)
	}
	var h chainhash.Hash
	for i := range b {
		h[i] = b[len(b)-1-i]
	}
	return h
}

// bip94 reports whether p enforces BIP94 (testnet4).
func bip94(p *chaincfg.Params) bool { return p.Net == TestNet4Magic }
