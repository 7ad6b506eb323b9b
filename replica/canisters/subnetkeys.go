package canisters

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// setSubnet makes id and rootKey the values of ic0.subnet_self and
// ic0.root_key_* from this round on. The shell passes them with every
// round from the replicated state (a subnet whose BLS keys come from its
// genesis DKG has them only once the DKG is done), so every node changes
// them at the same height; no change (or an empty key, not known yet)
// does nothing. The engine fixes them when a canister is loaded, so every
// canister is loaded again from its state: this happens once in a
// subnet's life and changes nothing of the state (at the start of a
// round nothing is pending since the last persisted checkpoint).
func (c *Component) setSubnet(id principal.Principal, rootKey []byte) error {
	if len(rootKey) == 0 || (id == c.cfg.Exec.Subnet && bytes.Equal(rootKey, c.cfg.Exec.RootKey)) {
		return nil
	}
	c.cfg.Exec.Subnet, c.cfg.Exec.RootKey = id, slices.Clone(rootKey)
	for _, k := range c.sortedKeys() {
		e := c.cans[k]
		st := e.can.State()
		var compiled execution.Compiled
		if st.Module != nil {
			_, cm, err := c.modules.Get(st.Module)
			if err != nil {
				return fmt.Errorf("canisters: canister %s: %w", e.id, err)
			}
			compiled = cm
		}
		can, err := execution.Load(c.cfg.Exec, st, compiled)
		if err != nil {
			return fmt.Errorf("canisters: canister %s: %w", e.id, err)
		}
		e.can.Close()
		e.can = can
	}
	return nil
}

// setSubnetNodes makes n the node count the canisters see
// (ic0.subnet_self_node_count); 0 keeps the count in use.
func (c *Component) setSubnetNodes(n uint32) {
	if n == 0 || n == c.cfg.Exec.SubnetNodes {
		return
	}
	c.cfg.Exec.SubnetNodes = n
	for _, e := range c.cans {
		e.can.SetSubnetNodes(n)
	}
}
