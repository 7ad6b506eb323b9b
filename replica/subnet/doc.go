// Package subnet is the deterministic core of a chainkey subnet: what every
// node computes identically from the agreed blocks.
//
// It defines the wire formats that peers exchange through consensus (block
// transactions, vote extensions and the Bitcoin payload), the replicated
// core state and request records, the certified state tree of a height,
// the messages the subnet signs with its threshold BLS keys, the app hash,
// and the overlay that collects a height's writes over the committed
// state. It does no I/O: it imports no consensus engine, database,
// network, file system or clock. The committed state is read through the
// Storage interface; time and randomness arrive with the block.
//
// Package replica is the node around it: the ABCI++ application that
// CometBFT drives, the state store on disk, the node's secret shares and
// the Node API. Decoders here see input from other nodes and are strict:
// canonical CBOR with integer keys, no unknown fields or duplicate keys,
// bounded sizes; what decodes re-encodes to the same bytes.
//
// # Wire formats
//
// A block transaction (Tx) is a CBOR map with exactly one of: a combined
// certification signature (CertTx), a combined beacon signature
// (BeaconTx), evidence of a bad share (EvidenceTx), a caller's signing
// request (SignTx), a combined signature answering one (ReplyTx), a key
// lifecycle message (ProtocolTx: DKG or IDKG dealing, complaint, opening),
// a caller's vetKD derivation request (VetKDTx) or the combined encrypted
// key answering one (VetKDReply, a ReplyTx). A vote extension (VoteExt)
// carries a node's threshold shares for the next proposer, vetKD
// encrypted key shares among them. The Bitcoin payload is not CBOR: it starts with
// BitcoinPayloadMagic, whose first byte 0xff cannot start a CBOR item, so
// no transaction decodes as both.
//
// # Components
//
// A Component is a part of the replicated state beside the signing core
// that blocks carry payloads for; its transactions start with 0xff and
// its ComponentID, and the Components registry routes them, one per
// component per block. The Bitcoin canister is the first (its payload
// magic is 0xff ‖ "ckbtc" ‖ 1); the subnet's Wasm canisters (package
// replica/canisters, 0xff ‖ "canis" ‖ 1) are the second. Adding one registers it; the proposal checks and block execution
// do not change.
//
// # BLS key generation
//
// The subnet's BLS keys, and its vetKD master keys with them, are made
// and reshared by package dkg run through blocks, one epoch per run. DKGEpoch holds an epoch's agreed sessions;
// CheckDKGMsg and DKGTarget say which dealings, complaints and openings a
// block may carry and which session each feeds; DKGMsgKey records them so
// ReplayDKG rebuilds the sessions after a restart; CompleteDKG writes the
// convictions and, once both transcripts exist, the new public
// coefficients into the State; ScheduleReshare starts the next epoch.
// None of this needs a secret: the node wraps a DKGEpoch with its own
// dealers and receivers, which deal, decrypt its shares, complain and
// answer complaints in transactions it submits.
//
// # IDKG keys and the end of a height
//
// The canister-signature keys and their presignatures are IDKG transcript
// jobs in the State. ScheduleKeys opens the genesis key jobs, reshares
// the keys and keeps each key's presignature stock at its target (NewJob
// chooses who deals); CompleteJob moves the lifecycle on when a job's
// transcript is final. ApplyIDKGDealing executes a dealing: it verifies
// it publicly, convicts the signer of a wrong one, and makes and records
// the transcript once the job has enough. ApplyIDKGComplaintMsg executes
// complaints about dealings of final transcripts, the dealers' answers
// and the receivers' openings, and ComplaintDeadlines convicts dealers
// that did not answer. They read decoded dealings and transcripts through
// IDKGDealings and IDKGTranscripts, the node's caches; dealing,
// decrypting, complaining and answering stay with the node. EndHeight takes the steps that end every height in their
// agreed order, up to the app hash, calling the node (HeightEnd) for
// those that reach its caches.
//
// # Catch-up packages
//
// Every CUPInterval heights the committed state is cut into snapshot
// chunks (SnapshotWriter: every key and value in key order, cut at
// SnapshotChunkSize); the manifest of chunk digests hashes to the state
// hash. The next height puts a CUPLeaf (height, app hash, state hash,
// core-state hash) into State.CUP, and the certified tree carries it at
// CUPPath, so the subnet's certification signs it. A CUP is the leaf, the
// manifest, the core state and an IC certificate revealing the leaf:
// VerifyCUP checks it with the subnet's root public key alone, and
// DecodeChunk checks each chunk against the manifest.
//
// # Membership
//
// The committee is a registry: State.RegistryVersion and State.Members
// (the genesis members until the first change). A RegistryTx carries a
// RegistryChange (one node added or removed) signed by the operator key
// of the genesis; CheckRegistryTx checks it strictly against the
// committed state (signature, subnet, version = committed + 1, the
// joining node's record). ApplyRegistryChange makes it pending and opens
// a RoleReshareNext job per master key; ScheduleMembership then starts a
// BLS key epoch from the current committee to the next one
// (EpochCommittees, NewDKGEpochCommittees); SwitchCommittee makes the
// next committee current when that epoch completes and returns the
// consensus engine's ValidatorUpdates. Public keys never change.
//
// # State and hashes
//
// State is the small, always-loaded part of the replicated state; bulk
// data lives under its own keys in Storage. The app hash of a height
// (AppHash) chains the previous one, the digest of the height's writes
// (Overlay.WritesDigest), the core state and the root of the certified
// tree (CertifiedTree), so it covers the whole state.
package subnet
