package execution

import (
	"math"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Context is where a system call is made from, as in the interface
// specification's System API table.
type Context uint32

// The execution contexts.
const (
	CtxInit           Context = 1 << iota // canister_init, canister_post_upgrade (I)
	CtxPreUpgrade                         // canister_pre_upgrade (G)
	CtxUpdate                             // canister_update (U)
	CtxReplQuery                          // canister_query in replicated mode (RQ)
	CtxQuery                              // canister_query, non-replicated (NRQ)
	CtxCompositeQuery                     // canister_composite_query (CQ)
	CtxReply                              // reply callback (Ry)
	CtxReject                             // reject callback (Rt)
	CtxCQReply                            // reply callback in a composite query (CRy)
	CtxCQReject                           // reject callback in a composite query (CRt)
	CtxCleanup                            // cleanup callback (C)
	CtxCQCleanup                          // cleanup callback in a composite query (CC)
	CtxInspect                            // canister_inspect_message (F)
	CtxSystemTask                         // heartbeat, global timer, low memory (T)
	CtxStart                              // the module's start function (s)
)

// ctxAll is the specification's "*" (which does not include start).
const ctxAll = CtxInit | CtxPreUpgrade | CtxUpdate | CtxReplQuery | CtxQuery | CtxCompositeQuery |
	CtxReply | CtxReject | CtxCQReply | CtxCQReject | CtxCleanup | CtxCQCleanup | CtxInspect | CtxSystemTask

// SysFunc describes one ic0 function.
type SysFunc struct {
	// Name is the import name in module "ic0".
	Name string
	// Sig is the signature: parameter letters, then '>' and the result
	// letter if any. 'I' is the pointer type (i32 on wasm32, i64 on
	// wasm64), 'i' an i32, 'l' an i64.
	Sig string
	// Allowed is the set of contexts it may be called from.
	Allowed Context
	// wasm32Only marks the legacy functions of 32-bit canisters.
	wasm32Only bool
	id         sysID
}

type funcType struct {
	params []wasmtime.ValKind
	result *wasmtime.ValKind
}

func (f *SysFunc) funcType(wasm64 bool) funcType {
	kind := func(c byte) wasmtime.ValKind {
		switch {
		case c == 'i', c == 'I' && !wasm64:
			return wasmtime.KindI32
		default:
			return wasmtime.KindI64
		}
	}
	var ft funcType
	sig := f.Sig
	for i := 0; i < len(sig); i++ {
		if sig[i] == '>' {
			k := kind(sig[i+1])
			ft.result = &k
			break
		}
		ft.params = append(ft.params, kind(sig[i]))
	}
	return ft
}

type sysID int

const (
	sMsgArgDataSize sysID = iota
	sMsgArgDataCopy
	sMsgCallerSize
	sMsgCallerCopy
	sMsgCallerInfoDataSize
	sMsgCallerInfoDataCopy
	sMsgCallerInfoSignerSize
	sMsgCallerInfoSignerCopy
	sMsgRejectCode
	sMsgRejectMsgSize
	sMsgRejectMsgCopy
	sMsgDeadline
	sMsgReplyDataAppend
	sMsgReply
	sMsgReject
	sMsgCyclesAvailable128
	sMsgCyclesRefunded128
	sMsgCyclesAccept128
	sCyclesBurn128
	sCanisterSelfSize
	sCanisterSelfCopy
	sCanisterCycleBalance128
	sCanisterLiquidCycleBalance128
	sCanisterStatus
	sCanisterVersion
	sSubnetSelfSize
	sSubnetSelfCopy
	sMsgMethodNameSize
	sMsgMethodNameCopy
	sAcceptMessage
	sCallNew
	sCallOnCleanup
	sCallDataAppend
	sCallWithBestEffortResponse
	sCallCyclesAdd128
	sCallPerform
	sStable64Size
	sStable64Grow
	sStable64Write
	sStable64Read
	sRootKeySize
	sRootKeyCopy
	sCertifiedDataSet
	sDataCertificatePresent
	sDataCertificateSize
	sDataCertificateCopy
	sTime
	sGlobalTimerSet
	sPerformanceCounter
	sIsController
	sInReplicatedExecution
	sCostCall
	sCostCreateCanister
	sCostHTTPRequest
	sCostHTTPRequestV2
	sCostSignWithECDSA
	sCostSignWithSchnorr
	sCostVetKDDeriveKey
	sEnvVarCount
	sEnvVarNameSize
	sEnvVarNameCopy
	sEnvVarNameExists
	sEnvVarValueSize
	sEnvVarValueCopy
	sDebugPrint
	sTrap
	sMsgCyclesAvailable
	sMsgCyclesRefunded
	sMsgCyclesAccept
	sCanisterCycleBalance
	sCallCyclesAdd
	sStableSize
	sStableGrow
	sStableWrite
	sStableRead
	sSubnetSelfNodeCount
)

// Context sets of the specification's table.
const (
	cArgData    = CtxInit | CtxUpdate | CtxReplQuery | CtxQuery | CtxCompositeQuery | CtxReply | CtxCQReply | CtxInspect
	cCallerInfo = CtxUpdate | CtxReplQuery | CtxQuery | CtxCompositeQuery | CtxReply | CtxReject | CtxCQReply | CtxCQReject | CtxCleanup | CtxCQCleanup | CtxInspect
	cRespond    = CtxUpdate | CtxReplQuery | CtxQuery | CtxCompositeQuery | CtxReply | CtxReject | CtxCQReply | CtxCQReject
	cDeadline   = CtxUpdate | CtxReplQuery | CtxQuery | CtxCompositeQuery | CtxReply | CtxReject | CtxCQReply | CtxCQReject
	cCyclesIn   = CtxUpdate | CtxReplQuery | CtxReply | CtxReject
	cCallback   = CtxReply | CtxReject
	cBurn       = CtxInit | CtxPreUpgrade | CtxUpdate | CtxReplQuery | CtxReply | CtxReject | CtxCleanup | CtxSystemTask
	cCall       = CtxUpdate | CtxCompositeQuery | CtxReply | CtxReject | CtxCQReply | CtxCQReject | CtxSystemTask
	cCallCycles = CtxUpdate | CtxReply | CtxReject | CtxSystemTask
	cRootKey    = CtxInit | CtxPreUpgrade | CtxUpdate | CtxReplQuery | CtxReply | CtxReject | CtxCleanup | CtxSystemTask
	cCertSet    = CtxInit | CtxPreUpgrade | CtxUpdate | CtxReply | CtxReject | CtxSystemTask
	cCert       = CtxQuery | CtxCompositeQuery
	cTimer      = CtxInit | CtxPreUpgrade | CtxUpdate | CtxReply | CtxReject | CtxCleanup | CtxSystemTask
	cStart      = ctxAll | CtxStart
)

// sysFuncs is the System API, in the specification's order.
var sysFuncs = [...]SysFunc{
	{Name: "msg_arg_data_size", Sig: ">I", Allowed: cArgData, id: sMsgArgDataSize},
	{Name: "msg_arg_data_copy", Sig: "III", Allowed: cArgData, id: sMsgArgDataCopy},
	{Name: "msg_caller_size", Sig: ">I", Allowed: ctxAll, id: sMsgCallerSize},
	{Name: "msg_caller_copy", Sig: "III", Allowed: ctxAll, id: sMsgCallerCopy},
	{Name: "msg_caller_info_data_size", Sig: ">I", Allowed: cCallerInfo, id: sMsgCallerInfoDataSize},
	{Name: "msg_caller_info_data_copy", Sig: "III", Allowed: cCallerInfo, id: sMsgCallerInfoDataCopy},
	{Name: "msg_caller_info_signer_size", Sig: ">I", Allowed: cCallerInfo, id: sMsgCallerInfoSignerSize},
	{Name: "msg_caller_info_signer_copy", Sig: "III", Allowed: cCallerInfo, id: sMsgCallerInfoSignerCopy},
	{Name: "msg_reject_code", Sig: ">i", Allowed: CtxReply | CtxReject | CtxCQReply | CtxCQReject, id: sMsgRejectCode},
	{Name: "msg_reject_msg_size", Sig: ">I", Allowed: CtxReject | CtxCQReject, id: sMsgRejectMsgSize},
	{Name: "msg_reject_msg_copy", Sig: "III", Allowed: CtxReject | CtxCQReject, id: sMsgRejectMsgCopy},
	{Name: "msg_deadline", Sig: ">l", Allowed: cDeadline, id: sMsgDeadline},
	{Name: "msg_reply_data_append", Sig: "II", Allowed: cRespond, id: sMsgReplyDataAppend},
	{Name: "msg_reply", Sig: "", Allowed: cRespond, id: sMsgReply},
	{Name: "msg_reject", Sig: "II", Allowed: cRespond, id: sMsgReject},
	{Name: "msg_cycles_available128", Sig: "I", Allowed: cCyclesIn, id: sMsgCyclesAvailable128},
	{Name: "msg_cycles_refunded128", Sig: "I", Allowed: cCallback, id: sMsgCyclesRefunded128},
	{Name: "msg_cycles_accept128", Sig: "llI", Allowed: cCyclesIn, id: sMsgCyclesAccept128},
	{Name: "cycles_burn128", Sig: "llI", Allowed: cBurn, id: sCyclesBurn128},
	{Name: "canister_self_size", Sig: ">I", Allowed: ctxAll, id: sCanisterSelfSize},
	{Name: "canister_self_copy", Sig: "III", Allowed: ctxAll, id: sCanisterSelfCopy},
	{Name: "canister_cycle_balance128", Sig: "I", Allowed: ctxAll, id: sCanisterCycleBalance128},
	{Name: "canister_liquid_cycle_balance128", Sig: "I", Allowed: ctxAll, id: sCanisterLiquidCycleBalance128},
	{Name: "canister_status", Sig: ">i", Allowed: ctxAll, id: sCanisterStatus},
	{Name: "canister_version", Sig: ">l", Allowed: ctxAll, id: sCanisterVersion},
	{Name: "subnet_self_size", Sig: ">I", Allowed: ctxAll, id: sSubnetSelfSize},
	{Name: "subnet_self_copy", Sig: "III", Allowed: ctxAll, id: sSubnetSelfCopy},
	{Name: "subnet_self_node_count", Sig: ">i", Allowed: ctxAll, id: sSubnetSelfNodeCount},
	{Name: "msg_method_name_size", Sig: ">I", Allowed: CtxInspect, id: sMsgMethodNameSize},
	{Name: "msg_method_name_copy", Sig: "III", Allowed: CtxInspect, id: sMsgMethodNameCopy},
	{Name: "accept_message", Sig: "", Allowed: CtxInspect, id: sAcceptMessage},
	{Name: "call_new", Sig: "IIIIIIII", Allowed: cCall, id: sCallNew},
	{Name: "call_on_cleanup", Sig: "II", Allowed: cCall, id: sCallOnCleanup},
	{Name: "call_data_append", Sig: "II", Allowed: cCall, id: sCallDataAppend},
	{Name: "call_with_best_effort_response", Sig: "i", Allowed: cCall, id: sCallWithBestEffortResponse},
	{Name: "call_cycles_add128", Sig: "ll", Allowed: cCallCycles, id: sCallCyclesAdd128},
	{Name: "call_perform", Sig: ">i", Allowed: cCall, id: sCallPerform},
	{Name: "stable64_size", Sig: ">l", Allowed: cStart, id: sStable64Size},
	{Name: "stable64_grow", Sig: "l>l", Allowed: cStart, id: sStable64Grow},
	{Name: "stable64_write", Sig: "lll", Allowed: cStart, id: sStable64Write},
	{Name: "stable64_read", Sig: "lll", Allowed: cStart, id: sStable64Read},
	{Name: "root_key_size", Sig: ">I", Allowed: cRootKey, id: sRootKeySize},
	{Name: "root_key_copy", Sig: "III", Allowed: cRootKey, id: sRootKeyCopy},
	{Name: "certified_data_set", Sig: "II", Allowed: cCertSet, id: sCertifiedDataSet},
	{Name: "data_certificate_present", Sig: ">i", Allowed: ctxAll, id: sDataCertificatePresent},
	{Name: "data_certificate_size", Sig: ">I", Allowed: cCert, id: sDataCertificateSize},
	{Name: "data_certificate_copy", Sig: "III", Allowed: cCert, id: sDataCertificateCopy},
	{Name: "time", Sig: ">l", Allowed: ctxAll, id: sTime},
	{Name: "global_timer_set", Sig: "l>l", Allowed: cTimer, id: sGlobalTimerSet},
	{Name: "performance_counter", Sig: "i>l", Allowed: cStart, id: sPerformanceCounter},
	{Name: "is_controller", Sig: "II>i", Allowed: cStart, id: sIsController},
	{Name: "in_replicated_execution", Sig: ">i", Allowed: cStart, id: sInReplicatedExecution},
	{Name: "cost_call", Sig: "llI", Allowed: cStart, id: sCostCall},
	{Name: "cost_create_canister", Sig: "I", Allowed: cStart, id: sCostCreateCanister},
	{Name: "cost_http_request", Sig: "llI", Allowed: cStart, id: sCostHTTPRequest},
	{Name: "cost_http_request_v2", Sig: "III", Allowed: cStart, id: sCostHTTPRequestV2},
	{Name: "cost_sign_with_ecdsa", Sig: "IIiI>i", Allowed: cStart, id: sCostSignWithECDSA},
	{Name: "cost_sign_with_schnorr", Sig: "IIiI>i", Allowed: cStart, id: sCostSignWithSchnorr},
	{Name: "cost_vetkd_derive_key", Sig: "IIiI>i", Allowed: cStart, id: sCostVetKDDeriveKey},
	{Name: "env_var_count", Sig: ">I", Allowed: ctxAll, id: sEnvVarCount},
	{Name: "env_var_name_size", Sig: "I>I", Allowed: ctxAll, id: sEnvVarNameSize},
	{Name: "env_var_name_copy", Sig: "IIII", Allowed: ctxAll, id: sEnvVarNameCopy},
	{Name: "env_var_name_exists", Sig: "II>i", Allowed: ctxAll, id: sEnvVarNameExists},
	{Name: "env_var_value_size", Sig: "II>I", Allowed: ctxAll, id: sEnvVarValueSize},
	{Name: "env_var_value_copy", Sig: "IIIII", Allowed: ctxAll, id: sEnvVarValueCopy},
	{Name: "debug_print", Sig: "II", Allowed: cStart, id: sDebugPrint},
	{Name: "trap", Sig: "II", Allowed: cStart, id: sTrap},
	{Name: "msg_cycles_available", Sig: ">l", Allowed: cCyclesIn, wasm32Only: true, id: sMsgCyclesAvailable},
	{Name: "msg_cycles_refunded", Sig: ">l", Allowed: cCallback, wasm32Only: true, id: sMsgCyclesRefunded},
	{Name: "msg_cycles_accept", Sig: "l>l", Allowed: cCyclesIn, wasm32Only: true, id: sMsgCyclesAccept},
	{Name: "canister_cycle_balance", Sig: ">l", Allowed: ctxAll, wasm32Only: true, id: sCanisterCycleBalance},
	{Name: "call_cycles_add", Sig: "l", Allowed: cCallCycles, wasm32Only: true, id: sCallCyclesAdd},
	{Name: "stable_size", Sig: ">i", Allowed: cStart, wasm32Only: true, id: sStableSize},
	{Name: "stable_grow", Sig: "i>i", Allowed: cStart, wasm32Only: true, id: sStableGrow},
	{Name: "stable_write", Sig: "iii", Allowed: cStart, wasm32Only: true, id: sStableWrite},
	{Name: "stable_read", Sig: "iii", Allowed: cStart, wasm32Only: true, id: sStableRead},
}

// sysFuncByName finds an ic0 function.
func sysFuncByName(name string) *SysFunc {
	for i := range sysFuncs {
		if sysFuncs[i].Name == name {
			return &sysFuncs[i]
		}
	}
	return nil
}

// Wasm value types of globals.
const (
	valI32 = 0x7f
	valI64 = 0x7e
	valF32 = 0x7d
	valF64 = 0x7c
)

const wasmPage = 64 << 10

func math32bits(f float32) uint32     { return math.Float32bits(f) }
func math32frombits(b uint32) float32 { return math.Float32frombits(b) }
func math64bits(f float64) uint64     { return math.Float64bits(f) }
func math64frombits(b uint64) float64 { return math.Float64frombits(b) }
