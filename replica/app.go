package replica

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
)

// Result codes of transactions.
const (
	codeOK uint32 = iota
	codeInvalid
	codeDuplicate
	codeExpired
	codeUnknownKey
	codeNotReady
	// codeIgnored: a valid message that is no longer needed (a dealing for
	// a finished transcript). Accepted in blocks, left out of proposals.
	codeIgnored
)

// maxIngressExpiry is the furthest in the future a request may expire, as
// on the Internet Computer.
const maxIngressExpiry = 5 * time.Minute

// member is one node of the subnet as the state machine knows it.
type member struct {
	index  int
	nodeID string
	addr   []byte // validator address
	pub    cmted25519.PubKey
	p2p    string
	grpc   string
}

// app is the ABCI++ application: the deterministic state machine plus the
// node-local share production. CometBFT serialises its calls (one local
// client mutex); mu guards what the Node API reads concurrently.
type app struct {
	abci.BaseApplication

	cfg     *Config
	log     *slog.Logger
	bls     thresholdBLS
	st      *store
	chainID string
	gen     genesisState
	// members and byAddr are the genesis committee; the current one
	// is committee().
	members []member
	byAddr  map[string]int
	// verified remembers the envelopes verified before consensus.
	verified *verifiedMemo
	// treeCache keeps the requests' subtrees of the certified tree.
	treeCache subnet.TreeCache
	certPub   []byte
	beacPub   []byte
	rootKey   []byte // DER of the certification group key
	subnetID  principal.Principal
	metrics   *metrics
	engines   map[string]keyEngine
	idkg      *idkgState
	bdkg      *blsDKG   // genesis key generation of the BLS keys (nil for a bootstrap-dealer subnet)
	btc       *btcState // Bitcoin canister (nil without a Bitcoin configuration)
	// components are the state components beside the signing core (the
	// Bitcoin canister); sources are those that propose payloads from
	// node-local input (an adapter).
	components subnet.Components
	sources    []payloadSource

	// Secret key shares: never logged.
	certShare   []byte
	beaconShare []byte
	shareEpoch  uint64 // key epoch of the shares

	mu      sync.Mutex
	cs      *subnet.State                    // committed state
	records map[string]*subnet.RequestRecord // committed live request records
	trees   map[uint64]certification.HashTree
	certs   map[uint64][]byte // recent certification signatures
	notify  chan struct{}     // closed and replaced at every commit

	// Height in progress (between FinalizeBlock and Commit).
	next     *subnet.State
	nextRec  map[string]*subnet.RequestRecord // nil value: deleted
	nextTree certification.HashTree

	// vk is the node's vetKD material: its master key shares and
	// prepared derivations.
	vk *vetkdNode
	// cans are the subnet's Wasm canisters.
	cans *canState
	// cup holds the node's snapshots and a state sync in progress.
	cup cupNode
	// ckbtc is the subnet's ckBTC ledger and minter (nil: none).
	ckbtc *ckbtcState
	// btcCanister is the Bitcoin canister the canisters call (nil
	// without Bitcoin).
	btcCanister *bitcoinCanister
	// out performs the canisters' HTTPS outcalls (outcall.go).
	out outcallShell

	// genRecs are the genesis members as registry records; nodeID is
	// this node's consensus node id; com is the committee of the
	// committed state.
	genRecs []subnet.NodeRecord
	nodeID  string
	com     atomic.Pointer[committee]
	nextCom atomic.Pointer[committee]
	// joining: the node is no genesis member (Config.Index −1); it
	// follows the chain and becomes a member by a registry change.
	joining bool
}

