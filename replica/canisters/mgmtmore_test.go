package canisters

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// provisional creates a canister controlled by ctrl with settings.
func (h *harness) provisional(s *fullSettings, specified *principal.Principal) (principal.Principal, *Record) {
	h.t.Helper()
	ids := h.block(h.mgmt(ctrl, "provisional_create_canister_with_cycles", provisionalCreateArgs{Settings: s, Specified: specified}))
	r := h.record(ids[0])
	if r.Status != StatusReplied {
		return principal.Principal{}, r
	}
	var res createResult
	if err := candid.Decode(r.Reply, &res); err != nil {
		h.t.Fatal(err)
	}
	return res.CanisterID, r
}

func (h *harness) mgmtStatus(sender, id principal.Principal) canisterStatusResult {
	h.t.Helper()
	var st canisterStatusResult
	if err := candid.Decode(h.replied(h.block(h.mgmt(sender, "canister_status", canisterIDArgs{CanisterID: id}))[0]), &st); err != nil {
		h.t.Fatal(err)
	}
	return st
}

// bigModule is the counter module with a custom section that makes it
// n bytes long or longer.
func bigModule(t *testing.T, n int) []byte {
	w := counterWasm(t)
	name := "padding"
	pad := max(0, n-len(w))
	body := append([]byte{byte(len(name))}, name...)
	for i := range pad {
		body = append(body, byte(i*7+i/251))
	}
	sec := append([]byte{0}, binary.AppendUvarint(nil, uint64(len(body)))...)
	return append(append(bytes.Clone(w), sec...), body...)
}

func reload(t *testing.T, h *harness) *Component {
	t.Helper()
	c2, err := New(h.c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c2.Close)
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("reloaded state has another hash")
	}
	return c2
}

