package canisters

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"slices"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
)

// Limits of the management canister's settings and chunk store, as the
// IC's.
const (
	// MaxControllers is the most controllers a canister may have.
	MaxControllers = 10
	// MaxChunkBytes is the largest chunk upload_chunk takes (1 MiB).
	MaxChunkBytes = 1 << 20
	// MaxChunkStoreBytes bounds a canister's Wasm chunk store (100 MiB,
	// hence at most 100 chunks of MaxChunkBytes).
	MaxChunkStoreBytes = 100 << 20
	// MaxHistoryChanges is how many of its most recent changes a
	// canister's history keeps (canister_info returns at most these).
	MaxHistoryChanges = 20
	// maxWasmMemoryLimit bounds wasm_memory_limit and memory_allocation
	// (2^48 bytes, the IC's bound).
	maxWasmMemoryLimit = 1 << 48
	// DefaultReservedCyclesLimit and DefaultWasmMemoryLimit are the
	// IC's defaults of reserved_cycles_limit and wasm_memory_limit.
	DefaultReservedCyclesLimit = 5_000_000_000_000
	DefaultWasmMemoryLimit     = 3 << 30
	maxAllowedViewers          = 10
	maxEnvVars                 = 20
)

// Log visibilities of a canister (log_visibility).
const (
	logControllers = 0
	logPublic      = 1
	logAllowed     = 2
)

// storedSettings are the canister settings beside the controllers (in
// the entry) and the freezing threshold (in the execution state).
type storedSettings struct {
	ComputeAllocation   uint64      `cbor:"1,keyasint,omitempty"`
	MemoryAllocation    uint64      `cbor:"2,keyasint,omitempty"`
	ReservedCyclesLimit *big.Int    `cbor:"3,keyasint,omitempty"`
	LogVisibility       uint8       `cbor:"4,keyasint,omitempty"`
	LogViewers          [][]byte    `cbor:"5,keyasint,omitempty"`
	WasmMemoryLimit     *uint64     `cbor:"6,keyasint,omitempty"`
	WasmMemoryThreshold uint64      `cbor:"7,keyasint,omitempty"`
	EnvVars             [][2]string `cbor:"8,keyasint,omitempty"`
}

// Kinds of history changes.
const (
	changeCreation    = 1
	changeUninstall   = 2
	changeDeployment  = 3
	changeControllers = 4
)

// Install modes of a code deployment change.
const (
	modeInstall   = 1
	modeReinstall = 2
	modeUpgrade   = 3
)

// histChange is one change of a canister's history.
type histChange struct {
	Time    uint64 `cbor:"1,keyasint"`
	Version uint64 `cbor:"2,keyasint"`
	// Origin is the user or, with FromCanister, the canister (of
	// version OriginVersion) that made the change.
	Origin        []byte  `cbor:"3,keyasint"`
	FromCanister  bool    `cbor:"4,keyasint,omitempty"`
	OriginVersion *uint64 `cbor:"5,keyasint,omitempty"`
	Kind          uint8   `cbor:"6,keyasint"`
	// Controllers of a creation or controllers change.
	Controllers [][]byte `cbor:"7,keyasint,omitempty"`
	// Mode and ModuleHash of a code deployment.
	Mode       uint8  `cbor:"8,keyasint,omitempty"`
	ModuleHash []byte `cbor:"9,keyasint,omitempty"`
}

// mgmtMeta is what the management canister keeps of a canister beside
// its execution state; it is persisted in the canister's metadata.
type mgmtMeta struct {
	Settings storedSettings
	// History holds the most recent changes; Total counts all.
	History []histChange
	Total   uint64
	// Chunks are the hashes of the chunk store, in upload order (the
	// chunks themselves are stored under keys of their own).
	Chunks [][]byte
}

// chunkStore is a canister's Wasm chunk store.
type chunkStore struct {
	order [][32]byte
	data  map[[32]byte][]byte
	size  int
	// written are the chunks in the persisted state.
	written map[[32]byte]bool
}

func (s *chunkStore) add(b []byte) [32]byte {
	h := sha256.Sum256(b)
	if s.data == nil {
		s.data = map[[32]byte][]byte{}
	}
	if _, ok := s.data[h]; ok {
		return h
	}
	s.data[h] = slices.Clone(b)
	s.order = append(s.order, h)
	s.size += len(b)
	return h
}

func (s *chunkStore) clear() {
	s.order, s.data, s.size = nil, nil, 0
}

// chunkKey is the state key of a stored chunk.
func chunkKey(id []byte, h [32]byte) []byte { return append(canisterKey(id, "k/"), h[:]...) }

