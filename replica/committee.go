package replica

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/replica/subnet"
)

// committee is the node's view of one committee of the subnet: the
// members with their consensus, node signing and encryption keys, and
// this node's index in it. It is a function of the committed state
// (subnet.Committee: the genesis members until the first membership
// change) and of this node's id; the index of a member is its share
// index minus one in every threshold scheme of the committee's epoch.
type committee struct {
	// switchHeight is the height of the switch that made the committee
	// (0: the genesis committee).
	switchHeight uint64
	// version is the registry version of a next committee.
	version uint64
	recs    []subnet.NodeRecord
	members []member
	byAddr  map[string]int
	nodePub []dkg.NodePublicKey
	encPub  []*dkg.EncryptionPublicKey
	// me is this node's index, -1 while it is not a member: it then
	// deals, signs and votes nothing.
	me int
}

// newCommittee builds the view of committee recs for the node self.
func newCommittee(recs []subnet.NodeRecord, self string, switchHeight uint64) (*committee, error) {
	if len(recs) == 0 {
		return nil, errors.New("replica: empty committee")
	}
	c := &committee{switchHeight: switchHeight, recs: slices.Clone(recs), byAddr: map[string]int{}, me: -1}
	for i, r := range recs {
		if len(r.ConsensusKey) != cmted25519.PubKeySize {
			return nil, fmt.Errorf("replica: member %d: bad validator key", i)
		}
		pub := cmted25519.PubKey(slices.Clone(r.ConsensusKey))
		addr := pub.Address()
		c.members = append(c.members, member{index: i, nodeID: r.NodeID, addr: addr, pub: pub, p2p: r.P2P, grpc: r.GRPC})
		c.byAddr[string(addr)] = i
		nk, err := dkg.ParseNodePublicKey(r.NodeKey)
		if err != nil {
			return nil, fmt.Errorf("replica: member %d node key: %w", i, err)
		}
		ek, err := dkg.ParseEncryptionPublicKey(r.EncKey)
		if err != nil {
			return nil, fmt.Errorf("replica: member %d encryption key: %w", i, err)
		}
		c.nodePub, c.encPub = append(c.nodePub, nk), append(c.encPub, ek)
		if r.NodeID == self {
			c.me = i
		}
	}
	return c, nil
}

// n is the committee's size.
func (c *committee) n() int { return len(c.members) }

// committee returns the committee of the committed state.
func (a *app) committee() *committee { return a.com.Load() }

// me is this node's index in the committee of the committed state (-1:
// not a member).
func (a *app) me() int { return a.committee().me }

// refreshCommittee makes the committee of cs the node's current one if
// it changed (a membership switch, or a state restored by state sync).
func (a *app) refreshCommittee(cs *subnet.State) error {
	if c := a.com.Load(); c != nil && c.switchHeight == cs.SwitchHeight && len(c.recs) == len(subnet.Committee(cs, a.genRecs)) {
		return nil
	}
	c, err := newCommittee(subnet.Committee(cs, a.genRecs), a.nodeID, cs.SwitchHeight)
	if err != nil {
		return err
	}
	if c.me < 0 && len(cs.Members) == 0 && !a.joining {
		return fmt.Errorf("replica: node %s is not a genesis member", a.nodeID)
	}
	a.com.Store(c)
	return nil
}

// loadNodeID reads the node's consensus node id from its node key file.
func loadNodeID(cfg *Config) (string, error) {
	nk, err := p2p.LoadNodeKey(filepath.Join(cfg.cometRoot(), "config", "node_key.json"))
	if err != nil {
		return "", fmt.Errorf("replica: node key: %w", err)
	}
	return string(nk.ID()), nil
}

// nextCommittee returns the committee of the membership change pending
// in cs (nil: none).
func (a *app) nextCommittee(cs *subnet.State) (*committee, error) {
	if !subnet.ChangePending(cs) {
		return nil, nil
	}
	if c := a.nextCom.Load(); c != nil && c.version == cs.RegistryVersion {
		return c, nil
	}
	c, err := newCommittee(cs.NextMembers, a.nodeID, 0)
	if err != nil {
		return nil, err
	}
	c.version = cs.RegistryVersion
	a.nextCom.Store(c)
	return c, nil
}

// ConfigN and GenesisSize make idkgState the subnet.ReceiverConfigs of
// the dealing rules.
func (s *idkgState) ConfigN(keyID string, n int) (*idkg.Config, error) {
	return s.configOf(keyGroup(keyID), n)
}

func (s *idkgState) GenesisSize() int { return len(s.a.genRecs) }

// recConfig returns the IDKG configuration of a stored transcript's
// receivers.
func (s *idkgState) recConfig(rec *subnet.TranscriptRec) (*idkg.Config, error) {
	return s.ConfigN(rec.KeyID, subnet.RecReceivers(rec, s.GenesisSize()))
}

