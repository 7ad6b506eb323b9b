package replica

import (
	"fmt"
	"path/filepath"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/execution/modcache"
)

// modulesDir is the directory of compiled canister modules in a node's
// home: not part of the replicated state (every node compiles the same
// module to the same behaviour), only a saving of compile time.
const modulesDir = "modules"

// openModuleCache opens the compile cache in the node's directory (none
// for a node without a home).
func (a *app) openModuleCache(eng execution.Engine) (*modcache.Cache, error) {
	if a.cfg.Home == "" {
		return nil, nil
	}
	mc, err := modcache.Open(filepath.Join(a.cfg.Home, modulesDir), eng)
	if err != nil {
		return nil, fmt.Errorf("replica: canisters: compile cache: %w", err)
	}
	return mc, nil
}

// moduleCacheCounts returns the modules the node compiled and those it
// loaded from its compile cache since it started.
func (a *app) moduleCacheCounts() (compiled, loaded int) {
	if a.cans == nil || a.cans.modules == nil {
		return 0, 0
	}
	a.cans.mu.Lock()
	defer a.cans.mu.Unlock()
	return a.cans.modules.Compiled, a.cans.modules.Loaded
}
