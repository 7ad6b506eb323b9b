package replica

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/replica/subnet"
)

// OperatorKeyFile is the name of the subnet operator's key file, which
// WriteSubnetConfig writes beside the nodes' homes (mode 0600). Its
// public key is in the genesis; registry changes (a node joins or
// leaves) must be signed by it.
const OperatorKeyFile = "operator_key.pem"

const operatorKeyPEM = "PRIVATE KEY"

// writeOperatorKey makes the operator's Ed25519 key, writes it to path as
// PKCS #8 PEM with mode 0600 and returns its public key.
func writeOperatorKey(path string) (ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("replica: operator key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	clear(priv)
	if err != nil {
		return nil, fmt.Errorf("replica: operator key: %w", err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: operatorKeyPEM, Bytes: der})
	clear(der)
	err = writeSecretFile(path, b)
	clear(b)
	return pub, err
}

// LoadOperatorKey reads the operator key that WriteSubnetConfig wrote
// (PKCS #8 PEM, Ed25519).
func LoadOperatorKey(path string) (ed25519.PrivateKey, error) {
	b, err := readSecretFile(path)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	blk, rest := pem.Decode(b)
	if blk == nil || blk.Type != operatorKeyPEM || len(rest) != 0 {
		return nil, fmt.Errorf("replica: operator key %s: not a single %s PEM block", path, operatorKeyPEM)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	clear(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("replica: operator key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("replica: operator key %s: not an Ed25519 key", path)
	}
	return priv, nil
}

// OperatorKeyPath is where WriteSubnetConfig puts the operator key of the
// subnet written under dir.
func OperatorKeyPath(dir string) string { return filepath.Join(dir, OperatorKeyFile) }

// parseOperatorKey decodes the genesis operator key (hex; empty: none).
func parseOperatorKey(h string) (ed25519.PublicKey, error) {
	if h == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("replica: genesis operator key: want 32 bytes of hex")
	}
	return ed25519.PublicKey(b), nil
}

// genesisRecords returns the genesis members as registry records.
func genesisRecords(gs *genesisState) ([]subnet.NodeRecord, error) {
	out := make([]subnet.NodeRecord, len(gs.Members))
	for i, m := range gs.Members {
		var r subnet.NodeRecord
		var err error
		r.NodeID, r.P2P, r.GRPC = m.NodeID, m.P2P, m.GRPC
		for _, f := range []struct {
			dst *[]byte
			src string
		}{{&r.ConsensusKey, m.PubKey}, {&r.NodeKey, m.NodeKey}, {&r.EncKey, m.EncKey}} {
			if *f.dst, err = hex.DecodeString(f.src); err != nil {
				return nil, fmt.Errorf("replica: genesis member %d: %w", i, err)
			}
		}
		out[i] = r
	}
	return out, nil
}

// registryPlan is what the registry rules need from the genesis.
func (a *app) registryPlan() (subnet.RegistryPlan, error) {
	op, err := parseOperatorKey(a.gen.OperatorKey)
	if err != nil {
		return subnet.RegistryPlan{}, err
	}
	recs, err := genesisRecords(&a.gen)
	if err != nil {
		return subnet.RegistryPlan{}, err
	}
	return subnet.RegistryPlan{ChainID: a.chainID, OperatorKey: op, Genesis: recs, KeyIDs: a.gen.KeyIDs}, nil
}

// NodeInfo returns the registry record of the node whose home is home:
// its node id, consensus key, node signing and encryption public keys
// (read from its key files), and its addresses. p2p and grpc override
// the addresses of its configuration (which may be listen-all ones).
func NodeInfo(home, p2pAddr, grpcAddr string) (subnet.NodeRecord, error) {
	var r subnet.NodeRecord
	c, err := LoadConfig(home)
	if err != nil {
		return r, err
	}
	nk, err := p2p.LoadNodeKey(filepath.Join(c.cometRoot(), "config", "node_key.json"))
	if err != nil {
		return r, fmt.Errorf("replica: node key: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(c.cometRoot(), "config", "priv_validator_key.json"))
	if err != nil {
		return r, fmt.Errorf("replica: validator key: %w", err)
	}
	var pv privval.FilePVKey
	err = cmtjson.Unmarshal(b, &pv)
	clear(b)
	if err != nil || pv.PrivKey == nil {
		return r, fmt.Errorf("replica: validator key: %v", err)
	}
	cons := pv.PrivKey.PubKey().Bytes()
	raw, err := readSecretFile(c.secretPath(nodeSigningKeyFile))
	if err != nil {
		return r, err
	}
	sk := new(dkg.NodeSigningKey)
	err = sk.UnmarshalBinary(raw)
	clear(raw)
	if err != nil {
		return r, fmt.Errorf("replica: node signing key: %w", err)
	}
	defer sk.Zeroize()
	if raw, err = readSecretFile(c.secretPath(encryptionKeyFile)); err != nil {
		return r, err
	}
	ek := new(dkg.EncryptionKey)
	err = ek.UnmarshalBinary(raw)
	clear(raw)
	if err != nil {
		return r, fmt.Errorf("replica: encryption key: %w", err)
	}
	defer ek.Zeroize()
	r = subnet.NodeRecord{NodeID: string(nk.ID()), ConsensusKey: cons,
		NodeKey: sk.PublicKey().Bytes(), EncKey: ek.PublicKey().Bytes(), P2P: c.P2PListen, GRPC: c.GRPCListen}
	if p2pAddr != "" {
		r.P2P = p2pAddr
	}
	if grpcAddr != "" {
		r.GRPC = grpcAddr
	}
	return r, nil
}
