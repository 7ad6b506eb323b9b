package execution

import (
	"errors"
	"fmt"
)

// Dirty-page tracking. instrument rewrites a module so that every store
// into its memory first writes a 1 into a second memory, the dirty map,
// at the index of the 4 KiB page the store starts in (a store of at most
// 16 bytes touches that page and perhaps the next one, which the host
// checks too). memory.fill, memory.copy and memory.init mark their whole
// destination range through an added function. The host reads the map
// after each message, so that rolling back, committing and persisting a
// message cost in proportion to the pages it wrote, and clears the
// entries it read.
const (
	// exportDirty is the export name of the second memory: the values of
	// the mutable globals (8 bytes each) followed by the dirty map.
	exportDirty = "chainkey#dirty"
	// exportGlobalsSave and exportGlobalsLoad are added functions that
	// copy all mutable globals into the second memory and back, so that
	// the host reads or sets them with one call instead of one per
	// global.
	exportGlobalsSave = "chainkey#globals_save"
	exportGlobalsLoad = "chainkey#globals_load"
	// dirtyPageShift is log2 of the tracked page size (4 KiB).
	dirtyPageShift = 12
	// PageSize is the size of the pages execution tracks and persists.
	PageSize = 1 << dirtyPageShift
)

// instrumenter rewrites the code of a module with one memory.
type instrumenter struct {
	mem64       bool
	funcTypes   [][]byte // parameter value types of each type index
	importFuncs int
	defined     []uint32 // type index of each defined function
	markFunc    uint32   // index of the added range-marking function
	globals     []mutGlobal
	mapOff      uint64 // offset of the dirty map in the second memory
	// tableFlag says that table writes set the byte at flagOff of the
	// second memory (a module that changes its table: tables.go).
	tableFlag bool
	flagOff   uint64
}

// mutGlobal is a mutable global: its index and value type.
type mutGlobal struct {
	index   uint32
	valType byte
}

// dirtyMapOffset is where the dirty map starts in the second memory of a
// module with n mutable globals.
func dirtyMapOffset(n int) uint64 { return uint64(8 * n) }

// dirtyLayout is where the dirty map starts in the second memory of a
// module with n mutable globals, and where its table flag is (a word
// between the globals and the map, only in a module that changes its
// table).
func dirtyLayout(n int, tableFlag bool) (mapOff, flagOff uint64) {
	if tableFlag {
		return dirtyMapOffset(n) + 8, dirtyMapOffset(n)
	}
	return dirtyMapOffset(n), 0
}

// New locals appended to every function, after its own.
const (
	lAddr = iota // the store's address (pointer type)
	lLen         // a range's length (pointer type)
	lVal         // the stored value, pointer type (reused by type below)
	lI32
	lI64
	lF32
	lF64
	lV128
	nLocals
)

