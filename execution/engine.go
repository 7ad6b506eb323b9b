package execution

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// An Engine compiles WebAssembly modules. Compiled modules are immutable
// and shared by all the canisters that run the same code.
type Engine interface {
	// Compile validates and compiles a module prepared by Prepare.
	Compile(p *Prepared) (Compiled, error)
	// Load turns bytes from Compiled.Serialize (of the same engine
	// version and configuration) back into a compiled module.
	Load(p *Prepared, serialized []byte) (Compiled, error)
}

// A Fingerprinter is an Engine that names its code generation: the
// compiled modules of two engines with the same fingerprint are
// interchangeable (Compiled.Serialize of one loads into the other).
type Fingerprinter interface {
	Fingerprint() string
}

// wasmtimeVersion is the version of wasmtime-go the package is built
// with (its go.mod requirement).
const wasmtimeVersion = "wasmtime-go/v39.0.1"

// Fingerprint names the wasmtime version, the target and the settings
// that shape compiled code.
func (e *wtEngine) Fingerprint() string {
	return fmt.Sprintf("%s %s/%s stack=%d memory=%d", wasmtimeVersion, runtime.GOOS, runtime.GOARCH,
		e.cfg.MaxWasmStack, e.cfg.MaxMemory)
}

// Compiled is a compiled module.
type Compiled interface {
	// Serialize encodes the compiled code for a compile cache.
	Serialize() ([]byte, error)
	// Instantiate creates an instance whose ic0 imports call h. Prepared
	// modules have no start section (Prepare exports the start function
	// instead), so nothing runs but the data and element initialization;
	// fuel bounds that.
	Instantiate(h Host, fuel uint64) (Instance, uint64, error)
}

// Instance is one instantiation of a compiled module.
type Instance interface {
	// Call runs the exported function name (of type () -> ()) within
	// fuel and returns the fuel it used.
	Call(name string, fuel uint64) (uint64, error)
	// CallTable runs the function at index of the module's table with
	// the argument env (a callback of type (env : I) -> ()).
	CallTable(index, env uint64, fuel uint64) (uint64, error)
	// Memory returns the instance's memory (nil without one). The slice
	// is valid until the next call into the instance.
	Memory() []byte
	// GrowMemory grows the memory to at least n bytes.
	GrowMemory(n uint64) error
	// Globals returns the values of the module's mutable globals (their
	// bits), in the order of the module's global section.
	Globals() []uint64
	// SetGlobals sets them.
	SetGlobals(v []uint64) error
	// Close releases the instance.
	Close()
}

// A Caller is what a system call sees of the instance that made it.
type Caller interface {
	// Memory is the instance's memory at the time of the call.
	Memory() []byte
	// FuelLeft is the fuel the message has left.
	FuelLeft() uint64
	// ConsumeFuel charges n more fuel, failing when there is not enough.
	ConsumeFuel(n uint64) error
}

// A Host implements the system calls of an instance.
type Host interface {
	// SystemCall runs the ic0 function f with its arguments widened to
	// 64 bits; the result (if f has one) is truncated to its type. An
	// error traps the instance.
	SystemCall(f *SysFunc, args []uint64, c Caller) (uint64, error)
}

// EngineConfig configures the wasmtime engine.
type EngineConfig struct {
	// MaxWasmStack is the most native stack, in bytes, Wasm code may use;
	// deeper recursion traps (0: 1 MiB).
	MaxWasmStack int
	// MaxMemory is the largest Wasm memory, in bytes, an instance may
	// grow to (0: 4 GiB); memory.grow beyond it returns -1.
	MaxMemory int64
}

// NewWasmtime returns an Engine on wasmtime with deterministic settings:
// fuel metering, canonical NaNs, deterministic relaxed SIMD, memory64, no
// threads and no epoch interruption (nothing depends on a clock).
func NewWasmtime(cfg EngineConfig) Engine {
	c := wasmtime.NewConfig()
	c.SetConsumeFuel(true)
	c.SetCraneliftNanCanonicalization(true)
	c.SetWasmRelaxedSIMD(true)
	c.SetWasmRelaxedSIMDDeterministic(true)
	c.SetWasmMemory64(true)
	// The dirty map is a second memory (see instrument).
	c.SetWasmMultiMemory(true)
	c.SetWasmThreads(false)
	c.SetEpochInterruption(false)
	c.SetParallelCompilation(false)
	if cfg.MaxWasmStack == 0 {
		cfg.MaxWasmStack = 1 << 20
	}
	if cfg.MaxMemory == 0 {
		cfg.MaxMemory = 4 << 30
	}
	c.SetMaxWasmStack(cfg.MaxWasmStack)
	e := &wtEngine{engine: wasmtime.NewEngineWithConfig(c), cfg: cfg}
	e.linker32 = e.newLinker(false)
	e.linker64 = e.newLinker(true)
	return e
}

