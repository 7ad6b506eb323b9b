package replica

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/subnet"
)

// simSubnet drives n replicas' state machines block by block in one
// goroutine, without CometBFT, sockets or timers: it plays consensus the
// way CometBFT does when every live node votes for the proposer's block in
// round 0 (PrepareProposal on the proposer, ProcessProposal, ExtendVote and
// VerifyVoteExtension on every live node, FinalizeBlock and Commit), keeps
// a shared mempool fed by each node's dealer, and replays the missed blocks
// to a node that restarts, as CometBFT's handshake does. Block times
// advance by a fixed step. Every live node must accept every proposal and
// extension and reach the same app hash at every height.
type simSubnet struct {
	t        testing.TB
	dir      string
	chainID  string
	maxBytes int64
	start    time.Time
	nodes    []*simNode
	blocks   []simBlock // blocks[h-1] is height h
	votes    []abci.ExtendedVoteInfo
	pool     [][]byte
	inPool   map[string]bool
	tweak    func(*Config)
	// kv is each node's state store; it outlives the node's crashes.
	kv []memKV
	// extra are appended to the next proposal, as another proposer's
	// block would carry them.
	extra [][]byte
	// power is CometBFT's validator set by address (nil: every node is
	// a validator); valQueue holds validator updates until the height
	// they take effect (two after the block that returned them).
	power    map[string]int64
	valQueue []simValUpdate
}

// simValUpdate is a block's validator updates and the height they apply
// from.
type simValUpdate struct {
	from int64
	ups  []abci.ValidatorUpdate
}

type simNode struct {
	i      int // position in simSubnet.nodes
	cfg    *Config
	st     *store
	app    *app
	dealer *dealer
	pv     cmtcrypto.PrivKey
	up     bool
}

// simBlock is what a restarting node needs to replay a height.
type simBlock struct {
	txs     [][]byte
	time    time.Time
	decided []abci.VoteInfo
	hash    []byte // app hash
}

// simStep is the block-time step of the simulation.
const simStep = 100 * time.Millisecond

func newSimSubnet(t testing.TB, n int, opt subnetOptions, tweak func(*Config)) *simSubnet {
	t.Helper()
	s := &simSubnet{t: t, dir: t.TempDir(), inPool: map[string]bool{}, tweak: tweak, start: time.Now().UTC().Truncate(time.Millisecond)}
	if opt.presignatureTarget == 0 {
		opt.presignatureTarget = 2
	}
	opt.timeoutCommitMS = 50
	if err := writeSubnetConfig(s.dir, n, nil, opt); err != nil {
		t.Fatal(err)
	}
	s.nodes = make([]*simNode, n)
	for range n {
		s.kv = append(s.kv, newMemKV())
	}
	for i := range s.nodes {
		s.open(i)
	}
	gen, err := cmttypes.GenesisDocFromFile(s.nodes[0].cfg.genesisFile())
	if err != nil {
		t.Fatal(err)
	}
	s.chainID, s.maxBytes = gen.ChainID, gen.ConsensusParams.Block.MaxBytes
	for _, nd := range s.nodes {
		s.initChain(nd)
	}
	t.Cleanup(func() {
		for _, nd := range s.nodes {
			if nd.up {
				s.close(nd)
			}
		}
	})
	return s
}

// open starts node i from its home: configuration, store and state machine.
func (s *simSubnet) open(i int) {
	s.t.Helper()
	cfg, err := LoadConfig(filepath.Join(s.dir, fmt.Sprintf("node%d", i)))
	if err != nil {
		s.t.Fatal(err)
	}
	cfg.MetricsListen = ""
	cfg.Logger = testLogger(s.t)
	if s.tweak != nil {
		s.tweak(cfg)
	}
	st := newStore(s.kv[i])
	a, err := newApp(cfg, st, discardLogger(cfg), newMetrics())
	if err != nil {
		s.t.Fatal(err)
	}
	pv := privval.LoadFilePV(filepath.Join(cfg.cometRoot(), "config", "priv_validator_key.json"),
		filepath.Join(cfg.cometRoot(), "data", "priv_validator_state.json"))
	s.nodes[i] = &simNode{i: i, cfg: cfg, st: st, app: a, dealer: newDealer(a), pv: pv.Key.PrivKey, up: true}
}

