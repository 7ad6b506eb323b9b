package canisters

import (
	"math/big"
	"strings"
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
	// canister_info decodes against the IC's type (history elided).
	icInfo, err := candid.ParseType(`record { total_num_changes : nat64; recent_changes : vec record { timestamp_nanos : nat64;
		canister_version : nat64; origin : variant { from_user : record { user_id : principal } };
		details : variant { creation : record { controllers : vec principal } } };
		module_hash : opt blob; controllers : vec principal }`)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := candid.Unmarshal(h.replied(h.block(h.mgmt(alice, "canister_info", canisterInfoArgs{CanisterID: can}))[0]), []*candid.Type{icInfo})
	if err != nil {
		t.Fatal(err)
	}
	if mh, _ := vs[0].(candid.Record).Get("module_hash"); mh.(candid.Opt).Value == nil {
		t.Fatalf("canister_info %v", vs)
	}
	// A trap is in the canister's logs, for controllers only.
	h.rejected(h.block(h.call(can, "boom", nil))[0], execution.RejectCanisterError)
	var logs fetchLogsResult
	if err := candid.Decode(h.c.QueryManagement(ctrl, "fetch_canister_logs", mustEncode(t, canisterIDArgs{CanisterID: can})).Reply, &logs); err != nil {
		t.Fatal(err)
	}
	if n := len(logs.Records); n == 0 || !strings.HasPrefix(string(logs.Records[n-1].Content), "[TRAP]") {
		t.Fatalf("logs %+v", logs)
	}
	if r := h.c.QueryManagement(alice, "fetch_canister_logs", mustEncode(t, canisterIDArgs{CanisterID: can})); r.RejectCode != execution.RejectCanisterError {
		t.Fatalf("logs of a non-controller: %+v", r)
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

func TestIngressUpdateSettings(t *testing.T) {
	h := newHarness(t)
	// Controllers given at creation are exactly the canister's.
	only := []principal.Principal{alice}
	ids := h.block(h.mgmt(ctrl, "provisional_create_canister_with_cycles", createArgs{Settings: &canisterSettings{Controllers: &only}}))
	var res createResult
	if err := candid.Decode(h.replied(ids[0]), &res); err != nil {
		t.Fatal(err)
	}
	can := res.CanisterID
	status := func(sender principal.Principal) []principal.Principal {
		t.Helper()
		var st canisterStatusResult
		if err := candid.Decode(h.replied(h.block(h.mgmt(sender, "canister_status", canisterIDArgs{CanisterID: can}))[0]), &st); err != nil {
			t.Fatal(err)
		}
		return st.Settings.Controllers
	}
	h.rejected(h.block(h.mgmt(ctrl, "canister_status", canisterIDArgs{CanisterID: can}))[0], execution.RejectCanisterError)
	if got := status(alice); len(got) != 1 || got[0] != alice {
		t.Fatalf("controllers %v", got)
	}
	// update_settings by a controller; not by others.
	both := []principal.Principal{alice, ctrl}
	h.rejected(h.block(h.mgmt(ctrl, "update_settings", updateSettingsArgs{CanisterID: can, Settings: canisterSettings{Controllers: &both}}))[0], execution.RejectCanisterError)
	h.replied(h.block(h.mgmt(alice, "update_settings", updateSettingsArgs{CanisterID: can, Settings: canisterSettings{Controllers: &both}}))[0])
	if got := status(ctrl); len(got) != 2 {
		t.Fatalf("controllers %v", got)
	}
	// The new controllers survive a reload from storage.
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if r := c2.QueryManagement(ctrl, "canister_status", mustEncode(t, canisterIDArgs{CanisterID: can})); !r.Replied {
		t.Fatalf("after reload: %+v", r)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("state hash differs after reload")
	}
}

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := candid.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIngressTopUp(t *testing.T) {
	h := newHarness(t)
	amount := big.NewInt(5_000)
	ids := h.block(h.mgmt(ctrl, "provisional_create_canister_with_cycles", createArgs{Amount: amount}))
	var res createResult
	if err := candid.Decode(h.replied(ids[0]), &res); err != nil {
		t.Fatal(err)
	}
	can := res.CanisterID
	cycles := func() uint64 {
		t.Helper()
		var st canisterStatusResult
		if err := candid.Decode(h.c.QueryManagement(ctrl, "canister_status", mustEncode(t, canisterIDArgs{CanisterID: can})).Reply, &st); err != nil {
			t.Fatal(err)
		}
		return st.Cycles.Uint64()
	}
	if got := cycles(); got != 5_000 {
		t.Fatalf("cycles after creation: %d", got)
	}
	before := h.c.StateHash()
	// Anyone may top up a canister with provisional cycles, as on the IC's
	// test subnets; an ingress deposit_cycles carries none.
	h.replied(h.block(h.mgmt(alice, "provisional_top_up_canister", topUpArgs{CanisterID: can, Amount: big.NewInt(7_000)}))[0])
	if got := cycles(); got != 12_000 {
		t.Fatalf("cycles after top-up: %d", got)
	}
	if h.c.StateHash() == before {
		t.Fatal("top-up did not change the state hash")
	}
	h.replied(h.block(h.mgmt(ctrl, "deposit_cycles", canisterIDArgs{CanisterID: can}))[0])
	if got := cycles(); got != 12_000 {
		t.Fatalf("cycles after an ingress deposit: %d", got)
	}
	h.rejected(h.block(h.mgmt(ctrl, "provisional_top_up_canister", topUpArgs{CanisterID: CanisterID(999), Amount: big.NewInt(1)}))[0], execution.RejectDestinationInvalid)
}
