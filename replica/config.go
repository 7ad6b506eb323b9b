package replica

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chainkey/chainkey/dkg"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"
)

// GenesisKeyIDs are the master keys every subnet creates at genesis.
var GenesisKeyIDs = []string{
	"ecdsa:secp256k1:dfx_test_key",
	"ecdsa:secp256k1:test_key_1",
	"schnorr:bip340secp256k1:dfx_test_key",
	"schnorr:ed25519:dfx_test_key",
}

// GenesisVetKDKeyIDs are the vetKD master keys a subnet written by
// WriteSubnetConfig creates at genesis (the IC also names test_key_1 and
// key_1; a subnet's keys are its genesis configuration, vetkd_key_ids).
var GenesisVetKDKeyIDs = []string{"bls12_381_g2:dfx_test_key"}

// DefaultTimeoutCommitMS is CometBFT's timeout_commit written by
// WriteSubnetConfig: short, so that a signature (about six heights from
// request to certified reply) stays under a second on a LAN or loopback.
const DefaultTimeoutCommitMS = 50

// DefaultPresignatureTarget is the stock of presignatures per key written
// by WriteSubnetConfig: enough to serve a burst of a few seconds at once
// while production, which follows demand beyond the stock, catches up.
const DefaultPresignatureTarget = 48

// DefaultReshareInterval is the number of heights between resharings of
// the master keys written by WriteSubnetConfig.
const DefaultReshareInterval = 2000

// Default ports used by WriteSubnetConfig for nodes on named hosts.
const (
	DefaultP2PPort     = 26656
	DefaultGRPCPort    = 50051
	DefaultMetricsPort = 9464
)

// Config is the configuration of one node. WriteSubnetConfig writes it as
// HOME/chainkey.json next to the node's CometBFT files, key files and
// state; LoadConfig reads it back.
type Config struct {
	// Home is the node's directory. It is not stored in the file.
	Home string `json:"-"`
	// Index is the node's position in the subnet (0..n-1); its share
	// index in every threshold scheme is Index+1.
	Index int `json:"index"`
	// ChainID is the CometBFT chain id shared by the subnet.
	ChainID string `json:"chain_id"`
	// P2PListen is the host:port CometBFT's p2p layer listens on.
	P2PListen string `json:"p2p_listen"`
	// Peers are the other nodes as CometBFT "nodeid@host:port".
	Peers []string `json:"peers"`
	// GRPCListen is the host:port the gRPC layer should serve on.
	GRPCListen string `json:"grpc_listen"`
	// MetricsListen is the host:port of the Prometheus /metrics endpoint;
	// empty disables it.
	MetricsListen string `json:"metrics_listen"`
	// TimeoutCommitMS is CometBFT's timeout_commit in milliseconds.
	TimeoutCommitMS int `json:"timeout_commit_ms"`
	// PresignatureTarget is the stock of presignatures kept per key, and
	// ReshareInterval the number of heights between resharings of the
	// subnet's keys (0: never). Both are agreed values: WriteSubnetConfig
	// records them in the genesis, which is what the nodes follow; here
	// they are for information.
	PresignatureTarget int    `json:"presignature_target"`
	ReshareInterval    uint64 `json:"reshare_interval"`
	// Bitcoin enables the Bitcoin integration (nil: off).
	Bitcoin *BitcoinConfig `json:"bitcoin,omitempty"`
	// RetainMargin is how many heights below the latest catch-up package
	// CometBFT keeps its blocks (0: one CUP interval).
	RetainMargin uint64 `json:"retain_margin,omitempty"`
	// RPCListen is the host:port of CometBFT's RPC server, which nodes
	// that state-sync ask for light-client headers; empty disables it.
	RPCListen string `json:"rpc_listen,omitempty"`
	// StateSync makes a node with an empty state store join from the
	// latest catch-up package (nil: replay the chain from genesis).
	StateSync *StateSyncConfig `json:"state_sync,omitempty"`
	// OutcallsAllowHTTPLoopback lets the node perform canisters' HTTP
	// outcalls to loopback addresses, over plain http too (off: https
	// to public addresses only, as on the IC); for local subnets and
	// tests.
	OutcallsAllowHTTPLoopback bool `json:"outcalls_allow_http_loopback,omitempty"`
	// OutcallTimeoutMS is how long the node waits for an outcall's
	// response, in milliseconds (0: DefaultOutcallTimeout).
	OutcallTimeoutMS int `json:"outcall_timeout_ms,omitempty"`
	// OutcallMaxConcurrent bounds the outcalls the node performs at once
	// (0: DefaultOutcallMaxConcurrent); the others wait for a slot.
	OutcallMaxConcurrent int `json:"outcall_max_concurrent,omitempty"`
	// OutcallMaxKeptBytes bounds the memory of the outcalls' outcomes the
	// node keeps until they settle, counting each outcall in flight at
	// its max_response_bytes (0: DefaultOutcallMaxKeptBytes).
	OutcallMaxKeptBytes int64 `json:"outcall_max_kept_bytes,omitempty"`

	// Logger receives the node's structured logs; nil discards them.
	Logger *slog.Logger `json:"-"`
	// lie is deliberate misbehaviour injected by the fault tests; nil (an
	// honest node) otherwise.
	lie liar

	bls thresholdBLS // nil: package thresholdsig
	// snapChunk overrides subnet.SnapshotChunkSize in tests (every node
	// of a test subnet alike).
	snapChunk int
	// membership makes the node execute registry changes (every node of
	// a test subnet alike).
	membership bool
}