// persistChunks writes the chunks added since the last write and deletes
// the ones cleared.
func (s *chunkStore) persist(w subnet.Writer, id []byte) {
	if s.written == nil {
		s.written = map[[32]byte]bool{}
	}
	for _, h := range s.order {
		if !s.written[h] {
			w.Set(chunkKey(id, h), s.data[h])
			s.written[h] = true
		}
	}
	for h := range s.written {
		if _, ok := s.data[h]; !ok {
			w.Delete(chunkKey(id, h))
			delete(s.written, h)
		}
	}
}

// writeAll writes every chunk (snapshots).
func (s *chunkStore) writeAll(w subnet.Writer, id []byte) {
	for _, h := range s.order {
		w.Set(chunkKey(id, h), s.data[h])
	}
}

// deleteAll deletes every persisted chunk (a deleted canister).
func (s *chunkStore) deleteAll(w subnet.Writer, id []byte) {
	for h := range s.written {
		w.Delete(chunkKey(id, h))
	}
	for _, h := range s.order {
		w.Delete(chunkKey(id, h))
	}
}

// hashes returns the chunk hashes in upload order.
func (s *chunkStore) hashes() [][]byte {
	out := make([][]byte, len(s.order))
	for i, h := range s.order {
		out[i] = slices.Clone(h[:])
	}
	return out
}

// restore rebuilds the store from the persisted hashes and chunks.
func (s *chunkStore) restore(pid principal.Principal, hashes [][]byte, chunks map[[32]byte][]byte) error {
	s.clear()
	s.written = map[[32]byte]bool{}
	for _, hb := range hashes {
		var h [32]byte
		if len(hb) != 32 {
			return fmt.Errorf("canisters: load canister %s: chunk hash of %d bytes", pid, len(hb))
		}
		copy(h[:], hb)
		b, ok := chunks[h]
		if !ok || sha256.Sum256(b) != h {
			return fmt.Errorf("canisters: load canister %s: chunk %x missing or corrupt", pid, h[:6])
		}
		s.add(b)
		s.written[h] = true
	}
	return nil
}

// record appends a change to a canister's history.
func (c *Component) record(e *entry, ch histChange, sender principal.Principal) {
	ch.Time = c.round.TimeNS
	ch.Version = e.can.State().Version
	if o := c.origin; o != nil {
		ch.Origin, ch.FromCanister = o.caller.Bytes(), true
		v := o.version
		ch.OriginVersion = &v
	} else {
		ch.Origin = sender.Bytes()
	}
	e.mgmt.History = append(e.mgmt.History, ch)
	if n := len(e.mgmt.History); n > MaxHistoryChanges {
		e.mgmt.History = slices.Clone(e.mgmt.History[n-MaxHistoryChanges:])
	}
	e.mgmt.Total++
	c.dirty[string(e.id.Bytes())] = true
}

func principalsBytes(ps []principal.Principal) [][]byte {
	out := make([][]byte, len(ps))
	for i, p := range ps {
		out[i] = p.Bytes()
	}
	return out
}

func bytesPrincipals(bs [][]byte) []principal.Principal {
	out := make([]principal.Principal, 0, len(bs))
	for _, b := range bs {
		out = append(out, mustPrincipal(b))
	}
	return out
}

// Candid types of canister_info's changes (ic.did). The variants carry
// the cases the component records; a variant with fewer cases is a
// subtype of ic.did's.
type userOrigin struct {
	UserID principal.Principal `candid:"user_id"`
}

type canisterOrigin struct {
	CanisterID      principal.Principal `candid:"canister_id"`
	CanisterVersion *uint64             `candid:"canister_version"`
}

type changeOrigin struct {
	candid.IsVariant
	FromUser     *userOrigin     `candid:"from_user"`
	FromCanister *canisterOrigin `candid:"from_canister"`
}

type creationRecord struct {
	Controllers []principal.Principal `candid:"controllers"`
	EnvHash     *[]byte               `candid:"environment_variables_hash"`
}

type deployMode struct {
	candid.IsVariant
	Install   *candid.Null `candid:"install"`
	Reinstall *candid.Null `candid:"reinstall"`
	Upgrade   *candid.Null `candid:"upgrade"`
}

type deploymentRecord struct {
	Mode       deployMode `candid:"mode"`
	ModuleHash []byte     `candid:"module_hash"`
}

type controllersRecord struct {
	Controllers []principal.Principal `candid:"controllers"`
}

type changeDetails struct {
	candid.IsVariant
	Creation          *creationRecord    `candid:"creation"`
	CodeUninstall     *candid.Null       `candid:"code_uninstall"`
	CodeDeployment    *deploymentRecord  `candid:"code_deployment"`
	ControllersChange *controllersRecord `candid:"controllers_change"`
}

type changeRecord struct {
	Time    uint64        `candid:"timestamp_nanos"`
	Version uint64        `candid:"canister_version"`
	Origin  changeOrigin  `candid:"origin"`
	Details changeDetails `candid:"details"`
}

