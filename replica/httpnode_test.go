package replica

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
)

// Candid arguments of the management canister, as agents send them.
type (
	mgmtCreateArgs struct {
		Amount *uint64 `candid:"amount"`
	}
	mgmtCanisterID struct {
		CanisterID principal.Principal `candid:"canister_id"`
	}
	mgmtMode struct {
		candid.IsVariant
		Install   *candid.Null `candid:"install"`
		Upgrade   **struct{}   `candid:"upgrade"`
		Reinstall *candid.Null `candid:"reinstall"`
	}
	mgmtInstall struct {
		Mode       mgmtMode            `candid:"mode"`
		CanisterID principal.Principal `candid:"canister_id"`
		Wasm       []byte              `candid:"wasm_module"`
		Arg        []byte              `candid:"arg"`
	}
)

// TestHTTPInterface drives a 4-node subnet (real threshold BLS) through
// the IC HTTP interface of two of its nodes with the Go agent: a canister
// is created and installed through the management canister, called and
// queried (query signatures checked against the certified node keys),
// upgraded with its state kept; a non-controller's install is refused.
func TestHTTPInterface(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subnet")
	}
	ts := newTestSubnetOpts(t, 4, nil, subnetOptions{dealer: true})
	ts.waitCertified(2, 60*time.Second)
	var urls []string
	for _, i := range []int{0, 2} {
		srv, err := ts.nodes[i].HTTPInterface()
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		urls = append(urls, hs.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctrl, err := agent.New(ctx, agent.Config{Endpoint: urls[0], Identity: simCtrlKey})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := agent.New(ctx, agent.Config{Endpoint: urls[1], Identity: simAliceKey, RootKey: ctrl.RootKey()})
	if err != nil {
		t.Fatal(err)
	}
	mgmt := principal.Management()
	call := func(a *agent.Agent, can principal.Principal, method string, arg any) ([]byte, error) {
		t.Helper()
		var b []byte
		if raw, ok := arg.([]byte); ok {
			b = raw
		} else if b, err = candid.Encode(arg); err != nil {
			t.Fatal(err)
		}
		return a.Call(ctx, can, method, b)
	}
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var created struct {
		ID principal.Principal `candid:"canister_id"`
	}
	if err := candid.Decode(must(call(ctrl, mgmt, "provisional_create_canister_with_cycles", mgmtCreateArgs{})), &created); err != nil {
		t.Fatal(err)
	}
	can := created.ID
	wasm := canisterWasm(t, "counter.wat")
	// Metadata sections: one public, one private.
	for _, sec := range [][2]string{{"icp:public candid:service", "service : {}"}, {"icp:private secret", "\x00key"}} {
		body := append(append([]byte{byte(len(sec[0]))}, sec[0]...), sec[1]...)
		wasm = append(append(wasm, 0, byte(len(body))), body...)
	}
	var rej *agent.RejectError
	if _, err := call(alice, mgmt, "install_code", mgmtInstall{Mode: mgmtMode{Install: &candid.Null{}}, CanisterID: can, Wasm: wasm, Arg: []byte{}}); !errors.As(err, &rej) || rej.Code != 5 || rej.ErrorCode != "IC0512" || !rej.Certified {
		t.Fatalf("non-controller install: %v", err)
	}
	must(call(ctrl, mgmt, "install_code", mgmtInstall{Mode: mgmtMode{Install: &candid.Null{}}, CanisterID: can, Wasm: wasm, Arg: []byte{}}))
	for i := range 3 {
		r := must(call(alice, can, "inc", []byte{}))
		if binary.LittleEndian.Uint64(r) != uint64(i+1) {
			t.Fatalf("inc %d: %x", i, r)
		}
	}
	get := func(a *agent.Agent) uint64 {
		t.Helper()
		r, err := a.Query(ctx, can, "get", nil)
		if err != nil {
			t.Fatal(err)
		}
		return binary.LittleEndian.Uint64(r)
	}
	if get(ctrl) != 3 || get(alice) != 3 {
		t.Fatal("query after 3 increments")
	}
	// Certified metadata: public sections for anyone, private ones for
	// controllers only (HTTP 403 for others); absent ones proven absent.
	for _, tc := range []struct {
		a          *agent.Agent
		name, want string
		found      bool
		status     int
	}{
		{alice, "candid:service", "service : {}", true, 0},
		{ctrl, "candid:service", "service : {}", true, 0},
		{ctrl, "secret", "\x00key", true, 0},
		{alice, "secret", "", false, http.StatusForbidden},
		{alice, "nonesuch", "", false, 0},
	} {
		v, ok, err := tc.a.Metadata(ctx, can, tc.name)
		var he *agent.HTTPError
		if tc.status != 0 {
			if !errors.As(err, &he) || he.Status != tc.status {
				t.Fatalf("metadata %s: %v, want HTTP %d", tc.name, err, tc.status)
			}
			continue
		}
		if err != nil || ok != tc.found || string(v) != tc.want {
			t.Fatalf("metadata %s: %q %v %v", tc.name, v, ok, err)
		}
	}
	var none *struct{}
	must(call(ctrl, mgmt, "install_code", mgmtInstall{Mode: mgmtMode{Upgrade: &none}, CanisterID: can, Wasm: wasm, Arg: []byte{}}))
	if v := get(alice); v != 3 {
		t.Fatalf("after upgrade: %d", v)
	}
	// canister_status as an update call (as @dfinity/utils sends it) and
	// as a query; refused to others.
	for _, q := range []bool{false, true} {
		arg, _ := candid.Encode(mgmtCanisterID{CanisterID: can})
		var b []byte
		if q {
			b, err = ctrl.Query(ctx, mgmt, "canister_status", arg)
		} else {
			b, err = ctrl.Call(ctx, mgmt, "canister_status", arg)
		}
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			ModuleHash *[]byte `candid:"module_hash"`
			Settings   struct {
				Controllers []principal.Principal `candid:"controllers"`
			} `candid:"settings"`
		}
		if err := candid.Decode(b, &st); err != nil || st.ModuleHash == nil || len(st.Settings.Controllers) != 1 || st.Settings.Controllers[0] != ctrl.Sender() {
			t.Fatalf("canister_status (query %v): %+v %v", q, st, err)
		}
	}
	if _, err := call(alice, mgmt, "canister_status", mgmtCanisterID{CanisterID: can}); !errors.As(err, &rej) || rej.ErrorCode != "IC0512" {
		t.Fatalf("canister_status of a non-controller: %v", err)
	}
	// read_state reveals the canister's module hash and controllers, and
	// the subnet's node keys.
	cert, err := alice.ReadState(ctx, can, [][][]byte{
		{[]byte("canister"), can.Bytes(), []byte("module_hash")},
		{[]byte("canister"), can.Bytes(), []byte("controllers")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, v := certification.Lookup(cert.Tree, [][]byte{[]byte("canister"), can.Bytes(), []byte("module_hash")}); st != certification.Found || len(v) != 32 {
		t.Fatalf("module hash: %v %x", st, v)
	}
	sid := ts.nodes[0].SubnetID()
	for _, id := range ts.nodes[0].NodeIDs() {
		cert, err := alice.ReadSubnetState(ctx, sid, [][][]byte{{[]byte("subnet"), sid.Bytes(), []byte("node"), id.Bytes(), []byte("public_key")}})
		if err != nil {
			t.Fatal(err)
		}
		if st, v := certification.Lookup(cert.Tree, [][]byte{[]byte("subnet"), sid.Bytes(), []byte("node"), id.Bytes(), []byte("public_key")}); st != certification.Found || len(v) != 44 {
			t.Fatalf("node %s key: %v", id, st)
		}
	}
}
