package execution

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/chainkey/chainkey/principal"
)

// execCtx is the System API state of one execution (one call of an entry
// point or callback).
type execCtx struct {
	c     *Canister
	ctx   Context
	msg   Message
	limit uint64

	replied, rejected bool
	reply             []byte
	rejectMsg         string
	accepted          uint64
	calls             []Call
	building          *Call
	log               []string
	trap              *Trap
	inspectAccepted   bool

	// In callbacks: the response's reject code and message, and the
	// cycles refunded.
	rejectCode int
	rejectText string
	refunded   uint64

	// undo log of stable memory: the original contents of each page
	// written, and the size before the first grow.
	stableUndo map[uint64][]byte
	stableSize int

	// hostWrites are the ranges (start, length) of Wasm memory system
	// calls wrote.
	hostWrites [][2]uint64
}

// beginExec starts an execution in context ctx.
func (c *Canister) beginExec(ctx Context, msg Message, limit uint64) *execCtx {
	x := &execCtx{c: c, ctx: ctx, msg: msg, limit: limit, stableSize: len(c.st.Stable)}
	c.cur = x
	return x
}

// trapOf returns the trap that ended the execution, if any: the one a
// system call raised, or the engine's.
func (x *execCtx) trapOf(err error) *Trap {
	if err == nil {
		return nil
	}
	if x.trap != nil {
		return x.trap
	}
	var t *Trap
	if errors.As(err, &t) {
		return t
	}
	return &Trap{Kind: TrapWasm, Msg: err.Error()}
}

// undoStable rolls stable memory back to where the execution found it.
func (x *execCtx) undoStable() {
	st := &x.c.st
	for page, b := range x.stableUndo {
		copy(st.Stable[page*wasmPage:], b)
	}
	st.Stable = st.Stable[:x.stableSize]
}

// host is the Host of a canister's instances: it runs ic0 functions for
// the canister's execution in progress.
type host struct{ c *Canister }

func (h host) SystemCall(f *SysFunc, args []uint64, caller Caller) (uint64, error) {
	x := h.c.cur
	if x == nil {
		return 0, errors.New("execution: system call outside of an execution")
	}
	r, err := x.call(f, args, caller)
	if err != nil {
		var t *Trap
		if !errors.As(err, &t) {
			t = &Trap{Kind: TrapSystemAPI, Msg: err.Error()}
		}
		if x.trap == nil {
			x.trap = t
		}
		return 0, t
	}
	return r, nil
}

func sysErr(f *SysFunc, format string, a ...any) error {
	return &Trap{Kind: TrapSystemAPI, Msg: fmt.Sprintf("ic0.%s: %s", f.Name, fmt.Sprintf(format, a...))}
}

// memRange returns mem[p:p+n], failing when out of bounds.
func memRange(f *SysFunc, mem []byte, p, n uint64) ([]byte, error) {
	if p > uint64(len(mem)) || n > uint64(len(mem))-p {
		return nil, sysErr(f, "memory access out of bounds (%d+%d > %d)", p, n, len(mem))
	}
	return mem[p : p+n], nil
}

// wrote records that a system call wrote mem[dst:dst+n].
func (x *execCtx) wrote(dst, n uint64) {
	if n > 0 {
		x.hostWrites = append(x.hostWrites, [2]uint64{dst, n})
	}
}

// copyOut is the _copy half of the blob idiom: src[off:off+n] to mem[dst:].
func (x *execCtx) copyOut(f *SysFunc, mem []byte, src []byte, dst, off, n uint64) error {
	if off > uint64(len(src)) || n > uint64(len(src))-off {
		return sysErr(f, "offset %d + size %d exceeds the data's %d bytes", off, n, len(src))
	}
	m, err := memRange(f, mem, dst, n)
	if err != nil {
		return err
	}
	copy(m, src[off:off+n])
	x.wrote(dst, n)
	return nil
}

func (x *execCtx) write128(f *SysFunc, mem []byte, dst uint64, hi, lo uint64) error {
	m, err := memRange(f, mem, dst, 16)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint64(m, lo)
	binary.LittleEndian.PutUint64(m[8:], hi)
	x.wrote(dst, 16)
	return nil
}

// needsResponse says whether the context answers a call.
func (x *execCtx) needsResponse() bool {
	return x.ctx&(CtxUpdate|CtxReplQuery|CtxQuery|CtxCompositeQuery|CtxReply|CtxReject|CtxCQReply|CtxCQReject) != 0
}