type wtEngine struct {
	engine             *wasmtime.Engine
	cfg                EngineConfig
	linker32, linker64 *wasmtime.Linker
}

// storeData is the per-instance data the ic0 functions find through their
// caller.
type storeData struct {
	host  Host
	args  []uint64
	store *wasmtime.Store
	mem   *wasmtime.Memory
}

func (e *wtEngine) newLinker(wasm64 bool) *wasmtime.Linker {
	l := wasmtime.NewLinker(e.engine)
	for i := range sysFuncs {
		f := &sysFuncs[i]
		if wasm64 && f.wasm32Only {
			continue
		}
		ty := f.funcType(wasm64)
		params := make([]*wasmtime.ValType, len(ty.params))
		for j, k := range ty.params {
			params[j] = wasmtime.NewValType(k)
		}
		var results []*wasmtime.ValType
		if ty.result != nil {
			results = []*wasmtime.ValType{wasmtime.NewValType(*ty.result)}
		}
		ft := wasmtime.NewFuncType(params, results)
		kinds := ty.params
		res := ty.result
		err := l.FuncNew("ic0", f.Name, ft, func(c *wasmtime.Caller, in []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			d := c.Data().(*storeData)
			args := d.args[:0]
			for j, v := range in {
				if kinds[j] == wasmtime.KindI32 {
					args = append(args, uint64(uint32(v.I32())))
				} else {
					args = append(args, uint64(v.I64()))
				}
			}
			d.args = args
			r, err := d.host.SystemCall(f, args, &wtCaller{c: c, d: d})
			if err != nil {
				return nil, wasmtime.NewTrap(err.Error())
			}
			if res == nil {
				return nil, nil
			}
			if *res == wasmtime.KindI32 {
				return []wasmtime.Val{wasmtime.ValI32(int32(r))}, nil
			}
			return []wasmtime.Val{wasmtime.ValI64(int64(r))}, nil
		})
		if err != nil {
			panic("execution: defining ic0." + f.Name + ": " + err.Error())
		}
	}
	return l
}

type wtCaller struct {
	c *wasmtime.Caller
	d *storeData
}

func (c *wtCaller) Memory() []byte {
	if c.d.mem == nil {
		ext := c.c.GetExport(exportMemory)
		if ext == nil || ext.Memory() == nil {
			return nil
		}
		return ext.Memory().UnsafeData(c.c)
	}
	return c.d.mem.UnsafeData(c.c)
}

func (c *wtCaller) FuelLeft() uint64 {
	f, _ := c.d.store.GetFuel()
	return f
}

func (c *wtCaller) ConsumeFuel(n uint64) error {
	if n == 0 {
		return nil
	}
	f, err := c.d.store.GetFuel()
	if err != nil {
		return err
	}
	if f < n {
		c.d.store.SetFuel(0)
		return ErrOutOfInstructions
	}
	return c.d.store.SetFuel(f - n)
}

type wtCompiled struct {
	e      *wtEngine
	p      *Prepared
	module *wasmtime.Module
}

func (e *wtEngine) Compile(p *Prepared) (Compiled, error) {
	m, err := wasmtime.NewModule(e.engine, p.info.wasm)
	if err != nil {
		return nil, fmt.Errorf("execution: compiling module: %w", err)
	}
	return &wtCompiled{e: e, p: p, module: m}, nil
}

func (e *wtEngine) Load(p *Prepared, serialized []byte) (Compiled, error) {
	m, err := wasmtime.NewModuleDeserialize(e.engine, serialized)
	if err != nil {
		return nil, fmt.Errorf("execution: loading compiled module: %w", err)
	}
	return &wtCompiled{e: e, p: p, module: m}, nil
}

func (c *wtCompiled) Serialize() ([]byte, error) { return c.module.Serialize() }

