package replica

import (
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
	"github.com/chainkey/chainkey/vetkd"
)

// canisterVetKDKeys returns the vetKD master public keys of the state in
// progress for the canister round (vetkd_public_key and
// vetkd_derive_key). A key whose coefficients do not parse is left out.
func (e *exec) canisterVetKDKeys() map[string]*vetkd.MasterPublicKey {
	if len(e.cs.VetKDPub) == 0 {
		return nil
	}
	out := make(map[string]*vetkd.MasterPublicKey, len(e.cs.VetKDPub))
	for k, pub := range e.cs.VetKDPub {
		pc, err := e.a.vk.coefficients(pub)
		if err != nil {
			continue
		}
		mk, err := vetkd.NewMasterPublicKey(pc.PublicKey().Point())
		if err != nil {
			continue
		}
		out[k] = mk
	}
	return out
}

// acceptCanisterVetKD hands the canisters' derivation requests to the
// vetKD pipeline (State.VetKDPending). The component made them only for
// keys of canisterVetKDKeys and valid transport keys, the checks the
// state repeats, so none is refused; one that were would stay unanswered
// on every node alike (a reject made after the round would not be
// persisted with it).
func (e *exec) acceptCanisterVetKD(reqs []canisters.VetKDRequest) {
	for _, r := range reqs {
		cv := &subnet.CanisterVetKD{Caller: r.Caller.Bytes(), Context: r.Context, Input: r.Input, TransportPublicKey: r.TransportPublicKey}
		if err := subnet.AcceptCanisterVetKDRequest(e.cs, r.ID, r.KeyID, cv); err != nil {
			e.a.log.Error("canister vetKD request", "err", err)
		}
	}
}

// canisterVetKDPending returns a copy of the canister's derivation request
// id pending in the state in progress (nil if id is not one).
func (e *exec) canisterVetKDPending(id []byte) *subnet.PendingRequest {
	i := e.cs.VetKDPendingIndex(id)
	if i < 0 || e.cs.VetKDPending[i].CanisterVetKD == nil {
		return nil
	}
	p := e.cs.VetKDPending[i]
	return &p
}

// canisterVetKDKey delivers the combined encrypted key of a canister's
// derivation request to the component (its callback runs in this block's
// round).
func (e *exec) canisterVetKDKey(p *subnet.PendingRequest, encryptedKey []byte) {
	if e.dry || p == nil || p.CanisterVetKD == nil || e.a.cans == nil {
		return
	}
	e.a.cans.mu.Lock()
	e.a.cans.c.DeliverVetKDKey(p.ID, encryptedKey)
	e.a.cans.mu.Unlock()
}
