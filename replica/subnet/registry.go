package subnet

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"

	"filippo.io/edwards25519"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
)

// The subnet's membership is a registry: a version and the committee of
// nodes. The genesis is version 0 with the genesis members. A change (a
// node joins or leaves) is a RegistryTx signed by the subnet's operator
// key, fixed at genesis; the Internet Computer makes the same change
// through an NNS proposal. Every node checks the change against the
// committed registry (CheckRegistryTx) and, once a block carries it,
// ApplyRegistryChange makes it pending:
//
//  1. every IDKG master key is reshared from the current committee to the
//     next one (ReshareOfUnmasked jobs of role RoleReshareNext), the
//     results kept apart in State.NextKeyTr;
//  2. once all are final, ScheduleMembership starts a BLS key epoch whose
//     dealers are the current committee and receivers the next one
//     (EpochCommittees);
//  3. when that epoch completes, SwitchCommittee makes the next committee
//     the current one, from the next height on: certification, the
//     beacon, signing and vetKD shares all come from it, and the
//     consensus engine is told the validator updates.
//
// Every public key stays the same: resharing keeps the constant term.

// ChangeDomain separates the operator's registry signatures from any
// other use of its key.
const ChangeDomain = "chainkey/registry-change\x00"

// Registry bounds.
const (
	// MaxMembers bounds a committee.
	MaxMembers = 100
	// MinMembers is the smallest committee a removal may leave.
	MinMembers = 1
	// RoleReshareNext is the IDKG job role resharing a master key to
	// the next committee of a pending membership change.
	RoleReshareNext = RoleReshare + 1
)

// NodeRecord is one member of a committee: what every node needs to
// verify its messages, deal to it and reach it.
type NodeRecord struct {
	// NodeID is the consensus engine's node id (hex of 20 bytes).
	NodeID string `cbor:"1,keyasint"`
	// ConsensusKey is its Ed25519 validator public key.
	ConsensusKey []byte `cbor:"2,keyasint"`
	// NodeKey is its node signing public key (package dkg).
	NodeKey []byte `cbor:"3,keyasint"`
	// EncKey is its share encryption public key (package dkg).
	EncKey []byte `cbor:"4,keyasint"`
	// P2P is its consensus address (host:port).
	P2P string `cbor:"5,keyasint"`
	// GRPC is its API address (host:port, optional).
	GRPC string `cbor:"6,keyasint,omitempty"`
}

// RegistryChange is one change of the registry: exactly one of Add and
// Remove.
type RegistryChange struct {
	ChainID string `cbor:"1,keyasint"`
	// Version is the registry version the change makes: the committed
	// version plus one (a replayed or reordered change is refused).
	Version uint64      `cbor:"2,keyasint"`
	Add     *NodeRecord `cbor:"3,keyasint,omitempty"`
	// Remove is the node id of the member that leaves.
	Remove string `cbor:"4,keyasint,omitempty"`
}

// RegistryTx carries an encoded RegistryChange and the operator's
// Ed25519 signature over ChangeDomain ‖ Change.
type RegistryTx struct {
	Change    []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

// ValidatorUpdate is a change of the consensus engine's validator set:
// power 0 removes the validator.
type ValidatorUpdate struct {
	PubKey []byte
	Power  int64
}

// ValidatorPower is every member's voting power.
const ValidatorPower = 10

// RegistryPlan is what the registry rules need from the genesis.
type RegistryPlan struct {
	ChainID string
	// OperatorKey verifies registry changes (nil: the subnet takes none).
	OperatorKey ed25519.PublicKey
	// Genesis is the genesis committee (registry version 0).
	Genesis []NodeRecord
	// KeyIDs are the IDKG master keys, VetKD the vetKD keys.
	KeyIDs []string
}

// SignRegistryChange encodes c and signs it with the operator key.
func SignRegistryChange(operator ed25519.PrivateKey, c *RegistryChange) (*RegistryTx, error) {
	b, err := Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("subnet: encode registry change: %w", err)
	}
	return &RegistryTx{Change: b, Signature: ed25519.Sign(operator, append([]byte(ChangeDomain), b...))}, nil
}