func (c *wtCompiled) Instantiate(h Host, fuel uint64) (Instance, uint64, error) {
	d := &storeData{host: h, args: make([]uint64, 0, 8)}
	store := wasmtime.NewStoreWithData(c.e.engine, d)
	d.store = store
	store.Limiter(c.e.cfg.MaxMemory, 1<<20, 1, 1, 2)
	if err := store.SetFuel(fuel); err != nil {
		return nil, 0, err
	}
	l := c.e.linker32
	if c.p.info.memory64 {
		l = c.e.linker64
	}
	inst, err := l.Instantiate(store, c.module)
	used := fuelUsed(store, fuel)
	if err != nil {
		return nil, used, trapError(err, fuel, used)
	}
	w := &wtInstance{store: store, inst: inst, funcs: map[string]*wasmtime.Func{}}
	if ext := inst.GetExport(store, exportMemory); ext != nil {
		w.mem = ext.Memory()
		d.mem = w.mem
	}
	if ext := inst.GetExport(store, exportDirty); ext != nil && ext.Memory() != nil {
		// The globals, then a byte for each page of the largest memory.
		span := uint64(c.e.cfg.MaxMemory)
		if !c.p.info.memory64 {
			span = min(span, 4<<30)
		}
		w.mapOff, w.flagOff = dirtyLayout(len(c.p.info.mutableGlobs), c.p.info.code.tableWrites)
		w.tableFlag = c.p.info.code.tableWrites
		pages := (w.mapOff + span/PageSize + wasmPage - 1) / wasmPage
		w.dirty = ext.Memory()
		w.saveGlobals = inst.GetFunc(store, exportGlobalsSave)
		w.loadGlobals = inst.GetFunc(store, exportGlobalsLoad)
		if _, err := w.dirty.Grow(store, pages); err != nil {
			store.Close()
			return nil, used, fmt.Errorf("execution: sizing the dirty map: %w", err)
		}
	}
	if ext := inst.GetExport(store, exportTable); ext != nil {
		w.table = ext.Table()
		if c.p.info.code.tableWrites {
			n := c.p.info.functions
			for _, imp := range c.p.info.imports {
				if imp.kind == 0 {
					n++
				}
			}
			if w.fmap, err = newFuncMap(store, inst, n); err != nil {
				store.Close()
				return nil, used, err
			}
		}
	}
	for _, i := range c.p.info.mutableGlobs {
		g := inst.GetExport(store, fmt.Sprintf("%s%d", exportGlobalPrefix, i)).Global()
		w.globals = append(w.globals, g)
		w.kinds = append(w.kinds, c.p.info.globals[i].valType)
	}
	return w, used, nil
}

func fuelUsed(store *wasmtime.Store, fuel uint64) uint64 {
	left, err := store.GetFuel()
	if err != nil || left > fuel {
		return fuel
	}
	return fuel - left
}

// trapError turns a wasmtime error into a Trap.
func trapError(err error, fuel, used uint64) error {
	var t *wasmtime.Trap
	var code *wasmtime.TrapCode
	msg := err.Error()
	if errors.As(err, &t) {
		code = t.Code()
		msg = t.Message()
	}
	kind := TrapWasm
	switch {
	case code != nil && *code == wasmtime.OutOfFuel, strings.Contains(msg, "all fuel consumed"), used >= fuel:
		return &Trap{Kind: TrapOutOfInstructions, Msg: "instruction limit exceeded"}
	case code != nil && *code == wasmtime.StackOverflow, strings.Contains(msg, "call stack exhausted"):
		kind = TrapStackOverflow
	}
	// wasmtime's text is a backtrace with the cause after "Caused by:".
	if k := strings.Index(msg, "Caused by:"); k >= 0 {
		rest := strings.TrimSpace(msg[k+len("Caused by:"):])
		msg, _, _ = strings.Cut(rest, "\n")
	} else {
		msg, _, _ = strings.Cut(msg, "\n")
	}
	msg = strings.TrimSpace(msg)
	return &Trap{Kind: kind, Msg: msg}
}

type wtInstance struct {
	store  *wasmtime.Store
	inst   *wasmtime.Instance
	mem    *wasmtime.Memory
	dirty  *wasmtime.Memory
	mapOff uint64
	// tableFlag says the byte at flagOff of the second memory is set by
	// every table write (instrument.go).
	tableFlag bool
	flagOff   uint64
	// saveGlobals and loadGlobals copy the mutable globals into the
	// second memory and back (nil without one).
	saveGlobals, loadGlobals *wasmtime.Func
	table                    *wasmtime.Table
	globals                  []*wasmtime.Global
	kinds                    []byte
	funcs                    map[string]*wasmtime.Func
	// fmap maps table entries to function indices (nil unless the
	// module changes its table at run time).
	fmap *funcMap
}

func (w *wtInstance) run(fuel uint64, f *wasmtime.Func, args ...interface{}) (uint64, error) {
	if err := w.store.SetFuel(fuel); err != nil {
		return 0, err
	}
	_, err := f.Call(w.store, args...)
	used := fuelUsed(w.store, fuel)
	if err != nil {
		return used, trapError(err, fuel, used)
	}
	return used, nil
}

