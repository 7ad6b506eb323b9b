package nodejstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// MotokoActor is one actor for a project's compile.mjs: its name, its
// Motoko source and, with Classic, the 32-bit classic orthogonal
// persistence build instead of the default wasm64 one.
type MotokoActor struct {
	Name    string `json:"name"`
	Source  string `json:"source"`
	Classic bool   `json:"classic,omitempty"`
}

// CompileMotoko builds actors with the project's compile.mjs (the pinned
// Motoko compiler; it reads {"actors":[...]} and prints a JSON object of
// base64 Wasm modules by actor name) and returns the modules by name. The
// output is cached in node_modules, keyed by the project's manifest,
// compile.mjs and the sources, so a second run compiles nothing.
func (p *Project) CompileMotoko(actors ...MotokoActor) (map[string][]byte, error) {
	in, err := json.Marshal(map[string]any{"actors": actors})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, f := range []string{"package.json", "package-lock.json", "compile.mjs"} {
		b, err := os.ReadFile(filepath.Join(p.Dir, f))
		if err != nil {
			return nil, fmt.Errorf("nodejstest: %w", err)
		}
		h.Write(b)
	}
	h.Write(in)
	cache := filepath.Join(p.Dir, "node_modules", ".chainkey-motoko-"+hex.EncodeToString(h.Sum(nil)[:8])+".json")
	out, err := os.ReadFile(cache)
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := p.Command(ctx, "compile.mjs")
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if out, err = cmd.Output(); err != nil {
			return nil, fmt.Errorf("nodejstest: node compile.mjs: %v\n%s", err, stderr.Bytes())
		}
		_ = os.WriteFile(cache, out, 0o644)
	}
	var enc map[string]string
	if err := json.Unmarshal(out, &enc); err != nil {
		return nil, fmt.Errorf("nodejstest: compile.mjs output: %w", err)
	}
	wasm := make(map[string][]byte, len(enc))
	for name, s := range enc {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("nodejstest: module %s: %w", name, err)
		}
		wasm[name] = b
	}
	for _, a := range actors {
		if len(wasm[a.Name]) == 0 {
			return nil, fmt.Errorf("nodejstest: compile.mjs gave no module for %s", a.Name)
		}
	}
	return wasm, nil
}
