(module
  ;; A canister that changes its table at run time: set, grow, and the
  ;; same followed by a trap. "call" replies with 8 bytes: the table size
  ;; and the value of each entry's function (0 for null), by calling
  ;; through the table.
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (type $val (func (result i32)))
  (memory 1)
  (table $t 1 funcref)
  (elem (i32.const 0) $one)
  (elem declare func $two $three)
  (func $one (type $val) (i32.const 1))
  (func $two (type $val) (i32.const 2))
  (func $three (type $val) (i32.const 3))
  (func $done (call $reply))
  (func (export "canister_update set") (table.set $t (i32.const 0) (ref.func $two)) (call $done))
  (func (export "canister_update grow") (drop (table.grow $t (ref.func $three) (i32.const 1))) (call $done))
  (func (export "canister_update grow_null") (drop (table.grow $t (ref.null func) (i32.const 1))) (call $done))
  (func (export "canister_update grow_trap")
    (drop (table.grow $t (ref.func $one) (i32.const 2)))
    (table.set $t (i32.const 0) (ref.func $three))
    unreachable)
  (func (export "canister_update set_trap") (table.set $t (i32.const 0) (ref.func $three)) unreachable)
  (func (export "canister_query qset") (table.fill $t (i32.const 0) (ref.func $one) (table.size $t)) (call $done))
  (func (export "canister_query call")
    (local $i i32)
    (i64.store (i32.const 0) (i64.const 0))
    (i32.store8 (i32.const 0) (table.size $t))
    (block $out
      (loop $next
        (br_if $out (i32.ge_u (local.get $i) (table.size $t)))
        (if (i32.eqz (ref.is_null (table.get $t (local.get $i))))
          (then (i32.store8 (i32.add (i32.const 1) (local.get $i)) (call_indirect $t (type $val) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $append (i32.const 0) (i32.const 8))
    (call $reply))
)