func (w *wtInstance) Call(name string, fuel uint64) (uint64, error) {
	f, ok := w.funcs[name]
	if !ok {
		f = w.inst.GetFunc(w.store, name)
		if f == nil {
			return 0, fmt.Errorf("execution: no exported function %q", name)
		}
		w.funcs[name] = f
	}
	return w.run(fuel, f)
}

func (w *wtInstance) CallTable(index, env uint64, fuel uint64) (uint64, error) {
	if w.table == nil {
		return 0, &Trap{Kind: TrapWasm, Msg: "callback: module has no table"}
	}
	v, err := w.table.Get(w.store, index)
	if err != nil || v.Funcref() == nil {
		return 0, &Trap{Kind: TrapWasm, Msg: fmt.Sprintf("callback: no function at table index %d", index)}
	}
	f := v.Funcref()
	ty := f.Type(w.store)
	if len(ty.Params()) != 1 || len(ty.Results()) != 0 {
		return 0, &Trap{Kind: TrapWasm, Msg: "callback: function has the wrong type"}
	}
	var arg interface{}
	if ty.Params()[0].Kind() == wasmtime.KindI64 {
		arg = int64(env)
	} else {
		arg = int32(uint32(env))
	}
	return w.run(fuel, f, arg)
}

func (w *wtInstance) Memory() []byte {
	if w.mem == nil {
		return nil
	}
	return w.mem.UnsafeData(w.store)
}

// dirtyMap returns the instance's dirty map: a byte for each 4 KiB
// page of memory, nonzero when a store may have written it since the
// host last cleared it.
func (w *wtInstance) dirtyMap() []byte {
	if w.dirty == nil {
		return nil
	}
	return w.dirty.UnsafeData(w.store)[w.mapOff:]
}

// globalsCallFuel is the fuel of a call of saveGlobals or loadGlobals.
func globalsCallFuel(n int) uint64 { return uint64(8*n + 8) }

func (w *wtInstance) GrowMemory(n uint64) error {
	if w.mem == nil {
		if n == 0 {
			return nil
		}
		return errors.New("execution: module has no memory")
	}
	have := uint64(w.mem.DataSize(w.store))
	if have >= n {
		return nil
	}
	_, err := w.mem.Grow(w.store, (n-have+wasmPage-1)/wasmPage)
	return err
}

func (w *wtInstance) Globals() []uint64 {
	v := make([]uint64, len(w.globals))
	if len(v) == 0 {
		return v
	}
	if w.saveGlobals != nil {
		if err := w.store.SetFuel(globalsCallFuel(len(v))); err == nil {
			if _, err := w.saveGlobals.Call(w.store); err == nil {
				m := w.dirty.UnsafeData(w.store)
				for i := range v {
					v[i] = binary.LittleEndian.Uint64(m[8*i:])
				}
				return v
			}
		}
	}
	for i, g := range w.globals {
		x := g.Get(w.store)
		switch x.Kind() {
		case wasmtime.KindI32:
			v[i] = uint64(uint32(x.I32()))
		case wasmtime.KindI64:
			v[i] = uint64(x.I64())
		case wasmtime.KindF32:
			v[i] = uint64(math32bits(x.F32()))
		case wasmtime.KindF64:
			v[i] = math64bits(x.F64())
		}
	}
	return v
}

func (w *wtInstance) SetGlobals(v []uint64) error {
	if len(v) != len(w.globals) {
		return fmt.Errorf("execution: %d global values for %d mutable globals", len(v), len(w.globals))
	}
	if len(v) == 0 {
		return nil
	}
	if w.loadGlobals != nil {
		m := w.dirty.UnsafeData(w.store)
		for i, x := range v {
			switch w.kinds[i] {
			case valI32, valF32:
				x = uint64(uint32(x))
			}
			binary.LittleEndian.PutUint64(m[8*i:], x)
		}
		if err := w.store.SetFuel(globalsCallFuel(len(v))); err != nil {
			return fmt.Errorf("execution: restoring globals: %w", err)
		}
		if _, err := w.loadGlobals.Call(w.store); err != nil {
			return fmt.Errorf("execution: restoring globals: %w", err)
		}
		return nil
	}
	for i, g := range w.globals {
		var x wasmtime.Val
		switch w.kinds[i] {
		case valI32:
			x = wasmtime.ValI32(int32(uint32(v[i])))
		case valI64:
			x = wasmtime.ValI64(int64(v[i]))
		case valF32:
			x = wasmtime.ValF32(math32frombits(uint32(v[i])))
		case valF64:
			x = wasmtime.ValF64(math64frombits(v[i]))
		}
		if err := g.Set(w.store, x); err != nil {
			return fmt.Errorf("execution: restoring global: %w", err)
		}
	}
	return nil
}

func (w *wtInstance) Close() { w.store.Close() }
