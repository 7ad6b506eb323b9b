package execution

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/chainkey/chainkey/principal"
)

// An instance that tracks the pages its stores write (the wasmtime
// engine's do, see instrument) implements dirtyTracker.
type dirtyTracker interface {
	dirtyMap() []byte
}

// pageSet is a set of page indices.
type pageSet []uint64

func (s *pageSet) add(p uint64) {
	w := p / 64
	if w >= uint64(len(*s)) {
		*s = append(*s, make([]uint64, w+1-uint64(len(*s)))...)
	}
	(*s)[w] |= 1 << (p % 64)
}

func (s pageSet) each(limit uint64, f func(p uint64)) {
	for w, x := range s {
		for x != 0 {
			p := uint64(w)*64 + uint64(bits.TrailingZeros64(x))
			x &= x - 1
			if p >= limit {
				return
			}
			f(p)
		}
	}
}

func (s *pageSet) clear() { clear(*s) }

func (s pageSet) has(p uint64) bool { return p/64 < uint64(len(s)) && s[p/64]&(1<<(p%64)) != 0 }

func (s pageSet) remove(p uint64) {
	if p/64 < uint64(len(s)) {
		s[p/64] &^= 1 << (p % 64)
	}
}

var zeroPage [PageSize]byte

func isZero(b []byte) bool { return bytes.Equal(b, zeroPage[:len(b)]) }

// shadowMem is the committed copy of a Wasm memory, by 4 KiB page; a nil
// page is all zeros (most of a canister's memory is: 13 of the 1,296
// pages of the Motoko counter after install), so the copy takes memory
// and time in proportion to the pages in use.
type shadowMem struct {
	pages [][]byte
	// shared marks the pages a Checkpoint handed out: they are never
	// written again (set replaces them), so checkpoints need no copy.
	shared pageSet
}

// size is the memory's size in bytes.
func (s *shadowMem) size() uint64 { return uint64(len(s.pages)) * PageSize }

// page returns page p (zeroPage when it is all zeros); p < len(pages).
func (s *shadowMem) page(p uint64) []byte {
	if b := s.pages[p]; b != nil {
		return b
	}
	return zeroPage[:]
}

// set makes page p equal to b.
func (s *shadowMem) set(p uint64, b []byte) {
	if s.pages[p] == nil || s.shared.has(p) {
		s.shared.remove(p)
		if s.pages[p] == nil && isZero(b) {
			return
		}
		s.pages[p] = make([]byte, PageSize)
	}
	copy(s.pages[p], b)
}

// share returns page p for a checkpoint, which may keep it.
func (s *shadowMem) share(p uint64) []byte {
	if s.pages[p] == nil {
		return make([]byte, PageSize)
	}
	s.shared.add(p)
	return s.pages[p]
}

// load makes the copy equal to mem (a whole number of pages).
func (s *shadowMem) load(mem []byte) {
	s.resize(uint64(len(mem)))
	s.shared.clear()
	for p := range s.pages {
		s.pages[p] = nil
		s.set(uint64(p), mem[p*PageSize:(p+1)*PageSize])
	}
}

// resize sets the size (a whole number of pages); new pages are zero.
func (s *shadowMem) resize(size uint64) {
	n := int(size / PageSize)
	if n <= len(s.pages) {
		clear(s.pages[n:])
		s.pages = s.pages[:n]
		return
	}
	s.pages = append(s.pages, make([][]byte, n-len(s.pages))...)
}

// writeTo copies the whole copy into mem (of at least its size).
func (s *shadowMem) writeTo(mem []byte) {
	for p := range s.pages {
		copy(mem[p*PageSize:(p+1)*PageSize], s.page(uint64(p)))
	}
}

// memPages returns the pages of memory a message may have written: the
// pages marked in the instance's dirty map (whose marks it clears) and
// the page after each, plus those the host wrote in system calls, in
// increasing order (with repeats). ok is false when the instance does not
// track its writes.
func (c *Canister) memPages(x *execCtx) (pages []uint64, ok bool) {
	t, isTracker := c.inst.(dirtyTracker)
	var m []byte
	if isTracker {
		m = t.dirtyMap()
	}
	if m == nil {
		return nil, false
	}
	n := (uint64(len(c.inst.Memory())) + PageSize - 1) / PageSize
	n = min(n, uint64(len(m)))
	pages = c.pageBuf[:0]
	var words uint64
	for words = 0; words+8 <= n; words += 8 {
		if binary.LittleEndian.Uint64(m[words:]) == 0 {
			continue
		}
		for p := words; p < words+8; p++ {
			if m[p] != 0 {
				m[p] = 0
				pages = append(pages, p, p+1)
			}
		}
	}
	for p := words; p < n; p++ {
		if m[p] != 0 {
			m[p] = 0
			pages = append(pages, p, p+1)
		}
	}
	if x != nil {
		for _, r := range x.hostWrites {
			for p := r[0] / PageSize; p < (r[0]+r[1]+PageSize-1)/PageSize; p++ {
				pages = append(pages, p)
			}
		}
	}
	c.pageBuf = pages
	return pages, true
}

