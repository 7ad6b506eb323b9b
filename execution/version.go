package execution

// BumpVersion increments the canister's version, as a change of its
// settings does on the IC (installs and uninstalls increment it
// themselves).
func (c *Canister) BumpVersion() { c.st.Version++ }
