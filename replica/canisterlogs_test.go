package replica

import (
	"bytes"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// TestSimCanisterLogsRestart: a canister's logs are replicated state: a
// node that crashes and restarts serves the same fetch_canister_logs
// answer as the others, and with public log visibility, set through
// update_settings, anyone reads them.
func TestSimCanisterLogsRestart(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	c := &canClient{s: s}
	counter := c.create(canisterWasm(t, "counter.wat"))
	if r := c.run(0, c.call(counter, "boom", nil)); r[0].Status != canisters.StatusRejected {
		t.Fatalf("boom: %+v", r[0])
	}
	arg, err := candid.Encode(struct {
		ID principal.Principal `candid:"canister_id"`
	}{counter})
	if err != nil {
		t.Fatal(err)
	}
	logs := func(i int, who principal.Principal) []byte {
		t.Helper()
		r := s.nodes[i].app.cans.c.QueryManagement(who, "fetch_canister_logs", arg)
		if !r.Replied {
			return nil
		}
		return r.Reply
	}
	before := logs(2, simCtrl)
	if before == nil || !bytes.Contains(before, []byte("[TRAP]")) {
		t.Fatalf("logs before the restart: %q", before)
	}
	if logs(2, simAlice) != nil {
		t.Fatal("a non-controller reads the logs")
	}
	s.crash(2)
	type publicLogs struct {
		candid.IsVariant
		Public *candid.Null `candid:"public"`
	}
	type settings struct {
		LogVisibility *publicLogs `candid:"log_visibility"`
	}
	public, err := candid.Encode(struct {
		ID       principal.Principal `candid:"canister_id"`
		Settings settings            `candid:"settings"`
	}{counter, settings{&publicLogs{Public: &candid.Null{}}}})
	if err != nil {
		t.Fatal(err)
	}
	r := c.run(0, c.msg(canisters.Message{Kind: canisters.KindCall, Sender: simCtrl.Bytes(), Method: "update_settings", Arg: public}))
	if r[0].Status != canisters.StatusReplied {
		t.Fatalf("update_settings: %+v", r[0])
	}
	s.restart(2)
	s.steps(4)
	s.sameCanisters()
	after := logs(2, simAlice)
	if !bytes.Equal(after, before) || !strings.Contains(string(after), "[TRAP]") {
		t.Fatalf("logs after the restart %q, before %q", after, before)
	}
	if !bytes.Equal(logs(0, simAlice), after) {
		t.Fatal("nodes answer fetch_canister_logs differently")
	}
}