// commitMemory makes the instance's memory the committed one after a
// message that did not trap: the pages it changed are copied into the
// shadow copy and recorded for the next checkpoint.
func (c *Canister) commitMemory(x *execCtx) {
	mem := c.inst.Memory()
	old := c.shadow.size()
	pages, ok := c.memPages(x)
	if !ok {
		pages = pages[:0]
		for p := uint64(0); p < old/PageSize; p++ {
			pages = append(pages, p)
		}
	}
	for _, p := range pages {
		lo := p * PageSize
		if lo >= old || lo >= uint64(len(mem)) {
			continue
		}
		if cur := mem[lo : lo+PageSize]; !bytes.Equal(cur, c.shadow.page(p)) {
			c.shadow.set(p, cur)
			c.memDirty.add(p)
		}
	}
	if uint64(len(mem)) > old {
		c.shadow.resize(uint64(len(mem)))
		for lo := old; lo < uint64(len(mem)); lo += PageSize {
			if cur := mem[lo : lo+PageSize]; !isZero(cur) {
				c.shadow.set(lo/PageSize, cur)
				c.memDirty.add(lo / PageSize)
			}
		}
	}
}

// rollbackMemory puts the committed memory and globals back into the
// instance. Memory cannot shrink, so after a message that grew it the
// instance is rebuilt from the module.
func (c *Canister) rollbackMemory(x *execCtx, globals []uint64) error {
	mem := c.inst.Memory()
	pages, ok := c.memPages(x)
	if uint64(len(mem)) != c.shadow.size() {
		return c.rebuildInstance(globals)
	}
	if !ok {
		c.shadow.writeTo(mem)
	} else {
		for _, p := range pages {
			lo := p * PageSize
			if lo < uint64(len(mem)) {
				copy(mem[lo:lo+PageSize], c.shadow.page(p))
			}
		}
	}
	return c.inst.SetGlobals(globals)
}

// rebuildInstance replaces the instance by a new one with the committed
// memory and globals.
func (c *Canister) rebuildInstance(globals []uint64) error {
	c.cur = &execCtx{c: c, ctx: CtxStart, stableSize: len(c.st.Stable)}
	stable := append([]byte(nil), c.st.Stable...)
	inst, _, err := c.compiled.Instantiate(host{c}, c.cfg.InstallLimit)
	c.st.Stable = stable
	c.cur = nil
	if err != nil {
		return fmt.Errorf("execution: rebuilding the instance: %w", err)
	}
	if err := inst.GrowMemory(c.shadow.size()); err != nil {
		inst.Close()
		return err
	}
	c.inst.Close()
	c.inst = inst
	c.shadow.writeTo(c.inst.Memory())
	c.clearDirtyMap()
	if err := c.inst.SetGlobals(globals); err != nil {
		return err
	}
	if k, ok := c.inst.(tableKeeper); ok && c.st.Table != nil {
		return k.SetTableState(c.st.Table)
	}
	return nil
}

// clearDirtyMap clears every mark of the instance's dirty map.
func (c *Canister) clearDirtyMap() {
	if t, ok := c.inst.(dirtyTracker); ok {
		clear(t.dirtyMap())
	}
}

// resync makes the instance's whole memory the committed one (after an
// install, upgrade or load). replaced says the memory is new: the next
// checkpoint then carries all of it.
func (c *Canister) resync(replaced bool) {
	c.shadow.load(c.inst.Memory())
	c.clearDirtyMap()
	if replaced {
		c.memReset = true
		c.memDirty.clear()
		for p, b := range c.shadow.pages {
			if b != nil {
				c.memDirty.add(uint64(p))
			}
		}
	}
}

// Page is one 4 KiB page of a memory.
type Page struct {
	Index uint64
	Data  []byte
}

// Checkpoint is what changed in a canister's state since the previous
// checkpoint: the 4 KiB pages of Wasm memory and stable memory written
// (a page may be listed whose bytes a message wrote back unchanged),
// their sizes, and the other fields whole. Applied to the state of the
// previous checkpoint it gives the current state.
type Checkpoint struct {
	// State is the canister's state without Memory and Stable; Module
	// is nil unless the module changed since the previous checkpoint.
	State State
	// MemorySize and StableSize are the sizes in bytes.
	MemorySize, StableSize uint64
	// MemoryReset and StableReset say that the memory was replaced (an
	// install, upgrade or uninstall): it starts from zeros before the
	// pages are applied.
	MemoryReset, StableReset bool
	// MemoryPages and StablePages are the changed pages, in increasing
	// order of index.
	MemoryPages, StablePages []Page
}

