// Package modcache keeps compiled canister modules in a directory, so
// that a restarted node, or a second node on the same machine, loads a
// module's machine code instead of compiling it again.
//
// A file is named by the module's hash and a hash of what its compiled
// code depends on (the module as the engine compiles it and the
// engine's fingerprint: wasmtime version, target and settings), so an
// engine upgrade never loads stale code. Files are written crash-safely
// (a temporary file, synced, renamed into place) with mode 0600, and
// carry a SHA-256 of their contents: a truncated or corrupted file is
// ignored, and the module compiled and written again.
//
// Loading compiled code runs it as native code: the directory must be as
// trusted as the node's binary (the checksum detects damage, not an
// attacker who can write the directory).
package modcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chainkey/chainkey/execution"
)

// magic starts every cache file.
const magic = "chainkey compiled module 1\n"

// Cache is a directory of compiled modules in front of an in-memory
// execution.ModuleCache. It is not safe for concurrent use; separate
// Caches (processes) may share a directory.
type Cache struct {
	dir         string
	engine      execution.Engine
	fingerprint string
	mem         *execution.ModuleCache

	// Compiled and Loaded count the modules compiled and those loaded
	// from the directory.
	Compiled, Loaded int
}

// Open returns a cache in dir (created with mode 0700 if missing) for
// engine e, which must be an execution.Fingerprinter.
func Open(dir string, e execution.Engine) (*Cache, error) {
	fp, ok := e.(execution.Fingerprinter)
	if !ok {
		return nil, errors.New("modcache: the engine has no fingerprint")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("modcache: %w", err)
	}
	return &Cache{dir: dir, engine: e, fingerprint: fp.Fingerprint(), mem: execution.NewModuleCache(e)}, nil
}

// path returns the file of a prepared module.
func (c *Cache) path(p *execution.Prepared) string {
	code := p.CodeHash()
	h := sha256.New()
	h.Write([]byte(c.fingerprint))
	h.Write([]byte{0})
	h.Write(code[:])
	return filepath.Join(c.dir, hex.EncodeToString(p.Hash[:])+"-"+hex.EncodeToString(h.Sum(nil)[:12])+".cwasm")
}

// Get returns the prepared and compiled module: from memory, else from
// the directory, else compiled (and written to the directory).
func (c *Cache) Get(wasm []byte) (*execution.Prepared, execution.Compiled, error) {
	p, err := execution.Prepare(wasm)
	if err != nil {
		return nil, nil, err
	}
	if q, compiled, ok := c.mem.Lookup(p.Hash); ok {
		return q, compiled, nil
	}
	file := c.path(p)
	if compiled, err := c.load(p, file); err == nil {
		c.Loaded++
		c.mem.Add(p, compiled)
		return p, compiled, nil
	}
	compiled, err := c.engine.Compile(p)
	if err != nil {
		return nil, nil, err
	}
	c.Compiled++
	c.mem.Add(p, compiled)
	if err := c.store(compiled, file); err != nil {
		return nil, nil, err
	}
	return p, compiled, nil
}

// load reads and checks a cache file.
func (c *Cache) load(p *execution.Prepared, file string) (execution.Compiled, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(b) < len(magic)+sha256.Size || string(b[:len(magic)]) != magic {
		return nil, errors.New("modcache: not a cache file")
	}
	sum, body := b[len(magic):len(magic)+sha256.Size], b[len(magic)+sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, errors.New("modcache: checksum mismatch")
	}
	return c.engine.Load(p, body)
}

// store writes a cache file crash-safely.
func (c *Cache) store(compiled execution.Compiled, file string) error {
	body, err := compiled.Serialize()
	if err != nil {
		return fmt.Errorf("modcache: serializing: %w", err)
	}
	sum := sha256.Sum256(body)
	f, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("modcache: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("modcache: %w", err)
	}
	_, err = f.Write(append(append([]byte(magic), sum[:]...), body...))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("modcache: writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("modcache: %w", err)
	}
	if d, err := os.Open(c.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