func newApp(cfg *Config, st *store, log *slog.Logger, m *metrics) (*app, error) {
	a := &app{cfg: cfg, log: log, st: st, bls: cfg.bls, metrics: m, byAddr: map[string]int{},
		trees: map[uint64]certification.HashTree{}, certs: map[uint64][]byte{},
		notify: make(chan struct{}), records: map[string]*subnet.RequestRecord{},
		engines: map[string]keyEngine{}, verified: newVerifiedMemo(verifiedMemoSize), vk: newVetKDNode()}
	if a.bls == nil {
		a.bls = defaultBLS()
	}
	gen, err := cmttypes.GenesisDocFromFile(cfg.genesisFile())
	if err != nil {
		return nil, fmt.Errorf("replica: load genesis: %w", err)
	}
	a.chainID = gen.ChainID
	if err := a.loadGenesisState(gen.AppState); err != nil {
		return nil, err
	}
	if (cfg.Index < 0 && cfg.Index != JoiningIndex) || cfg.Index >= len(a.members) {
		return nil, fmt.Errorf("replica: node index %d outside subnet of %d", cfg.Index, len(a.members))
	}
	if a.genRecs, err = genesisRecords(&a.gen); err != nil {
		return nil, err
	}
	if err := a.initNodeID(); err != nil {
		return nil, err
	}
	if err := a.refreshCommittee(&subnet.State{}); err != nil {
		return nil, err
	}
	if a.gen.KeyGen == keyGenDealer {
		if a.certShare, err = readSecretFile(cfg.secretPath(certShareFile)); err != nil {
			return nil, err
		}
		if a.beaconShare, err = readSecretFile(cfg.secretPath(beaconShareFile)); err != nil {
			return nil, err
		}
	}
	if err := a.initIDKG(); err != nil {
		return nil, err
	}
	if err := a.initCUP(); err != nil {
		return nil, err
	}
	meta, err := st.loadMeta()
	if err != nil {
		return nil, err
	}
	if err := a.initBitcoin(meta.Height); err != nil {
		return nil, err
	}
	if err := a.initCanisters(); err != nil {
		return nil, err
	}
	a.cs = &subnet.State{Convicted: map[uint32]uint64{}}
	if meta.Height > 0 {
		v, ok, err := st.getCommitted([]byte(keyCore))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("replica: state at height %d has no core record", meta.Height)
		}
		if err := subnet.Unmarshal(v, a.cs); err != nil {
			return nil, fmt.Errorf("replica: decode state: %w", err)
		}
		if a.cs.Convicted == nil {
			a.cs.Convicted = map[uint32]uint64{}
		}
		if err := st.scanCommitted([]byte(subnet.PrefixStatus), func(k, v []byte) bool {
			var r subnet.RequestRecord
			if subnet.Unmarshal(v, &r) == nil {
				a.records[string(k[len(subnet.PrefixStatus):])] = &r
			}
			return true
		}); err != nil {
			return nil, err
		}
		// Certificates need the tree of a recent height: rebuild the
		// committed one so replies certified after a restart still work.
		k := a.keys(a.cs)
		t, err := subnet.CertifiedTree(a.cs.TimeNS, k.subnetID.Bytes(), k.rootKey, a.records, a.treeLeaves(a.cs)...)
		if err != nil {
			return nil, err
		}
		a.trees[a.cs.Height] = t

	} else {
		a.cs.Beacon = subnet.GenesisBeacon(a.chainID)
	}
	if err := a.refreshCommittee(a.cs); err != nil {
		return nil, err
	}
	// An empty store (a new node, or one that lost its data and will
	// state-sync) keeps its whole log: the restored state's pending
	// requests decide (reloadCommitted).
	if s := a.idkg; s != nil && meta.Height > 0 {
		keep := map[string]bool{}
		for _, p := range a.cs.Pending {
			if r := p.PresigRec; r != nil {
				keep[string(presigID(r.KeyID, r.ID))] = true
			}
		}
		if err := s.consumed.Compact(func(id []byte) bool { return keep[string(id)] }); err != nil {
			return nil, err
		}
	}
	if a.gen.KeyGen == keyGenDKG {
		if err := a.initBLSDKG(); err != nil {
			return nil, err
		}
		if a.cs.BLSReady {
			if err := a.loadDKGShares(a.cs); err != nil {
				return nil, err
			}
		}
	}
	return a, nil
}

// close releases what the application holds open beside the store: the
// Bitcoin adapter connection and the presignature consumption log.
func (a *app) close() error {
	a.out.stop()
	a.closeBitcoin()
	a.closeCanisters()
	if s := a.idkg; s != nil && s.consumed != nil {
		return s.consumed.Close()
	}
	return nil
}

func (a *app) loadGenesisState(raw []byte) error {
	dec := jsonStrict(raw)
	if err := dec.Decode(&a.gen); err != nil {
		return fmt.Errorf("replica: genesis app state: %w", err)
	}
	if len(a.gen.Members) == 0 {
		return errors.New("replica: genesis has no members")
	}
	if err := checkVetKDKeyIDs(a.gen.VetKDKeyIDs, a.gen.KeyGen); err != nil {
		return err
	}
	if _, err := parseOperatorKey(a.gen.OperatorKey); err != nil {
		return err
	}
	var err error
	switch a.gen.KeyGen {
	case keyGenDKG:
		return a.loadMembers()
	case keyGenDealer:
	default:
		return fmt.Errorf("replica: genesis key generation %q", a.gen.KeyGen)
	}
	if a.certPub, err = hex.DecodeString(a.gen.CertCoefficients); err != nil {
		return fmt.Errorf("replica: genesis certification key: %w", err)
	}
	if a.beacPub, err = hex.DecodeString(a.gen.BeaconCoefficients); err != nil {
		return fmt.Errorf("replica: genesis beacon key: %w", err)
	}
	n := len(a.gen.Members)
	f := faultBound(n)
	if t, err := a.bls.Threshold(a.certPub); err != nil || t != n-f {
		return fmt.Errorf("replica: genesis certification key: threshold %d (want %d): %v", t, n-f, err)
	}
	if t, err := a.bls.Threshold(a.beacPub); err != nil || t != f+1 {
		return fmt.Errorf("replica: genesis beacon key: threshold %d (want %d): %v", t, f+1, err)
	}
	if a.rootKey, err = a.bls.GroupKeyDER(a.certPub); err != nil {
		return err
	}
	// The subnet id is the self-authenticating principal of the subnet's
	// root key, as on the Internet Computer.
	a.subnetID = principal.SelfAuthenticating(a.rootKey)
	return a.loadMembers()
}

func (a *app) loadMembers() error {
	for i, m := range a.gen.Members {
		if m.Index != i {
			return fmt.Errorf("replica: genesis member %d has index %d", i, m.Index)
		}
		addr, err := hex.DecodeString(m.Validator)
		if err != nil {
			return fmt.Errorf("replica: genesis member %d: %w", i, err)
		}
		pk, err := hex.DecodeString(m.PubKey)
		if err != nil || len(pk) != cmted25519.PubKeySize {
			return fmt.Errorf("replica: genesis member %d: bad validator key", i)
		}
		a.members = append(a.members, member{index: i, nodeID: m.NodeID, addr: addr, pub: cmted25519.PubKey(pk), p2p: m.P2P, grpc: m.GRPC})
		a.byAddr[string(addr)] = i
	}
	return nil
}

