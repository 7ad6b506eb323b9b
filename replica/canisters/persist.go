package canisters

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
)

// PageSize is the unit in which canister memories are persisted.
const PageSize = 4096

// State keys of the component.
const (
	// PrefixCanisters holds everything of the component.
	PrefixCanisters = "cn/"
	keyGlobal       = "cn/g"
	prefixCanister  = "cn/c/" // cn/c/<len><id>/{meta,wasm,m/<page>,s/<page>}
	prefixRecord    = "cn/r/" // cn/r/<message id> -> Record
)

func canisterPrefix(id []byte) []byte {
	return append(append([]byte(prefixCanister), byte(len(id))), append(slices.Clone(id), '/')...)
}

func canisterKey(id []byte, name string) []byte { return append(canisterPrefix(id), name...) }

func pageKey(id []byte, kind byte, i int) []byte {
	k := append(canisterPrefix(id), kind, '/')
	return binary.BigEndian.AppendUint32(k, uint32(i))
}

func recordKey(id []byte) []byte { return append([]byte(prefixRecord), id...) }

// meta is the persisted state of a canister beside its module and pages.
type meta struct {
	Controllers   [][]byte `cbor:"1,keyasint"`
	ModuleHash    []byte   `cbor:"2,keyasint,omitempty"`
	Globals       []uint64 `cbor:"3,keyasint,omitempty"`
	CertifiedData []byte   `cbor:"4,keyasint,omitempty"`
	Cycles        uint64   `cbor:"5,keyasint,omitempty"`
	Status        uint32   `cbor:"6,keyasint"`
	Version       uint64   `cbor:"7,keyasint,omitempty"`
	GlobalTimer   uint64   `cbor:"8,keyasint,omitempty"`
	MemLen        uint64   `cbor:"9,keyasint,omitempty"`
	StableLen     uint64   `cbor:"10,keyasint,omitempty"`
	Epoch         uint64   `cbor:"11,keyasint,omitempty"`
	// FreezingThreshold is the canister setting in seconds.
	FreezingThreshold uint64 `cbor:"12,keyasint,omitempty"`
	// Mgmt are the other settings, the history and the chunk store's
	// hashes; LogHash is the SHA-256 of the log records stored under
	// the canister's "log" key (none without records).
	Mgmt    *mgmtMeta `cbor:"80,keyasint,omitempty"`
	LogHash []byte    `cbor:"81,keyasint,omitempty"`
	// Table is the Wasm table of a module that changes it at run time
	// (execution.State.Table).
	Table []int64 `cbor:"85,keyasint,omitempty"`
}