// instrument returns wasm (a module parseModule produced, with one
// memory) with dirty-page tracking added.
func instrument(wasm []byte, mem64 bool, globals []mutGlobal, tableFlag bool) ([]byte, error) {
	in := &instrumenter{mem64: mem64, globals: globals, tableFlag: tableFlag}
	in.mapOff, in.flagOff = dirtyLayout(len(globals), tableFlag)
	// First pass: types, imported and defined functions.
	r := &reader{b: wasm, off: 8}
	for r.err == nil && r.off < len(wasm) {
		id := r.byte()
		body := r.bytes(r.uleb(32))
		s := &reader{b: body}
		switch id {
		case secType:
			for n := s.uleb(32); n > 0 && s.err == nil; n-- {
				if form := s.byte(); form != 0x60 {
					return nil, fmt.Errorf("type form %#x is not supported", form)
				}
				params := s.bytes(s.uleb(32))
				s.bytes(s.uleb(32))
				in.funcTypes = append(in.funcTypes, params)
			}
		case secImport:
			for n := s.uleb(32); n > 0 && s.err == nil; n-- {
				s.name()
				s.name()
				if kind := s.byte(); kind == 0 {
					s.uleb(32)
					in.importFuncs++
				} else {
					// parseModule allows only function imports to pass.
					return nil, errors.New("non-function import")
				}
			}
		case secFunction:
			for n := s.uleb(32); n > 0 && s.err == nil; n-- {
				in.defined = append(in.defined, uint32(s.uleb(32)))
			}
		case secData:
			// The module has one memory: a segment may not name another
			// (which would be the added one).
			for n := s.uleb(32); n > 0 && s.err == nil; n-- {
				switch flags := s.uleb(32); flags {
				case 0:
					s.constExpr()
				case 1:
				case 2:
					if s.uleb(32) != 0 {
						return nil, errors.New("data segment for a memory other than 0")
					}
					s.constExpr()
				default:
					return nil, fmt.Errorf("data segment flags %d", flags)
				}
				s.bytes(s.uleb(32))
			}
		}
		if s.err != nil {
			return nil, fmt.Errorf("section %d: %w", id, s.err)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	markType := uint32(len(in.funcTypes))
	in.markFunc = uint32(in.importFuncs + len(in.defined))

	ptr := byte(valI32)
	if mem64 {
		ptr = valI64
	}
	out := append([]byte(nil), wasm[:8]...)
	section := func(id byte, body []byte) {
		out = append(out, id)
		out = appendULEB(out, uint64(len(body)))
		out = append(out, body...)
	}
	// vecAppend re-encodes a vector section with extra entries.
	vecAppend := func(body []byte, extra int, entries []byte) ([]byte, error) {
		s := &reader{b: body}
		n := s.uleb(32)
		if s.err != nil {
			return nil, s.err
		}
		b := appendULEB(nil, n+uint64(extra))
		b = append(b, body[s.off:]...)
		return append(b, entries...), nil
	}
	seen := map[byte]bool{}
	r = &reader{b: wasm, off: 8}
	for r.err == nil && r.off < len(wasm) {
		hdr := r.off
		id := r.byte()
		size := r.uleb(32)
		start := r.off
		body := r.bytes(size)
		if r.err != nil {
			break
		}
		// Emit the sections the module lacks before the first section
		// that follows them.
		pos := sectionOrder[id]
		if id != secCustom {
			if !seen[secType] && pos > sectionOrder[secType] {
				section(secType, in.typeEntries(appendULEB(nil, 2), ptr))
				seen[secType] = true
			}
			if !seen[secFunction] && pos > sectionOrder[secFunction] {
				section(secFunction, in.funcEntries(appendULEB(nil, 3), markType))
				seen[secFunction] = true
			}
			if !seen[secExport] && pos > sectionOrder[secExport] {
				section(secExport, in.exportEntries(appendULEB(nil, 3)))
				seen[secExport] = true
			}
			if !seen[secCode] && pos > sectionOrder[secCode] {
				section(secCode, in.addedBodies(appendULEB(nil, 3)))
				seen[secCode] = true
			}
		}
		var err error
		switch id {
		case secType:
			body, err = vecAppend(body, 2, in.typeEntries(nil, ptr))
		case secFunction:
			body, err = vecAppend(body, 3, in.funcEntries(nil, markType))
		case secMemory:
			lim := []byte{0, 0}
			if mem64 {
				lim[0] = 4
			}
			body, err = vecAppend(body, 1, lim)
		case secExport:
			body, err = vecAppend(body, 3, in.exportEntries(nil))
		case secCode:
			body, err = in.code(body)
		default:
			out = append(out, wasm[hdr:start+int(size)]...)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		seen[id] = true
		section(id, body)
	}
	if r.err != nil {
		return nil, r.err
	}
	if !seen[secCode] {
		if !seen[secType] || !seen[secExport] {
			return nil, errors.New("module has no type or export section")
		}
		section(secCode, in.addedBodies(appendULEB(nil, 3)))
	}
	return out, nil
}

// typeEntries appends the added types: (ptr, ptr) -> () and () -> ().
func (in *instrumenter) typeEntries(b []byte, ptr byte) []byte {
	return append(b, 0x60, 2, ptr, ptr, 0, 0x60, 0, 0)
}

// funcEntries appends the added functions' types: mark, globals_save,
// globals_load.
func (in *instrumenter) funcEntries(b []byte, markType uint32) []byte {
	b = appendULEB(b, uint64(markType))
	b = appendULEB(b, uint64(markType+1))
	return appendULEB(b, uint64(markType+1))
}

// exportEntries appends the exports of the second memory and the
// globals functions.
func (in *instrumenter) exportEntries(b []byte) []byte {
	b = append(appendName(b, exportDirty), 2, 1)
	b = appendULEB(append(appendName(b, exportGlobalsSave), 0), uint64(in.markFunc+1))
	return appendULEB(append(appendName(b, exportGlobalsLoad), 0), uint64(in.markFunc+2))
}

// addedBodies appends the code of the added functions.
func (in *instrumenter) addedBodies(b []byte) []byte {
	b = append(b, in.markBody()...)
	b = append(b, in.globalsBody(true)...)
	return append(b, in.globalsBody(false)...)
}

// globalsBody is the code of globals_save (each mutable global's bits
// as an i64 at 8*k of the second memory) or globals_load.
func (in *instrumenter) globalsBody(save bool) []byte {
	p := in.ops()
	c := []byte{0} // no locals
	for k, g := range in.globals {
		c = append(c, p.constOp)
		c = appendSLEB(c, int64(8*k))
		if save {
			c = appendULEB(append(c, 0x23), uint64(g.index)) // global.get
			switch g.valType {
			case valI32:
				c = append(c, 0xad) // i64.extend_i32_u
			case valF32:
				c = append(c, 0xbc, 0xad) // i32.reinterpret_f32, i64.extend_i32_u
			case valF64:
				c = append(c, 0xbd) // i64.reinterpret_f64
			}
			c = append(c, 0x37, 0x43, 1, 0) // i64.store align=8 memory 1
			continue
		}
		c = append(c, 0x29, 0x43, 1, 0) // i64.load align=8 memory 1
		switch g.valType {
		case valI32:
			c = append(c, 0xa7) // i32.wrap_i64
		case valF32:
			c = append(c, 0xa7, 0xbe) // i32.wrap_i64, f32.reinterpret_i32
		case valF64:
			c = append(c, 0xbf) // f64.reinterpret_i64
		}
		c = appendULEB(append(c, 0x24), uint64(g.index)) // global.set
	}
	c = append(c, 0x0b)
	return append(appendULEB(nil, uint64(len(c))), c...)
}

// markBody is the code of mark(start, len): it marks every page of
// [start, start+len) unless the range is empty or extends beyond the
// dirty map (then the memory operation traps anyway).
func (in *instrumenter) markBody() []byte {
	// Locals: 0 start, 1 len, 2 page, 3 last page.
	p := in.ops()
	var c []byte
	c = append(c, 1, 2, p.ty) // two locals of the pointer type
	// if len == 0 return
	c = append(c, 0x20, 1, p.eqz, 0x04, 0x40, 0x0f, 0x0b)
	// last = (start + len - 1); if last < start return (overflow)
	c = append(c, 0x20, 0, 0x20, 1, p.add)
	c = append(c, p.constOp)
	c = appendSLEB(c, 1)
	c = append(c, p.sub, 0x22, 3, 0x20, 0, p.ltU, 0x04, 0x40, 0x0f, 0x0b)
	// last >>= 12; page = start >> 12
	c = append(c, 0x20, 3, p.constOp)
	c = appendSLEB(c, dirtyPageShift)
	c = append(c, p.shrU, 0x21, 3)
	c = append(c, 0x20, 0, p.constOp)
	c = appendSLEB(c, dirtyPageShift)
	c = append(c, p.shrU, 0x21, 2)
	// if last + mapOff >= memory.size(1) << 16 return
	c = append(c, 0x20, 3, p.constOp)
	c = appendSLEB(c, int64(in.mapOff))
	c = append(c, p.add, 0x3f, 1, p.constOp)
	c = appendSLEB(c, 16)
	c = append(c, p.shl, p.geU, 0x04, 0x40, 0x0f, 0x0b)
	// loop: map[page] = 1; page++; br_if page <= last
	c = append(c, 0x03, 0x40)
	c = append(c, 0x20, 2, 0x41, 1, 0x3a, 0x40, 1)
	c = appendULEB(c, in.mapOff)
	c = append(c, 0x20, 2, p.constOp)
	c = appendSLEB(c, 1)
	c = append(c, p.add, 0x22, 2, 0x20, 3, p.leU, 0x0d, 0, 0x0b)
	c = append(c, 0x0b)
	return append(appendULEB(nil, uint64(len(c))), c...)
}

// ptrOps are the opcodes of the pointer type's arithmetic.
type ptrOps struct {
	ty, constOp, add, sub, shrU, shl, eqz, ltU, leU, geU, extendU byte
}

func (in *instrumenter) ops() ptrOps {
	if in.mem64 {
		return ptrOps{ty: valI64, constOp: 0x42, add: 0x7c, sub: 0x7d, shrU: 0x88, shl: 0x86, eqz: 0x50, ltU: 0x54, leU: 0x58, geU: 0x5a, extendU: 0xad}
	}
	return ptrOps{ty: valI32, constOp: 0x41, add: 0x6a, sub: 0x6b, shrU: 0x76, shl: 0x74, eqz: 0x45, ltU: 0x49, leU: 0x4d, geU: 0x4f}
}

func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// code rewrites the code section and appends the marking function.
func (in *instrumenter) code(body []byte) ([]byte, error) {
	s := &reader{b: body}
	n := s.uleb(32)
	if s.err != nil {
		return nil, s.err
	}
	if int(n) != len(in.defined) {
		return nil, errors.New("code and function sections differ in length")
	}
	out := appendULEB(nil, n+3)
	for i := 0; i < int(n); i++ {
		fb := s.bytes(s.uleb(32))
		if s.err != nil {
			return nil, s.err
		}
		ti := in.defined[i]
		if int(ti) >= len(in.funcTypes) {
			return nil, fmt.Errorf("function %d has unknown type %d", i, ti)
		}
		f, err := in.function(fb, uint64(len(in.funcTypes[ti])))
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = appendULEB(out, uint64(len(f)))
		out = append(out, f...)
	}
	if s.off != len(body) {
		return nil, errors.New("trailing bytes")
	}
	return in.addedBodies(out), nil
}

// function rewrites one function body with params parameters.
func (in *instrumenter) function(fb []byte, params uint64) ([]byte, error) {
	r := &reader{b: fb}
	groups := r.uleb(32)
	groupsStart := r.off
	locals := params
	for g := uint64(0); g < groups && r.err == nil; g++ {
		locals += r.uleb(32)
		r.byte()
	}
	if r.err != nil {
		return nil, r.err
	}
	if locals+nLocals > 50000 {
		return nil, errors.New("too many locals")
	}
	p := in.ops()
	base := locals
	out := appendULEB(nil, groups+6)
	out = append(out, fb[groupsStart:r.off]...)
	out = append(out, 3, p.ty, 1, valI32, 1, valI64, 1, valF32, 1, valF64, 1, 0x7b)
	local := func(b []byte, op byte, l int) []byte {
		return appendULEB(append(b, op), base+uint64(l))
	}
	storeLocal := map[byte]int{0x36: lI32, 0x37: lI64, 0x38: lF32, 0x39: lF64, 0x3a: lI32, 0x3b: lI32, 0x3c: lI64, 0x3d: lI64, 0x3e: lI64}
	memidx := func() {
		if c := r.byte(); c != 0 && r.err == nil {
			r.fail(errors.New("memory index other than 0"))
		}
	}
	memarg := func() uint64 {
		align := r.uleb(32)
		if align&0x40 != 0 {
			if r.uleb(32) != 0 && r.err == nil {
				r.fail(errors.New("memory index other than 0"))
			}
		}
		return r.uleb(64)
	}
	// mark emits code that marks the page of the address in lAddr plus
	// offset.
	mark := func(offset uint64) {
		out = local(out, 0x20, lAddr)
		if offset != 0 {
			out = append(out, p.constOp)
			if in.mem64 {
				out = appendSLEB(out, int64(offset))
			} else {
				out = appendSLEB(out, int64(int32(uint32(offset))))
			}
			out = append(out, p.add)
		}
		out = append(out, p.constOp)
		out = appendSLEB(out, dirtyPageShift)
		out = append(out, p.shrU, 0x41, 1, 0x3a, 0x40, 1)
		out = appendULEB(out, in.mapOff)
	}
	store := func(op []byte, valLocal int, offset uint64) {
		out = local(out, 0x21, valLocal)
		out = local(out, 0x21, lAddr)
		mark(offset)
		out = local(out, 0x20, lAddr)
		out = local(out, 0x20, valLocal)
		out = append(out, op...)
	}
	for r.err == nil && r.off < len(fb) {
		at := r.off
		op := r.byte()
		switch {
		case op >= 0x36 && op <= 0x3e:
			off := memarg()
			store(fb[at:r.off], storeLocal[op], off)
			continue
		case op == 0x26 && in.tableFlag: // table.set
			out = in.markTable(out, p)
			r.uleb(32)
		case op == 0xfc:
			sub := r.uleb(32)
			if in.tableFlag && (sub == 12 || sub == 14 || sub == 15 || sub == 17) {
				// table.init, table.copy, table.grow, table.fill: the
				// mark goes before the instruction, whose bytes follow.
				out = in.markTable(out, p)
			}
			switch sub {
			case 8, 10, 11: // memory.init, memory.copy, memory.fill
				if sub == 8 {
					r.uleb(32)
				}
				memidx()
				if sub == 10 {
					memidx()
				}
				out = in.rangeOp(out, local, fb[at:r.off], sub)
				continue
			case 0, 1, 2, 3, 4, 5, 6, 7:
			case 9, 13:
				r.uleb(32)
			case 12, 14:
				r.uleb(32)
				r.uleb(32)
			case 15, 16, 17:
				r.uleb(32)
			default:
				r.fail(fmt.Errorf("unsupported opcode 0xfc %d", sub))
			}
		case op == 0xfd:
			sub := r.uleb(32)
			switch {
			case sub == 11: // v128.store
				off := memarg()
				store(fb[at:r.off], lV128, off)
				continue
			case sub >= 88 && sub <= 91: // v128.storeN_lane
				off := memarg()
				r.byte()
				store(fb[at:r.off], lV128, off)
				continue
			case sub <= 10, sub == 92, sub == 93:
				memarg()
			case sub >= 84 && sub <= 87:
				memarg()
				r.byte()
			case sub == 12, sub == 13:
				r.bytes(16)
			case sub >= 21 && sub <= 34:
				r.byte()
			}
		default:
			skipInstr(r, op, memarg, memidx)
		}
		out = append(out, fb[at:r.off]...)
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}

// rangeOp emits memory.init/copy/fill with its destination range marked
// first. The operand stack holds (dst, x, len); x is an i32 for
// memory.fill's byte and memory.init's source offset, the pointer type
// for memory.copy's source; len is an i32 for memory.init.
func (in *instrumenter) rangeOp(out []byte, local func([]byte, byte, int) []byte, op []byte, sub uint64) []byte {
	lenL, xL := lLen, lVal
	if sub == 11 {
		xL = lI32
	}
	if sub == 8 {
		// memory.init: source and length are both i32; use the i32
		// local for the length and the spare i64 local for the source
		// (extended, then wrapped back).
		out = local(out, 0x21, lI32) // len
		out = append(out, 0xad)      // i64.extend_i32_u (source)
		out = local(out, 0x21, lI64)
		out = local(out, 0x22, lAddr) // dst
		out = local(out, 0x20, lI32)
		if in.mem64 {
			out = append(out, 0xad)
		}
		out = appendULEB(append(out, 0x10), uint64(in.markFunc))
		out = local(out, 0x20, lAddr)
		out = local(out, 0x20, lI64)
		out = append(out, 0xa7) // i32.wrap_i64
		out = local(out, 0x20, lI32)
		return append(out, op...)
	}
	out = local(out, 0x21, lenL)
	out = local(out, 0x21, xL)
	out = local(out, 0x22, lAddr)
	out = local(out, 0x20, lenL)
	out = appendULEB(append(out, 0x10), uint64(in.markFunc))
	out = local(out, 0x20, lAddr)
	out = local(out, 0x20, xL)
	out = local(out, 0x20, lenL)
	return append(out, op...)
}

// skipInstr skips the immediates of a single-byte opcode op.
func skipInstr(r *reader, op byte, memarg func() uint64, memidx func()) {
	switch {
	case op == 0x00, op == 0x01, op == 0x05, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b, op == 0xd1, op == 0xd3:
	case op == 0x02, op == 0x03, op == 0x04:
		blockType(r)
	case op == 0x0c, op == 0x0d, op == 0xd4, op == 0xd5:
		r.uleb(32)
	case op == 0x0e:
		for n := r.uleb(32); n > 0 && r.err == nil; n-- {
			r.uleb(32)
		}
		r.uleb(32)
	case op == 0x10, op == 0x12, op == 0x14, op == 0x15, op == 0xd2:
		r.uleb(32)
	case op == 0x11, op == 0x13:
		r.uleb(32)
		r.uleb(32)
	case op == 0x1c:
		for n := r.uleb(32); n > 0 && r.err == nil; n-- {
			valType(r)
		}
	case op >= 0x20 && op <= 0x26:
		r.uleb(32)
	case op >= 0x28 && op <= 0x35:
		memarg()
	case op == 0x3f, op == 0x40:
		memidx()
	case op == 0x41:
		r.skipSleb()
	case op == 0x42:
		r.skipSleb()
	case op == 0x43:
		r.bytes(4)
	case op == 0x44:
		r.bytes(8)
	case op >= 0x45 && op <= 0xc4:
	case op == 0xd0:
		heapType(r)
	default:
		r.fail(fmt.Errorf("unsupported opcode %#x", op))
	}
}

func blockType(r *reader) {
	c := r.byte()
	switch {
	case c == 0x40, c >= 0x7b && c <= 0x7f, c == 0x70, c == 0x6f:
	default:
		r.off--
		r.skipSleb()
	}
}

func valType(r *reader) {
	c := r.byte()
	if c == 0x63 || c == 0x64 {
		heapType(r)
	}
}

func heapType(r *reader) {
	c := r.byte()
	if c&0x80 != 0 || c < 0x40 {
		r.off--
		r.skipSleb()
	}
}

// markTable emits code that sets the table flag: the instruction after
// it may change the table.
func (in *instrumenter) markTable(out []byte, p ptrOps) []byte {
	out = append(out, p.constOp, 0)  // address 0 of the second memory
	out = append(out, 0x41, 1)       // i32.const 1
	out = append(out, 0x3a, 0x40, 1) // i32.store8, memory 1
	return appendULEB(out, in.flagOff)
}
