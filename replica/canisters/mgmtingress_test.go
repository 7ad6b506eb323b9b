package canisters

import (
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// mgmt is an ingress update call of sender to the management canister.
func (h *harness) mgmt(sender principal.Principal, method string, arg any) *Message {
	h.t.Helper()
	b, err := candid.Encode(arg)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.msg(Message{Kind: KindCall, Sender: sender.Bytes(), Method: method, Arg: b})
}

func TestIngressManagement(t *testing.T) {
	h := newHarness(t)
	ids := h.block(h.mgmt(ctrl, "provisional_create_canister_with_cycles", createArgs{}))
	var res createResult
	if err := candid.Decode(h.replied(ids[0]), &res); err != nil {
		t.Fatal(err)
	}
	can := res.CanisterID
	// A message to aaaaa-aa survives the mempool's encoding.
	raw, err := EncodeMessageTx(h.mgmt(ctrl, "canister_status", canisterIDArgs{CanisterID: can}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeMessageTx(raw); err != nil {
		t.Fatal(err)
	}
	install := func(sender principal.Principal, mode installMode, wasm []byte) [32]byte {
		return h.block(h.mgmt(sender, "install_code", installCodeArgs{Mode: mode, CanisterID: can, WasmModule: wasm, Arg: []byte{}}))[0]
	}
	// Only a controller installs: code 5, the IC's IC0512.
	msg := h.rejected(install(alice, installMode{Install: &candid.Null{}}, counterWasm(t)), execution.RejectCanisterError)
	if ErrorCode(execution.RejectCanisterError, msg) != "IC0512" {
		t.Fatalf("non-controller install: %q", msg)
	}
	h.replied(install(ctrl, installMode{Install: &candid.Null{}}, counterWasm(t)))
	h.replied(h.block(h.call(can, "inc", nil))[0])
	h.replied(h.block(h.call(can, "inc", nil))[0])
	if v := h.query(can, "get"); v != 2 {
		t.Fatalf("value %d", v)
	}
	// Upgrade keeps the value the upgrade hooks save; reinstall clears it.
	opts := &upgradeOptions{}
	h.replied(install(ctrl, installMode{Upgrade: &opts}, counterWasm(t)))
	if v := h.query(can, "get"); v != 2 {
		t.Fatalf("after upgrade: %d", v)
	}
	h.replied(install(ctrl, installMode{Reinstall: &candid.Null{}}, counterWasm(t)))
	if v := h.query(can, "get"); v != 0 {
		t.Fatalf("after reinstall: %d", v)
	}
	// canister_status, as an update call and as a query; not for others.
	for _, b := range [][]byte{
		h.replied(h.block(h.mgmt(ctrl, "canister_status", canisterIDArgs{CanisterID: can}))[0]),
		h.c.QueryManagement(ctrl, "canister_status", mustEncode(t, canisterIDArgs{CanisterID: can})).Reply,
	} {
		var st canisterStatusResult
		if err := candid.Decode(b, &st); err != nil {
			t.Fatal(err)
		}
		if st.Status.Running == nil || st.ModuleHash == nil || len(st.Settings.Controllers) != 1 || st.Settings.Controllers[0] != ctrl {
			t.Fatalf("status %+v", st)
		}
	}
	h.rejected(h.block(h.mgmt(alice, "canister_status", canisterIDArgs{CanisterID: can}))[0], execution.RejectCanisterError)
	if r := h.c.QueryManagement(alice, "canister_status", mustEncode(t, canisterIDArgs{CanisterID: can})); r.RejectCode != execution.RejectCanisterError {
		t.Fatalf("query status of a non-controller: %+v", r)
	}
	// Signing is for canisters only.
	h.rejected(h.block(h.mgmt(ctrl, "raw_rand", candid.Null{}))[0], execution.RejectCanisterReject)
	h.rejected(h.block(h.mgmt(ctrl, "no_such_method", candid.Null{}))[0], execution.RejectDestinationInvalid)
	// Stop, delete (refused while running), delete.
	h.rejected(h.block(h.mgmt(ctrl, "delete_canister", canisterIDArgs{CanisterID: can}))[0], execution.RejectCanisterError)
	h.replied(h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: can}))[0])
	h.replied(h.block(h.mgmt(ctrl, "delete_canister", canisterIDArgs{CanisterID: can}))[0])
	h.rejected(h.block(h.mgmt(ctrl, "canister_status", canisterIDArgs{CanisterID: can}))[0], execution.RejectDestinationInvalid)
}

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := candid.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
