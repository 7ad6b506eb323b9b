package vetkd_test

// productionKeys are the Internet Computer's vetKD master public keys
// (bls12_381_g2 key_1 and test_key_1) as @dfinity/vetkeys 0.4.0 hard-codes
// them in MasterPublicKey.productionKey; see testdata/derivation-vectors.json.txt.
var productionKeys = map[string]string{
	"key_1":      "a9caf9ae8af0c7c7272f8a122133e2e0c7c0899b75e502bda9e109ca8193ded3ef042ed96db1125e1bdaad77d8cc60d917e122fe2501c45b96274f43705edf0cfd455bc66c3c060faa2fcd15486e76351edf91fecb993797273bbc8beaa47404",
	"test_key_1": "ad86e8ff845912f022a0838a502d763fdea547c9948f8cb20ea7738dd52c1c38dcb4c6ca9ac29f9ac690fc5ad7681cb41922b8dffbd65d94bff141f5fb5b6624eccc03bf850f222052df888cf9b1e47203556d7522271cbb879b2ef4b8c2bfb1",
}
