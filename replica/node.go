package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/mempool"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/ecdsa"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/replica/subnet"
)

// Node is one replica of a subnet: a CometBFT validator, the state machine
// and the node's key shares.
type Node struct {
	cfg     Config
	log     *slog.Logger
	st      *store
	app     *app
	comet   *cmtnode.Node
	metrics *metrics
	httpSrv *http.Server

	mu      sync.Mutex
	running bool
	stopped bool
	quit    chan struct{}
	done    chan struct{}
}

// New opens a node from its configuration: it checks the permissions of
// every secret file, loads the key shares, opens the state store and builds
// the CometBFT node. Nothing runs until Start.
func New(cfg Config) (*Node, error) {
	if cfg.Home == "" {
		return nil, errors.New("replica: config has no home directory")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	log = log.With("node", cfg.Index)
	if err := checkCometKeyFiles(&cfg); err != nil {
		return nil, err
	}
	st, err := openStore(cfg.stateDir())
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	a, err := newApp(&cfg, st, log, m)
	if err != nil {
		st.close()
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, st: st, app: a, metrics: m}
	if err := n.buildComet(); err != nil {
		st.close()
		return nil, err
	}
	return n, nil
}

func (c *Config) genesisFile() string { return filepath.Join(c.cometRoot(), "config", "genesis.json") }

func (n *Node) buildComet() error {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(n.cfg.cometRoot())
	c.Moniker = fmt.Sprintf("node%d", n.cfg.Index)
	c.DBBackend = "pebbledb"
	c.LogLevel = "error"
	c.P2P.ListenAddress = "tcp://" + n.cfg.P2PListen
	c.P2P.PersistentPeers = strings.Join(n.cfg.Peers, ",")
	c.P2P.AllowDuplicateIP = true
	c.P2P.AddrBookStrict = false
	c.P2P.PexReactor = false
	c.P2P.PersistentPeersMaxDialPeriod = time.Second
	c.P2P.HandshakeTimeout = 5 * time.Second
	c.P2P.DialTimeout = time.Second
	c.RPC.ListenAddress = ""
	if n.cfg.RPCListen != "" {
		c.RPC.ListenAddress = "tcp://" + n.cfg.RPCListen
	}
	c.GRPC.ListenAddress = ""
	c.TxIndex.Indexer = "null"
	c.Instrumentation.Prometheus = false
	tc := time.Duration(n.cfg.TimeoutCommitMS) * time.Millisecond
	c.Consensus.TimeoutPropose = time.Second
	c.Consensus.TimeoutProposeDelta = 200 * time.Millisecond
	c.Consensus.TimeoutPrevote = 200 * time.Millisecond
	c.Consensus.TimeoutPrevoteDelta = 100 * time.Millisecond
	c.Consensus.TimeoutPrecommit = 200 * time.Millisecond
	c.Consensus.TimeoutPrecommitDelta = 100 * time.Millisecond
	c.Consensus.TimeoutCommit = tc
	c.Consensus.CreateEmptyBlocks = true
	// Gossip fast: loopback and LAN subnets are small and close.
	c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	c.Consensus.PeerQueryMaj23SleepDuration = 250 * time.Millisecond
	c.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	// Blocks carry the dealings of every presignature in production (a
	// few MB per second under load): CometBFT's default cap of 5 MB/s per
	// connection and 1 KiB packets made the gossip of one block take a
	// good part of a height.
	c.P2P.SendRate = 64 << 20
	c.P2P.RecvRate = 64 << 20
	c.P2P.MaxPacketMsgPayloadSize = 16 << 10
	// Ingress messages up to the IC's limit of 2 MiB (a 1 MiB
	// upload_chunk with its envelope fits), not CometBFT's 1 MiB.
	c.Mempool.MaxTxBytes = maxIngressTxBytes
	cometStorage(c, &n.cfg, n.app)
	if err := c.ValidateBasic(); err != nil {
		return fmt.Errorf("replica: cometbft config: %w", err)
	}
	for _, d := range []string{filepath.Join(c.RootDir, "config"), filepath.Join(c.RootDir, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("replica: %w", err)
		}
	}
	keyFile, stateFile := c.PrivValidatorKeyFile(), c.PrivValidatorStateFile()
	if _, err := os.Stat(stateFile); err != nil {
		return fmt.Errorf("replica: validator state: %w", err)
	}
	pv := privval.LoadFilePV(keyFile, stateFile)
	nk, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("replica: node key: %w", err)
	}
	logger := cmtlog.NewNopLogger()
	switch os.Getenv("CHAINKEY_COMETBFT_LOG") {
	case "":
	case "error":
		logger = cmtlog.NewFilter(cmtlog.NewTMLogger(cmtlog.NewSyncWriter(os.Stderr)), cmtlog.AllowError()).With("node", n.cfg.Index)
	case "info":
		logger = cmtlog.NewFilter(cmtlog.NewTMLogger(cmtlog.NewSyncWriter(os.Stderr)), cmtlog.AllowInfo()).With("node", n.cfg.Index)
	default:
		logger = cmtlog.NewTMLogger(cmtlog.NewSyncWriter(os.Stderr)).With("node", n.cfg.Index)
	}
	cn, err := cmtnode.NewNode(context.Background(), c, pv, nk, proxy.NewConnSyncLocalClientCreator(n.app),
		cmtnode.DefaultGenesisDocProviderFunc(c), cometDBProvider,
		cmtnode.DefaultMetricsProvider(c.Instrumentation), logger)
	if err != nil {
		return fmt.Errorf("replica: cometbft node: %w", err)
	}
	n.comet = cn
	return nil
}

