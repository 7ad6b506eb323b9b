package modcache

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

const counterWAT = `(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  (global $n (mut i64) (i64.const 0))
  (func (export "canister_update inc")
    (global.set $n (i64.add (global.get $n) (i64.const 1)))
    (i64.store (i32.const 0) (global.get $n))
    (call $append (i32.const 0) (i32.const 8))
    (call $reply)))`

func module(t *testing.T) []byte {
	b, err := wasmtime.Wat2Wasm(counterWAT)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run installs the module on a new canister of engine e and increments
// the counter once.
func run(t *testing.T, e execution.Engine, p *execution.Prepared, compiled execution.Compiled) {
	t.Helper()
	c, err := execution.New(execution.Config{Engine: e}, principal.FromCanisterIndex(1), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.InstallCompiled(p, compiled, execution.Message{}); err != nil {
		t.Fatal(err)
	}
	if r := c.Update(execution.Message{Method: "inc"}); !r.Replied || binary.LittleEndian.Uint64(r.Reply) != 1 {
		t.Fatalf("inc: %+v", r)
	}
}

func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.cwasm"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSecondNodeLoads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "modules")
	wasm := module(t)
	cfg := execution.EngineConfig{MaxMemory: 64 << 20}

	// The first node compiles and writes the module.
	e1 := execution.NewWasmtime(cfg)
	c1, err := Open(dir, e1)
	if err != nil {
		t.Fatal(err)
	}
	p, compiled, err := c1.Get(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Compiled != 1 || c1.Loaded != 0 {
		t.Fatalf("first node: %d compiled, %d loaded", c1.Compiled, c1.Loaded)
	}
	if _, _, err := c1.Get(wasm); err != nil || c1.Compiled != 1 {
		t.Fatal("second Get compiled again")
	}
	run(t, e1, p, compiled)
	files := cacheFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("%d cache files", len(files))
	}
	st, err := os.Stat(files[0])
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cache file mode %v, %v", st.Mode(), err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}

	// A second node (its own engine and cache on the same directory)
	// loads it without compiling.
	e2 := execution.NewWasmtime(cfg)
	c2, err := Open(dir, e2)
	if err != nil {
		t.Fatal(err)
	}
	p2, compiled2, err := c2.Get(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Compiled != 0 || c2.Loaded != 1 {
		t.Fatalf("second node: %d compiled, %d loaded", c2.Compiled, c2.Loaded)
	}
	run(t, e2, p2, compiled2)

	// An engine with other settings does not use the first one's code.
	e3 := execution.NewWasmtime(execution.EngineConfig{MaxMemory: 32 << 20})
	c3, err := Open(dir, e3)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c3.Get(wasm); err != nil || c3.Compiled != 1 {
		t.Fatalf("other engine settings: %d compiled, %v", c3.Compiled, err)
	}
	if n := len(cacheFiles(t, dir)); n != 2 {
		t.Fatalf("%d cache files", n)
	}
}

func TestCorruptFilesAreRecompiled(t *testing.T) {
	dir := t.TempDir()
	wasm := module(t)
	cfg := execution.EngineConfig{MaxMemory: 64 << 20}
	c, err := Open(dir, execution.NewWasmtime(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(wasm); err != nil {
		t.Fatal(err)
	}
	file := cacheFiles(t, dir)[0]
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	for name, b := range map[string][]byte{
		"flipped":   flipped,
		"truncated": good[:len(good)/3],
		"empty":     nil,
		"garbage":   []byte("not a module"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			e := execution.NewWasmtime(cfg)
			c, err := Open(dir, e)
			if err != nil {
				t.Fatal(err)
			}
			p, compiled, err := c.Get(wasm)
			if err != nil {
				t.Fatal(err)
			}
			if c.Compiled != 1 || c.Loaded != 0 {
				t.Fatalf("%d compiled, %d loaded", c.Compiled, c.Loaded)
			}
			run(t, e, p, compiled)
			// The file was written again and loads.
			if b, _ := os.ReadFile(file); !bytes.Equal(b[:len(magic)], []byte(magic)) {
				t.Fatal("file not rewritten")
			}
			c2, _ := Open(dir, execution.NewWasmtime(cfg))
			if _, _, err := c2.Get(wasm); err != nil || c2.Loaded != 1 {
				t.Fatalf("rewritten file does not load: %v", err)
			}
		})
	}
}