// ---- ABCI: info and genesis ----

func (a *app) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &abci.InfoResponse{Data: "chainkey", Version: "1", AppVersion: 1,
		LastBlockHeight: int64(a.cs.Height), LastBlockAppHash: slices.Clone(a.cs.AppHash)}, nil
}

func (a *app) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if req.ChainId != a.chainID {
		return nil, fmt.Errorf("replica: init chain %q, configured %q", req.ChainId, a.chainID)
	}
	if len(req.Validators) != len(a.members) {
		return nil, fmt.Errorf("replica: %d validators in genesis, %d members", len(req.Validators), len(a.members))
	}
	a.cs.AppHash = subnet.GenesisBeacon(a.chainID)
	return &abci.InitChainResponse{AppHash: slices.Clone(a.cs.AppHash)}, nil
}

// ---- ABCI: mempool ----

func (a *app) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	if canisters.IsMessageTx(req.Tx) {
		return a.checkCanisterMsg(req.Tx), nil
	}
	t, err := subnet.DecodeTx(req.Tx)
	if err == nil && t.Protocol != nil {
		return a.checkProtocolTx(t.Protocol), nil
	}
	if err == nil && t.VetKD != nil {
		code, log := a.checkVetKDTx(t.VetKD)
		return &abci.CheckTxResponse{Code: code, Log: log}, nil
	}
	if err == nil && t.Registry != nil {
		return a.checkRegistryTx(t.Registry), nil
	}
	if err != nil || t.Sign == nil {
		return &abci.CheckTxResponse{Code: codeInvalid, Log: "only signing requests and dealings may be submitted"}, nil
	}
	c, id, err := a.verified.verify(t.Sign.Envelope, time.Now(), maxIngressExpiry)
	if err != nil {
		code := codeInvalid
		if errors.Is(err, ingress.ErrExpired) {
			code = codeExpired
		}
		return &abci.CheckTxResponse{Code: code, Log: err.Error()}, nil
	}
	a.mu.Lock()
	_, dup := a.records[string(id[:])]
	a.mu.Unlock()
	if dup {
		return &abci.CheckTxResponse{Code: codeDuplicate, Log: api.ErrDuplicateRequest.Error()}, nil
	}
	if _, ok := a.engines[c.KeyID]; !ok {
		return &abci.CheckTxResponse{Code: codeUnknownKey, Log: fmt.Sprintf("unknown key %s", c.KeyID)}, nil
	}
	return &abci.CheckTxResponse{Code: codeOK}, nil
}

// checkProtocolTx admits a dealing to the mempool if it is signed by its
// dealer and its transcript still needs it.
func (a *app) checkProtocolTx(t *subnet.ProtocolTx) *abci.CheckTxResponse {
	bad := &abci.CheckTxResponse{Code: codeInvalid}
	if !subnet.IsIDKGKind(t.Kind) {
		ex := a.newExec(a.snapshotState(), time.Now(), true)
		if code, _ := ex.applyDKG(t); code != codeOK {
			return bad
		}
		return &abci.CheckTxResponse{Code: codeOK}
	}
	if a.idkg == nil {
		return bad
	}
	// The same checks as in a block, against the committed state (the
	// dealing's verification is cached, so rechecks after each block are
	// cheap).
	cs, _ := a.committed()
	admit := t.Kind == subnet.ProtoIDKGDealing
	if !admit {
		cs = cs.Clone()
	}
	ex := a.newExec(cs, time.Now(), true)
	ex.admit = admit
	switch code, log := ex.applyProtocol(t); code {
	case codeOK:
		return &abci.CheckTxResponse{Code: codeOK}
	case codeIgnored:
		return &abci.CheckTxResponse{Code: codeDuplicate, Log: "the subnet does not need this message"}
	default:
		return &abci.CheckTxResponse{Code: code, Log: fmt.Sprint(log)}
	}
}

// ---- ABCI: vote extensions ----