type canisterInfoResult struct {
	Total       uint64                `candid:"total_num_changes"`
	Recent      []changeRecord        `candid:"recent_changes"`
	ModuleHash  *[]byte               `candid:"module_hash"`
	Controllers []principal.Principal `candid:"controllers"`
}

func (ch *histChange) candid() changeRecord {
	r := changeRecord{Time: ch.Time, Version: ch.Version}
	if ch.FromCanister {
		r.Origin.FromCanister = &canisterOrigin{CanisterID: mustPrincipal(ch.Origin), CanisterVersion: ch.OriginVersion}
	} else {
		r.Origin.FromUser = &userOrigin{UserID: mustPrincipal(ch.Origin)}
	}
	switch ch.Kind {
	case changeCreation:
		r.Details.Creation = &creationRecord{Controllers: bytesPrincipals(ch.Controllers)}
	case changeUninstall:
		r.Details.CodeUninstall = &candid.Null{}
	case changeDeployment:
		d := &deploymentRecord{ModuleHash: nonNil(ch.ModuleHash)}
		switch ch.Mode {
		case modeReinstall:
			d.Mode.Reinstall = &candid.Null{}
		case modeUpgrade:
			d.Mode.Upgrade = &candid.Null{}
		default:
			d.Mode.Install = &candid.Null{}
		}
		r.Details.CodeDeployment = d
	default:
		r.Details.ControllersChange = &controllersRecord{Controllers: bytesPrincipals(ch.Controllers)}
	}
	return r
}

// canisterInfo answers canister_info: the controllers, module hash and
// the n most recent changes (at most MaxHistoryChanges).
func canisterInfo(e *entry, n uint64) ([]byte, int, string) {
	res := canisterInfoResult{Total: e.mgmt.Total, Recent: []changeRecord{}, ModuleHash: moduleHash(e),
		Controllers: slices.Clone(e.controllers)}
	h := e.mgmt.History
	if n < uint64(len(h)) {
		h = h[uint64(len(h))-n:]
	}
	for i := range h {
		res.Recent = append(res.Recent, h[i].candid())
	}
	return encodeReply(res)
}

// historySize is the canister_history_size of memory_metrics: the bytes
// of the kept changes.
func historySize(m *mgmtMeta) int {
	n := 0
	for _, ch := range m.History {
		n += 8 + 8 + len(ch.Origin) + 8 + 1 + len(ch.ModuleHash)
		for _, p := range ch.Controllers {
			n += len(p)
		}
	}
	return n
}

// withMgmt adds the management canister's part of the canister's state
// to its metadata.
func (e *entry) withMgmt(m *meta) *meta {
	mm := e.mgmt
	mm.Chunks = e.chunks.hashes()
	m.Mgmt = &mm
	m.LogHash = e.logHash
	return m
}

// writeLog writes the log records if they changed, or always (a whole
// write), under the canister's "log" key (deleted when there are none),
// and keeps their hash.
func (e *entry) writeLog(w subnet.Writer, id []byte, always bool) {
	if !e.logDirty && !always {
		return
	}
	if lb := e.logBytes(); lb != nil {
		w.Set(canisterKey(id, "log"), lb)
		h := sha256.Sum256(lb)
		e.logHash = h[:]
	} else {
		if !always {
			w.Delete(canisterKey(id, "log"))
		}
		e.logHash = nil
	}
	if !always {
		e.logDirty = false
	}
}

// logBytes encodes the canister's log records (nil without any).
func (e *entry) logBytes() []byte {
	if e.log == nil || len(e.log.Records) == 0 {
		return nil
	}
	b, err := subnet.Marshal(e.log)
	if err != nil {
		return nil
	}
	return b
}

// restoreMgmt restores what withMgmt and the chunk and log keys hold.
func (e *entry) restoreMgmt(m *meta, logEnc []byte, chunks map[[32]byte][]byte) error {
	if m.Mgmt != nil {
		e.mgmt = *m.Mgmt
		hashes := e.mgmt.Chunks
		e.mgmt.Chunks = nil
		if err := e.chunks.restore(e.id, hashes, chunks); err != nil {
			return err
		}
	}
	if m.LogHash != nil {
		if h := sha256.Sum256(logEnc); logEnc == nil || !bytes.Equal(h[:], m.LogHash) {
			return fmt.Errorf("canisters: load canister %s: log records missing or corrupt", e.id)
		}
		var l canisterLog
		if err := subnet.Unmarshal(logEnc, &l); err != nil {
			return fmt.Errorf("canisters: load canister %s: log: %w", e.id, err)
		}
		for _, r := range l.Records {
			l.size += len(r.Content)
		}
		e.log, e.logHash = &l, slices.Clone(m.LogHash)
	}
	return nil
}