// Config returns the node's configuration.
func (n *Node) Config() Config { return n.cfg }

// Start starts consensus and the metrics endpoint.
func (n *Node) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running || n.stopped {
		return errors.New("replica: node already started")
	}
	if n.cfg.MetricsListen != "" {
		ln, err := net.Listen("tcp", n.cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("replica: metrics listener: %w", err)
		}
		n.httpSrv = &http.Server{Handler: n.metrics.handler(), ReadHeaderTimeout: 5 * time.Second}
		go n.httpSrv.Serve(ln)
	}
	if err := n.comet.Start(); err != nil {
		if n.httpSrv != nil {
			n.httpSrv.Close()
		}
		return fmt.Errorf("replica: start consensus: %w", err)
	}
	n.running = true
	n.quit, n.done = make(chan struct{}), make(chan struct{})
	go n.dealerLoop()
	subnet := "pending key generation"
	if len(n.RootKeyDER()) > 0 {
		subnet = n.SubnetID().String()
	}
	n.log.Info("node started", "subnet", subnet, "height", n.Height(), "p2p", n.cfg.P2PListen)
	return nil
}

// Stop stops consensus and closes the stores. Everything acknowledged is
// already durable: each height is committed with fsync before CometBFT
// moves on.
func (n *Node) Stop() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return nil
	}
	n.stopped = true
	var errs []error
	if n.running {
		close(n.quit)
		<-n.done
		if err := n.comet.Stop(); err != nil {
			errs = append(errs, err)
		}
		n.comet.Wait()
		n.running = false
	}
	if n.httpSrv != nil {
		n.httpSrv.Close()
	}
	if err := n.app.close(); err != nil {
		errs = append(errs, err)
	}
	if err := n.st.close(); err != nil {
		errs = append(errs, err)
	}
	n.log.Info("node stopped")
	return errors.Join(errs...)
}

// Height returns the last committed height.
func (n *Node) Height() uint64 {
	cs, _ := n.app.committed()
	return cs.Height
}

// CertifiedHeight returns the last height whose state root carries a
// threshold signature of the subnet.
func (n *Node) CertifiedHeight() uint64 {
	cs, _ := n.app.committed()
	return cs.LastCertified
}

// Beacon returns the latest random beacon round and its 32-byte value.
func (n *Node) Beacon() (uint64, []byte) {
	cs, _ := n.app.committed()
	return cs.BeaconRound, slices.Clone(cs.Beacon)
}

