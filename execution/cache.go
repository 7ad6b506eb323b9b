package execution

// ModuleCache keeps compiled modules by module hash, so that canisters
// running the same code share one compilation. It is not safe for
// concurrent use.
type ModuleCache struct {
	engine  Engine
	modules map[[32]byte]cached
}

type cached struct {
	p        *Prepared
	compiled Compiled
}

// NewModuleCache returns an empty cache compiling with e.
func NewModuleCache(e Engine) *ModuleCache {
	return &ModuleCache{engine: e, modules: map[[32]byte]cached{}}
}

// Get returns the prepared and compiled module, compiling it on first
// use.
func (m *ModuleCache) Get(wasm []byte) (*Prepared, Compiled, error) {
	p, err := Prepare(wasm)
	if err != nil {
		return nil, nil, err
	}
	if e, ok := m.modules[p.Hash]; ok {
		return e.p, e.compiled, nil
	}
	compiled, err := m.engine.Compile(p)
	if err != nil {
		return nil, nil, err
	}
	m.modules[p.Hash] = cached{p, compiled}
	return p, compiled, nil
}

// Add puts a module compiled elsewhere (loaded from a serialized form)
// into the cache.
func (m *ModuleCache) Add(p *Prepared, compiled Compiled) { m.modules[p.Hash] = cached{p, compiled} }

// Len is the number of cached modules.
func (m *ModuleCache) Len() int { return len(m.modules) }

// Lookup returns the cached module with the given module hash, if any.
func (m *ModuleCache) Lookup(hash [32]byte) (*Prepared, Compiled, bool) {
	e, ok := m.modules[hash]
	return e.p, e.compiled, ok
}
