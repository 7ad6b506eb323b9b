package execution

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

func TestFeeTable(t *testing.T) {
	f := ApplicationSubnetFees(13)
	if got := f.Execution(1_000_000, false); got != 5_000_000+1_000_000 {
		t.Fatalf("execution of 1M instructions: %d", got)
	}
	if got := f.Execution(1_000_000, true); got != 5_000_000+2_000_000 {
		t.Fatalf("wasm64 execution of 1M instructions: %d", got)
	}
	if got := f.Call(6, 100); got != 260_000+106*1_000 {
		t.Fatalf("call: %d", got)
	}
	if got := f.Ingress(50); got != 1_200_000+50*2_000 {
		t.Fatalf("ingress: %d", got)
	}
	if got := f.Storage(1<<30, 10); got != 1_270_000 {
		t.Fatalf("storage of 1 GiB for 10 s: %d", got)
	}
	// A 4-node subnet pays 4/13 of it (the IC's scale_cost).
	f4 := ApplicationSubnetFees(4)
	if got := f4.Execution(1_000_000, false); got != 6_000_000*4/13 {
		t.Fatalf("4-node execution: %d", got)
	}
	if got := f4.HTTPRequest(100, 1000); got != (3_000_000+60_000*4)*4+400*4*100+800*4*1000 {
		t.Fatalf("4-node HTTP request: %d", got)
	}
	// Scale 0: free.
	if z := f.Scaled(0, 1); z.Execution(1<<40, true) != 0 || z.Call(10, 10) != 0 || z.Storage(1<<40, 1<<20) != 0 {
		t.Fatal("scaled to 0 is not free")
	}
	if h := f.Scaled(1, 2); h.XnetCall != 130_000 || h.Execution(0, false) != 2_500_000 {
		t.Fatalf("scaled by 1/2: %+v", h)
	}
}

func TestCyclesCharges(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			fees := ApplicationSubnetFees(13)
			cfg := Config{Engine: testEngine, Fees: fees, UpdateLimit: 50_000_000}
			const balance = 10_000_000_000_000
			c, err := New(cfg, principal.FromCanisterIndex(60), []principal.Principal{ctrl}, balance)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			res, err := c.Install(wat(t, counterWAT, wasm64), Message{Caller: ctrl})
			if err != nil {
				t.Fatal(err)
			}
			paid := fees.Execution(res.Fuel, wasm64)
			if got := c.State().Cycles; got != balance-paid {
				t.Fatalf("after install: %d, want %d", got, balance-paid)
			}
			// An update pays for its instructions; a trap too; a query is
			// free.
			for _, m := range []string{"inc", "inc_then_trap"} {
				before := c.State().Cycles
				r := c.Update(Message{Method: m})
				if got, want := c.State().Cycles, before-fees.Execution(r.Fuel, wasm64); got != want {
					t.Fatalf("%s: balance %d, want %d", m, got, want)
				}
			}
			before := c.State().Cycles
			if r := c.Query(Message{Method: "get"}); !r.Replied || c.State().Cycles != before {
				t.Fatalf("query charged: %+v", r)
			}
			// Storage: a Wasm page and the module for 100 s.
			usage := uint64(wasmPage + len(c.State().Module))
			c.ChargeStorage(100)
			if got, want := c.State().Cycles, before-fees.Storage(usage, 100); got != want {
				t.Fatalf("storage: %d, want %d", got, want)
			}
			// Frozen: with the balance just above the freezing limit, an
			// update is rejected (SYS_TRANSIENT) and changes nothing;
			// queries still run.
			limit := c.FreezingLimit()
			if limit != fees.Storage(usage, DefaultFreezingThreshold) || limit == 0 {
				t.Fatalf("freezing limit %d", limit)
			}
			c.st.Cycles = limit + 1000
			h := c.StateHash()
			r := c.Update(Message{Method: "inc", Cycles: 7})
			if r.RejectCode != RejectSysTransient || !strings.Contains(r.RejectMessage, "out of cycles") || r.Refund != 7 || c.StateHash() != h {
				t.Fatalf("frozen update: %+v", r)
			}
			if r := c.Query(Message{Method: "get"}); !r.Replied {
				t.Fatalf("frozen query: %+v", r)
			}
			if err := c.ChargeIngress(100); err == nil {
				t.Fatal("frozen canister accepted an ingress message")
			}
			// Without a freezing threshold the same balance pays.
			c.SetFreezingThreshold(0)
			c.st.Cycles = fees.Execution(cfg.UpdateLimit, wasm64)
			if r := c.Update(Message{Method: "inc"}); !r.Replied {
				t.Fatalf("update with a zero threshold: %+v", r)
			}
			// Running out of cycles for storage uninstalls the canister.
			c.st.Cycles = 10
			if !c.ChargeStorage(1_000_000) || c.State().Module != nil || c.State().Cycles != 0 {
				t.Fatal("storage debt did not uninstall")
			}
		})
	}
}

func TestCallCharges(t *testing.T) {
	fees := ApplicationSubnetFees(13)
	cfg := Config{Engine: testEngine, Fees: fees}
	c, err := New(cfg, principal.FromCanisterIndex(61), nil, 10_000_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Install(wat(t, replacePtrAdd(callerWAT, false), false), Message{}); err != nil {
		t.Fatal(err)
	}
	before := c.State().Cycles
	orig := Message{Method: "ask"}
	r := c.Update(orig)
	prepaid := fees.Call(6, 0) + fees.responseBytes(maxResponseBytes) + fees.Execution(DefaultUpdateLimit, false)
	if got, want := c.State().Cycles, before-fees.Execution(r.Fuel, false)-prepaid; got != want {
		t.Fatalf("after the call: %d, want %d", got, want)
	}
	before = c.State().Cycles
	cb := c.Callback(r.Calls[0], Response{Reply: []byte("pong")}, orig, false)
	// The unused parts of the prepayments come back: the response's
	// transmission and the callback's execution.
	refund := fees.responseBytes(maxResponseBytes-4) + fees.Execution(DefaultUpdateLimit, false) - fees.Execution(cb.Fuel, false)
	if got, want := c.State().Cycles, before+refund; got != want {
		t.Fatalf("after the callback: %d, want %d", got, want)
	}
	// A call the canister cannot pay for is not made: call_perform
	// returns SYS_TRANSIENT and the message goes on.
	c.st.Cycles = fees.Execution(DefaultUpdateLimit, false) + fees.Call(6, 0) + 1000
	c.SetFreezingThreshold(0)
	if r := c.Update(orig); len(r.Calls) != 0 || r.RejectCode != RejectCanisterError {
		t.Fatalf("unaffordable call: %+v", r)
	}
}
