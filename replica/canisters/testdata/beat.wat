(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  ;; canister_heartbeat counts the rounds; beats answers the count.
  (global $beats (mut i64) (i64.const 0))
  (func (export "canister_heartbeat") (global.set $beats (i64.add (global.get $beats) (i64.const 1))))
  (func (export "canister_query beats")
    (i64.store (i32.const 0) (global.get $beats))
    (call $append (i32.const 0) (i32.const 8))
    (call $reply))
)