// ExtendVote produces this node's shares: the certification share on the
// last committed state root, the beacon share for the round after the one
// the voted block carries, and signing shares for pending requests.
func (a *app) ExtendVote(_ context.Context, req *abci.ExtendVoteRequest) (*abci.ExtendVoteResponse, error) {
	a.mu.Lock()
	cs := a.cs.Clone()
	a.mu.Unlock()
	ext := &subnet.VoteExt{}
	if a.me() < 0 {
		// Not a member of the committee: no shares.
		return &abci.ExtendVoteResponse{VoteExtension: subnet.EncodeExt(ext)}, nil
	}
	certShare, beaconShare, shareEpoch := a.blsSharesEpoch()
	if shareEpoch != subnet.KeyEpoch(cs) {
		certShare, beaconShare = nil, nil // keys just reshared; shares follow at commit
	}
	ext.KeyEpoch = shareEpoch
	if cs.Height > 0 && certShare != nil {
		root, ok, err := a.st.getCommitted(subnet.HeightKey(subnet.PrefixRoot, cs.Height))
		if err == nil && ok {
			msg := a.liar().blsMessage(subnet.CertMessage(root))
			if share, err := a.bls.SignShare(certShare, msg); err == nil {
				ext.CertHeight, ext.CertShare = cs.Height, share
			} else {
				a.log.Error("certification share", "height", cs.Height, "err", err)
			}
		}
	}
	round, prev := cs.BeaconRound+1, cs.Beacon
	for _, raw := range req.Txs {
		if t, err := subnet.DecodeTx(raw); err == nil && t.Beacon != nil {
			round, prev = t.Beacon.Round+1, subnet.BeaconValue(t.Beacon.Sig)
		}
	}
	msg := a.liar().blsMessage(subnet.BeaconMessage(a.chainID, round, prev))
	if beaconShare == nil {
		// Keys not generated yet.
	} else if share, err := a.bls.SignShare(beaconShare, msg); err == nil {
		ext.BeaconRound, ext.BeaconShare = round, share
	} else {
		a.log.Error("beacon share", "round", round, "err", err)
	}
	ext.SignShares = a.signShares(cs)
	if shareEpoch == subnet.KeyEpoch(cs) {
		ext.VetKDShares = a.vetkdShares(cs, shareEpoch)
	}
	ext.OutcallShares = a.outcallShares(cs)
	b := subnet.EncodeExt(ext)
	// Never emit what our own VerifyVoteExtension would refuse
	// (cometbft#5204): check it the same way.
	if err := subnet.CheckExtShape(ext, len(b), uint64(req.Height)); err != nil {
		a.log.Error("own vote extension refused; sending an empty one", "err", err)
		b = subnet.EncodeExt(&subnet.VoteExt{})
	}
	return &abci.ExtendVoteResponse{VoteExtension: b}, nil
}

func (a *app) VerifyVoteExtension(_ context.Context, req *abci.VerifyVoteExtensionRequest) (*abci.VerifyVoteExtensionResponse, error) {
	reject := &abci.VerifyVoteExtensionResponse{Status: abci.VERIFY_VOTE_EXTENSION_STATUS_REJECT}
	if _, ok := a.committee().byAddr[string(req.ValidatorAddress)]; !ok {
		// A validator that is no member (it left the committee; CometBFT
		// drops it two heights after the switch) holds no shares.
		if len(req.VoteExtension) == 0 || bytes.Equal(req.VoteExtension, subnet.EncodeExt(&subnet.VoteExt{})) {
			return &abci.VerifyVoteExtensionResponse{Status: abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT}, nil
		}
		return reject, nil
	}
	if len(req.VoteExtension) == 0 {
		return &abci.VerifyVoteExtensionResponse{Status: abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT}, nil
	}
	e, err := subnet.DecodeExt(req.VoteExtension)
	if err != nil || subnet.CheckExtShape(e, len(req.VoteExtension), uint64(req.Height)) != nil {
		return reject, nil
	}
	return &abci.VerifyVoteExtensionResponse{Status: abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT}, nil
}

// ---- ABCI: proposals ----

// extVote is a decoded vote extension with what proves who sent it.
type extVote struct {
	index int
	raw   []byte
	sig   []byte
	ext   *subnet.VoteExt
}

// PrepareProposal builds the block: the combined certification and beacon
// signatures and signing replies from the last height's vote extensions
// (each share verified again here, cometbft#2523), evidence against nodes
// whose shares were bad, then the signing requests from the mempool.
func (a *app) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	a.mu.Lock()
	cs := a.cs.Clone()
	a.mu.Unlock()
	com := a.committee()
	var votes []extVote
	for _, v := range req.LocalLastCommit.Votes {
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit || len(v.VoteExtension) == 0 {
			continue
		}
		idx, ok := com.byAddr[string(v.Validator.Address)]
		if !ok {
			continue
		}
		// Extensions added during timeout_commit may not have passed
		// VerifyVoteExtension (cometbft#2523): check the signature and the
		// shape here.
		if !a.extSignatureOK(idx, req.Height-1, int64(req.LocalLastCommit.Round), v.VoteExtension, v.ExtensionSignature) {
			continue
		}
		e, err := subnet.DecodeExt(v.VoteExtension)
		if err != nil || subnet.CheckExtShape(e, len(v.VoteExtension), uint64(req.Height-1)) != nil {
			continue
		}
		votes = append(votes, extVote{index: idx, raw: v.VoteExtension, sig: v.ExtensionSignature, ext: e})
	}
	round := int64(req.LocalLastCommit.Round)
	var out [][]byte
	size := int64(0)
	add := func(t *subnet.Tx) {
		b := subnet.EncodeTx(t)
		if size+int64(len(b)) <= req.MaxTxBytes {
			out = append(out, b)
			size += int64(len(b))
		}
	}
	bad := map[int]bool{}
	ext := make([]subnet.ExtVote, len(votes))
	for i, v := range votes {
		ext[i] = subnet.ExtVote{Index: v.index, Ext: v.ext}
	}
	k := a.keys(cs)
	if t := subnet.CombineCert(cs, a.st.committed(), a.bls, k.certPub, ext, bad); t != nil {
		add(&subnet.Tx{Cert: t})
	}
	if t := subnet.CombineBeacon(cs, a.bls, a.chainID, k.beacPub, ext, bad); t != nil {
		add(&subnet.Tx{Beacon: t})
	}
	for _, r := range a.combineReplies(cs, votes, bad) {
		add(&subnet.Tx{Reply: r})
	}
	for _, r := range subnet.CombineVetKD(cs, a.derive, ext, bad) {
		add(&subnet.Tx{VetKDReply: r})
	}
	for _, t := range a.combineOutcalls(cs, votes) {
		add(&subnet.Tx{Outcall: t})
	}
	for _, v := range votes {
		if bad[v.index] && !a.alreadyConvicted(v.index, req.Height-1) {
			add(&subnet.Tx{Evidence: &subnet.EvidenceTx{Validator: com.members[v.index].addr, Height: req.Height - 1, Round: round,
				Extension: v.raw, ExtSig: v.sig}})
		}
	}
	for _, src := range a.sources {
		if b := src.propose(context.Background(), req.MaxTxBytes-size); b != nil {
			out = append(out, b)
			size += int64(len(b))
		}
	}
	if b := a.proposeCanisterBatch(req.Txs, req.Time, req.MaxTxBytes-size); b != nil {
		out = append(out, b)
		size += int64(len(b))
	}
	// Mempool requests, checked against the block's time so the block is
	// not rejected for a request that expired meanwhile.
	scratch := a.newExec(cs, req.Time, true)
	n := 0
	for _, raw := range req.Txs {
		if n >= subnet.MaxSignPerBlock {
			break
		}
		t, err := subnet.DecodeTx(raw)
		if err != nil || (t.Sign == nil && t.Protocol == nil && t.VetKD == nil && t.Registry == nil) {
			continue
		}
		if code, _ := scratch.apply(raw); code != codeOK && code != codeUnknownKey {
			continue
		}
		if size+int64(len(raw)) > req.MaxTxBytes {
			break
		}
		out = append(out, raw)
		size += int64(len(raw))
		if t.Sign != nil || t.VetKD != nil {
			n++
		}
	}
	return &abci.PrepareProposalResponse{Txs: out}, nil
}

