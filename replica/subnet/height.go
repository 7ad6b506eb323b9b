package subnet

// HeightEnd is what ending a height needs from the node running it: the
// state as the height sees it, and the steps that reach the node's
// caches (key-generation sessions, transcripts, the certified tree).
type HeightEnd interface {
	Getter
	Writer
	// Committed is the state committed at the previous height.
	Committed() Storage
	// DropRecord is told of a request record that leaves the state.
	DropRecord(id []byte)
	// DropPresignature releases the presignature of a request that
	// expired while pending.
	DropPresignature(p *PendingRequest)
	// FinishDKG completes the BLS key epoch in progress or starts a
	// resharing (CompleteDKG, ScheduleReshare, with the node's sessions).
	FinishDKG(height uint64) error
	// KeyPlan is the IDKG key schedule; false if the subnet has no IDKG
	// keys.
	KeyPlan() (KeyPlan, bool)
	// IDKGConvicted is told of a dealer convicted for a complaint left
	// unanswered.
	IDKGConvicted(c Complaint)
	// CertifiedRoot builds the certified tree of cs and returns its root.
	CertifiedRoot(cs *State) ([32]byte, error)
	// WritesDigest is the digest of the height's writes so far.
	WritesDigest() [32]byte
}

// EndHeight ends the execution of the block at height, with the block's
// time timeNS, after its transactions were applied to cs: requests whose
// ingress expiry passed leave the state; key generation completes or
// moves on; IDKG dealers past a complaint deadline are convicted, key and
// presignature jobs scheduled and presignatures assigned; the certified
// tree's root is recorded and the app hash computed. seen holds the
// evidence keys recorded earlier in the block. The order of these steps
// is part of the protocol: every node must take them alike.
func EndHeight(cs *State, height uint64, timeNS int64, seen map[string]bool, n HeightEnd) error {
	cs.Height = height
	cs.TimeNS = timeNS
	expired, err := ExpireRequests(cs, n.Committed(), n, n.DropRecord, cs.TimeNS)
	if err != nil {
		return err
	}
	for i := range expired {
		n.DropPresignature(&expired[i])
	}
	if err := n.FinishDKG(height); err != nil {
		return err
	}
	if plan, ok := n.KeyPlan(); ok {
		ComplaintDeadlines(cs, n, n, seen, plan.N, height, n.IDKGConvicted)
		ScheduleKeys(cs, plan)
	}
	AssignPresignatures(cs, height)
	root, err := n.CertifiedRoot(cs)
	if err != nil {
		return err
	}
	RecordRoot(n, height, root)
	// The app hash chains the previous one with this height's writes, the
	// core state and the certified root: it covers the whole state.
	hash, err := AppHash(cs.AppHash, height, n.WritesDigest(), cs, root)
	if err != nil {
		return err
	}
	cs.AppHash = hash
	return nil
}
