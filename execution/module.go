package execution

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// Limits on modules, as the IC's replica applies them.
const (
	maxFunctions        = 50000
	maxGlobals          = 1000
	maxExportedMethods  = 1000
	maxMethodNameBytes  = 20000
	maxCustomSections   = 16
	maxCustomBytes      = 1 << 20
	maxReplySize        = 2 << 20
	maxCertifiedData    = 32
	maxPrincipalSize    = 29
	maxDebugPrintLength = 32 << 10
)

// Prepared is a validated module, ready to compile.
type Prepared struct {
	// Hash is the SHA-256 of the module as installed (the IC's
	// module_hash).
	Hash [32]byte
	// Wasm64 says whether the module's memory is 64-bit (and its ic0
	// pointers i64).
	Wasm64 bool

	wasm    []byte
	info    *moduleInfo
	updates map[string]bool
	queries map[string]bool
	comp    map[string]bool
	exports map[string]bool
	meta    []CustomSection
}

// Prepare validates a module as the IC does: imports only from "ic0" and
// only functions of the System API (the legacy 32-bit ones only in a
// wasm32 module), exports only the IC's entry points besides the
// module's own names, and the IC's limits on functions, globals and
// exported methods.
func Prepare(wasm []byte) (*Prepared, error) {
	info, err := parseModule(wasm)
	if err != nil {
		return nil, fmt.Errorf("execution: invalid module: %w", err)
	}
	if err := info.checkTables(); err != nil {
		return nil, fmt.Errorf("execution: invalid module: %w", err)
	}
	if info.hasMemory {
		var globals []mutGlobal
		for _, i := range info.mutableGlobs {
			globals = append(globals, mutGlobal{uint32(i), info.globals[i].valType})
		}
		if info.wasm, err = instrument(info.wasm, info.memory64, globals, info.code.tableWrites); err != nil {
			return nil, fmt.Errorf("execution: invalid module: %w", err)
		}
	}
	p := &Prepared{
		Hash:    sha256.Sum256(wasm),
		Wasm64:  info.memory64,
		wasm:    append([]byte(nil), wasm...),
		info:    info,
		updates: map[string]bool{},
		queries: map[string]bool{},
		comp:    map[string]bool{},
		exports: map[string]bool{},
	}
	for _, imp := range info.imports {
		if imp.module != "ic0" {
			return nil, fmt.Errorf("execution: invalid module: import %q from module %q (only ic0 is allowed)", imp.name, imp.module)
		}
		f := sysFuncByName(imp.name)
		if imp.kind != 0 || f == nil {
			return nil, fmt.Errorf("execution: invalid module: unknown ic0 import %q", imp.name)
		}
		if f.wasm32Only && info.memory64 {
			return nil, fmt.Errorf("execution: invalid module: ic0.%s is not available to 64-bit canisters", imp.name)
		}
	}
	if info.functions > maxFunctions {
		return nil, fmt.Errorf("execution: invalid module: %d functions (at most %d)", info.functions, maxFunctions)
	}
	if len(info.globals) > maxGlobals {
		return nil, fmt.Errorf("execution: invalid module: %d globals (at most %d)", len(info.globals), maxGlobals)
	}
	for _, g := range info.globals {
		if g.mutable && g.valType != valI32 && g.valType != valI64 && g.valType != valF32 && g.valType != valF64 {
			return nil, errors.New("execution: invalid module: mutable globals of vector or reference type are not supported")
		}
	}
	meta, err := customSections(info)
	if err != nil {
		return nil, err
	}
	p.meta = meta
	methods, nameBytes := 0, 0
	for _, e := range info.exports {
		if strings.HasPrefix(e.name, "chainkey#") {
			return nil, fmt.Errorf("execution: invalid module: reserved export name %q", e.name)
		}
		p.exports[e.name] = e.kind == 0
		if !strings.HasPrefix(e.name, "canister_") {
			continue
		}
		if e.kind != 0 {
			return nil, fmt.Errorf("execution: invalid module: export %q is not a function", e.name)
		}
		var set map[string]bool
		var method string
		switch {
		case strings.HasPrefix(e.name, "canister_update "):
			set, method = p.updates, strings.TrimPrefix(e.name, "canister_update ")
		case strings.HasPrefix(e.name, "canister_query "):
			set, method = p.queries, strings.TrimPrefix(e.name, "canister_query ")
		case strings.HasPrefix(e.name, "canister_composite_query "):
			set, method = p.comp, strings.TrimPrefix(e.name, "canister_composite_query ")
		default:
			switch e.name {
			case "canister_init", "canister_heartbeat", "canister_global_timer", "canister_pre_upgrade",
				"canister_post_upgrade", "canister_inspect_message", "canister_on_low_wasm_memory":
				continue
			}
			return nil, fmt.Errorf("execution: invalid module: export %q is not an IC entry point", e.name)
		}
		if p.updates[method] || p.queries[method] || p.comp[method] {
			return nil, fmt.Errorf("execution: invalid module: method %q is exported more than once", method)
		}
		set[method] = true
		methods++
		nameBytes += len(method)
	}
	if methods > maxExportedMethods || nameBytes > maxMethodNameBytes {
		return nil, fmt.Errorf("execution: invalid module: %d exported methods, %d bytes of names (at most %d, %d)",
			methods, nameBytes, maxExportedMethods, maxMethodNameBytes)
	}
	return p, nil
}

// CodeHash is the SHA-256 of the module as the engine compiles it (after
// Prepare's rewriting): compiled code is a function of it and of the
// engine's Fingerprint.
func (p *Prepared) CodeHash() [32]byte { return sha256.Sum256(p.info.wasm) }

// Wasm returns the module as installed.
func (p *Prepared) Wasm() []byte { return p.wasm }

// HasExport says whether the module exports a function of that name.
func (p *Prepared) HasExport(name string) bool { return p.exports[name] }