// RootKeyDER returns the subnet's root public key in the IC's DER form.
// It is nil until the subnet's key generation has finished.
func (n *Node) RootKeyDER() []byte {
	cs, _ := n.app.committed()
	return slices.Clone(n.app.keys(cs).rootKey)
}

// SubnetID returns the subnet's principal.
// It is the empty principal until the subnet's key generation has finished.
func (n *Node) SubnetID() principal.Principal {
	cs, _ := n.app.committed()
	return n.app.keys(cs).subnetID
}

// Ready reports whether the subnet certifies its state: the keys exist and
// the node has seen a certified height.
func (n *Node) Ready() bool { return n.CertifiedHeight() > 0 }

// WaitHeight waits until the node has committed height h.
func (n *Node) WaitHeight(ctx context.Context, h uint64) error {
	for {
		cs, ch := n.app.committed()
		if cs.Height >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica: wait for height %d (at %d): %w", h, cs.Height, ctx.Err())
		case <-ch:
		}
	}
}

// Sign submits a verified signing request and waits until the subnet has
// signed it and certified the reply, or ctx ends. The envelope was
// verified by api.VerifySignRequest; the node remembers that, so its
// mempool check does not verify it again, and every node verifies it at
// execution with the block time. The key is derived from the caller's
// principal and the request's derivation path.
func (n *Node) Sign(ctx context.Context, req *api.SignRequest) (*api.SignResult, error) {
	start := time.Now()
	c, id := req.Content(), req.ID()
	if err := n.keyUsable(c.KeyID); err != nil {
		return nil, err
	}
	n.app.verified.remember(req)
	raw := subnet.EncodeTx(&subnet.Tx{Sign: &subnet.SignTx{Envelope: req.Envelope().Marshal()}})
	r, cert, err := n.submitRequest(ctx, "sign", id, c.IngressExpiry, raw)
	if err != nil {
		return nil, err
	}
	n.metrics.signLatency.Observe(time.Since(start).Seconds())
	res := &api.SignResult{Signature: r.Signature, PublicKey: r.PublicKey, Certificate: cert, Height: r.Height}
	if subnet.IsECDSA(c.KeyID) {
		if res.RecoveryID, err = ecdsa.RecoveryID(r.PublicKey, c.MessageHash, r.Signature); err != nil {
			return nil, fmt.Errorf("replica: sign request %x: %w", id[:6], err)
		}
	}
	return res, nil
}

// submitRequest puts the request transaction raw (of request id and
// ingress expiry) into the mempool and waits until its record is replied
// in a certified height (returning the record and the certificate),
// rejected, expired, or ctx ends. what names the request in errors.
func (n *Node) submitRequest(ctx context.Context, what string, id [32]byte, expiry uint64, raw []byte) (*subnet.RequestRecord, []byte, error) {
	if n.app.lookupRecord(id[:]) != nil {
		return nil, nil, api.ErrDuplicateRequest
	}
	n.mu.Lock()
	running := n.running
	n.mu.Unlock()
	if !running {
		return nil, nil, api.ErrNotReady
	}
	rr, err := n.comet.Mempool().CheckTx(raw, "")
	if err != nil {
		if errors.Is(err, mempool.ErrTxInCache) {
			return nil, nil, api.ErrDuplicateRequest
		}
		return nil, nil, fmt.Errorf("replica: submit request: %w", err)
	}
	rr.Wait()
	if res := rr.Response.GetCheckTx(); res == nil || res.Code != codeOK {
		if res == nil {
			return nil, nil, errors.New("replica: submit request: no mempool response")
		}
		return nil, nil, codeError(res.Code, res.Log)
	}
	for {
		cs, ch := n.app.committed()
		if r := n.app.lookupRecord(id[:]); r != nil {
			switch r.Status {
			case subnet.StatusRejected:
				return nil, nil, codeError(codeUnknownKey, r.Reject)
			case subnet.StatusReplied:
				if cert, _, ok := n.app.certificateFor(id[:], r.Height); ok {
					return r, cert, nil
				}
			}
		} else if uint64(cs.TimeNS) > expiry {
			return nil, nil, fmt.Errorf("%w: not included before its expiry", api.ErrExpired)
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("replica: %s request %x: %w", what, id[:6], ctx.Err())
		case <-ch:
		}
	}
}