// System call costs in fuel: a fixed cost plus one per byte moved.
const sysCallCost = 20

func (x *execCtx) call(f *SysFunc, a []uint64, caller Caller) (uint64, error) {
	if f.Allowed&x.ctx == 0 {
		return 0, sysErr(f, "cannot be called from %s", x.ctx)
	}
	c := x.c
	st := &c.st
	bytes := uint64(0)
	switch f.id {
	case sMsgArgDataCopy, sMsgCallerCopy, sCanisterSelfCopy, sSubnetSelfCopy, sMsgMethodNameCopy,
		sRootKeyCopy, sDataCertificateCopy, sMsgRejectMsgCopy, sMsgCallerInfoDataCopy, sMsgCallerInfoSignerCopy:
		bytes = a[2]
	case sMsgReplyDataAppend, sCallDataAppend, sDebugPrint, sTrap, sMsgReject, sCertifiedDataSet:
		bytes = a[1]
	case sStable64Write, sStable64Read, sStableWrite, sStableRead:
		bytes = a[2]
	}
	if err := caller.ConsumeFuel(sysCallCost + bytes); err != nil {
		return 0, ErrOutOfInstructions
	}
	mem := caller.Memory()
	switch f.id {
	case sMsgArgDataSize:
		return uint64(len(x.msg.Arg)), nil
	case sMsgArgDataCopy:
		return 0, x.copyOut(f, mem, x.msg.Arg, a[0], a[1], a[2])
	case sMsgCallerSize:
		return uint64(x.msg.Caller.Len()), nil
	case sMsgCallerCopy:
		return 0, x.copyOut(f, mem, x.msg.Caller.Bytes(), a[0], a[1], a[2])
	case sMsgCallerInfoDataSize, sMsgCallerInfoSignerSize:
		return 0, nil
	case sMsgCallerInfoDataCopy, sMsgCallerInfoSignerCopy:
		return 0, x.copyOut(f, mem, nil, a[0], a[1], a[2])
	case sMsgRejectCode:
		return uint64(x.rejectCode), nil
	case sMsgRejectMsgSize, sMsgRejectMsgCopy:
		if x.rejectCode == 0 {
			return 0, sysErr(f, "no reject message")
		}
		if f.id == sMsgRejectMsgSize {
			return uint64(len(x.rejectText)), nil
		}
		return 0, x.copyOut(f, mem, []byte(x.rejectText), a[0], a[1], a[2])
	case sMsgDeadline:
		return x.msg.Deadline, nil
	case sMsgReplyDataAppend:
		if !x.needsResponse() || x.replied || x.rejected {
			return 0, sysErr(f, "the call has been responded to already")
		}
		m, err := memRange(f, mem, a[0], a[1])
		if err != nil {
			return 0, err
		}
		if uint64(len(x.reply))+a[1] > maxReplySize {
			return 0, sysErr(f, "reply exceeds %d bytes", maxReplySize)
		}
		x.reply = append(x.reply, m...)
		return 0, nil
	case sMsgReply:
		if !x.needsResponse() || x.replied || x.rejected {
			return 0, sysErr(f, "the call has been responded to already")
		}
		x.replied = true
		return 0, nil
	case sMsgReject:
		if !x.needsResponse() || x.replied || x.rejected {
			return 0, sysErr(f, "the call has been responded to already")
		}
		m, err := memRange(f, mem, a[0], a[1])
		if err != nil {
			return 0, err
		}
		if !utf8.Valid(m) {
			return 0, sysErr(f, "reject message is not UTF-8")
		}
		x.rejected, x.rejectMsg, x.reply = true, string(m), nil
		return 0, nil
	case sMsgCyclesAvailable128:
		return 0, x.write128(f, mem, a[0], 0, x.msg.Cycles-x.accepted)
	case sMsgCyclesAvailable:
		return x.msg.Cycles - x.accepted, nil
	case sMsgCyclesRefunded128:
		return 0, x.write128(f, mem, a[0], 0, x.refunded)
	case sMsgCyclesRefunded:
		return x.refunded, nil
	case sMsgCyclesAccept128, sMsgCyclesAccept:
		want := a[0]
		if f.id == sMsgCyclesAccept128 {
			want = a[1]
			if a[0] != 0 {
				want = ^uint64(0)
			}
		}
		n := min(want, x.msg.Cycles-x.accepted, ^uint64(0)-st.Cycles)
		x.accepted += n
		st.Cycles += n
		if f.id == sMsgCyclesAccept {
			return n, nil
		}
		return 0, x.write128(f, mem, a[2], 0, n)
	case sCyclesBurn128:
		want := a[1]
		if a[0] != 0 {
			want = ^uint64(0)
		}
		n := min(want, c.liquid())
		st.Cycles -= n
		return 0, x.write128(f, mem, a[2], 0, n)
	case sCanisterSelfSize:
		return uint64(st.ID.Len()), nil
	case sCanisterSelfCopy:
		return 0, x.copyOut(f, mem, st.ID.Bytes(), a[0], a[1], a[2])
	case sCanisterCycleBalance128:
		return 0, x.write128(f, mem, a[0], 0, st.Cycles)
	case sCanisterLiquidCycleBalance128:
		return 0, x.write128(f, mem, a[0], 0, c.liquid())
	case sCanisterCycleBalance:
		return st.Cycles, nil
	case sCanisterStatus:
		return uint64(st.Status), nil
	case sCanisterVersion:
		return st.Version, nil
	case sSubnetSelfSize:
		return uint64(c.cfg.Subnet.Len()), nil
	case sSubnetSelfCopy:
		return 0, x.copyOut(f, mem, c.cfg.Subnet.Bytes(), a[0], a[1], a[2])
	case sSubnetSelfNodeCount:
		return uint64(max(c.cfg.SubnetNodes, 1)), nil
	case sMsgMethodNameSize:
		return uint64(len(x.msg.Method)), nil
	case sMsgMethodNameCopy:
		return 0, x.copyOut(f, mem, []byte(x.msg.Method), a[0], a[1], a[2])
	case sAcceptMessage:
		if x.inspectAccepted {
			return 0, sysErr(f, "called twice")
		}
		x.inspectAccepted = true
		return 0, nil
	case sCallNew:
		callee, err := memRange(f, mem, a[0], a[1])
		if err != nil {
			return 0, err
		}
		name, err := memRange(f, mem, a[2], a[3])
		if err != nil {
			return 0, err
		}
		p, err := principal.FromBytes(callee)
		if err != nil {
			return 0, sysErr(f, "invalid callee: %v", err)
		}
		if x.building != nil {
			// The call under construction is dropped; its cycles return.
			st.Cycles += x.building.Cycles
		}
		x.building = &Call{Callee: p, Method: string(name), ReplyFun: a[4], ReplyEnv: a[5], RejectFun: a[6], RejectEnv: a[7]}
		return 0, nil
	case sCallOnCleanup, sCallDataAppend, sCallWithBestEffortResponse, sCallCyclesAdd128, sCallCyclesAdd, sCallPerform:
		b := x.building
		if b == nil {
			return 0, sysErr(f, "no call is under construction")
		}
		switch f.id {
		case sCallOnCleanup:
			if b.Cleanup {
				return 0, sysErr(f, "cleanup already set")
			}
			b.Cleanup, b.CleanupFun, b.CleanupEnv = true, a[0], a[1]
		case sCallDataAppend:
			m, err := memRange(f, mem, a[0], a[1])
			if err != nil {
				return 0, err
			}
			b.Arg = append(b.Arg, m...)
		case sCallWithBestEffortResponse:
			if b.Timeout != 0 {
				return 0, sysErr(f, "timeout already set")
			}
			b.Timeout = max(1, min(uint32(a[0]), MaxCallTimeout))
		case sCallCyclesAdd128, sCallCyclesAdd:
			n := a[0]
			if f.id == sCallCyclesAdd128 {
				if a[0] != 0 {
					return 0, sysErr(f, "not enough cycles")
				}
				n = a[1]
			}
			if n > c.liquid() {
				return 0, sysErr(f, "not enough cycles (%d > %d)", n, c.liquid())
			}
			st.Cycles -= n
			b.Cycles += n
		case sCallPerform:
			x.building = nil
			var cost uint64
			if x.ctx&(CtxCompositeQuery|CtxCQReply|CtxCQReject) == 0 {
				// Queries are free; other calls pay for the request and
				// prepay the largest response.
				// prepay the largest response and the execution of its
				// callback (refunded in part when the response comes).
				cost = satAdd(c.cfg.Fees.Call(uint64(len(b.Method)), uint64(len(b.Arg))), c.cfg.Fees.responseBytes(maxResponseBytes))
				cost = satAdd(cost, c.cfg.Fees.Execution(c.cfg.UpdateLimit, c.prepared.Wasm64))
			}
			if cost > c.liquid() {
				// The call is not made; its cycles return.
				st.Cycles += b.Cycles
				return RejectSysTransient, nil
			}
			st.Cycles -= cost
			if b.Timeout != 0 {
				b.Deadline = x.msg.Time + uint64(b.Timeout)*1_000_000_000
			}
			x.calls = append(x.calls, *b)
		}
		return 0, nil
	case sStable64Size:
		return uint64(len(st.Stable) / wasmPage), nil
	case sStableSize:
		n := uint64(len(st.Stable) / wasmPage)
		if n > 1<<16 {
			return 0, sysErr(f, "stable memory exceeds 4 GiB; use the stable64 calls")
		}
		return n, nil
	case sStable64Grow, sStableGrow:
		old := uint64(len(st.Stable) / wasmPage)
		max := c.cfg.MaxStableMemory / wasmPage
		if f.id == sStableGrow {
			if old > 1<<16 {
				return 0, sysErr(f, "stable memory exceeds 4 GiB; use the stable64 calls")
			}
			max = min(max, 1<<16)
		}
		if a[0] > max || old+a[0] > max {
			if f.id == sStableGrow {
				return uint64(uint32(0xffffffff)), nil
			}
			return ^uint64(0), nil
		}
		st.Stable = append(st.Stable, make([]byte, a[0]*wasmPage)...)
		return old, nil
	case sStable64Write, sStableWrite:
		src, err := memRange(f, mem, a[1], a[2])
		if err != nil {
			return 0, err
		}
		if a[0] > uint64(len(st.Stable)) || a[2] > uint64(len(st.Stable))-a[0] {
			return 0, sysErr(f, "stable memory access out of bounds")
		}
		x.saveStable(a[0], a[2])
		copy(st.Stable[a[0]:], src)
		if a[2] > 0 {
			for p := a[0] / PageSize; p <= (a[0]+a[2]-1)/PageSize; p++ {
				c.stableDirty.add(p)
			}
		}
		return 0, nil
	case sStable64Read, sStableRead:
		dst, err := memRange(f, mem, a[0], a[2])
		if err != nil {
			return 0, err
		}
		if a[1] > uint64(len(st.Stable)) || a[2] > uint64(len(st.Stable))-a[1] {
			return 0, sysErr(f, "stable memory access out of bounds")
		}
		copy(dst, st.Stable[a[1]:a[1]+a[2]])
		x.wrote(a[0], a[2])
		return 0, nil
	case sRootKeySize:
		return uint64(len(c.cfg.RootKey)), nil
	case sRootKeyCopy:
		return 0, x.copyOut(f, mem, c.cfg.RootKey, a[0], a[1], a[2])
	case sCertifiedDataSet:
		m, err := memRange(f, mem, a[0], a[1])
		if err != nil {
			return 0, err
		}
		if len(m) > maxCertifiedData {
			return 0, sysErr(f, "certified data of %d bytes (at most %d)", len(m), maxCertifiedData)
		}
		st.CertifiedData = append(st.CertifiedData[:0:0], m...)
		return 0, nil
	case sDataCertificatePresent:
		if x.ctx&(CtxQuery|CtxCompositeQuery) != 0 && x.msg.Certificate != nil {
			return 1, nil
		}
		return 0, nil
	case sDataCertificateSize, sDataCertificateCopy:
		if x.msg.Certificate == nil {
			return 0, sysErr(f, "no data certificate")
		}
		if f.id == sDataCertificateSize {
			return uint64(len(x.msg.Certificate)), nil
		}
		return 0, x.copyOut(f, mem, x.msg.Certificate, a[0], a[1], a[2])
	case sTime:
		return x.msg.Time, nil
	case sGlobalTimerSet:
		old := st.GlobalTimer
		st.GlobalTimer = a[0]
		return old, nil
	case sPerformanceCounter:
		if a[0] > 1 {
			return 0, sysErr(f, "unknown counter type %d", a[0])
		}
		left := caller.FuelLeft()
		if left > x.limit {
			return 0, nil
		}
		return x.limit - left, nil
	case sIsController:
		m, err := memRange(f, mem, a[0], a[1])
		if err != nil {
			return 0, err
		}
		if len(m) > maxPrincipalSize {
			return 0, sysErr(f, "principal of %d bytes (at most %d)", len(m), maxPrincipalSize)
		}
		for _, p := range st.Controllers {
			if string(p.Bytes()) == string(m) {
				return 1, nil
			}
		}
		return 0, nil
	case sInReplicatedExecution:
		if x.ctx&(CtxQuery|CtxCompositeQuery|CtxCQReply|CtxCQReject|CtxCQCleanup|CtxInspect) != 0 {
			return 0, nil
		}
		return 1, nil
	case sCostCall:
		return 0, x.write128(f, mem, a[2], 0, c.cfg.Fees.Call(a[0], a[1]))
	case sCostCreateCanister:
		return 0, x.write128(f, mem, a[0], 0, c.cfg.Fees.scale(c.cfg.Fees.CanisterCreation))
	case sCostHTTPRequest:
		return 0, x.write128(f, mem, a[2], 0, c.cfg.Fees.HTTPRequest(a[0], a[1]))
	case sCostHTTPRequestV2:
		b, err := memRange(f, mem, a[0], a[1])
		if err != nil {
			return 0, err
		}
		fee, err := c.cfg.Fees.HTTPRequestV2(b)
		if err != nil {
			return 0, sysErr(f, "%v", err)
		}
		return 0, x.write128(f, mem, a[2], 0, fee)
	case sCostSignWithECDSA, sCostSignWithSchnorr, sCostVetKDDeriveKey:
		if _, err := memRange(f, mem, a[0], a[1]); err != nil {
			return 0, err
		}
		fee := c.cfg.Fees.ECDSASignature
		switch f.id {
		case sCostSignWithSchnorr:
			fee = c.cfg.Fees.SchnorrSignature
		case sCostVetKDDeriveKey:
			fee = c.cfg.Fees.VetKD
		}
		return 0, x.write128(f, mem, a[3], 0, c.cfg.Fees.scale(fee))
	case sEnvVarCount:
		return 0, nil
	case sEnvVarNameSize, sEnvVarNameCopy:
		return 0, sysErr(f, "environment variable index %d out of range", a[0])
	case sEnvVarNameExists:
		if _, err := memRange(f, mem, a[0], a[1]); err != nil {
			return 0, err
		}
		return 0, nil
	case sEnvVarValueSize, sEnvVarValueCopy:
		return 0, sysErr(f, "no such environment variable")
	case sDebugPrint:
		m, err := memRange(f, mem, a[0], a[1])
		if err != nil {
			// The IC ignores a debug_print it cannot read.
			return 0, nil
		}
		if len(m) > maxDebugPrintLength {
			m = m[:maxDebugPrintLength]
		}
		x.log = append(x.log, string(m))
		return 0, nil
	case sTrap:
		m, err := memRange(f, mem, a[0], a[1])
		if err != nil {
			m = nil
		}
		return 0, &Trap{Kind: TrapCanister, Msg: "canister called ic0.trap with message: " + string(m)}
	}
	return 0, sysErr(f, "not implemented")
}

// saveStable records the pages of stable[off:off+n] in the undo log.
func (x *execCtx) saveStable(off, n uint64) {
	if n == 0 {
		return
	}
	if x.stableUndo == nil {
		x.stableUndo = map[uint64][]byte{}
	}
	for p := off / wasmPage; p <= (off+n-1)/wasmPage; p++ {
		if _, ok := x.stableUndo[p]; ok || p*wasmPage >= uint64(x.stableSize) {
			continue
		}
		x.stableUndo[p] = append([]byte(nil), x.c.st.Stable[p*wasmPage:(p+1)*wasmPage]...)
	}
}

// String names a context (or set of contexts).
func (c Context) String() string {
	names := []string{"init", "pre_upgrade", "update", "replicated query", "query", "composite query",
		"reply callback", "reject callback", "composite query reply callback", "composite query reject callback",
		"cleanup", "composite query cleanup", "inspect_message", "system task", "start"}
	s := ""
	for i, n := range names {
		if c&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += n
		}
	}
	return s
}