// File names inside a node's home directory.
const (
	configFile         = "chainkey.json"
	cometDir           = "cometbft"
	stateDir           = "state"
	secretsDir         = "secrets"
	certShareFile      = "certification.share"
	beaconShareFile    = "beacon.share"
	nodeSigningKeyFile = "node_signing.key"
	encryptionKeyFile  = "encryption.key"
)

func (c *Config) cometRoot() string          { return filepath.Join(c.Home, cometDir) }
func (c *Config) stateDir() string           { return filepath.Join(c.Home, stateDir) }
func (c *Config) secretPath(n string) string { return filepath.Join(c.Home, secretsDir, n) }

// LoadConfig reads the configuration of the node whose home is home.
func LoadConfig(home string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(home, configFile))
	if err != nil {
		return nil, fmt.Errorf("replica: load config: %w", err)
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("replica: load config %s: %w", home, err)
	}
	c.Home = home
	return &c, nil
}

// Save writes the configuration to HOME/chainkey.json.
func (c *Config) Save() error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Home, 0o700); err != nil {
		return fmt.Errorf("replica: save config: %w", err)
	}
	return os.WriteFile(filepath.Join(c.Home, configFile), append(b, '\n'), 0o644)
}

// genesisState is the application part of the genesis file: the subnet's
// membership and public key material.
type genesisState struct {
	// KeyGen says how the threshold BLS keys are created: "dkg" (the
	// subnet's genesis DKG, the default) or "bootstrap-dealer" (dealt by
	// the configuration writer, used by tests only).
	KeyGen  string          `json:"key_gen"`
	Members []genesisMember `json:"members"`
	// CertCoefficients and BeaconCoefficients are the public coefficients
	// (hex) of the certification (n-f) and random beacon (f+1) sharings.
	CertCoefficients   string   `json:"cert_coefficients"`
	BeaconCoefficients string   `json:"beacon_coefficients"`
	KeyIDs             []string `json:"key_ids"`
	PresignatureTarget int      `json:"presignature_target"`
	ReshareInterval    uint64   `json:"reshare_interval"`
	// VetKDKeyIDs are the vetKD master keys ("bls12_381_g2:NAME") the
	// key generation makes with the BLS keys.
	VetKDKeyIDs []string `json:"vetkd_key_ids,omitempty"`
	// CUPInterval is the number of heights between catch-up packages
	// (0: subnet.DefaultCUPInterval).
	CUPInterval uint64 `json:"cup_interval,omitempty"`
	// CyclesFeeScale multiplies the IC's application subnet fee table
	// (for the subnet's number of nodes) that canisters pay cycles by:
	// 0, a local subnet's default, makes everything free; 1 charges as
	// the IC does.
	CyclesFeeScale uint64 `json:"cycles_fee_scale,omitempty"`
	// OperatorKey is the hex Ed25519 public key that signs the subnet's
	// registry changes (empty: the membership never changes).
	OperatorKey string `json:"operator_key,omitempty"`
}