func discardLogger(cfg *Config) *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger.With("node", cfg.Index)
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (s *simSubnet) initChain(nd *simNode) {
	s.t.Helper()
	info, err := nd.app.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		s.t.Fatal(err)
	}
	if info.LastBlockHeight > 0 {
		return
	}
	if _, err := nd.app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: s.chainID,
		Validators: make([]abci.ValidatorUpdate, len(nd.app.members))}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *simSubnet) close(nd *simNode) {
	if err := nd.app.close(); err != nil {
		s.t.Errorf("close node %d: %v", nd.cfg.Index, err)
	}
	if err := nd.st.close(); err != nil {
		s.t.Errorf("close node %d store: %v", nd.cfg.Index, err)
	}
	nd.up = false
}

// crash stops node i as if killed: it neither votes nor proposes, and
// whatever it had not committed is lost.
func (s *simSubnet) crash(i int) {
	s.t.Helper()
	s.nodes[i].st.discard()
	s.close(s.nodes[i])
}

// restart reopens node i from its store and replays the blocks it missed.
func (s *simSubnet) restart(i int) {
	s.t.Helper()
	s.open(i)
	nd := s.nodes[i]
	s.initChain(nd)
	info, err := nd.app.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		s.t.Fatal(err)
	}
	for h := info.LastBlockHeight + 1; h <= int64(len(s.blocks)); h++ {
		b := s.blocks[h-1]
		res, err := nd.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: h, Time: b.time, Txs: b.txs,
			DecidedLastCommit: abci.CommitInfo{Votes: b.decided}})
		if err != nil {
			s.t.Fatalf("node %d replays height %d: %v", i, h, err)
		}
		if !bytes.Equal(res.AppHash, b.hash) {
			s.t.Fatalf("node %d replays height %d to another app hash", i, h)
		}
		if _, err := nd.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
			s.t.Fatalf("node %d commits replayed height %d: %v", i, h, err)
		}
	}
}

func (s *simSubnet) live() []*simNode {
	var out []*simNode
	for _, nd := range s.nodes {
		if nd.up {
			out = append(out, nd)
		}
	}
	return out
}

// height returns the last committed height.
func (s *simSubnet) height() int64 { return int64(len(s.blocks)) }

// state returns node i's committed state.
func (s *simSubnet) state(i int) *subnet.State {
	cs, _ := s.nodes[i].app.committed()
	return cs
}

// submit puts a transaction into the mempool if node i's CheckTx admits
// it, and reports whether it did.
func (s *simSubnet) submit(i int, raw []byte) bool {
	if s.inPool[string(raw)] {
		return true
	}
	res, err := s.nodes[i].app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw})
	if err != nil || res.Code != codeOK {
		return false
	}
	s.pool = append(s.pool, raw)
	s.inPool[string(raw)] = true
	return true
}

// accepts reports whether every live node accepts a proposal of txs for
// the next height (nothing is executed).
func (s *simSubnet) accepts(txs [][]byte) bool {
	h := s.height() + 1
	for _, nd := range s.live() {
		res, err := nd.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: h,
			Time: s.start.Add(time.Duration(h) * simStep), Txs: txs})
		if err != nil || res.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
			return false
		}
	}
	return true
}

