package execution

import (
	"errors"
	"fmt"
	"strconv"
)

// Names under which prepareModule exports the module's memory, table and
// mutable globals, so that the state of an instance can be read, saved and
// restored. They contain '#', which no canister export of the IC needs.
const (
	exportMemory       = "chainkey#memory"
	exportTable        = "chainkey#table"
	exportGlobalPrefix = "chainkey#global#"
	exportStart        = "chainkey#start"
)

// Section ids of the WebAssembly binary format.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// sectionOrder is the position of each non-custom section in a module.
var sectionOrder = map[byte]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secTag: 6,
	secGlobal: 7, secExport: 8, secStart: 9, secElement: 10, secDataCount: 11, secCode: 12, secData: 13,
}

// moduleInfo is what prepareModule learns from a module's binary.
type moduleInfo struct {
	imports      []wasmImport
	globals      []globalType // defined (not imported) globals, in order
	hasMemory    bool
	memory64     bool
	hasTable     bool
	exports      []wasmExport
	customs      []string // custom section names
	customData   [][]byte // custom section contents, beside customs
	functions    int      // defined functions
	wasm         []byte   // the rewritten binary
	mutableGlobs []int    // indices of the defined mutable globals
	// start is the start function's index; the rewritten module has no
	// start section and exports it instead, so that it runs after the
	// memory has been set up (as on the IC, where an upgrade that keeps
	// the memory runs it on the kept memory).
	start    uint32
	hasStart bool
	// code is what the code section does to tables and segments; tables
	// and tableType are the number of tables and the first one's type.
	code      codeFacts
	tables    int
	tableType byte
}

type wasmImport struct {
	module, name string
	kind         byte
}

type wasmExport struct {
	name  string
	kind  byte
	index uint32
}

type globalType struct {
	valType byte
	mutable bool
}

// reader decodes the WebAssembly binary format strictly.
type reader struct {
	b   []byte
	off int
	err error
}

var errShort = errors.New("unexpected end of module")

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = fmt.Errorf("at byte %d: %w", r.off, err)
	}
}

func (r *reader) byte() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail(errShort)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil || n > uint64(len(r.b)-r.off) {
		r.fail(errShort)
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *reader) uleb(bits uint) uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= bits {
			r.fail(errors.New("LEB128 too long"))
			return 0
		}
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift+7 > bits && bits < 64 && v>>bits != 0 {
				r.fail(errors.New("LEB128 out of range"))
			}
			return v
		}
	}
}

// skipSleb skips a signed LEB128 number.
func (r *reader) skipSleb() {
	for i := 0; i < 10; i++ {
		if r.byte()&0x80 == 0 || r.err != nil {
			return
		}
	}
	r.fail(errors.New("LEB128 too long"))
}

func (r *reader) name() string {
	n := r.uleb(32)
	return string(r.bytes(n))
}

func (r *reader) limits() (is64 bool) {
	flags := r.byte()
	if flags > 7 {
		r.fail(fmt.Errorf("invalid limits flags %#x", flags))
	}
	r.uleb(64)
	if flags&1 != 0 {
		r.uleb(64)
	}
	return flags&4 != 0
}