type genesisMember struct {
	Index     int    `json:"index"`
	NodeID    string `json:"node_id"`
	Validator string `json:"validator"` // hex address
	PubKey    string `json:"pub_key"`   // hex ed25519 validator key
	P2P       string `json:"p2p"`
	GRPC      string `json:"grpc"`
	NodeKey   string `json:"node_key"` // hex dkg node public key (Ed25519)
	EncKey    string `json:"enc_key"`  // hex HPKE public key (ML-KEM-768+X25519)
}

// faultBound returns f, the number of faulty nodes n tolerates.
func faultBound(n int) int { return (n - 1) / 3 }

// WriteSubnetConfig writes the configuration of a subnet of nodes nodes
// under dir: dir/node0 ... dir/node<n-1>, each a home directory for New
// (and `chainkey node --home`). hosts names the machines: empty puts every
// node on 127.0.0.1 with free ports; one host per node ("host" or
// "host:p2pport") uses the default ports (offset by index when two nodes
// share a host).
//
// Key material: each node gets its own CometBFT node and validator keys,
// its Ed25519 node signing key and its HPKE (ML-KEM-768+X25519) key, all in
// 0600 files; only their public halves go into the shared genesis. No
// threshold key is dealt here: the subnet creates its BLS keys (genesis
// DKG) and its master keys (IDKG) itself once the nodes run, so no single
// machine ever holds them. Nodes on different machines copy only their own
// directory; the writer of the configuration should still be trusted not
// to keep the per-node key files.
func WriteSubnetConfig(dir string, nodes int, hosts []string) error {
	return writeSubnetConfig(dir, nodes, hosts, subnetOptions{})
}

type subnetOptions struct {
	dealer             bool // bootstrap-dealer BLS keys instead of the genesis DKG
	timeoutCommitMS    int
	presignatureTarget int
	reshareInterval    uint64
	bls                thresholdBLS
	// vetkdKeys are the vetKD master keys (nil: GenesisVetKDKeyIDs;
	// empty: none).
	vetkdKeys   []string
	cupInterval uint64
	// cyclesFeeScale is the genesis fee scale (0: free).
	cyclesFeeScale uint64
}

// endpoint is where a node listens and is reached.
type endpoint struct{ p2p, grpc, metrics string }