func (a *app) alreadyConvicted(index int, height int64) bool {
	_, ok, _ := a.st.getCommitted(subnet.EvidenceKey(index, uint64(height)))
	return ok
}

// extSignatureOK checks CometBFT's signature on a vote extension.
func (a *app) extSignatureOK(index int, height, round int64, ext, sig []byte) bool {
	msg := cmttypes.VoteExtensionSignBytes(a.chainID, &cmtproto.Vote{Extension: ext, Height: height, Round: int32(round)})
	com := a.committee()
	if index < 0 || index >= com.n() {
		return false
	}
	return com.members[index].pub.VerifySignature(msg, sig)
}

// ProcessProposal accepts a block only if every transaction in it applies
// cleanly to the committed state: combined signatures verify against the
// group keys, evidence proves a fault, requests verify at the block time.
func (a *app) ProcessProposal(_ context.Context, req *abci.ProcessProposalRequest) (*abci.ProcessProposalResponse, error) {
	a.mu.Lock()
	cs := a.cs.Clone()
	a.mu.Unlock()
	ex := a.newExec(cs, req.Time, true)
	components := a.components.Block()
	for i, raw := range req.Txs {
		if _, ok := subnet.ComponentTxID(raw); ok {
			if err := components.Check(raw); err != nil {
				a.log.Warn("rejecting proposal", "height", req.Height, "tx", i, "reason", err)
				return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
			}
			continue
		}
		if code, log := ex.apply(raw); code != codeOK && code != codeNotReady && code != codeUnknownKey && code != codeIgnored {
			a.log.Warn("rejecting proposal", "height", req.Height, "tx", i, "code", code, "reason", log)
			return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
		}
	}
	return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
}

// ---- ABCI: execution ----

func (a *app) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	cs := a.cs.Clone()
	a.mu.Unlock()
	if uint64(req.Height) != cs.Height+1 {
		return nil, fmt.Errorf("replica: finalize height %d on state %d", req.Height, cs.Height)
	}
	a.st.discard()
	cs.Live = cs.Live[:0]
	for _, v := range req.DecidedLastCommit.Votes {
		if idx, ok := a.committee().byAddr[string(v.Validator.Address)]; ok && v.BlockIdFlag == cmtproto.BlockIDFlagCommit {
			cs.Live = append(cs.Live, uint32(idx))
		}
	}
	slices.Sort(cs.Live)
	cs.Live = slices.Compact(cs.Live)
	ex := a.newExec(cs, req.Time, false)
	results := make([]*abci.ExecTxResult, len(req.Txs))
	components := a.components.Block()
	for i, raw := range req.Txs {
		if _, ok := subnet.ComponentTxID(raw); ok {
			results[i] = &abci.ExecTxResult{Code: codeOK}
			if err := components.Apply(raw, ex); err != nil {
				results[i] = &abci.ExecTxResult{Code: codeInvalid, Log: err.Error()}
			}
			continue
		}
		code, log := ex.apply(raw)
		results[i] = &abci.ExecTxResult{Code: code, Log: log}
	}
	if err := ex.canisterRound(uint64(req.Height)); err != nil {
		return nil, err
	}
	if err := ex.endBlock(uint64(req.Height)); err != nil {
		return nil, err
	}
	a.next, a.nextRec, a.nextTree = ex.cs, ex.rec, ex.tree
	return &abci.FinalizeBlockResponse{TxResults: results, AppHash: slices.Clone(ex.cs.AppHash),
		ValidatorUpdates: validatorUpdates(ex.valUpdates)}, nil
}