// constExpr skips a constant expression (with the extended-const
// arithmetic).
func (r *reader) constExpr() {
	for r.err == nil {
		switch op := r.byte(); op {
		case 0x0b:
			return
		case 0x41, 0x42:
			r.skipSleb()
		case 0x43:
			r.bytes(4)
		case 0x44:
			r.bytes(8)
		case 0x23, 0xd2:
			r.uleb(32)
		case 0xd0:
			r.skipSleb()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e:
		case 0xfd:
			if r.uleb(32) != 12 {
				r.fail(errors.New("unsupported constant expression"))
			}
			r.bytes(16)
		default:
			r.fail(fmt.Errorf("unsupported constant expression opcode %#x", op))
		}
	}
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendName(b []byte, s string) []byte {
	return append(appendULEB(b, uint64(len(s))), s...)
}

// parseModule reads the parts of a module that validation and state
// saving need, and returns it rewritten so that its memory, table and
// mutable globals are exported under the chainkey# names.
func parseModule(wasm []byte) (*moduleInfo, error) {
	r := &reader{b: wasm}
	if string(r.bytes(8)) != "\x00asm\x01\x00\x00\x00" {
		return nil, errors.New("not a WebAssembly 1.0 binary module")
	}
	info := &moduleInfo{}
	// A first pass finds the start function, exported in the rewritten
	// export section that precedes it.
	for p := (&reader{b: wasm, off: 8}); p.err == nil && p.off < len(wasm); {
		id := p.byte()
		body := p.bytes(p.uleb(32))
		if id == secCode && p.err == nil {
			f, err := scanCode(body)
			if err != nil {
				return nil, fmt.Errorf("code section: %w", err)
			}
			info.code = f
		}
		if id == secStart && p.err == nil {
			s := &reader{b: body}
			info.start, info.hasStart = uint32(s.uleb(32)), true
			if s.err != nil || s.off != len(body) {
				return nil, errors.New("malformed start section")
			}
		}
	}
	out := append([]byte(nil), wasm[:8]...)
	var exportBody []byte // rewritten export section, emitted in order
	emitted := false
	emitExports := func() {
		if emitted {
			return
		}
		emitted = true
		out = append(out, secExport)
		out = appendULEB(out, uint64(len(exportBody)))
		out = append(out, exportBody...)
	}
	last := 0
	for r.err == nil && r.off < len(r.b) {
		hdr := r.off
		id := r.byte()
		size := r.uleb(32)
		start := r.off
		body := r.bytes(size)
		if r.err != nil {
			break
		}
		if id != secCustom {
			pos, ok := sectionOrder[id]
			if !ok {
				return nil, fmt.Errorf("unknown section id %d", id)
			}
			if pos <= last {
				return nil, fmt.Errorf("section %d out of order", id)
			}
			last = pos
		}
		s := &reader{b: body}
		switch id {
		case secCustom:
			info.customs = append(info.customs, s.name())
			info.customData = append(info.customData, body[min(s.off, len(body)):])
		case secImport:
			for n := s.uleb(32); n > 0 && s.err == nil; n-- {
				imp := wasmImport{module: s.name(), name: s.name(), kind: s.byte()}
				switch imp.kind {
				case 0:
					s.uleb(32)
				case 1:
					s.byte()
					s.limits()
				case 2:
					s.limits()
				case 3:
					s.byte()
					s.byte()
				default:
					s.fail(fmt.Errorf("unknown import kind %d", imp.kind))
				}
				info.imports = append(info.imports, imp)
			}
		case secFunction:
			info.functions = int(s.uleb(32))
		case secTable:
			n := s.uleb(32)
			info.hasTable = n > 0
			info.tables = int(n)
			if n > 0 {
				info.tableType = s.byte()
				s.off = len(body) // the limits are the engine's to check
			}
		case secMemory:
			n := s.uleb(32)
			if n > 1 {
				return nil, errors.New("more than one memory")
			}
			if n == 1 {
				info.hasMemory = true
				info.memory64 = s.limits()
			}
		case secGlobal:
			for n := s.uleb(32); n > 0 && s.err == nil; n-- {
				g := globalType{valType: s.byte(), mutable: s.byte() == 1}
				s.constExpr()
				info.globals = append(info.globals, g)
			}
		case secExport:
			for n := s.uleb(32); n > 0 && s.err == nil; n-- {
				e := wasmExport{name: s.name(), kind: s.byte(), index: uint32(s.uleb(32))}
				info.exports = append(info.exports, e)
			}
		}
		if s.err != nil {
			return nil, fmt.Errorf("section %d: %w", id, s.err)
		}
		if id != secCustom && sectionOrder[id] >= sectionOrder[secExport] {
			if !emitted {
				exportBody = info.exportSection()
			}
			emitExports()
			if id == secExport || id == secStart {
				continue
			}
		}
		out = append(out, wasm[hdr:start+int(size)]...)
	}
	if r.err != nil {
		return nil, r.err
	}
	if !emitted {
		exportBody = info.exportSection()
		emitExports()
	}
	info.wasm = out
	return info, nil
}

// exportSection encodes the module's exports plus the chainkey# ones.
func (info *moduleInfo) exportSection() []byte {
	importedGlobals := 0
	for _, imp := range info.imports {
		if imp.kind == 3 {
			importedGlobals++
		}
	}
	extra := 0
	var b []byte
	for _, e := range info.exports {
		b = appendName(b, e.name)
		b = append(b, e.kind)
		b = appendULEB(b, uint64(e.index))
	}
	if info.hasMemory {
		b = append(appendName(b, exportMemory), 2, 0)
		extra++
	}
	if info.hasTable {
		b = append(appendName(b, exportTable), 1, 0)
		extra++
	}
	if info.hasStart {
		b = append(appendName(b, exportStart), 0)
		b = appendULEB(b, uint64(info.start))
		extra++
	}
	if info.hasTable && info.code.tableWrites {
		// Every function, so that table entries map to indices.
		nf := info.functions
		for _, imp := range info.imports {
			if imp.kind == 0 {
				nf++
			}
		}
		for i := range nf {
			b = append(appendName(b, exportFuncPrefix+strconv.Itoa(i)), 0)
			b = appendULEB(b, uint64(i))
			extra++
		}
	}
	info.mutableGlobs = info.mutableGlobs[:0]
	for i, g := range info.globals {
		if !g.mutable {
			continue
		}
		info.mutableGlobs = append(info.mutableGlobs, i)
		b = append(appendName(b, exportGlobalPrefix+strconv.Itoa(i)), 3)
		b = appendULEB(b, uint64(importedGlobals+i))
		extra++
	}
	return append(appendULEB(nil, uint64(len(info.exports)+extra)), b...)
}