// writeSubnetConfig writes the homes of an n-node subnet under dir, step
// by step: the nodes' endpoints, the genesis state (with bootstrap BLS
// keys for a dealer test subnet), each node's keys and secret files, then
// the genesis document and every node's configuration.
func writeSubnetConfig(dir string, n int, hosts []string, opt subnetOptions) error {
	if n < 1 || n > 100 {
		return fmt.Errorf("replica: subnet of %d nodes (want 1..100)", n)
	}
	if len(hosts) != 0 && len(hosts) != n {
		return fmt.Errorf("replica: %d hosts for %d nodes", len(hosts), n)
	}
	opt.defaults()
	eps, err := subnetEndpoints(n, hosts)
	if err != nil {
		return err
	}
	var chainBytes [8]byte
	if _, err := rand.Read(chainBytes[:]); err != nil {
		return err
	}
	chainID := "chainkey-" + hex.EncodeToString(chainBytes[:])
	gs := genesisState{
		KeyGen:             keyGenDKG,
		KeyIDs:             GenesisKeyIDs,
		PresignatureTarget: opt.presignatureTarget,
		ReshareInterval:    opt.reshareInterval,
		VetKDKeyIDs:        opt.vetkdKeys,
		CUPInterval:        opt.cupInterval,
		CyclesFeeScale:     opt.cyclesFeeScale,
	}
	if opt.vetkdKeys == nil && !opt.dealer {
		gs.VetKDKeyIDs = GenesisVetKDKeyIDs
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("replica: create %s: %w", dir, err)
	}
	opPub, err := writeOperatorKey(OperatorKeyPath(dir))
	if err != nil {
		return err
	}
	gs.OperatorKey = hex.EncodeToString(opPub)
	var certShares, beaconShares [][]byte
	if opt.dealer {
		if certShares, beaconShares, err = bootstrapBLSKeys(&gs, n, opt.bls); err != nil {
			return err
		}
	}
	defer func() {
		for i := range certShares {
			clear(certShares[i])
			clear(beaconShares[i])
		}
	}()
	cfgs := make([]*Config, n)
	nodeIDs := make([]string, n)
	vals := make([]cmttypes.GenesisValidator, n)
	for i := range cfgs {
		c := &Config{Home: filepath.Join(dir, fmt.Sprintf("node%d", i)), Index: i, ChainID: chainID, P2PListen: eps[i].p2p,
			GRPCListen: eps[i].grpc, MetricsListen: eps[i].metrics, TimeoutCommitMS: opt.timeoutCommitMS,
			PresignatureTarget: opt.presignatureTarget, ReshareInterval: opt.reshareInterval}
		if len(hosts) != 0 {
			// On real hosts listen on all interfaces at the advertised ports.
			c.P2PListen = listenAll(eps[i].p2p)
			c.GRPCListen = listenAll(eps[i].grpc)
			c.MetricsListen = listenAll(eps[i].metrics)
		}
		cfgs[i] = c
		m, val, err := writeNodeKeys(c, eps[i])
		if err != nil {
			return err
		}
		nodeIDs[i], vals[i] = m.NodeID, val
		gs.Members = append(gs.Members, m)
		if opt.dealer {
			if err := writeSecretFile(c.secretPath(certShareFile), certShares[i]); err != nil {
				return err
			}
			if err := writeSecretFile(c.secretPath(beaconShareFile), beaconShares[i]); err != nil {
				return err
			}
		}
	}
	return writeGenesis(cfgs, eps, nodeIDs, vals, &gs)
}

func (opt *subnetOptions) defaults() {
	if opt.timeoutCommitMS == 0 {
		opt.timeoutCommitMS = DefaultTimeoutCommitMS
	}
	if opt.presignatureTarget == 0 {
		opt.presignatureTarget = DefaultPresignatureTarget
	}
	if opt.reshareInterval == 0 {
		opt.reshareInterval = DefaultReshareInterval
	}
	if opt.bls == nil {
		opt.bls = defaultBLS()
	}
}

// subnetEndpoints returns the nodes' endpoints: free loopback ports
// without hosts, else the default ports on each host (a host:port sets
// the p2p port), shifted by 10 for each further node on the same host.
func subnetEndpoints(n int, hosts []string) ([]endpoint, error) {
	eps := make([]endpoint, n)
	if len(hosts) == 0 {
		ports, err := freePorts(3 * n)
		if err != nil {
			return nil, err
		}
		for i := range eps {
			p := ports[3*i : 3*i+3]
			eps[i] = endpoint{
				p2p:     net.JoinHostPort("127.0.0.1", strconv.Itoa(p[0])),
				grpc:    net.JoinHostPort("127.0.0.1", strconv.Itoa(p[1])),
				metrics: net.JoinHostPort("127.0.0.1", strconv.Itoa(p[2])),
			}
		}
		return eps, nil
	}
	perHost := map[string]int{}
	for i := range eps {
		h, p2pPort := hosts[i], DefaultP2PPort
		if hh, pp, err := net.SplitHostPort(hosts[i]); err == nil {
			port, err := strconv.Atoi(pp)
			if err != nil || port <= 0 || port > 65535 {
				return nil, fmt.Errorf("replica: host %q: bad port", hosts[i])
			}
			h, p2pPort = hh, port
		}
		off := perHost[h] * 10
		perHost[h]++
		eps[i] = endpoint{
			p2p:     net.JoinHostPort(h, strconv.Itoa(p2pPort+off)),
			grpc:    net.JoinHostPort(h, strconv.Itoa(DefaultGRPCPort+off)),
			metrics: net.JoinHostPort(h, strconv.Itoa(DefaultMetricsPort+off)),
		}
	}
	return eps, nil
}