// Commit makes the finalized height durable (one synced pebble batch) and
// only then publishes it to the node's readers.
func (a *app) Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	if a.next == nil {
		return &abci.CommitResponse{}, nil
	}
	next := a.next
	if a.liar().crashBeforeCommit(next.Height) {
		// Test fault: die between FinalizeBlock and Commit, with the
		// height's writes only in memory.
		a.st.discard()
		a.next = nil
		return nil, fmt.Errorf("replica: test fault: crash before committing height %d", next.Height)
	}
	enc, err := subnet.Marshal(next)
	if err != nil {
		return nil, err
	}
	a.st.set([]byte(keyCore), enc)
	if err := a.st.commit(storeMeta{Height: next.Height, AppHash: next.AppHash}); err != nil {
		return nil, err
	}
	if err := a.refreshCommittee(next); err != nil {
		return nil, err
	}
	if next.BLSReady && a.gen.KeyGen == keyGenDKG && (a.certShare == nil || a.shareEpoch != subnet.KeyEpoch(next)) {
		if err := a.loadDKGShares(next); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	a.cs = next
	for k, r := range a.nextRec {
		if r == nil {
			delete(a.records, k)
		} else {
			a.records[k] = r
		}
	}
	a.trees[next.Height] = a.nextTree
	for h := range a.trees {
		if h+16 < next.Height {
			delete(a.trees, h)
		}
	}
	if next.LastCertified != 0 {
		if sig, ok, _ := a.st.getCommitted(subnet.HeightKey(subnet.PrefixCertSig, next.LastCertified)); ok {
			a.certs[next.LastCertified] = sig
		}
	}
	for h := range a.certs {
		if h+16 < next.Height {
			delete(a.certs, h)
		}
	}
	close(a.notify)
	a.notify = make(chan struct{})
	a.next, a.nextRec, a.nextTree = nil, nil, nil
	a.mu.Unlock()
	a.metrics.observeCommit(next)
	for _, k := range a.gen.KeyIDs {
		a.metrics.presigStock.WithLabelValues(k).Set(float64(len(next.Presigs[k])))
	}
	a.completeCUP(next)
	retain := a.retainHeight(next)
	a.cup.retain.Set(float64(retain))
	return &abci.CommitResponse{RetainHeight: retain}, nil
}

// payloadSource is a component that proposes payloads from node-local
// input (the Bitcoin canister's adapter).
type payloadSource interface {
	// propose returns a transaction of at most limit bytes, or nil.
	propose(ctx context.Context, limit int64) []byte
}

// exec applies transactions to a copy of the state. With dry set it is a
// ProcessProposal/PrepareProposal check and writes nothing.
type exec struct {
	a            *app
	cs           *subnet.State
	now          time.Time
	dry          bool
	rec          map[string]*subnet.RequestRecord // records changed this height
	tree         certification.HashTree
	seen         map[string]bool
	cert, beacon bool
	dkgSeq       uint32
	// admit marks a mempool admission check of a dealing, which reads the
	// committed state without copying it and changes nothing.
	admit bool
	// valUpdates are the validator updates of a committee switch at
	// this height.
	valUpdates []subnet.ValidatorUpdate
}

func (a *app) newExec(cs *subnet.State, now time.Time, dry bool) *exec {
	return &exec{a: a, cs: cs, now: now, dry: dry, rec: map[string]*subnet.RequestRecord{}, seen: map[string]bool{}}
}

func (e *exec) set(k, v []byte) {
	if !e.dry {
		e.a.st.set(k, v)
	}
}

// Set and Delete make exec the subnet.Writer of its components' writes.
func (e *exec) Set(k, v []byte) { e.set(k, v) }
func (e *exec) Delete(k []byte) { e.del(k) }

func (e *exec) del(k []byte) {
	if !e.dry {
		e.a.st.del(k)
	}
}

func (e *exec) record(id []byte) *subnet.RequestRecord {
	if r, ok := e.rec[string(id)]; ok {
		return r
	}
	e.a.mu.Lock()
	defer e.a.mu.Unlock()
	return e.a.records[string(id)]
}

// Record and PutRecord make exec the subnet.Records of its height.
func (e *exec) Record(id []byte) *subnet.RequestRecord       { return e.record(id) }
func (e *exec) PutRecord(id []byte, r *subnet.RequestRecord) { e.putRecord(id, r) }

func (e *exec) putRecord(id []byte, r *subnet.RequestRecord) {
	e.rec[string(id)] = r
	enc, err := subnet.Marshal(r)
	if err != nil {
		panic(err)
	}
	e.set(subnet.StatusKey(id), enc)
}

