// Package ethereum turns threshold ECDSA signatures into Ethereum
// transactions that go-ethereum accepts.
//
// An Ethereum address is the last 20 bytes of the Keccak-256 hash of a
// secp256k1 public key; AddressFromPublicKey computes it for a key derived by
// the subnet (ecdsa:secp256k1:NAME plus a derivation path) and Address.Hex
// prints it with the EIP-55 checksum. Transactions are go-ethereum's own
// core/types values: EIP-1559 (type 2), EIP-2930 (type 1) and legacy EIP-155.
// SignTx hands the transaction's signing hash to a Signer (the subnet's
// threshold ECDSA), works out the recovery id Ethereum needs by trying both
// candidates against the expected address (which also verifies the
// signature), and returns the signed transaction.
//
// The package does no I/O of its own: signing goes through the Signer
// interface and chain queries through the Client interface, which
// go-ethereum's ethclient.Client and its ethclient/simulated backend both
// satisfy.
package ethereum
