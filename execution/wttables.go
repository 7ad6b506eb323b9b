package execution

import (
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// funcIdentity is the identity of a function reference: wasmtime's
// wasmtime_func_t is {store id, pointer to the function's VMFuncRef}, the
// same pointer for every reference to the same function of an instance.
// wasmtime-go keeps that struct as the only field of Func; the layout is
// checked when an instance is made (funcMap), so that a change of it
// fails loudly instead of mapping entries wrongly.
type funcIdentity struct {
	store uint64
	ref   uintptr
}

func identityOf(f *wasmtime.Func) funcIdentity {
	return *(*funcIdentity)(unsafe.Pointer(f))
}

// funcMap maps the instance's functions (exported as chainkey#f<i>) to
// their indices and back.
type funcMap struct {
	byID  map[funcIdentity]int64
	funcs []*wasmtime.Func
}

func newFuncMap(store *wasmtime.Store, inst *wasmtime.Instance, n int) (*funcMap, error) {
	m := &funcMap{byID: make(map[funcIdentity]int64, n), funcs: make([]*wasmtime.Func, n)}
	for i := range n {
		ext := inst.GetExport(store, exportFuncPrefix+strconv.Itoa(i))
		if ext == nil || ext.Func() == nil {
			return nil, fmt.Errorf("execution: function %d is not exported", i)
		}
		f := ext.Func()
		id := identityOf(f)
		if id.store == 0 || id.ref == 0 {
			return nil, errors.New("execution: unexpected function reference layout")
		}
		if _, dup := m.byID[id]; dup {
			return nil, errors.New("execution: two functions with one identity")
		}
		m.byID[id] = int64(i)
		m.funcs[i] = f
	}
	if n > 0 {
		// A second reference to the same function must have the same
		// identity.
		again := inst.GetExport(store, exportFuncPrefix+"0").Func()
		if identityOf(again) != identityOf(m.funcs[0]) {
			return nil, errors.New("execution: function references have no stable identity")
		}
	}
	return m, nil
}

func (w *wtInstance) TableState() ([]int64, error) {
	if w.fmap == nil || w.table == nil {
		return nil, nil
	}
	n := w.table.Size(w.store)
	v := make([]int64, n)
	for i := range n {
		x, err := w.table.Get(w.store, i)
		if err != nil {
			return nil, fmt.Errorf("execution: reading table entry %d: %w", i, err)
		}
		f := x.Funcref()
		if f == nil {
			v[i] = -1
			continue
		}
		k, ok := w.fmap.byID[identityOf(f)]
		if !ok {
			return nil, fmt.Errorf("execution: table entry %d is no function of the module", i)
		}
		v[i] = k
	}
	return v, nil
}

func (w *wtInstance) SetTableState(v []int64) error {
	if w.fmap == nil || w.table == nil {
		if len(v) == 0 {
			return nil
		}
		return errors.New("execution: table state for a module that keeps none")
	}
	n := w.table.Size(w.store)
	if uint64(len(v)) < n {
		return fmt.Errorf("execution: table of %d entries cannot shrink to %d", n, len(v))
	}
	if uint64(len(v)) > n {
		if _, err := w.table.Grow(w.store, uint64(len(v))-n, wasmtime.ValFuncref(nil)); err != nil {
			return fmt.Errorf("execution: growing the table: %w", err)
		}
	}
	for i, k := range v {
		var f *wasmtime.Func
		if k >= 0 {
			if k >= int64(len(w.fmap.funcs)) {
				return fmt.Errorf("execution: table entry %d names function %d of %d", i, k, len(w.fmap.funcs))
			}
			f = w.fmap.funcs[k]
		}
		if err := w.table.Set(w.store, uint64(i), wasmtime.ValFuncref(f)); err != nil {
			return fmt.Errorf("execution: setting table entry %d: %w", i, err)
		}
	}
	return nil
}

// TableTouched reports whether a table write ran since the last
// ClearTableTouched (always true without the instrumented flag).
func (w *wtInstance) TableTouched() bool {
	if !w.tableFlag || w.dirty == nil {
		return true
	}
	return w.dirty.UnsafeData(w.store)[w.flagOff] != 0
}

// ClearTableTouched clears the table flag.
func (w *wtInstance) ClearTableTouched() {
	if w.tableFlag && w.dirty != nil {
		w.dirty.UnsafeData(w.store)[w.flagOff] = 0
	}
}