// step runs one height.
func (s *simSubnet) step() {
	s.t.Helper()
	ctx := context.Background()
	h := s.height() + 1
	now := s.start.Add(time.Duration(h) * simStep)
	s.applyValUpdates(h)
	live := s.live()
	voters, total := s.voters(live)
	if 3*len(voters) <= 2*total {
		s.t.Fatalf("height %d: %d of %d validators live, no quorum", h, len(voters), total)
	}
	var proposer *simNode
	for k := range s.nodes {
		if nd := s.nodes[(int(h)-1+k)%len(s.nodes)]; nd.up && s.isValidator(nd) {
			proposer = nd
			break
		}
	}
	addr := func(nd *simNode) []byte { return nd.pv.PubKey().Address() }
	prep, err := proposer.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{Height: h, Time: now, Txs: s.pool,
		MaxTxBytes: s.maxBytes, LocalLastCommit: abci.ExtendedCommitInfo{Votes: s.votes}, ProposerAddress: addr(proposer)})
	if err != nil {
		s.t.Fatalf("height %d: prepare: %v", h, err)
	}
	txs := append(prep.Txs, s.extra...)
	s.extra = nil
	decided := make([]abci.VoteInfo, len(s.votes))
	for i, v := range s.votes {
		decided[i] = abci.VoteInfo{Validator: v.Validator, BlockIdFlag: v.BlockIdFlag}
	}
	for _, nd := range live {
		res, err := nd.app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Height: h, Time: now, Txs: txs,
			ProposedLastCommit: abci.CommitInfo{Votes: decided}, ProposerAddress: addr(proposer)})
		if err != nil || res.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
			s.t.Fatalf("height %d: node %d rejects node %d's proposal: %v", h, nd.cfg.Index, proposer.cfg.Index, err)
		}
	}
	var votes []abci.ExtendedVoteInfo
	for _, nd := range voters {
		res, err := nd.app.ExtendVote(ctx, &abci.ExtendVoteRequest{Height: h, Time: now, Txs: txs})
		if err != nil {
			s.t.Fatalf("height %d: node %d extends its vote: %v", h, nd.cfg.Index, err)
		}
		sig, err := nd.pv.Sign(cmttypes.VoteExtensionSignBytes(s.chainID, &cmtproto.Vote{Extension: res.VoteExtension, Height: h}))
		if err != nil {
			s.t.Fatal(err)
		}
		for _, other := range voters {
			v, err := other.app.VerifyVoteExtension(ctx, &abci.VerifyVoteExtensionRequest{Height: h,
				ValidatorAddress: addr(nd), VoteExtension: res.VoteExtension})
			if err != nil || v.Status != abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT {
				s.t.Fatalf("height %d: node %d rejects node %d's vote extension: %v", h, other.cfg.Index, nd.cfg.Index, err)
			}
		}
		votes = append(votes, abci.ExtendedVoteInfo{Validator: abci.Validator{Address: addr(nd), Power: 1},
			VoteExtension: res.VoteExtension, ExtensionSignature: sig, BlockIdFlag: cmtproto.BlockIDFlagCommit})
	}
	var hash []byte
	for _, nd := range live {
		res, err := nd.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: h, Time: now, Txs: txs,
			DecidedLastCommit: abci.CommitInfo{Votes: decided}, ProposerAddress: addr(proposer)})
		if err != nil {
			s.t.Fatalf("height %d: node %d finalizes: %v", h, nd.cfg.Index, err)
		}
		if nd == live[0] && len(res.ValidatorUpdates) != 0 {
			s.valQueue = append(s.valQueue, simValUpdate{from: h + 2, ups: res.ValidatorUpdates})
		}
		if hash == nil {
			hash = res.AppHash
		} else if !bytes.Equal(hash, res.AppHash) {
			s.t.Fatalf("height %d: node %d reaches another app hash", h, nd.cfg.Index)
		}
	}
	s.blocks = append(s.blocks, simBlock{txs: txs, time: now, decided: decided, hash: hash})
	for _, nd := range live {
		if _, err := nd.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
			// A node told to fail here (faults.CrashAfterBlock) dies with
			// the height unwritten, as a killed process would.
			s.t.Logf("height %d: node %d fails to commit: %v", h, nd.cfg.Index, err)
			s.crash(nd.i)
			continue
		}
	}
	s.votes = votes
	// The mempool loses what the block carried and what no longer
	// passes CheckTx (CometBFT's recheck), then takes the dealers' work.
	inBlock := map[string]bool{}
	for _, t := range txs {
		inBlock[string(t)] = true
	}
	pool := s.pool
	s.pool, s.inPool = nil, map[string]bool{}
	if live = s.live(); len(live) > 0 {
		for _, t := range pool {
			if !inBlock[string(t)] {
				s.submit(live[0].i, t)
			}
		}
	}
	for _, nd := range live {
		cs, _ := nd.app.committed()
		nd.dealer.work(cs, nil, func(raw []byte) bool { return s.submit(nd.i, raw) })
	}
}