// openCommitted decodes a dealing of a committed transcript. Its
// signature was checked when the dealing was agreed, by the committee of
// that time, which may since have changed (a transcript dealt by the
// previous committee): it is not checked again.
func (s *idkgState) openCommitted(cfg *idkg.Config, raw []byte) (*idkg.Dealing, [][]byte, error) {
	k := openedKey{group: cfg.Group().Name(), digest: sha256.Sum256(raw)}
	s.mu.Lock()
	o := s.opened[k]
	s.mu.Unlock()
	if o != nil && len(o.cts) == cfg.Receivers() {
		return o.d, o.cts, nil
	}
	var env dkg.Envelope
	if err := env.UnmarshalBinary(raw); err != nil {
		return nil, nil, fmt.Errorf("replica: dealing envelope: %w", err)
	}
	d, cts, err := cfg.DecodeSignedDealing(&env)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	if len(s.opened) >= maxOpened {
		clear(s.opened)
	}
	if s.opened[k] == nil {
		s.opened[k] = &openedDealing{d: d, cts: cts, unchecked: true}
	}
	s.mu.Unlock()
	return d, cts, nil
}

// jobSealers returns the sealers of job's receivers: the next committee
// for a RoleReshareNext job of a pending change, the current one
// otherwise; cur and next cache them for one round of dealings.
func (s *idkgState) jobSealers(cs *subnet.State, job *subnet.Job, cur, next *[]*dkg.ShareSealer) ([]*dkg.ShareSealer, error) {
	dst, enc := cur, s.encKeys()
	if job.Role == subnet.RoleReshareNext && subnet.ChangePending(cs) {
		nc, err := s.a.nextCommittee(cs)
		if err != nil {
			return nil, err
		}
		dst, enc = next, nc.encPub
	}
	if *dst == nil {
		out, err := s.sealers(enc)
		if err != nil {
			return nil, err
		}
		*dst = out
	}
	return *dst, nil
}

// dropShares forgets the BLS and vetKD shares of a node that is not a
// member of cs's committee (it left): it holds no share of the keys from
// the switch on, and the files of its old shares go.
func (a *app) dropShares(cs *subnet.State) error {
	a.mu.Lock()
	clear(a.certShare)
	clear(a.beaconShare)
	a.certShare, a.beaconShare, a.shareEpoch = nil, nil, subnet.KeyEpoch(cs)
	a.mu.Unlock()
	files := []string{certShareFile, beaconShareFile}
	for k := range cs.VetKDPub {
		files = append(files, vetkdShareFile(k))
	}
	for _, f := range files {
		if err := os.Remove(a.cfg.secretPath(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replica: remove old share: %w", err)
		}
	}
	return a.setVetKDShares(nil, subnet.KeyEpoch(cs), false)
}

// JoiningIndex is the Config.Index of a node that is no genesis member:
// it follows the chain and joins the committee by a registry change.
const JoiningIndex = -1

// initNodeID sets the node's id: its genesis member's, or for a joining
// node the id of its node key, which must be no genesis member's.
func (a *app) initNodeID() error {
	if a.cfg.Index != JoiningIndex {
		a.nodeID = a.members[a.cfg.Index].nodeID
		return nil
	}
	id, err := loadNodeID(a.cfg)
	if err != nil {
		return err
	}
	if subnet.MemberIndex(a.genRecs, id) >= 0 {
		return fmt.Errorf("replica: joining node %s is a genesis member", id)
	}
	a.nodeID, a.joining = id, true
	return nil
}

// excludeJoiners makes the last joiners of the n homes under dir joining
// nodes: the genesis of every home keeps the first n−joiners members and
// validators, and the joiners' configurations get JoiningIndex.
func excludeJoiners(dir string, n, joiners int) error {
	if joiners == 0 {
		return nil
	}
	home := func(i int) string { return filepath.Join(dir, fmt.Sprintf("node%d", i)) }
	file := func(i int) string { return (&Config{Home: home(i)}).genesisFile() }
	gen, err := cmttypes.GenesisDocFromFile(file(0))
	if err != nil {
		return fmt.Errorf("replica: genesis: %w", err)
	}
	var gs genesisState
	if err := jsonStrict(gen.AppState).Decode(&gs); err != nil {
		return fmt.Errorf("replica: genesis app state: %w", err)
	}
	keep := n - joiners
	gs.Members, gen.Validators = gs.Members[:keep], gen.Validators[:keep]
	if gen.AppState, err = json.Marshal(&gs); err != nil {
		return err
	}
	for i := range n {
		if err := gen.SaveAs(file(i)); err != nil {
			return fmt.Errorf("replica: genesis: %w", err)
		}
		if i < keep {
			continue
		}
		c, err := LoadConfig(home(i))
		if err != nil {
			return err
		}
		c.Index = JoiningIndex
		if err := c.Save(); err != nil {
			return err
		}
	}
	return nil
}