// Committee returns the current committee of cs: the genesis members
// until the first membership change.
func Committee(cs *State, genesis []NodeRecord) []NodeRecord {
	if len(cs.Members) != 0 {
		return cs.Members
	}
	return genesis
}

// ChangePending reports whether a membership change is in progress.
func ChangePending(cs *State) bool { return len(cs.NextMembers) != 0 }

// DecodeRegistryChange decodes an encoded change strictly.
func DecodeRegistryChange(b []byte) (*RegistryChange, error) {
	var c RegistryChange
	if err := Unmarshal(b, &c); err != nil {
		return nil, errf("decode registry change: %w", err)
	}
	if err := canonical(b, &c); err != nil {
		return nil, errf("decode registry change: %w", err)
	}
	return &c, nil
}

// CheckRegistryTx checks a registry change against the committed state:
// the operator's signature, the subnet, the version, that no change is
// pending and the keys exist, and the change itself (CheckNodeRecord for
// a joining node; a leaving node must be a member and the committee
// stays at least MinMembers). It returns the change.
func CheckRegistryTx(cs *State, p RegistryPlan, t *RegistryTx) (*RegistryChange, error) {
	if len(p.OperatorKey) != ed25519.PublicKeySize {
		return nil, errf("registry change: the subnet has no operator key")
	}
	if !ed25519.Verify(p.OperatorKey, append([]byte(ChangeDomain), t.Change...), t.Signature) {
		return nil, errf("registry change: bad operator signature")
	}
	c, err := DecodeRegistryChange(t.Change)
	if err != nil {
		return nil, err
	}
	switch {
	case c.ChainID != p.ChainID:
		return nil, errf("registry change for subnet %q", c.ChainID)
	case c.Version != cs.RegistryVersion+1:
		return nil, errf("registry change to version %d at version %d", c.Version, cs.RegistryVersion)
	case (c.Add == nil) == (c.Remove == ""):
		return nil, errf("registry change must add or remove exactly one node")
	case ChangePending(cs):
		return nil, errf("registry change: version %d is still being applied", cs.RegistryVersion)
	case !cs.BLSReady || cs.BLSResharing:
		return nil, errf("registry change: the BLS keys are not ready")
	}
	for _, k := range p.KeyIDs {
		if cs.KeyTr[k] == nil {
			return nil, errf("registry change: key %s is not ready", k)
		}
	}
	cur := Committee(cs, p.Genesis)
	if c.Add != nil {
		if len(cur)+1 > MaxMembers {
			return nil, errf("registry change: committee of %d exceeds %d", len(cur)+1, MaxMembers)
		}
		if err := CheckNodeRecord(c.Add, cur); err != nil {
			return nil, err
		}
		return c, nil
	}
	if MemberIndex(cur, c.Remove) < 0 {
		return nil, errf("registry change: node %s is not a member", c.Remove)
	}
	if len(cur)-1 < MinMembers {
		return nil, errf("registry change: removing %s leaves %d nodes", c.Remove, len(cur)-1)
	}
	return c, nil
}

// MemberIndex returns the index of nodeID in committee, or -1.
func MemberIndex(committee []NodeRecord, nodeID string) int {
	return slices.IndexFunc(committee, func(r NodeRecord) bool { return r.NodeID == nodeID })
}