// TestChunkedInstall installs a module larger than a message may be
// through the chunk store, with the IC's checks.
func TestChunkedInstall(t *testing.T) {
	h := newHarness(t)
	target, _ := h.provisional(nil, nil)
	wasm := bigModule(t, MaxMessageBytes+MaxChunkBytes/2)
	raw, err := EncodeMessageTx(h.mgmt(ctrl, "install_code", installCodeArgs{Mode: installMode{Install: &candid.Null{}},
		CanisterID: target, WasmModule: wasm, Arg: []byte{}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeMessageTx(raw); err == nil {
		t.Fatal("a module over the message limit fits a message")
	}
	upload := func(sender, to principal.Principal, chunk []byte) [32]byte {
		return h.block(h.mgmt(sender, "upload_chunk", uploadChunkArgs{CanisterID: to, Chunk: chunk}))[0]
	}
	// Not for others; not over 1 MiB.
	h.rejected(upload(alice, target, []byte("x")), execution.RejectCanisterError)
	msg := h.rejected(upload(ctrl, target, make([]byte, MaxChunkBytes+1)), execution.RejectCanisterError)
	if !strings.Contains(msg, "exceeds") {
		t.Fatalf("oversized chunk: %q", msg)
	}
	var hashes []chunkHash
	for off := 0; off < len(wasm); off += MaxChunkBytes {
		chunk := wasm[off:min(len(wasm), off+MaxChunkBytes)]
		var got chunkHash
		if err := candid.Decode(h.replied(upload(ctrl, target, chunk)), &got); err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256(chunk); !bytes.Equal(got.Hash, want[:]) {
			t.Fatal("upload_chunk returned another hash")
		}
		hashes = append(hashes, got)
	}
	// Uploading a chunk again stores nothing new.
	h.replied(upload(ctrl, target, wasm[:MaxChunkBytes]))
	var stored []chunkHash
	if err := candid.Decode(h.replied(h.block(h.mgmt(ctrl, "stored_chunks", canisterIDArgs{CanisterID: target}))[0]), &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(hashes) {
		t.Fatalf("%d chunks stored, %d uploaded", len(stored), len(hashes))
	}
	if st := h.mgmtStatus(ctrl, target); st.MemoryMetrics.ChunkStore.Int64() != int64(len(wasm)) {
		t.Fatalf("wasm_chunk_store_size %s, want %d", st.MemoryMetrics.ChunkStore, len(wasm))
	}
	// The chunk store survives a reload, and a snapshot carries it.
	c2 := reload(t, h)
	if r := c2.QueryManagement(ctrl, "canister_status", mustEncode(t, canisterIDArgs{CanisterID: target})); !r.Replied {
		t.Fatal(r.RejectMessage)
	}
	c3, _ := New(h.c.cfg)
	defer c3.Close()
	if err := c3.Restore(h.c.Snapshot()); err != nil || c3.StateHash() != h.c.StateHash() {
		t.Fatalf("snapshot with chunks: %v", err)
	}
	if n := len(c3.cans[string(target.Bytes())].chunks.order); n != len(hashes) {
		t.Fatalf("%d chunks restored from the snapshot", n)
	}

	sum := sha256.Sum256(wasm)
	install := func(sender principal.Principal, list []chunkHash, hash []byte, store *principal.Principal) [32]byte {
		return h.block(h.mgmt(sender, "install_chunked_code", installChunkedArgs{Mode: installMode{Install: &candid.Null{}},
			Target: target, Store: store, ChunkHashes: list, WasmModuleHash: hash, Arg: []byte{}}))[0]
	}
	h.rejected(install(alice, hashes, sum[:], nil), execution.RejectCanisterError)
	if msg := h.rejected(install(ctrl, hashes, make([]byte, 32), nil), execution.RejectCanisterError); !strings.Contains(msg, "differs") {
		t.Fatalf("wrong module hash: %q", msg)
	}
	missing := append(append([]chunkHash{}, hashes...), chunkHash{Hash: make([]byte, 32)})
	if msg := h.rejected(install(ctrl, missing, sum[:], nil), execution.RejectCanisterError); !strings.Contains(msg, "not in the chunk store") {
		t.Fatalf("missing chunk: %q", msg)
	}
	h.replied(install(ctrl, hashes, sum[:], nil))
	h.replied(h.block(h.call(target, "inc", nil))[0])
	if v := h.query(target, "get"); v != 1 {
		t.Fatalf("counter %d after a chunked install", v)
	}
	if st := h.mgmtStatus(ctrl, target); st.ModuleHash == nil || !bytes.Equal(*st.ModuleHash, sum[:]) {
		t.Fatal("module hash after a chunked install")
	}

	// A store canister: the caller must control it too.
	store, _ := h.provisional(nil, nil)
	small := counterWasm(t)
	h.replied(upload(ctrl, store, small))
	ss := sha256.Sum256(small)
	one := []chunkHash{{Hash: ss[:]}}
	reinstall := installChunkedArgs{Mode: installMode{Reinstall: &candid.Null{}}, Target: target, Store: &store,
		ChunkHashes: one, WasmModuleHash: ss[:], Arg: []byte{}}
	h.replied(h.block(h.mgmt(ctrl, "install_chunked_code", reinstall))[0])
	if st := h.mgmtStatus(ctrl, target); !bytes.Equal(*st.ModuleHash, ss[:]) {
		t.Fatal("module hash after install from a store canister")
	}
	only := []principal.Principal{alice}
	h.replied(h.block(h.mgmt(ctrl, "update_settings", updateFullArgs{CanisterID: store, Settings: fullSettings{Controllers: &only}}))[0])
	h.rejected(h.block(h.mgmt(ctrl, "install_chunked_code", reinstall))[0], execution.RejectCanisterError)

	// uninstall_code empties the store with the code.
	h.replied(h.block(h.mgmt(ctrl, "uninstall_code", canisterIDArgs{CanisterID: target}))[0])
	if err := candid.Decode(h.replied(h.block(h.mgmt(ctrl, "stored_chunks", canisterIDArgs{CanisterID: target}))[0]), &stored); err != nil || len(stored) != 0 {
		t.Fatalf("%d chunks after uninstall_code (%v)", len(stored), err)
	}
	h.replied(upload(ctrl, target, small))
	// clear_chunk_store empties the store, in the persisted state too.
	h.replied(h.block(h.mgmt(ctrl, "clear_chunk_store", canisterIDArgs{CanisterID: target}))[0])
	if err := candid.Decode(h.replied(h.block(h.mgmt(ctrl, "stored_chunks", canisterIDArgs{CanisterID: target}))[0]), &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 0 {
		t.Fatalf("%d chunks after clear_chunk_store", len(stored))
	}
	for k := range h.st.kv {
		if strings.HasPrefix(k, string(canisterKey(target.Bytes(), "k/"))) {
			t.Fatal("a cleared chunk is still in the state")
		}
	}
	reload(t, h)
}

// TestChunkStoreLimit: the store holds at most 100 MiB.
func TestChunkStoreLimit(t *testing.T) {
	h := newHarness(t)
	can, _ := h.provisional(nil, nil)
	chunk := make([]byte, MaxChunkBytes)
	for i := range MaxChunkStoreBytes / MaxChunkBytes {
		binary.BigEndian.PutUint32(chunk, uint32(i))
		h.replied(h.block(h.mgmt(ctrl, "upload_chunk", uploadChunkArgs{CanisterID: can, Chunk: chunk}))[0])
	}
	binary.BigEndian.PutUint32(chunk, 1<<31)
	msg := h.rejected(h.block(h.mgmt(ctrl, "upload_chunk", uploadChunkArgs{CanisterID: can, Chunk: chunk}))[0], execution.RejectCanisterError)
	if !strings.Contains(msg, "full") {
		t.Fatalf("upload to a full store: %q", msg)
	}
	// A chunk already stored is still accepted.
	binary.BigEndian.PutUint32(chunk, 0)
	h.replied(h.block(h.mgmt(ctrl, "upload_chunk", uploadChunkArgs{CanisterID: can, Chunk: chunk}))[0])
}

// TestSettings: every setting is validated, kept and reported.
func TestSettings(t *testing.T) {
	h := newHarness(t)
	n := func(v uint64) *big.Int { return new(big.Int).SetUint64(v) }
	viewers := []principal.Principal{alice}
	both := []principal.Principal{ctrl, alice}
	env := []envVar{{Name: "MODE", Value: "test"}}
	s := &fullSettings{Controllers: &both, ComputeAllocation: n(7), MemoryAllocation: n(1 << 30), FreezingThreshold: n(1000),
		ReservedCyclesLimit: n(123), LogVisibility: &visibility{AllowedViewers: &viewers}, WasmMemoryLimit: n(1 << 31),
		WasmMemoryThreshold: n(4096), EnvironmentVars: &env}
	can, r := h.provisional(s, nil)
	if r.Status != StatusReplied {
		t.Fatal(r.RejectMessage)
	}
	st := h.mgmtStatus(ctrl, can)
	got := st.Settings
	if len(got.Controllers) != 2 || got.ComputeAllocation.Uint64() != 7 || got.MemoryAllocation.Uint64() != 1<<30 ||
		got.FreezingThreshold.Uint64() != 1000 || got.ReservedCyclesLimit.Uint64() != 123 || got.LogVisibility.AllowedViewers == nil ||
		(*got.LogVisibility.AllowedViewers)[0] != alice || got.WasmMemoryLimit.Uint64() != 1<<31 || got.WasmMemoryThreshold.Uint64() != 4096 ||
		len(got.EnvironmentVars) != 1 || got.EnvironmentVars[0] != env[0] {
		t.Fatalf("settings %+v", got)
	}
	if st.Cycles.Uint64() != defaultProvisionalCycles || st.MemorySize.Sign() <= 0 || st.Version != 0 {
		t.Fatalf("status %+v", st)
	}
	if can2, _ := h.c.Canister(can); can2.State().FreezingThreshold != 1000 {
		t.Fatal("freezing threshold not in the execution state")
	}
	// Defaults.
	plain, _ := h.provisional(nil, nil)
	d := h.mgmtStatus(ctrl, plain).Settings
	if d.FreezingThreshold.Uint64() != execution.DefaultFreezingThreshold || d.ReservedCyclesLimit.Uint64() != DefaultReservedCyclesLimit ||
		d.WasmMemoryLimit.Uint64() != DefaultWasmMemoryLimit || d.LogVisibility.Controllers == nil || d.ComputeAllocation.Sign() != 0 {
		t.Fatalf("default settings %+v", d)
	}
	// Invalid settings are rejected, at creation and in update_settings.
	eleven := make([]principal.Principal, 11)
	for i := range eleven {
		eleven[i] = CanisterID(uint64(1000 + i))
	}
	twelve := make([]principal.Principal, 11)
	for _, bad := range []*fullSettings{
		{ComputeAllocation: n(101)},
		{Controllers: &eleven},
		{MemoryAllocation: n(1<<48 + 1)},
		{WasmMemoryLimit: n(1<<48 + 1)},
		{FreezingThreshold: new(big.Int).Lsh(big.NewInt(1), 64)},
		{ReservedCyclesLimit: new(big.Int).Lsh(big.NewInt(1), 128)},
		{LogVisibility: &visibility{AllowedViewers: &twelve}},
		{EnvironmentVars: &[]envVar{{Name: "A"}, {Name: "A"}}},
	} {
		if _, r := h.provisional(bad, nil); r.Status != StatusRejected || !strings.Contains(r.RejectMessage, "invalid settings") {
			t.Fatalf("settings %+v: %+v", bad, r)
		}
		h.rejected(h.block(h.mgmt(ctrl, "update_settings", updateFullArgs{CanisterID: plain, Settings: *bad}))[0], execution.RejectCanisterError)
	}
	// A memory allocation below the usage is refused.
	h.replied(h.block(h.mgmt(ctrl, "install_code", installCodeArgs{Mode: installMode{Install: &candid.Null{}}, CanisterID: plain,
		WasmModule: counterWasm(t), Arg: []byte{}}))[0])
	h.rejected(h.block(h.mgmt(ctrl, "update_settings", updateFullArgs{CanisterID: plain, Settings: fullSettings{MemoryAllocation: n(100)}}))[0], execution.RejectCanisterError)
	// update_settings changes only what it names, and the version.
	v0 := h.mgmtStatus(ctrl, plain).Version
	h.replied(h.block(h.mgmt(ctrl, "update_settings", updateFullArgs{CanisterID: plain, Settings: fullSettings{ComputeAllocation: n(50)}}))[0])
	st = h.mgmtStatus(ctrl, plain)
	if st.Settings.ComputeAllocation.Uint64() != 50 || st.Settings.FreezingThreshold.Uint64() != execution.DefaultFreezingThreshold || st.Version != v0+1 {
		t.Fatalf("after update_settings %+v", st)
	}
	// Settings survive a reload.
	c2 := reload(t, h)
	var st2 canisterStatusResult
	if err := candid.Decode(c2.QueryManagement(ctrl, "canister_status", mustEncode(t, canisterIDArgs{CanisterID: can})).Reply, &st2); err != nil {
		t.Fatal(err)
	}
	if st2.Settings.ComputeAllocation.Uint64() != 7 || st2.Settings.LogVisibility.AllowedViewers == nil {
		t.Fatalf("settings after reload %+v", st2.Settings)
	}
}

// TestSpecifiedID: provisional_create_canister_with_cycles creates at a
// free id of the subnet's range; later creations skip it.
func TestSpecifiedID(t *testing.T) {
	h := newHarness(t)
	want := CanisterID(h.c.cfg.FirstIndex + 1)
	got, r := h.provisional(nil, &want)
	if r.Status != StatusReplied || got != want {
		t.Fatalf("specified id: %v %+v", got, r)
	}
	if _, r := h.provisional(nil, &want); r.Status != StatusRejected || !strings.Contains(r.RejectMessage, "already exists") {
		t.Fatalf("taken id: %+v", r)
	}
	outside := CanisterID(h.c.cfg.LastIndex + 1)
	if _, r := h.provisional(nil, &outside); r.Status != StatusRejected || !strings.Contains(r.RejectMessage, "range") {
		t.Fatalf("id outside the range: %+v", r)
	}
	a, _ := h.provisional(nil, nil)
	b, _ := h.provisional(nil, nil)
	if a != CanisterID(h.c.cfg.FirstIndex) || b != CanisterID(h.c.cfg.FirstIndex+2) {
		t.Fatalf("automatic ids %s %s", a, b)
	}
}

func (h *harness) info(id principal.Principal, n uint64) canisterInfoResult {
	h.t.Helper()
	var res canisterInfoResult
	if err := candid.Decode(h.replied(h.block(h.mgmt(alice, "canister_info", canisterInfoArgs{CanisterID: id, Changes: &n}))[0]), &res); err != nil {
		h.t.Fatal(err)
	}
	return res
}

// TestCanisterHistory: canister_info reports the changes as the IC
// records them, the 20 most recent.
func TestCanisterHistory(t *testing.T) {
	h := newHarness(t)
	can, _ := h.provisional(nil, nil)
	mode := func(m installMode) [32]byte {
		return h.block(h.mgmt(ctrl, "install_code", installCodeArgs{Mode: m, CanisterID: can, WasmModule: counterWasm(t), Arg: []byte{}}))[0]
	}
	h.replied(mode(installMode{Install: &candid.Null{}}))
	opts := &upgradeOptions{}
	h.replied(mode(installMode{Upgrade: &opts}))
	both := []principal.Principal{ctrl, alice}
	h.replied(h.block(h.mgmt(ctrl, "update_settings", updateFullArgs{CanisterID: can, Settings: fullSettings{Controllers: &both}}))[0])
	h.replied(h.block(h.mgmt(ctrl, "uninstall_code", canisterIDArgs{CanisterID: can}))[0])
	h.replied(mode(installMode{Reinstall: &candid.Null{}}))

	info := h.info(can, 10)
	if info.Total != 6 || len(info.Recent) != 6 || len(info.Controllers) != 2 || info.ModuleHash == nil {
		t.Fatalf("info %+v", info)
	}
	mh := sha256.Sum256(counterWasm(t))
	r := info.Recent
	if r[0].Details.Creation == nil || len(r[0].Details.Creation.Controllers) != 1 || r[0].Details.Creation.Controllers[0] != ctrl ||
		r[0].Origin.FromUser == nil || r[0].Origin.FromUser.UserID != ctrl || r[0].Version != 0 {
		t.Fatalf("creation %+v", r[0])
	}
	if d := r[1].Details.CodeDeployment; d == nil || d.Mode.Install == nil || !bytes.Equal(d.ModuleHash, mh[:]) {
		t.Fatalf("install %+v", r[1])
	}
	if d := r[2].Details.CodeDeployment; d == nil || d.Mode.Upgrade == nil {
		t.Fatalf("upgrade %+v", r[2])
	}
	if d := r[3].Details.ControllersChange; d == nil || len(d.Controllers) != 2 {
		t.Fatalf("controllers change %+v", r[3])
	}
	if r[4].Details.CodeUninstall == nil || r[5].Details.CodeDeployment == nil || r[5].Details.CodeDeployment.Mode.Reinstall == nil {
		t.Fatalf("uninstall, reinstall %+v %+v", r[4], r[5])
	}
	for i := 1; i < len(r); i++ {
		if r[i].Version <= r[i-1].Version || r[i].Time < r[i-1].Time {
			t.Fatalf("versions or times out of order: %+v", r)
		}
	}
	// num_requested_changes: none by default, the most recent ones.
	if got := h.info(can, 0); len(got.Recent) != 0 || got.Total != 6 {
		t.Fatalf("no changes requested: %+v", got)
	}
	if got := h.info(can, 2); len(got.Recent) != 2 || got.Recent[1].Details.CodeDeployment == nil {
		t.Fatalf("two changes: %+v", got)
	}
	// It decodes against ic.did's canister_info_result.
	icType, err := candid.ParseType(`record { total_num_changes : nat64; recent_changes : vec record { timestamp_nanos : nat64;
		canister_version : nat64; origin : variant { from_user : record { user_id : principal };
		from_canister : record { canister_id : principal; canister_version : opt nat64 } };
		details : variant { creation : record { controllers : vec principal; environment_variables_hash : opt blob };
		code_uninstall; code_deployment : record { mode : variant { install; reinstall; upgrade }; module_hash : blob };
		controllers_change : record { controllers : vec principal } } };
		module_hash : opt blob; controllers : vec principal }`)
	if err != nil {
		t.Fatal(err)
	}
	ten := uint64(10)
	if _, err := candid.Unmarshal(h.replied(h.block(h.mgmt(alice, "canister_info", canisterInfoArgs{CanisterID: can, Changes: &ten}))[0]), []*candid.Type{icType}); err != nil {
		t.Fatal(err)
	}
	// Only the 20 most recent are kept; the total counts all.
	for range 20 {
		h.replied(mode(installMode{Upgrade: &opts}))
	}
	if got := h.info(can, 100); got.Total != 26 || len(got.Recent) != MaxHistoryChanges || got.Recent[0].Details.CodeDeployment == nil {
		t.Fatalf("after 26 changes: total %d, %d kept", got.Total, len(got.Recent))
	}
	c2 := reload(t, h)
	var res canisterInfoResult
	if err := candid.Decode(c2.QueryManagement(alice, "canister_info", mustEncode(t, canisterInfoArgs{CanisterID: can, Changes: &ten})).Reply, &res); err != nil {
		t.Fatal(err)
	}
	if res.Total != 26 || len(res.Recent) != 10 {
		t.Fatalf("history after reload: %d %d", res.Total, len(res.Recent))
	}
}

// TestLogVisibility: fetch_canister_logs follows log_visibility, and the
// logs survive a reload.
func TestLogVisibility(t *testing.T) {
	h := newHarness(t)
	can, _ := h.provisional(nil, nil)
	h.replied(h.block(h.mgmt(ctrl, "install_code", installCodeArgs{Mode: installMode{Install: &candid.Null{}}, CanisterID: can,
		WasmModule: counterWasm(t), Arg: []byte{}}))[0])
	h.rejected(h.block(h.call(can, "boom", nil))[0], execution.RejectCanisterError)
	arg := mustEncode(t, canisterIDArgs{CanisterID: can})
	bob := CanisterID(4242)
	readable := func(c *Component, who principal.Principal) bool {
		r := c.QueryManagement(who, "fetch_canister_logs", arg)
		if !r.Replied {
			return false
		}
		var logs fetchLogsResult
		if err := candid.Decode(r.Reply, &logs); err != nil || len(logs.Records) == 0 {
			t.Fatalf("logs %v %+v", err, logs)
		}
		return true
	}
	if !readable(h.c, ctrl) || readable(h.c, alice) {
		t.Fatal("default visibility is not controllers")
	}
	set := func(v visibility) {
		h.replied(h.block(h.mgmt(ctrl, "update_settings", updateFullArgs{CanisterID: can, Settings: fullSettings{LogVisibility: &v}}))[0])
	}
	set(visibility{Public: &candid.Null{}})
	if !readable(h.c, alice) || !readable(h.c, bob) {
		t.Fatal("public logs not readable")
	}
	set(visibility{AllowedViewers: &[]principal.Principal{alice}})
	if !readable(h.c, alice) || readable(h.c, bob) || !readable(h.c, ctrl) {
		t.Fatal("allowed viewers")
	}
	c2 := reload(t, h)
	if !readable(c2, alice) {
		t.Fatal("logs lost in a reload")
	}
	a := c2.QueryManagement(alice, "fetch_canister_logs", arg)
	b := h.c.QueryManagement(alice, "fetch_canister_logs", arg)
	if !bytes.Equal(a.Reply, b.Reply) {
		t.Fatal("reloaded logs differ")
	}
	// An upgrade keeps them.
	opts := &upgradeOptions{}
	h.replied(h.block(h.mgmt(ctrl, "install_code", installCodeArgs{Mode: installMode{Upgrade: &opts}, CanisterID: can,
		WasmModule: counterWasm(t), Arg: []byte{}}))[0])
	if !readable(h.c, alice) {
		t.Fatal("logs lost in an upgrade")
	}
	// A snapshot carries them too.
	c3, _ := New(h.c.cfg)
	defer c3.Close()
	if err := c3.Restore(h.c.Snapshot()); err != nil {
		t.Fatal(err)
	}
	if c3.StateHash() != h.c.StateHash() || !readable(c3, alice) {
		t.Fatal("snapshot without the logs")
	}
	// A reinstall drops them, in the persisted state too.
	h.replied(h.block(h.mgmt(ctrl, "install_code", installCodeArgs{Mode: installMode{Reinstall: &candid.Null{}}, CanisterID: can,
		WasmModule: counterWasm(t), Arg: []byte{}}))[0])
	var logs fetchLogsResult
	if err := candid.Decode(h.c.QueryManagement(alice, "fetch_canister_logs", arg).Reply, &logs); err != nil || len(logs.Records) != 0 {
		t.Fatalf("logs after a reinstall: %+v %v", logs, err)
	}
	if _, ok := h.st.kv[string(canisterKey(can.Bytes(), "log"))]; ok {
		t.Fatal("the log key survives a reinstall")
	}
	reload(t, h)
}

// TestCreateFromCanister: a canister creates a canister with the cycles
// it attaches (less the IC's creation fee) and deposits cycles; the new
// canister's history names it.
func TestCreateFromCanister(t *testing.T) {
	fees := execution.ApplicationSubnetFees(13)
	h := newHarness(t)
	h.c.cfg.Exec.Fees = fees
	payer, _ := h.provisional(nil, nil)
	h.replied(h.block(h.mgmt(ctrl, "install_code", installCodeArgs{Mode: installMode{Install: &candid.Null{}}, CanisterID: payer,
		WasmModule: watFile(t, "testdata/payproxy.wat"), Arg: []byte{}}))[0])
	pay := func(amount uint64, method string, arg []byte) []byte {
		b := append(le64(amount), forwardArg(principal.Management(), method, arg)...)
		return h.replied(h.block(h.call(payer, "pay", b))[0])
	}
	const attached = 2_000_000_000_000
	before := balance(h, payer)
	supply := h.c.g.Supply
	reply := pay(attached, "create_canister", mustEncode(t, createFullArgs{}))
	if reply[0] == 0xee {
		t.Fatalf("create_canister rejected: %q", reply[2:])
	}
	var res createResult
	if err := candid.Decode(reply[:len(reply)-16], &res); err != nil {
		t.Fatal(err)
	}
	if got := balance(h, res.CanisterID); got != attached-fees.CanisterCreation {
		t.Fatalf("new canister has %d cycles, want %d", got, attached-fees.CanisterCreation)
	}
	if refund := binary.LittleEndian.Uint64(reply[len(reply)-16:]); refund != 0 {
		t.Fatalf("refund %d", refund)
	}
	if h.c.g.Supply != supply {
		t.Fatalf("creation with a caller's cycles minted %d", h.c.g.Supply-supply)
	}
	if spent := before - balance(h, payer); spent < attached {
		t.Fatalf("the payer spent %d", spent)
	}
	info := h.info(res.CanisterID, 1)
	if len(info.Controllers) != 1 || info.Controllers[0] != payer || info.Recent[0].Origin.FromCanister == nil ||
		info.Recent[0].Origin.FromCanister.CanisterID != payer {
		t.Fatalf("info %+v", info)
	}
	// Too few cycles: rejected, all refunded.
	before = balance(h, payer)
	reply = pay(fees.CanisterCreation-1, "create_canister", mustEncode(t, createFullArgs{}))
	if reply[0] != 0xee {
		t.Fatal("creation with too few cycles")
	}
	if spent := before - balance(h, payer); spent >= fees.CanisterCreation/2 {
		t.Fatalf("a rejected creation cost %d", spent)
	}
	// deposit_cycles moves every attached cycle.
	nb := balance(h, res.CanisterID)
	pay(1_000_000, "deposit_cycles", mustEncode(t, canisterIDArgs{CanisterID: res.CanisterID}))
	if got := balance(h, res.CanisterID); got != nb+1_000_000 {
		t.Fatalf("deposit: %d, want %d", got, nb+1_000_000)
	}
	// The payer controls it: it installs code by a call.
	reply = pay(0, "install_code", mustEncode(t, installCodeArgs{Mode: installMode{Install: &candid.Null{}}, CanisterID: res.CanisterID,
		WasmModule: counterWasm(t), Arg: []byte{}}))
	if reply[0] == 0xee {
		t.Fatalf("install from a canister: %q", reply[2:])
	}
	if info := h.info(res.CanisterID, 5); info.Total != 2 || info.Recent[1].Origin.FromCanister == nil {
		t.Fatalf("info %+v", info)
	}
	reload(t, h)
}