// persist writes what the round changed.
func (c *Component) persist(w subnet.Writer) error {
	if err := c.goPersist(w); err != nil {
		return err
	}
	keys := make([]string, 0, len(c.dirty)+len(c.deleted))
	for k := range c.dirty {
		keys = append(keys, k)
	}
	for k := range c.deleted {
		if !c.dirty[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		id := []byte(k)
		if e, ok := c.cans[k]; ok {
			if err := c.persistCanister(w, e); err != nil {
				return err
			}
			continue
		}
		if e := c.deleted[k]; e != nil {
			e.pages.deleteAll(w, id, 'm')
			e.spages.deleteAll(w, id, 's')
			w.Delete(canisterKey(id, "meta"))
			w.Delete(canisterKey(id, "wasm"))
			w.Delete(canisterKey(id, "log"))
			e.chunks.deleteAll(w, id)
		}
	}
	if len(keys) > 0 {
		c.hashValid = false
	}
	clear(c.dirty)
	clear(c.deleted)
	recs := make([]string, 0, len(c.recDirty))
	for k := range c.recDirty {
		recs = append(recs, k)
	}
	slices.Sort(recs)
	for _, k := range recs {
		b, err := subnet.Marshal(c.records[k])
		if err != nil {
			return fmt.Errorf("canisters: encode record: %w", err)
		}
		w.Set(recordKey([]byte(k)), b)
	}
	clear(c.recDirty)
	if c.gdirty {
		b, err := subnet.Marshal(&c.g)
		if err != nil {
			return fmt.Errorf("canisters: encode state: %w", err)
		}
		w.Set([]byte(keyGlobal), b)
		c.gdirty = false
		c.hashValid = false
	}
	return nil
}

// PagesWritten counts the memory pages the component wrote since it was
// made (for benchmarks and tests of the incremental persistence).
func (c *Component) PagesWritten() int { return c.pagesWritten }

// persistCanister writes what changed in a canister since its last
// checkpoint: the pages the engine reports changed, the module when it
// changed and the metadata. Its cost grows with the pages changed, not
// with the memory.
func (c *Component) persistCanister(w subnet.Writer, e *entry) error {
	cp := e.can.Checkpoint()
	id := e.id.Bytes()
	n1 := e.pages.applyPages(w, id, 'm', cp.MemoryReset, cp.MemorySize, cp.MemoryPages)
	n2 := e.spages.applyPages(w, id, 's', cp.StableReset, cp.StableSize, cp.StablePages)
	c.pagesWritten += n1 + n2
	st := &cp.State
	if st.ModuleHash != e.module {
		if st.ModuleHash == ([32]byte{}) {
			w.Delete(canisterKey(id, "wasm"))
		} else {
			if st.Module == nil {
				return fmt.Errorf("canisters: canister %s: checkpoint of a new module without the module", e.id)
			}
			w.Set(canisterKey(id, "wasm"), st.Module)
		}
		e.module = st.ModuleHash
		e.meta = c.metadataOf(e, st.Module)
	}
	e.certified = st.CertifiedData
	e.chunks.persist(w, id)
	e.writeLog(w, id, false)
	b, err := subnet.Marshal(e.withMgmt(metaOf(st, cp.MemorySize, cp.StableSize, e.epoch)))
	if err != nil {
		return fmt.Errorf("canisters: encode canister: %w", err)
	}
	w.Set(canisterKey(id, "meta"), b)
	e.hash = canisterHash(b, e)
	return nil
}

// writeCanister writes the whole state of a canister (for snapshots);
// it leaves the canister's checkpoint period alone.
func writeCanister(w subnet.Writer, e *entry) error {
	st := e.can.State()
	id := e.id.Bytes()
	for kind, mem := range map[byte][]byte{'m': st.Memory, 's': st.Stable} {
		for i := 0; i*PageSize < len(mem); i++ {
			page := mem[i*PageSize : min(len(mem), (i+1)*PageSize)]
			if !isZero(page) {
				w.Set(pageKey(id, kind, i), page)
			}
		}
	}
	if st.Module != nil {
		w.Set(canisterKey(id, "wasm"), st.Module)
	}
	e.chunks.writeAll(w, id)
	e.writeLog(w, id, true)
	b, err := subnet.Marshal(e.withMgmt(metaOf(&st, uint64(len(st.Memory)), uint64(len(st.Stable)), e.epoch)))
	if err != nil {
		return fmt.Errorf("canisters: encode canister: %w", err)
	}
	w.Set(canisterKey(id, "meta"), b)
	return nil
}

func metaOf(st *execution.State, memLen, stableLen, epoch uint64) *meta {
	m := &meta{Globals: st.Globals, CertifiedData: st.CertifiedData, Cycles: st.Cycles, Status: uint32(st.Status),
		Version: st.Version, GlobalTimer: st.GlobalTimer, MemLen: memLen, StableLen: stableLen, Epoch: epoch,
		FreezingThreshold: st.FreezingThreshold, Table: st.Table}
	for _, p := range st.Controllers {
		m.Controllers = append(m.Controllers, p.Bytes())
	}
	if st.ModuleHash != ([32]byte{}) {
		m.ModuleHash = st.ModuleHash[:]
	}
	return m
}

// canisterHash hashes a canister's persisted state: its metadata and the
// hashes of its module and pages.
func canisterHash(metaEnc []byte, e *entry) [32]byte {
	h := sha256.New()
	h.Write([]byte("chainkey-canister-state/2"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(metaEnc))))
	h.Write(metaEnc)
	h.Write(e.module[:])
	for _, t := range []*pageTree{&e.pages, &e.spages} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(t.n)))
		r := t.root()
		h.Write(r[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// StateHash implements subnet.Component: the hash of the component's
// queues, every canister's persisted state and every status record.
func (c *Component) StateHash() [32]byte {
	if c.hashValid {
		return c.hash
	}
	h := sha256.New()
	g, _ := subnet.Marshal(&c.g)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(g))))
	h.Write(g)
	for _, k := range c.sortedKeys() {
		h.Write([]byte{byte(len(k))})
		h.Write([]byte(k))
		h.Write(c.cans[k].hash[:])
	}
	ids := make([]string, 0, len(c.records))
	for k := range c.records {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	for _, k := range ids {
		b, _ := subnet.Marshal(c.records[k])
		h.Write([]byte(k))
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	h.Write(c.goHash())
	h.Sum(c.hash[:0])
	c.hashValid = true
	return c.hash
}

// Load replaces the component's state with the one persisted in st (the
// committed state of a node that starts).
func (c *Component) Load(st subnet.Storage) error {
	fresh, err := New(c.cfg)
	if err != nil {
		return err
	}
	fresh.modules = c.modules
	raw, ok, err := st.Get([]byte(keyGlobal))
	if err != nil {
		return fmt.Errorf("canisters: load: %w", err)
	}
	if ok {
		var g global
		if err := subnet.Unmarshal(raw, &g); err != nil {
			return fmt.Errorf("canisters: load state: %w", err)
		}
		if g.Calls == nil {
			g.Calls = map[uint64]*outCall{}
		}
		if g.Contexts == nil {
			g.Contexts = map[uint64]*callCtx{}
		}
		if g.Signs == nil {
			g.Signs = map[string]uint64{}
		}
		fresh.g = g
	}
	type parts struct {
		meta        []byte
		wasm        []byte
		mem, stable map[uint32][]byte
		log         []byte
		chunks      map[[32]byte][]byte
	}
	byID := map[string]*parts{}
	var order []string
	err = st.Scan([]byte(prefixCanister), func(k, v []byte) bool {
		r := k[len(prefixCanister):]
		if len(r) < 1 || len(r) < 2+int(r[0]) {
			return true
		}
		id, rest := string(r[1:1+int(r[0])]), string(r[2+int(r[0]):])
		p := byID[id]
		if p == nil {
			p = &parts{mem: map[uint32][]byte{}, stable: map[uint32][]byte{}, chunks: map[[32]byte][]byte{}}
			byID[id] = p
			order = append(order, id)
		}
		switch {
		case rest == "meta":
			p.meta = slices.Clone(v)
		case rest == "wasm":
			p.wasm = slices.Clone(v)
		case rest == "log":
			p.log = slices.Clone(v)
		case len(rest) == 34 && rest[:2] == "k/":
			p.chunks[[32]byte([]byte(rest[2:]))] = slices.Clone(v)
		case len(rest) == 6 && (rest[0] == 'm' || rest[0] == 's') && rest[1] == '/':
			i := binary.BigEndian.Uint32([]byte(rest[2:]))
			if rest[0] == 'm' {
				p.mem[i] = slices.Clone(v)
			} else {
				p.stable[i] = slices.Clone(v)
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("canisters: load: %w", err)
	}
	for _, id := range order {
		p := byID[id]
		if p.meta == nil {
			return fmt.Errorf("canisters: load: canister %x has no metadata", id)
		}
		var m meta
		if err := subnet.Unmarshal(p.meta, &m); err != nil {
			return fmt.Errorf("canisters: load canister %x: %w", id, err)
		}
		e, err := fresh.restoreCanister([]byte(id), &m, p.meta, p.wasm, p.mem, p.stable)
		if err != nil {
			return err
		}
		if err := e.restoreMgmt(&m, p.log, p.chunks); err != nil {
			return err
		}
		fresh.cans[id] = e
	}
	err = st.Scan([]byte(prefixRecord), func(k, v []byte) bool {
		var r Record
		if subnet.Unmarshal(v, &r) != nil {
			return true
		}
		id := string(k[len(prefixRecord):])
		fresh.records[id] = &r
		fresh.addExpiry(r.Expiry, id)
		return true
	})
	if err != nil {
		return fmt.Errorf("canisters: load: %w", err)
	}
	for _, e := range c.cans {
		e.can.Close()
	}
	c.cans, c.g, c.records, c.expiries = fresh.cans, fresh.g, fresh.records, fresh.expiries
	c.status = statusIndex{}
	c.in, c.ready, c.signOut = nil, nil, nil
	clear(c.dirty)
	clear(c.deleted)
	clear(c.recDirty)
	c.gdirty, c.hashValid = false, false
	return c.goLoad(st)
}

func (c *Component) restoreCanister(id []byte, m *meta, metaEnc, wasm []byte, mem, stable map[uint32][]byte) (*entry, error) {
	pid, err := principal.FromBytes(id)
	if err != nil {
		return nil, fmt.Errorf("canisters: load: canister id: %w", err)
	}
	st := execution.State{ID: pid, Globals: m.Globals, CertifiedData: m.CertifiedData, Cycles: m.Cycles,
		Status: execution.Status(m.Status), Version: m.Version, GlobalTimer: m.GlobalTimer, FreezingThreshold: m.FreezingThreshold, Table: m.Table}
	for _, b := range m.Controllers {
		p, err := principal.FromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("canisters: load: controller: %w", err)
		}
		st.Controllers = append(st.Controllers, p)
	}
	assemble := func(n uint64, pages map[uint32][]byte, what string) ([]byte, error) {
		// Pages of zeros are not stored.
		if n%PageSize != 0 || uint64(len(pages)) > n/PageSize {
			return nil, fmt.Errorf("canisters: load canister %s: %s of %d bytes in %d pages", pid, what, n, len(pages))
		}
		if n == 0 {
			return nil, nil
		}
		out := make([]byte, n)
		for i, p := range pages {
			if uint64(i) >= n/PageSize || len(p) != PageSize {
				return nil, fmt.Errorf("canisters: load canister %s: %s page %d out of range or of %d bytes", pid, what, i, len(p))
			}
			copy(out[uint64(i)*PageSize:], p)
		}
		return out, nil
	}
	if st.Memory, err = assemble(m.MemLen, mem, "memory"); err != nil {
		return nil, err
	}
	if st.Stable, err = assemble(m.StableLen, stable, "stable memory"); err != nil {
		return nil, err
	}
	var compiled execution.Compiled
	if m.ModuleHash != nil {
		if wasm == nil {
			return nil, fmt.Errorf("canisters: load canister %s: module missing", pid)
		}
		p, cm, err := c.modules.Get(wasm)
		if err != nil {
			return nil, fmt.Errorf("canisters: load canister %s: %w", pid, err)
		}
		if !bytes.Equal(p.Hash[:], m.ModuleHash) {
			return nil, fmt.Errorf("canisters: load canister %s: module hash mismatch", pid)
		}
		st.Module, st.ModuleHash, compiled = wasm, p.Hash, cm
	}
	can, err := execution.Load(c.cfg.Exec, st, compiled)
	if err != nil {
		return nil, fmt.Errorf("canisters: load canister %s: %w", pid, err)
	}
	e := &entry{id: pid, can: can, controllers: st.Controllers, epoch: m.Epoch, module: st.ModuleHash, certified: st.CertifiedData}
	if m.ModuleHash != nil {
		e.meta = c.metadataOf(e, wasm)
	}
	e.pages, e.spages = treeOf(st.Memory), treeOf(st.Stable)
	e.hash = canisterHash(metaEnc, e)
	return e, nil
}

// memStore is a Storage and Writer in memory, for snapshots.
type memStore struct{ kv map[string][]byte }

func (m *memStore) Set(k, v []byte) { m.kv[string(k)] = slices.Clone(v) }
func (m *memStore) Delete(k []byte) { delete(m.kv, string(k)) }
func (m *memStore) Get(k []byte) ([]byte, bool, error) {
	v, ok := m.kv[string(k)]
	return v, ok, nil
}
func (m *memStore) Scan(prefix []byte, fn func(k, v []byte) bool) error {
	keys := make([]string, 0, len(m.kv))
	for k := range m.kv {
		if bytes.HasPrefix([]byte(k), prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !fn([]byte(k), m.kv[k]) {
			break
		}
	}
	return nil
}

type kv struct {
	K []byte `cbor:"1,keyasint"`
	V []byte `cbor:"2,keyasint"`
}

// Snapshot implements subnet.Component: every key of the component's
// persisted state, in key order, as a CBOR array of pairs.
func (c *Component) Snapshot() []byte {
	m := &memStore{kv: map[string][]byte{}}
	c.writeAll(m)
	var out []kv
	_ = m.Scan(nil, func(k, v []byte) bool {
		out = append(out, kv{K: slices.Clone(k), V: v})
		return true
	})
	b, err := subnet.Marshal(out)
	if err != nil {
		panic(err)
	}
	return b
}

// writeAll writes the whole state (not only what changed) to w.
func (c *Component) writeAll(w subnet.Writer) {
	for _, k := range c.sortedKeys() {
		_ = writeCanister(w, c.cans[k])
	}
	for k, r := range c.records {
		b, _ := subnet.Marshal(r)
		w.Set(recordKey([]byte(k)), b)
	}
	b, _ := subnet.Marshal(&c.g)
	w.Set([]byte(keyGlobal), b)
	c.goWriteAll(w)
}

// Restore implements subnet.Component: it replaces the state with a
// snapshot's.
func (c *Component) Restore(snapshot []byte) error {
	var pairs []kv
	if err := subnet.Unmarshal(snapshot, &pairs); err != nil {
		return fmt.Errorf("canisters: restore: %w", err)
	}
	m := &memStore{kv: map[string][]byte{}}
	for _, p := range pairs {
		if !bytes.HasPrefix(p.K, []byte(PrefixCanisters)) {
			return fmt.Errorf("canisters: restore: key %q outside the component", p.K)
		}
		m.Set(p.K, p.V)
	}
	return c.Load(m)
}

// Leaves implements subnet.Component: per canister
// /canister/<id>/module_hash (when a module is installed),
// /canister/<id>/controllers (CBOR, tag 55799, array of principals) and
// /canister/<id>/certified_data and /canister/<id>/metadata/<name> for
// each icp:public or icp:private custom section; per ingress message
// /request_status/<id>/status and its reply, or reject_code and
// reject_message.
func (c *Component) Leaves() []certification.PathValue {
	out := c.CanisterLeaves()
	ids := make([]string, 0, len(c.records))
	for k := range c.records {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	for _, k := range ids {
		for _, l := range recordLeaves(c.records[k]) {
			out = append(out, certification.PathValue{Path: append([][]byte{[]byte("request_status"), []byte(k)}, l.Path...), Value: l.Value})
		}
	}
	return out
}

// CanisterLeaves returns the leaves of Leaves other than the request
// statuses (which RequestStatusTrie gives as subtrees).
func (c *Component) CanisterLeaves() []certification.PathValue {
	var out []certification.PathValue
	for _, k := range c.sortedKeys() {
		e := c.cans[k]
		id := e.id.Bytes()
		leaf := func(name string, v []byte) {
			out = append(out, certification.PathValue{Path: [][]byte{[]byte("canister"), id, []byte(name)}, Value: v})
		}
		leaf("certified_data", nonNil(e.certified))
		leaf("controllers", controllersCBOR(e.controllers))
		if e.module != ([32]byte{}) {
			leaf("module_hash", slices.Clone(e.module[:]))
		}
		out = append(out, metadataLeaves(id, e.meta)...)
	}
	return append(out, c.goLeaves()...)
}

// recordLeaves returns an ingress message's leaves below
// /request_status/<id>.
func recordLeaves(r *Record) []certification.PathValue {
	out := []certification.PathValue{{Path: [][]byte{[]byte("status")}, Value: []byte(r.Status)}}
	leaf := func(name string, v []byte) {
		out = append(out, certification.PathValue{Path: [][]byte{[]byte(name)}, Value: v})
	}
	switch r.Status {
	case StatusReplied:
		leaf("reply", nonNil(r.Reply))
	case StatusRejected:
		leaf("reject_code", certification.AppendLEB128(nil, r.RejectCode))
		leaf("reject_message", []byte(r.RejectMessage))
		leaf("error_code", []byte(ErrorCode(r.RejectCode, r.RejectMessage)))
	}
	return out
}

// controllersCBOR encodes principals as the interface specification's
// controllers leaf: tag 55799 around an array of byte strings.
func controllersCBOR(ps []principal.Principal) []byte {
	b := []byte{0xd9, 0xd9, 0xf7}
	b = cborHead(b, 4, uint64(len(ps)))
	for _, p := range ps {
		pb := p.Bytes()
		b = cborHead(b, 2, uint64(len(pb)))
		b = append(b, pb...)
	}
	return b
}

func cborHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major<<5|byte(n))
	case n < 256:
		return append(b, major<<5|24, byte(n))
	default:
		return binary.BigEndian.AppendUint16(append(b, major<<5|25), uint16(n))
	}
}