// CheckNodeRecord checks a joining node's record strictly: a node id of
// 20 bytes in lower-case hex, an Ed25519 consensus key that is a
// canonical point of prime order, valid node signing and encryption
// keys, a host:port address; and that no identity or key is already a
// member's.
func CheckNodeRecord(r *NodeRecord, members []NodeRecord) error {
	id, err := hex.DecodeString(r.NodeID)
	if err != nil || len(id) != 20 || hex.EncodeToString(id) != r.NodeID {
		return errf("node record: node id %q", r.NodeID)
	}
	if len(r.ConsensusKey) != ed25519.PublicKeySize {
		return errf("node record: consensus key of %d bytes", len(r.ConsensusKey))
	}
	pt, err := new(edwards25519.Point).SetBytes(r.ConsensusKey)
	if err != nil || !bytes.Equal(pt.Bytes(), r.ConsensusKey) {
		return errf("node record: consensus key is not a canonical point")
	}
	if new(edwards25519.Point).MultByCofactor(pt).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return errf("node record: consensus key of small order")
	}
	if _, err := dkg.ParseNodePublicKey(r.NodeKey); err != nil {
		return fmt.Errorf("subnet: node record: node key: %w", err)
	}
	if _, err := dkg.ParseEncryptionPublicKey(r.EncKey); err != nil {
		return fmt.Errorf("subnet: node record: encryption key: %w", err)
	}
	for i, a := range []string{r.P2P, r.GRPC} {
		if i == 1 && a == "" {
			continue // the API address is optional
		}
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" || len(a) > 255 {
			return errf("node record: address %q", a)
		}
	}
	for _, m := range members {
		switch {
		case m.NodeID == r.NodeID:
			return errf("node record: node %s is already a member", r.NodeID)
		case bytes.Equal(m.ConsensusKey, r.ConsensusKey):
			return errf("node record: consensus key of member %s", m.NodeID)
		case bytes.Equal(m.NodeKey, r.NodeKey):
			return errf("node record: node key of member %s", m.NodeID)
		case bytes.Equal(m.EncKey, r.EncKey):
			return errf("node record: encryption key of member %s", m.NodeID)
		}
	}
	return nil
}

// NextCommittee returns the committee c makes of cur.
func NextCommittee(cur []NodeRecord, c *RegistryChange) []NodeRecord {
	if c.Add != nil {
		return append(slices.Clone(cur), *c.Add)
	}
	return slices.DeleteFunc(slices.Clone(cur), func(r NodeRecord) bool { return r.NodeID == c.Remove })
}

// ApplyRegistryChange makes a checked change pending in cs: the registry
// version advances, the next committee is recorded, and every master key
// gets a job resharing it to the next committee.
func ApplyRegistryChange(cs *State, p RegistryPlan, kp KeyPlan, c *RegistryChange) {
	cs.RegistryVersion = c.Version
	cs.NextMembers = NextCommittee(Committee(cs, p.Genesis), c)
	cs.NextKeyTr, cs.MembershipEpoch = nil, 0
	for _, k := range kp.KeyIDs {
		NewJob(cs, kp, k, RoleReshareNext, idkg.ReshareOfUnmasked, cs.KeyTr[k], nil, 0)
	}
}

// CompleteReshareNext records the final transcript of a RoleReshareNext
// job: the key as the next committee will hold it.
func CompleteReshareNext(cs *State, job Job) {
	if !ChangePending(cs) {
		return
	}
	if cs.NextKeyTr == nil {
		cs.NextKeyTr = map[string][]byte{}
	}
	cs.NextKeyTr[job.KeyID] = job.ID
}

// ScheduleMembership starts the BLS key epoch of a pending change once
// every master key has been reshared to the next committee and no other
// epoch runs. It reports whether it did.
func ScheduleMembership(cs *State, keyIDs []string) bool {
	if !ChangePending(cs) || cs.MembershipEpoch != 0 || !cs.BLSReady || cs.BLSResharing {
		return false
	}
	for _, k := range keyIDs {
		if cs.NextKeyTr[k] == nil {
			return false
		}
	}
	cs.BLSEpoch++
	cs.BLSResharing = true
	cs.MembershipEpoch = cs.BLSEpoch
	return true
}