func (e *exec) apply(raw []byte) (uint32, string) {
	t, err := subnet.DecodeTx(raw)
	if err != nil {
		return codeInvalid, err.Error()
	}
	var code uint32
	switch {
	case t.Cert != nil:
		code, err = e.applyCert(t.Cert)
	case t.Beacon != nil:
		code, err = e.applyBeacon(t.Beacon)
	case t.Evidence != nil:
		code, err = e.applyEvidence(t.Evidence)
	case t.Sign != nil:
		return e.applySign(t.Sign)
	case t.Reply != nil:
		code, err = e.applyReply(t.Reply)
	case t.Protocol != nil && subnet.IsIDKGKind(t.Protocol.Kind):
		code, err = e.applyProtocol(t.Protocol)
	case t.Protocol != nil:
		code, err = e.applyDKG(t.Protocol)
	case t.VetKD != nil:
		return e.applyVetKD(t.VetKD)
	case t.VetKDReply != nil:
		code, err = e.applyVetKDReply(t.VetKDReply)
	case t.Outcall != nil:
		code, err = e.applyOutcall(t.Outcall)
	case t.Registry != nil:
		code, err = e.applyRegistry(t.Registry)
	default:
		return codeInvalid, "unsupported transaction"
	}
	if err != nil {
		return code, err.Error()
	}
	return code, ""
}

func (e *exec) applyCert(t *subnet.CertTx) (uint32, error) {
	if e.cert {
		return codeInvalid, errf("second certification in block")
	}
	if err := subnet.ApplyCert(e.cs, e.a.st.committed(), e, e.a.bls, e.a.keys(e.cs).certPub, t); err != nil {
		return codeInvalid, err
	}
	e.cert = true
	return codeOK, nil
}

func (e *exec) applyBeacon(t *subnet.BeaconTx) (uint32, error) {
	if e.beacon {
		return codeInvalid, errf("second beacon in block")
	}
	if err := subnet.ApplyBeacon(e.cs, e, e.a.bls, e.a.chainID, e.a.keys(e.cs).beacPub, t); err != nil {
		return codeInvalid, err
	}
	e.beacon = true
	return codeOK, nil
}

// applyEvidence convicts a node that signed (through CometBFT, with its
// validator key) a vote extension holding a share that does not verify.
func (e *exec) applyEvidence(t *subnet.EvidenceTx) (uint32, error) {
	idx, ok := e.a.committee().byAddr[string(t.Validator)]
	if !ok {
		return codeInvalid, errf("evidence against unknown validator")
	}
	if err := subnet.ApplyEvidence(e.cs, e.a.st.committed(), e, e.seen, idx, t, extChecks{e.a}); err != nil {
		if errors.Is(err, subnet.ErrDuplicate) {
			return codeDuplicate, err
		}
		return codeInvalid, err
	}
	e.a.log.Warn("node convicted of a bad share", "node", idx, "height", t.Height)
	return codeOK, nil
}

// extChecks are the node's checks of vote extensions for evidence.
type extChecks struct{ a *app }

func (c extChecks) ExtSignatureOK(index int, height, round int64, ext, sig []byte) bool {
	return c.a.extSignatureOK(index, height, round, ext, sig)
}

func (c extChecks) BadShare(index int, ext *subnet.VoteExt) bool {
	return c.a.extHasBadShare(index, ext)
}

// extHasBadShare reports whether a vote extension holds a share that
// provably does not verify against the share's public key.
func (a *app) extHasBadShare(idx int, ext *subnet.VoteExt) bool {
	cs, _ := a.committed()
	k := a.keys(cs)
	return subnet.BadBLSShare(cs, a.st.committed(), a.bls, a.chainID, k.certPub, k.beacPub, idx, ext) || a.extHasBadSignShare(idx, ext) ||
		a.extHasBadVetKDShare(idx, ext)
}

// endBlock prunes expired requests, builds the certified tree and computes
// the root and app hash of the height.
func (e *exec) endBlock(height uint64) error {
	if err := e.recordCUP(); err != nil {
		return err
	}
	return subnet.EndHeight(e.cs, height, e.now.UnixNano(), e.seen, e)
}

// The methods below make exec the subnet.HeightEnd of its height.

func (e *exec) Committed() subnet.Storage                 { return e.a.st.committed() }
func (e *exec) DropRecord(id []byte)                      { e.rec[string(id)] = nil }
func (e *exec) DropPresignature(p *subnet.PendingRequest) { e.dropPresignature(p) }
func (e *exec) FinishDKG(height uint64) error             { return e.finishDKG(height) }
func (e *exec) WritesDigest() [32]byte                    { return e.a.st.writesDigest() }

func (e *exec) KeyPlan() (subnet.KeyPlan, bool) {
	if e.a.idkg == nil {
		return subnet.KeyPlan{}, false
	}
	return e.keyPlan(), true
}

func (e *exec) IDKGConvicted(c subnet.Complaint) {
	e.a.log.Warn("node convicted of a bad IDKG dealing", "node", c.Dealer, "transcript", string(c.Transcript),
		"why", "no answer to a complaint")
}

// CertifiedRoot builds the certified tree of the height (kept for the
// commit) from the committed records and those changed in the block.
func (e *exec) CertifiedRoot(cs *subnet.State) ([32]byte, error) {
	e.a.mu.Lock()
	live := make(map[string]*subnet.RequestRecord, len(e.a.records)+len(e.rec))
	for k, r := range e.a.records {
		live[k] = r
	}
	e.a.mu.Unlock()
	for k, r := range e.rec {
		if r == nil {
			delete(live, k)
		} else {
			live[k] = r
		}
	}
	k := e.a.keys(cs)
	leaves, statuses, err := e.a.treeParts(cs)
	if err != nil {
		return [32]byte{}, err
	}
	tree, err := e.a.treeCache.BuildNodes(cs.TimeNS, k.subnetID.Bytes(), k.rootKey, live, statuses, leaves...)
	if err != nil {
		return [32]byte{}, err
	}
	e.tree = tree
	return tree.Digest(), nil
}

