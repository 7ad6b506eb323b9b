package replica

import (
	"context"
	"errors"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/replica/subnet"
)

// Executing membership changes. A RegistryTx that passes
// subnet.CheckRegistryTx against the state it applies to makes the change
// pending (subnet.ApplyRegistryChange): the master keys are reshared to
// the next committee by RoleReshareNext jobs; once all are final, the
// end of a height starts the BLS key epoch from the current committee to
// the next one (subnet.ScheduleMembership); the height at which that
// epoch completes switches the committee (subnet.SwitchCommittee) and
// returns the validator updates to CometBFT, which applies them two
// heights later. From the next height on, the committee of the
// committed state is the new one (refreshCommittee); its shares carry
// the new key epoch.

// executesMembership reports whether the node executes registry changes:
// when the genesis names an operator key (test subnets may force it).
// Every node of a subnet answers alike: it decides whether a block
// carrying a change is valid.
func (a *app) executesMembership() bool { return a.cfg.membership || a.gen.OperatorKey != "" }

// checkRegistryTx admits a registry change to the mempool if it passes
// the registry rules against the committed state.
func (a *app) checkRegistryTx(t *subnet.RegistryTx) *abci.CheckTxResponse {
	if !a.executesMembership() || a.bdkg == nil {
		return &abci.CheckTxResponse{Code: codeInvalid, Log: "membership changes are not executed by this subnet"}
	}
	plan, err := a.registryPlan()
	if err != nil {
		return &abci.CheckTxResponse{Code: codeInvalid, Log: err.Error()}
	}
	cs, _ := a.committed()
	if _, err := subnet.CheckRegistryTx(cs, plan, t); err != nil {
		return &abci.CheckTxResponse{Code: codeInvalid, Log: err.Error()}
	}
	return &abci.CheckTxResponse{Code: codeOK}
}

// applyRegistry executes a registry change: checked against the height's
// state, it becomes pending.
func (e *exec) applyRegistry(t *subnet.RegistryTx) (uint32, error) {
	if !e.a.executesMembership() || e.a.bdkg == nil {
		return codeInvalid, errf("membership changes are not executed by this subnet")
	}
	plan, err := e.a.registryPlan()
	if err != nil {
		return codeInvalid, err
	}
	c, err := subnet.CheckRegistryTx(e.cs, plan, t)
	if err != nil {
		return codeInvalid, err
	}
	subnet.ApplyRegistryChange(e.cs, plan, e.keyPlan(), c)
	if !e.dry {
		what, who := "add", ""
		if c.Add != nil {
			who = c.Add.NodeID
		} else {
			what, who = "remove", c.Remove
		}
		e.a.log.Info("membership change agreed", "version", c.Version, "change", what, "node", who, "height", e.cs.Height+1)
	}
	return codeOK, nil
}

// membershipStep runs at the end of a height, after the BLS key epoch in
// progress was given its chance to complete (done: it completed at this
// height): a completed membership epoch switches the committee; a pending
// change whose master keys are all reshared starts its BLS epoch.
func (e *exec) membershipStep(height uint64, done bool) error {
	cs := e.cs
	if done && subnet.IsMembershipEpoch(cs) {
		ups, err := subnet.SwitchCommittee(cs, e.a.genRecs, height)
		if err != nil {
			return err
		}
		e.valUpdates = ups
		if !e.dry && e.a.idkg != nil {
			// The signature shares this node made for pending requests
			// used the old committee's presignatures, which are gone:
			// the requests get fresh ones, and new shares.
			s := e.a.idkg
			s.mu.Lock()
			clear(s.shares)
			s.mu.Unlock()
		}
		if !e.dry {
			e.a.log.Info("committee switched", "height", height, "members", len(cs.Members), "version", cs.RegistryVersion)
		}
		return nil
	}
	if subnet.ScheduleMembership(cs, e.a.gen.KeyIDs) && !e.dry && e.a.bdkg != nil {
		ep, err := e.a.bdkg.newEpoch(cs, cs.BLSEpoch, currentKeys(cs))
		if err != nil {
			return err
		}
		e.a.bdkg.mu.Lock()
		e.a.bdkg.cur = ep
		e.a.bdkg.mu.Unlock()
		e.a.log.Info("resharing the BLS keys to the next committee", "epoch", cs.BLSEpoch, "height", height)
	}
	return nil
}

// validatorUpdates converts the registry's validator updates for
// CometBFT.
func validatorUpdates(ups []subnet.ValidatorUpdate) []abci.ValidatorUpdate {
	var out []abci.ValidatorUpdate
	for _, u := range ups {
		out = append(out, abci.NewValidatorUpdate(cmted25519.PubKey(u.PubKey), u.Power))
	}
	return out
}

// SubmitRegistryChange checks a registry change signed by the operator
// key against the committed registry and puts it in the node's mempool,
// from where CometBFT gossips it; it returns the version the change
// makes once a block carries it. A refused change wraps
// api.ErrRegistryChangeRefused.
func (n *Node) SubmitRegistryChange(_ context.Context, change, signature []byte) (uint64, error) {
	t := &subnet.RegistryTx{Change: change, Signature: signature}
	if res := n.app.checkRegistryTx(t); res.Code != codeOK {
		return 0, fmt.Errorf("%w: %s", api.ErrRegistryChangeRefused, res.Log)
	}
	c, err := subnet.DecodeRegistryChange(change)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", api.ErrRegistryChangeRefused, err)
	}
	n.mu.Lock()
	running := n.running
	n.mu.Unlock()
	if !running {
		return 0, fmt.Errorf("replica: submit registry change: %w", api.ErrNotReady)
	}
	rr, err := n.comet.Mempool().CheckTx(subnet.EncodeTx(&subnet.Tx{Registry: t}), "")
	if err != nil {
		if strings.Contains(err.Error(), "already exists in cache") {
			return c.Version, nil // submitted before: it is on its way
		}
		return 0, fmt.Errorf("replica: submit registry change: %w", err)
	}
	rr.Wait()
	res := rr.Response.GetCheckTx()
	switch {
	case res == nil:
		return 0, errors.New("replica: submit registry change: no mempool response")
	case res.Code != codeOK:
		return 0, fmt.Errorf("%w: %s", api.ErrRegistryChangeRefused, res.Log)
	}
	return c.Version, nil
}