func codeError(code uint32, log string) error {
	switch code {
	case codeDuplicate:
		return api.ErrDuplicateRequest
	case codeExpired:
		return fmt.Errorf("%w: %s", api.ErrExpired, log)
	case codeUnknownKey:
		return fmt.Errorf("%w: %s", api.ErrUnknownKey, log)
	case codeNotReady:
		return fmt.Errorf("%w: %s", api.ErrNotReady, log)
	default:
		return fmt.Errorf("replica: request refused: %s", log)
	}
}

// keyUsable distinguishes unknown keys from keys still being created.
func (n *Node) keyUsable(keyID string) error {
	if _, ok := n.app.engines[keyID]; !ok {
		return fmt.Errorf("%w: %s", api.ErrUnknownKey, keyID)
	}
	cs, _ := n.app.committed()
	if cs.KeyTr[keyID] == nil {
		return fmt.Errorf("%w: key %s is being created", api.ErrNotReady, keyID)
	}
	return nil
}

// PublicKey returns the public key and chain code of the key keyID derived
// for caller and path (the caller's principal is the first path element,
// as on the Internet Computer).
func (n *Node) PublicKey(ctx context.Context, keyID string, caller principal.Principal, path [][]byte) (publicKey, chainCode []byte, err error) {
	if err := n.keyUsable(keyID); err != nil {
		return nil, nil, err
	}
	return n.app.engines[keyID].PublicKey(caller, path)
}

// Status reports the subnet's state as this node sees it.
func (n *Node) Status(ctx context.Context) (*api.Status, error) {
	cs, _ := n.app.committed()
	k := n.app.keys(cs)
	s := &api.Status{SubnetID: k.subnetID, Height: cs.Height, CertifiedHeight: cs.LastCertified,
		RootKeyDER: slices.Clone(k.rootKey), KeyIDs: slices.Clone(n.app.gen.KeyIDs),
		PresignatureStock: map[string]int{}, KeyGen: n.app.gen.KeyGen, Convicted: map[int]uint64{}}
	for k, v := range cs.Convicted {
		s.Convicted[int(k)] = v
	}
	for _, k := range s.KeyIDs {
		s.PresignatureStock[k] = len(cs.Presigs[k])
	}
	n.mu.Lock()
	running := n.running
	n.mu.Unlock()
	me := n.app.me()
	for _, m := range n.app.committee().members {
		up := m.index == me && running
		if m.index != me && running {
			up = n.comet.Switch().Peers().Has(p2p.ID(m.nodeID))
		}
		s.Members = append(s.Members, api.Member{Index: m.index, NodeID: m.nodeID, Address: m.p2p, GRPC: m.grpc, Up: up})
	}
	n.storageStatus(s, cs)
	s.RegistryVersion, s.MembershipPending = cs.RegistryVersion, subnet.ChangePending(cs)
	return s, nil
}

// dealer decides, after every commit, which key-lifecycle messages this
// node sends: BLS key generation messages, IDKG complaints, answers and
// receiver openings, and a dealing for every open IDKG transcript it has
// not dealt for yet. It remembers what it sent so that a dealing is sent
// again only if it has not reached a block after resubmitAfter heights.
// The node runtime puts its output in the mempool; the simulated subnet of
// the tests does the same without CometBFT.
type dealer struct {
	bdkg *blsDKG // nil for a bootstrap-dealer subnet
	idkg *idkgState
	me   uint32
	log  *slog.Logger
	// submitted: job -> height its dealing went to the mempool; failed:
	// job -> height of the last failed attempt (typically an input share
	// still being recovered through a complaint), retried a few heights on.
	submitted map[string]uint64
	failed    map[string]uint64
}