// steps runs k heights.
func (s *simSubnet) steps(k int) {
	s.t.Helper()
	for ; k > 0; k-- {
		s.step()
	}
}

// run steps until done holds or max heights have passed.
func (s *simSubnet) run(max int, what string, done func() bool) {
	s.t.Helper()
	for k := 0; k < max; k++ {
		if done() {
			return
		}
		s.step()
	}
	if !done() {
		s.t.Fatalf("%s: not done after %d heights (height %d)", what, max, s.height())
	}
}

// keysReady reports whether every live node has all master keys, the BLS
// keys and a presignature of every key.
func (s *simSubnet) keysReady() bool {
	for _, nd := range s.live() {
		cs, _ := nd.app.committed()
		if !cs.BLSReady && nd.app.gen.KeyGen == keyGenDKG {
			return false
		}
		for _, k := range nd.app.gen.KeyIDs {
			if cs.KeyTr[k] == nil || len(cs.Presigs[k]) == 0 {
				return false
			}
		}
	}
	return true
}

// sign submits a signing request for keyID to node i and runs the subnet
// until every live node has its record replied; it returns node i's
// record.
func (s *simSubnet) sign(i int, caller ingress.Signer, keyID string, hash []byte) (*ingress.Envelope, *subnet.RequestRecord) {
	s.t.Helper()
	env, err := ingress.NewSignEnvelope(caller, &ingress.SignContent{IngressExpiry: ingress.Expiry(time.Now(), 4*time.Minute),
		Nonce: binary.BigEndian.AppendUint64([]byte(keyID[:4]), uint64(s.height())), KeyID: keyID, MessageHash: hash})
	if err != nil {
		s.t.Fatal(err)
	}
	_, id, err := env.DecodeSignContent()
	if err != nil {
		s.t.Fatal(err)
	}
	if !s.submit(i, subnet.EncodeTx(&subnet.Tx{Sign: &subnet.SignTx{Envelope: env.Marshal()}})) {
		s.t.Fatalf("node %d refuses a signing request", i)
	}
	s.run(40, "signature for "+keyID, func() bool {
		for _, nd := range s.live() {
			if r := nd.app.lookupRecord(id[:]); r == nil || r.Status != subnet.StatusReplied {
				return false
			}
		}
		return true
	})
	return env, s.nodes[i].app.lookupRecord(id[:])
}

// isValidator reports whether nd is in CometBFT's validator set.
func (s *simSubnet) isValidator(nd *simNode) bool {
	return s.power == nil || s.power[string(nd.pv.PubKey().Address())] > 0
}

// voters returns the live validators and the size of the validator set.
func (s *simSubnet) voters(live []*simNode) ([]*simNode, int) {
	var out []*simNode
	for _, nd := range live {
		if s.isValidator(nd) {
			out = append(out, nd)
		}
	}
	total := len(s.nodes)
	if s.power != nil {
		total = 0
		for _, p := range s.power {
			if p > 0 {
				total++
			}
		}
	}
	return out, total
}

// applyValUpdates applies the validator updates due at height h.
func (s *simSubnet) applyValUpdates(h int64) {
	keep := s.valQueue[:0]
	for _, u := range s.valQueue {
		if u.from > h {
			keep = append(keep, u)
			continue
		}
		for _, v := range u.ups {
			addr := string(cmted25519.PubKey(v.PubKeyBytes).Address())
			if v.Power == 0 {
				delete(s.power, addr)
			} else {
				s.power[addr] = v.Power
			}
		}
	}
	s.valQueue = keep
}
