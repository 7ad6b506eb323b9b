package execution

import (
	"errors"
	"fmt"
	"slices"
)

// Tables. A canister's table is state as its memory and globals are: a
// module that changes its table at run time (table.set, table.grow,
// table.fill, table.copy, table.init) has the table's contents saved after
// every message that did not trap, restored after one that did, carried
// in State.Table (the function index of every entry, -1 for null) and
// restored by Load. Modules that never change their table (every module
// Motoko emits) pay nothing. Segment drops (data.drop, elem.drop) leave
// no state an engine can read back, so modules that use them are
// refused: after a restart a dropped segment would be back.

// exportFuncPrefix names the exports of every function of a module that
// changes its table ("chainkey#f<index>"), through which table entries
// are mapped to function indices and back.
const exportFuncPrefix = "chainkey#f"

// codeFacts are what scanCode finds in a module's code.
type codeFacts struct {
	tableWrites bool // table.set, table.grow, table.fill, table.copy or table.init
	drops       bool // data.drop or elem.drop
	otherTable  bool // a table instruction on a table other than 0
}

// scanCode scans the function bodies of a code section.
func scanCode(body []byte) (codeFacts, error) {
	var f codeFacts
	r := &reader{b: body}
	memidx := func() { r.byte() }
	memarg := func() uint64 {
		if r.uleb(32)&0x40 != 0 {
			r.uleb(32)
		}
		return r.uleb(64)
	}
	table := func() {
		if r.uleb(32) != 0 {
			f.otherTable = true
		}
	}
	for n := r.uleb(32); n > 0 && r.err == nil; n-- {
		size := r.uleb(32)
		end := r.off + int(size)
		if r.err != nil || end > len(body) {
			return f, errors.New("malformed code section")
		}
		for g := r.uleb(32); g > 0 && r.err == nil; g-- {
			r.uleb(32)
			valType(r)
		}
		for r.err == nil && r.off < end {
			op := r.byte()
			switch op {
			case 0x25: // table.get
				table()
				continue
			case 0x26: // table.set
				table()
				f.tableWrites = true
				continue
			case 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e: // stores
				memarg()
				continue
			case 0xfc:
				switch sub := r.uleb(32); sub {
				case 0, 1, 2, 3, 4, 5, 6, 7:
				case 8: // memory.init
					r.uleb(32)
					memidx()
				case 9: // data.drop
					r.uleb(32)
					f.drops = true
				case 10:
					memidx()
					memidx()
				case 11:
					memidx()
				case 12: // table.init
					r.uleb(32)
					table()
					f.tableWrites = true
				case 13: // elem.drop
					r.uleb(32)
					f.drops = true
				case 14: // table.copy
					table()
					table()
					f.tableWrites = true
				case 15, 17: // table.grow, table.fill
					table()
					f.tableWrites = true
				case 16: // table.size
					table()
				default:
					r.fail(fmt.Errorf("unsupported opcode 0xfc %d", sub))
				}
				continue
			case 0xfd:
				sub := r.uleb(32)
				switch {
				case sub <= 11, sub == 92, sub == 93:
					memarg()
				case sub >= 84 && sub <= 91:
					memarg()
					r.byte()
				case sub == 12, sub == 13:
					r.bytes(16)
				case sub >= 21 && sub <= 34:
					r.byte()
				}
				continue
			}
			skipInstr(r, op, memarg, memidx)
		}
		if r.err == nil && r.off != end {
			return f, errors.New("malformed function body")
		}
	}
	return f, r.err
}

// checkTables refuses what table persistence cannot carry.
func (info *moduleInfo) checkTables() error {
	if info.code.drops {
		return errors.New("data.drop and elem.drop are not supported (a dropped segment is not part of the persisted state)")
	}
	if !info.code.tableWrites {
		return nil
	}
	if info.code.otherTable || info.tables > 1 {
		return errors.New("run-time changes of a module with more than one table are not supported")
	}
	if info.tableType != 0x70 {
		return errors.New("run-time changes of a table of a type other than funcref are not supported")
	}
	return nil
}

// tableKeeper is implemented by instances of modules that change their
// table at run time.
type tableKeeper interface {
	// TableState returns the function index of every entry of the table
	// (-1 for null).
	TableState() ([]int64, error)
	// SetTableState makes the table hold v, growing it as needed (a
	// table cannot shrink: v may not be shorter than the table).
	SetTableState(v []int64) error
	// TableTouched reports whether the table may have changed since
	// the last ClearTableTouched (the instrumented modules set a flag
	// at every table write).
	TableTouched() bool
	ClearTableTouched()
}

// commitTable makes the instance's table the committed one (State.Table)
// after a message that did not trap (when it wrote the table), an
// install or an upgrade (force).
func (c *Canister) commitTable(force bool) {
	k, ok := c.inst.(tableKeeper)
	if !ok {
		c.st.Table = nil
		return
	}
	if !force && !k.TableTouched() {
		return
	}
	k.ClearTableTouched()
	v, err := k.TableState()
	if err != nil {
		// Every entry is a function of the module (Prepare exports
		// them all); an error here is a broken engine.
		panic(err)
	}
	c.st.Table = v
}

// rollbackTable puts the committed table back into the instance after a
// trap. A table cannot shrink: after a message that grew it, the
// instance is rebuilt (with the committed memory and globals) first.
func (c *Canister) rollbackTable(globals []uint64) error {
	k, ok := c.inst.(tableKeeper)
	if !ok || !k.TableTouched() {
		return nil
	}
	k.ClearTableTouched()
	cur, err := k.TableState()
	if err != nil {
		return err
	}
	if slices.Equal(cur, c.st.Table) {
		return nil
	}
	if len(cur) > len(c.st.Table) {
		// The new instance gets the committed table.
		return c.rebuildInstance(globals)
	}
	return k.SetTableState(c.st.Table)
}