func newDealer(a *app) *dealer {
	return &dealer{bdkg: a.bdkg, idkg: a.idkg, me: uint32(a.cfg.Index), log: a.log,
		submitted: map[string]uint64{}, failed: map[string]uint64{}}
}

// work sends, through send, the messages for the committed state cs in
// the order they should go out: key generation messages, answers to
// complaints (they have a deadline), then each dealing as soon as it is
// made. send reports whether the message reached the mempool; a dealing
// that did not is made again at the next round. quit aborts between
// dealings. Afterwards the node's shares of finished transcripts are
// computed, and complaints they lead to are sent.
func (d *dealer) work(cs *subnet.State, quit <-chan struct{}, send func(raw []byte) bool) {
	if b := d.bdkg; b != nil {
		for _, raw := range append(b.work(cs), b.drainAnswers()...) {
			send(raw)
		}
	}
	for _, raw := range d.idkg.complaintWork(cs) {
		send(raw)
	}
	// Then the shares that requests waiting for a signature need.
	d.idkg.warmPending(cs, quit)
	open := map[string]bool{}
	if d.idkg.me() < 0 {
		return // not a member of the committee: deals nothing
	}
	me := uint32(d.idkg.me())
	// One KEM run per receiver for all of this round's dealings.
	var sealers, nextSealers []*dkg.ShareSealer
	for i := range cs.Jobs {
		j := &cs.Jobs[i]
		id := string(j.ID)
		open[id] = true
		if h, ok := d.submitted[id]; (ok && cs.Height < h+resubmitAfter) || slices.Contains(j.Dealers, me) || !j.MayDeal(me, cs.Height) {
			continue
		}
		if h, ok := d.failed[id]; ok && cs.Height < h+retryDealAfter {
			continue
		}
		select {
		case <-quit:
			return
		default:
		}
		seal, err := d.idkg.jobSealers(cs, j, &sealers, &nextSealers)
		if err != nil {
			d.log.Warn("cannot deal", "err", err)
			break
		}
		body, err := d.idkg.deal(j, seal)
		if err != nil {
			if _, again := d.failed[id]; again {
				d.log.Debug("cannot deal yet", "transcript", id, "err", err)
			} else {
				d.log.Warn("cannot deal yet; will retry", "transcript", id, "err", err)
			}
			d.failed[id] = cs.Height
			continue
		}
		delete(d.failed, id)
		if send(subnet.EncodeTx(&subnet.Tx{Protocol: &subnet.ProtocolTx{Kind: subnet.ProtoIDKGDealing, Sender: me, Body: body}})) {
			d.submitted[id] = cs.Height
		}
	}
	for id := range d.submitted {
		if !open[id] {
			delete(d.submitted, id)
		}
	}
	for id := range d.failed {
		if !open[id] {
			delete(d.failed, id)
		}
	}
	d.idkg.warm(cs, quit)
	for _, raw := range d.idkg.complaintWork(cs) {
		send(raw)
	}
}

// forgetSubmitted makes the dealer send its dealings again (no block for a
// while: they may have been dropped).
func (d *dealer) forgetSubmitted() { clear(d.submitted) }

// dealerLoop runs the dealer after every commit and puts its messages in
// the mempool like any transaction.
func (n *Node) dealerLoop() {
	defer close(n.done)
	n.app.waitSynced(n.quit)
	d := newDealer(n.app)
	for {
		cs, ch := n.app.snapshot()
		d.work(cs, n.quit, func(raw []byte) bool {
			if _, err := n.comet.Mempool().CheckTx(raw, ""); err != nil && !errors.Is(err, mempool.ErrTxInCache) {
				n.log.Warn("submit key-lifecycle message", "err", err)
				return false
			}
			return true
		})
		select {
		case <-n.quit:
			return
		case <-ch:
		case <-time.After(2 * time.Second):
			d.forgetSubmitted()
		}
	}
}

const (
	// retryDealAfter is how many heights a node waits before trying
	// again to deal for a job it could not deal for.
	retryDealAfter = 4
	// resubmitAfter is how many heights a submitted dealing may take to
	// reach a block before it is submitted again.
	resubmitAfter = 30
)