// bootstrapBLSKeys makes the BLS keys of a test subnet with one dealer
// (who sees them; never the default), records their public coefficients
// in gs and returns the nodes' shares.
func bootstrapBLSKeys(gs *genesisState, n int, bls thresholdBLS) (certShares, beaconShares [][]byte, err error) {
	f := faultBound(n)
	certPub, cs, err := bls.Deal(n, n-f)
	if err != nil {
		return nil, nil, fmt.Errorf("replica: bootstrap certification key: %w", err)
	}
	beaconPub, bs, err := bls.Deal(n, f+1)
	if err != nil {
		return nil, nil, fmt.Errorf("replica: bootstrap beacon key: %w", err)
	}
	gs.KeyGen = keyGenDealer
	gs.CertCoefficients, gs.BeaconCoefficients = hex.EncodeToString(certPub), hex.EncodeToString(beaconPub)
	return cs, bs, nil
}

// writeNodeKeys creates a node's directories, its CometBFT node and
// validator keys, and its node signing and encryption keys (secret files),
// and returns the node as a genesis member and validator.
func writeNodeKeys(c *Config, ep endpoint) (genesisMember, cmttypes.GenesisValidator, error) {
	var m genesisMember
	var val cmttypes.GenesisValidator
	for _, d := range []string{filepath.Join(c.cometRoot(), "config"), filepath.Join(c.cometRoot(), "data"), filepath.Join(c.Home, secretsDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return m, val, fmt.Errorf("replica: create %s: %w", d, err)
		}
	}
	nk := &p2p.NodeKey{PrivKey: cmted25519.GenPrivKey()}
	if err := nk.SaveAs(filepath.Join(c.cometRoot(), "config", "node_key.json")); err != nil {
		return m, val, fmt.Errorf("replica: save node key: %w", err)
	}
	pv, err := privval.GenFilePV(filepath.Join(c.cometRoot(), "config", "priv_validator_key.json"),
		filepath.Join(c.cometRoot(), "data", "priv_validator_state.json"),
		func() (cmtcrypto.PrivKey, error) { return cmted25519.GenPrivKey(), nil })
	if err != nil {
		return m, val, fmt.Errorf("replica: validator key: %w", err)
	}
	pv.Save()
	pk := pv.Key.PubKey
	val = cmttypes.GenesisValidator{Address: pk.Address(), PubKey: pk, Power: 10, Name: fmt.Sprintf("node%d", c.Index)}
	sk, err := dkg.GenerateNodeSigningKey(rand.Reader)
	if err != nil {
		return m, val, fmt.Errorf("replica: node signing key: %w", err)
	}
	defer sk.Zeroize()
	ek, err := dkg.GenerateEncryptionKey(rand.Reader)
	if err != nil {
		return m, val, fmt.Errorf("replica: encryption key: %w", err)
	}
	defer ek.Zeroize()
	m = genesisMember{Index: c.Index, NodeID: string(nk.ID()), Validator: hex.EncodeToString(pk.Address()),
		PubKey: hex.EncodeToString(pk.Bytes()), P2P: ep.p2p, GRPC: ep.grpc,
		NodeKey: hex.EncodeToString(sk.PublicKey().Bytes()), EncKey: hex.EncodeToString(ek.PublicKey().Bytes())}
	for _, k := range []struct {
		file string
		key  interface{ MarshalBinary() ([]byte, error) }
	}{{nodeSigningKeyFile, sk}, {encryptionKeyFile, ek}} {
		b, err := k.key.MarshalBinary()
		if err != nil {
			return m, val, err
		}
		err = writeSecretFile(c.secretPath(k.file), b)
		clear(b)
		if err != nil {
			return m, val, err
		}
	}
	return m, val, nil
}