// ---- reads for the Node API ----

// snapshot returns the committed state (a copy) and the channel closed at
// the next commit.
func (a *app) snapshot() (*subnet.State, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cs.Clone(), a.notify
}

// lookupRecord returns the committed record of a request.
func (a *app) lookupRecord(id []byte) *subnet.RequestRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.records[string(id)]; r != nil {
		c := *r
		return &c
	}
	return nil
}

// certificateFor returns an IC certificate proving the request's status,
// if a height at or after the record's last change is certified and its
// tree is still in memory.
func (a *app) certificateFor(id []byte, since uint64) ([]byte, uint64, bool) {
	a.mu.Lock()
	h := a.cs.LastCertified
	tree := a.trees[h]
	sig := a.certs[h]
	a.mu.Unlock()
	if h < since || tree == nil || sig == nil {
		return nil, 0, false
	}
	paths := [][][]byte{
		{[]byte("time")},
		{[]byte("request_status"), id},
	}
	w, err := certification.Witness(tree, paths)
	if err != nil {
		return nil, 0, false
	}
	c := &certification.Certificate{Tree: w, Signature: sig}
	b, err := c.Marshal()
	if err != nil {
		return nil, 0, false
	}
	return b, h, true
}

func jsonStrict(raw []byte) *json.Decoder {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d
}

// blsKeys are the subnet's BLS public keys as of some state.
type blsKeys struct {
	certPub, beacPub []byte
	rootKey          []byte // DER of the certification group key
	subnetID         principal.Principal
}

// keys returns the BLS keys of the state cs: the genesis keys of a
// bootstrap-dealer subnet, or those its key generation produced (nil
// before).
func (a *app) keys(cs *subnet.State) *blsKeys {
	if a.gen.KeyGen == keyGenDealer {
		return &blsKeys{certPub: a.certPub, beacPub: a.beacPub, rootKey: a.rootKey, subnetID: a.subnetID}
	}
	if !cs.BLSReady {
		return &blsKeys{}
	}
	der, err := a.bls.GroupKeyDER(cs.CertPub)
	if err != nil {
		return &blsKeys{}
	}
	return &blsKeys{certPub: cs.CertPub, beacPub: cs.BeaconPub, rootKey: der, subnetID: principal.SelfAuthenticating(der)}
}

// committed returns the committed state itself, not a copy, and the
// channel closed at the next commit. A committed state is never changed
// (each height works on a clone), so readers may keep it; they must not
// modify it.
func (a *app) committed() (*subnet.State, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cs, a.notify
}

func (a *app) snapshotState() *subnet.State {
	cs, _ := a.snapshot()
	return cs
}

// blsSharesEpoch returns this node's secret BLS shares (nil before the
// keys exist) and the key epoch they belong to.
func (a *app) blsSharesEpoch() (cert, beacon []byte, epoch uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.certShare, a.beaconShare, a.shareEpoch
}

// loadDKGShares loads this node's shares of cs's BLS keys from their
// files or, if the files are missing or belong to other keys (a crash
// between the commit of a key generation and the writing of its shares),
// derives them again from the stored key-generation messages.
func (a *app) loadDKGShares(cs *subnet.State) error {
	if a.me() < 0 {
		return a.dropShares(cs)
	}
	cert, err1 := readSecretFile(a.cfg.secretPath(certShareFile))
	beacon, err2 := readSecretFile(a.cfg.secretPath(beaconShareFile))
	vk, err3 := a.readVetKDShares(cs)
	if errors.Is(err1, ErrInsecureFile) || errors.Is(err2, ErrInsecureFile) || errors.Is(err3, ErrInsecureFile) {
		return errors.Join(err1, err2, err3)
	}
	derived := false
	if err1 != nil || err2 != nil || err3 != nil || !a.sharesMatch(cs, cert, beacon) || !a.vetkdSharesMatch(cs, vk) {
		ep, err := a.bdkg.epochFor(cs)
		if err != nil {
			return err
		}
		shares, err := a.bdkg.secretShares(ep, cs.BLSKeyHeight)
		if err != nil {
			return err
		}
		cert, beacon, vk = shares["cert"], shares["beacon"], map[string][]byte{}
		for k := range cs.VetKDPub {
			vk[k] = shares[k]
		}
		if !a.sharesMatch(cs, cert, beacon) || !a.vetkdSharesMatch(cs, vk) {
			return errors.New("replica: derived BLS shares do not match the subnet's keys")
		}
		derived = true
		if err := writeSecretFile(a.cfg.secretPath(certShareFile), cert); err != nil {
			return err
		}
		if err := writeSecretFile(a.cfg.secretPath(beaconShareFile), beacon); err != nil {
			return err
		}
	}
	if err := a.setVetKDShares(vk, subnet.KeyEpoch(cs), derived); err != nil {
		return err
	}
	a.mu.Lock()
	clear(a.certShare)
	clear(a.beaconShare)
	a.certShare, a.beaconShare, a.shareEpoch = cert, beacon, subnet.KeyEpoch(cs)
	a.mu.Unlock()
	return nil
}
