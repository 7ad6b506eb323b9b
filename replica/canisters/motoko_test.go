package canisters

import (
	"bytes"
	"sync"
	"testing"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/internal/nodejstest"
)

// The Motoko canisters are compiled with the official compiler (npm
// motoko, pinned in testdata/motoko/package.json), run through Node.js.
const motokoDir = "testdata/motoko"

// The counter is the first canister the harness creates (index 16,
// sgymv-uiaaa-aaaaa-aaaia-cai); the caller calls it.
const (
	motokoCounter = `persistent actor {
  var n : Nat = 0;
  public func inc() : async Nat { n += 1; n };
  public query func get() : async Nat { n };
  public func boom() : async () { n += 100; assert false };
  public func spin() : async () { var i = 0; while (true) { i += 1 } };
}`
	// The timer fires in every round: its deadline is long past.
	motokoTimer = `persistent actor {
  var ticks : Nat = 0;
  system func timer(setGlobalTimer : (Nat64) -> ()) : async () {
    ticks += 1;
    setGlobalTimer(1_000_000_000_000);
  };
  public query func get() : async Nat { ticks };
}`
	// The signer's call to sign_with_ecdsa stays outstanding until the
	// test delivers the signature.
	motokoSigner = `persistent actor {
  transient let ic = actor ("aaaaa-aa") : actor {
    sign_with_ecdsa : ({ message_hash : Blob; derivation_path : [Blob]; key_id : { curve : { #secp256k1 }; name : Text } }) -> async ({ signature : Blob });
  };
  var n : Nat = 0;
  public func sign() : async Nat {
    let r = await ic.sign_with_ecdsa({ message_hash = "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00"; derivation_path = []; key_id = { curve = #secp256k1; name = "dfx_test_key" } });
    n += 1;
    r.signature.size()
  };
  public query func get() : async Nat { n };
}`
	motokoCaller = `persistent actor {
  transient let counter = actor ("sgymv-uiaaa-aaaaa-aaaia-cai") : actor { inc : () -> async Nat };
  var last : Nat = 0;
  public func bump() : async Nat { last := (await counter.inc()) + 100; last };
}`
)

var (
	motokoOnce sync.Once
	motokoWasm map[string][]byte
	motokoErr  error
)

func motoko(t *testing.T) map[string][]byte {
	t.Helper()
	js := nodejstest.Install(t, motokoDir, "the Motoko compiler (npm motoko)")
	motokoOnce.Do(func() {
		motokoWasm, motokoErr = js.CompileMotoko(
			nodejstest.MotokoActor{Name: "Counter", Source: motokoCounter}, nodejstest.MotokoActor{Name: "Caller", Source: motokoCaller},
			nodejstest.MotokoActor{Name: "Timer", Source: motokoTimer}, nodejstest.MotokoActor{Name: "Signer", Source: motokoSigner})
	})
	if motokoErr != nil {
		t.Fatal(motokoErr)
	}
	return motokoWasm
}

func candidNat(n byte) []byte { return []byte{'D', 'I', 'D', 'L', 0, 1, 0x7d, n} }

// TestMotoko runs Motoko canisters (the default wasm64 build) in the
// component: a counter that traps and loops without harm, survives an
// upgrade with its main memory kept, and is called by another actor.
func TestMotoko(t *testing.T) {
	wasm := motoko(t)
	h := newHarness(t)
	h.c.cfg.Exec.UpdateLimit = 200_000_000
	counter := h.createArg(wasm["Counter"], emptyCandid)
	caller := h.createArg(wasm["Caller"], emptyCandid)
	if counter != CanisterID(16) {
		t.Fatalf("counter is %s", counter)
	}
	ids := h.block(h.call(counter, "inc", emptyCandid), h.call(counter, "boom", emptyCandid), h.call(counter, "spin", emptyCandid),
		h.call(caller, "bump", emptyCandid), h.call(counter, "inc", emptyCandid))
	if got := h.replied(ids[0]); !bytes.Equal(got, candidNat(1)) {
		t.Fatalf("inc: %x", got)
	}
	h.rejected(ids[1], 5)
	h.rejected(ids[2], 5)
	// The block's ingress messages run before the calls they make: the
	// last inc sees 2, the caller's call 3.
	if got := h.replied(ids[4]); !bytes.Equal(got, candidNat(2)) {
		t.Fatalf("second inc: %x", got)
	}
	if got := h.replied(ids[3]); !bytes.Equal(got, candidNat(103)) {
		t.Fatalf("bump: %x", got)
	}
	ids = h.block(h.msg(Message{Kind: KindUpgrade, Sender: ctrl.Bytes(), Canister: counter.Bytes(), Wasm: wasm["Counter"], Arg: emptyCandid, KeepMemory: true}))
	h.replied(ids[0])
	ids = h.block(h.call(counter, "inc", emptyCandid))
	if got := h.replied(ids[0]); !bytes.Equal(got, candidNat(4)) {
		t.Fatalf("inc after the upgrade: %x", got)
	}
	// The persisted pages give the same canisters back.
	c2, _ := New(h.c.cfg)
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("reloaded Motoko canisters differ")
	}
	t.Logf("Motoko counter: %d pages written in all", h.c.PagesWritten())
}

// TestMotokoTimer: Motoko's timer (the global timer, whose body runs
// through a call of the actor to itself) fires in every round.
func TestMotokoTimer(t *testing.T) {
	wasm := motoko(t)
	h := newHarness(t)
	h.c.cfg.Exec.UpdateLimit = 200_000_000
	can := h.createArg(wasm["Timer"], emptyCandid)
	ticks := func() []byte {
		r := h.c.Query(can, execution.Message{Method: "get", Arg: emptyCandid, Caller: alice})
		if !r.Replied {
			t.Fatalf("get: %+v", r)
		}
		return r.Reply
	}
	first := ticks()
	h.block()
	h.block()
	if got, want := ticks(), candidNat(first[len(first)-1]+2); !bytes.Equal(got, want) {
		t.Fatalf("ticks %x after two more rounds, were %x", got, first)
	}
}