// writeGenesis writes the genesis document with the app state gs into
// every node's home, and each node's configuration with its peers.
func writeGenesis(cfgs []*Config, eps []endpoint, nodeIDs []string, vals []cmttypes.GenesisValidator, gs *genesisState) error {
	appState, err := json.Marshal(gs)
	if err != nil {
		return err
	}
	params := cmttypes.DefaultConsensusParams()
	params.Feature.VoteExtensionsEnableHeight = 1
	gen := &cmttypes.GenesisDoc{ChainID: cfgs[0].ChainID, GenesisTime: time.Now().UTC().Round(0), ConsensusParams: params,
		Validators: vals, AppState: appState, InitialHeight: 1}
	if err := gen.ValidateAndComplete(); err != nil {
		return fmt.Errorf("replica: genesis: %w", err)
	}
	for i, c := range cfgs {
		for j := range cfgs {
			if j != i {
				c.Peers = append(c.Peers, nodeIDs[j]+"@"+eps[j].p2p)
			}
		}
		if err := gen.SaveAs(filepath.Join(c.cometRoot(), "config", "genesis.json")); err != nil {
			return fmt.Errorf("replica: save genesis: %w", err)
		}
		if err := c.Save(); err != nil {
			return err
		}
	}
	return nil
}

func listenAll(hostport string) string {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return net.JoinHostPort("0.0.0.0", p)
}

// freePorts returns k distinct TCP ports unused on 127.0.0.1, below the
// kernel's range of ephemeral ports when it can: a port from that range
// can be taken, between the check and the node's listen, by any outgoing
// connection on the machine (the nodes' own connections to each other
// included), which made a starting subnet fail now and then with
// "address already in use". The search starts at a random port, so that
// subnets created at the same time rarely look at the same ports.
func freePorts(k int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	hi := ephemeralPortsStart()
	lo := max(hi-12000, 1024)
	if hi-lo >= 4*k {
		start := lo + mrand.IntN(hi-lo)
		for i := 0; i < hi-lo && len(ports) < k; i++ {
			p := lo + (start-lo+i)%(hi-lo)
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				continue
			}
			ls = append(ls, l)
			ports = append(ports, p)
		}
	}
	for len(ports) < k {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("replica: find free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// ephemeralPortsStart returns the first port the kernel hands out for
// outgoing connections (Linux's ip_local_port_range; 32768 elsewhere).
func ephemeralPortsStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 32768
	}
	p, err := strconv.Atoi(f[0])
	if err != nil || p < 2048 || p > 65535 {
		return 32768
	}
	return p
}

// checkCometKeyFiles refuses node and validator key files that others can read.
func checkCometKeyFiles(c *Config) error {
	for _, p := range []string{
		filepath.Join(c.cometRoot(), "config", "node_key.json"),
		filepath.Join(c.cometRoot(), "config", "priv_validator_key.json"),
	} {
		if err := checkSecretMode(p); err != nil {
			return err
		}
	}
	return nil
}

// StateSyncConfig is how a node with an empty state store finds and trusts
// a catch-up package.
type StateSyncConfig struct {
	// RPCServers are at least two CometBFT RPC addresses (host:port) of
	// other nodes for the light client.
	RPCServers []string `json:"rpc_servers"`
	// TrustHeight and TrustHash are a block height and its hash (hex)
	// taken from a node the operator trusts; TrustPeriodSeconds is how
	// long a header stays trusted (0: one week).
	TrustHeight        int64  `json:"trust_height"`
	TrustHash          string `json:"trust_hash"`
	TrustPeriodSeconds int64  `json:"trust_period_seconds,omitempty"`
	// RootKey is the subnet's root public key (hex DER) the CUP must be
	// certified under; empty: the key of the CUP's own state, trusted
	// through the light client's app hash.
	RootKey string `json:"root_key,omitempty"`
}
