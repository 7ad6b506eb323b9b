(module
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory (export "memory") 256)
  ;; touch(n : u32 little endian) adds one to a byte in each of the first
  ;; n 4 KiB pages (of 4096, 16 MiB in all).
  (func (export "canister_update touch")
    (local $n i32) (local $i i32) (local $a i32)
    (call $arg_copy (i32.const 0) (i32.const 0) (i32.const 4))
    (local.set $n (i32.load (i32.const 0)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.add (i32.const 8) (i32.mul (local.get $i) (i32.const 4096))))
        (i32.store8 (local.get $a) (i32.add (i32.load8_u (local.get $a)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (call $reply))
)