// EpochCommittees returns the dealers and receivers of BLS key epoch
// epoch: the current committee to the next one for the epoch of a
// pending change, the previous committee to the current one for the
// epoch that made the last switch, and the current committee to itself
// otherwise.
func EpochCommittees(cs *State, genesis []NodeRecord, epoch uint64) (dealers, receivers []NodeRecord) {
	cur := Committee(cs, genesis)
	switch {
	case ChangePending(cs) && cs.MembershipEpoch != 0 && epoch == cs.MembershipEpoch:
		return cur, cs.NextMembers
	case cs.SwitchEpoch != 0 && epoch == cs.SwitchEpoch:
		return cs.PrevMembers, cur
	}
	return cur, cur
}

// IsMembershipEpoch reports whether the BLS epoch running in cs is that
// of a pending change (so its completion switches the committee).
func IsMembershipEpoch(cs *State) bool {
	return ChangePending(cs) && cs.MembershipEpoch != 0 && cs.BLSEpoch == cs.MembershipEpoch
}

// SwitchCommittee makes the next committee of a pending change the
// current one at height, once its BLS epoch completed (CompleteDKG): the
// master keys become their reshared transcripts, and everything the old
// committee held shares of is dropped (presignatures in stock and being
// made, their jobs, complaints, IDKG bans by old index); requests
// waiting with a presignature get a fresh one. It returns the validator
// updates for the consensus engine.
func SwitchCommittee(cs *State, genesis []NodeRecord, height uint64) ([]ValidatorUpdate, error) {
	if !ChangePending(cs) {
		return nil, errors.New("subnet: no membership change pending")
	}
	old := slices.Clone(Committee(cs, genesis))
	cs.PrevMembers, cs.Members, cs.NextMembers = old, cs.NextMembers, nil
	for k, tr := range cs.NextKeyTr {
		cs.KeyTr[k] = tr
	}
	cs.NextKeyTr = nil
	cs.SwitchEpoch, cs.MembershipEpoch, cs.SwitchHeight = cs.MembershipEpoch, 0, height
	cs.Presigs, cs.Building = nil, nil
	cs.Jobs = slices.DeleteFunc(cs.Jobs, func(j Job) bool { return j.Role != RoleKeyMasked && j.Role != RoleKey })
	cs.Complaints, cs.IDKGBanned, cs.Live = nil, nil, nil
	for i := range cs.Pending {
		p := &cs.Pending[i]
		p.Presig, p.PresigRec, p.Randomness = 0, nil, nil
	}
	return ValidatorUpdates(old, cs.Members), nil
}

// ValidatorUpdates returns the consensus engine's validator changes from
// committee old to committee next: power 0 for every member that left,
// ValidatorPower for every member that joined, in committee order.
func ValidatorUpdates(old, next []NodeRecord) []ValidatorUpdate {
	var out []ValidatorUpdate
	for _, o := range old {
		if MemberIndex(next, o.NodeID) < 0 {
			out = append(out, ValidatorUpdate{PubKey: slices.Clone(o.ConsensusKey), Power: 0})
		}
	}
	for _, n := range next {
		if MemberIndex(old, n.NodeID) < 0 {
			out = append(out, ValidatorUpdate{PubKey: slices.Clone(n.ConsensusKey), Power: ValidatorPower})
		}
	}
	return out
}

// Members returns the DKG view of committee c.
func Members(chainID string, c []NodeRecord) (DKGMembers, error) {
	m := DKGMembers{ChainID: chainID}
	for i, r := range c {
		nk, err := dkg.ParseNodePublicKey(r.NodeKey)
		if err != nil {
			return m, fmt.Errorf("subnet: member %d node key: %w", i, err)
		}
		ek, err := dkg.ParseEncryptionPublicKey(r.EncKey)
		if err != nil {
			return m, fmt.Errorf("subnet: member %d encryption key: %w", i, err)
		}
		m.NodePub, m.EncPub = append(m.NodePub, nk), append(m.EncPub, ek)
	}
	return m, nil
}