// Checkpoint returns the changes since the previous call (or since the
// canister was created or loaded) and starts a new period. Its cost grows
// with the pages changed, not with the size of memory.
func (c *Canister) Checkpoint() *Checkpoint {
	cp := &Checkpoint{State: c.st, MemoryReset: c.memReset, StableReset: c.stableReset}
	cp.State.Controllers = append([]principal.Principal(nil), c.st.Controllers...)
	cp.State.CertifiedData = append([]byte(nil), c.st.CertifiedData...)
	cp.State.Memory, cp.State.Stable = nil, nil
	if !c.moduleChanged {
		cp.State.Module = nil
	}
	if c.inst != nil {
		cp.State.Globals = c.inst.Globals()
		cp.MemorySize = c.shadow.size()
	} else {
		cp.State.Globals = nil
	}
	cp.StableSize = uint64(len(c.st.Stable))
	c.memDirty.each(cp.MemorySize/PageSize, func(p uint64) {
		cp.MemoryPages = append(cp.MemoryPages, Page{p, c.shadow.share(p)})
	})
	cp.StablePages = collectPages(c.stableDirty, cp.StableSize/PageSize, func(p uint64) []byte {
		return c.st.Stable[p*PageSize : (p+1)*PageSize]
	})
	c.memDirty.clear()
	c.stableDirty.clear()
	c.memReset, c.stableReset, c.moduleChanged = false, false, false
	return cp
}

// collectPages copies the pages of set within mem (into one buffer).
func collectPages(set pageSet, limit uint64, page func(uint64) []byte) []Page {
	n := 0
	set.each(limit, func(uint64) { n++ })
	if n == 0 {
		return nil
	}
	buf := make([]byte, n*PageSize)
	pages := make([]Page, 0, n)
	set.each(limit, func(p uint64) {
		d := buf[:PageSize:PageSize]
		buf = buf[PageSize:]
		copy(d, page(p))
		pages = append(pages, Page{p, d})
	})
	return pages
}

// Apply applies a checkpoint to the state of the previous one, in place
// (the buffers of Memory and Stable are reused).
func (s *State) Apply(cp *Checkpoint) error {
	if cp.MemorySize%PageSize != 0 || cp.StableSize%PageSize != 0 {
		return errors.New("execution: checkpoint: memory size is not a whole number of pages")
	}
	mem, err := applyPages(s.Memory, cp.MemorySize, cp.MemoryReset, cp.MemoryPages)
	if err != nil {
		return fmt.Errorf("execution: checkpoint: memory: %w", err)
	}
	stable, err := applyPages(s.Stable, cp.StableSize, cp.StableReset, cp.StablePages)
	if err != nil {
		return fmt.Errorf("execution: checkpoint: stable memory: %w", err)
	}
	module := s.Module
	if cp.State.Module != nil || cp.State.ModuleHash != s.ModuleHash {
		module = cp.State.Module
	}
	*s = cp.State
	s.Controllers = append([]principal.Principal(nil), cp.State.Controllers...)
	s.CertifiedData = append([]byte(nil), cp.State.CertifiedData...)
	s.Globals = append([]uint64(nil), cp.State.Globals...)
	s.Module, s.Memory, s.Stable = module, mem, stable
	if len(s.Module) == 0 {
		s.Module = nil
	}
	if len(s.Memory) == 0 {
		s.Memory = nil
	}
	if len(s.Stable) == 0 {
		s.Stable = nil
	}
	return nil
}

func applyPages(b []byte, size uint64, reset bool, pages []Page) ([]byte, error) {
	if reset {
		b = b[:0]
	}
	if uint64(len(b)) > size {
		b = b[:size]
	}
	if uint64(len(b)) < size {
		b = append(b, make([]byte, size-uint64(len(b)))...)
	}
	if reset {
		clear(b)
	}
	next := uint64(0)
	for _, p := range pages {
		if p.Index < next || len(p.Data) != PageSize {
			return nil, errors.New("pages out of order or of the wrong size")
		}
		if p.Index >= size/PageSize {
			return nil, fmt.Errorf("page %d beyond the size %d", p.Index, size)
		}
		copy(b[p.Index*PageSize:], p.Data)
		next = p.Index + 1
	}
	return b, nil
}

// stableDirtyAll records that stable memory was replaced: the next
// checkpoint starts it from zeros and carries its nonzero pages.
func (c *Canister) stableDirtyAll() {
	c.stableReset = true
	c.stableDirty.clear()
	for lo := 0; lo+PageSize <= len(c.st.Stable); lo += PageSize {
		if !isZero(c.st.Stable[lo : lo+PageSize]) {
			c.stableDirty.add(uint64(lo / PageSize))
		}
	}
}

// LoadCheckpoints returns the canister whose state is base with the
// checkpoints applied in order (a restarted node's path: the base state
// it wrote once and the pages of every height since). base is changed in
// place.
func LoadCheckpoints(cfg Config, base State, cps []*Checkpoint, compiled Compiled) (*Canister, error) {
	for i, cp := range cps {
		if err := base.Apply(cp); err != nil {
			return nil, fmt.Errorf("execution: checkpoint %d: %w", i, err)
		}
	}
	return Load(cfg, base, compiled)
}
