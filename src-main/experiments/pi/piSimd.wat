;; The `simd` π kernel's WebAssembly part: 8 xoshiro128** streams, two i32x4 vectors of 4 lanes.
;; Assembled by scripts/build-pi-wasm.mjs into the base64 literal inside piChunkSimd
;; (simdKernel.ts); a unit test checks that the literal is this file's assembly.
;;
;; hits(base, rounds): the 8 streams' states sit at byte `base` of memory as 8 vectors:
;;   base+0   s0 of lanes 0-3     base+16  s0 of lanes 4-7
;;   base+32  s1 …                base+48  s1 …
;;   base+64  s2 …                base+80  s2 …
;;   base+96  s3 …                base+112 s3 …
;; Each round, every stream draws one point: outputs a then b (x then y), each
;; rotl(s1 * 5, 7) * 9 followed by the state update, exactly as the scalar code does. The point
;; is inside when a*a + b*b <= 2^64 in float64 with a, b as unsigned integers, which is
;; `seeded`'s test x*x + y*y <= 1 with x = a * 2^-32 (scaling by a power of two is exact).
;; Returns the hits of all 8 streams over `rounds` rounds (rounds < 2^29, so the count fits in
;; u32) and leaves the states advanced. Bytes 0-255 hold the states of two such groups (base 0
;; and 128); the loop's constants follow from byte 256.
;;
;; The point test, exactly that float64 test, mostly decided in integers: with ha = a >>> 17 and
;; hb = b >>> 17 (15 bits each, packed as the two 16-bit halves of a lane, so one
;; i32x4.dot_i16x8_s gives S = ha^2 + hb^2 < 2^31 without overflow), ha 2^17 <= a < (ha+1) 2^17
;; gives
;;   S 2^34 <= a^2 + b^2 < ((ha+1)^2 + (hb+1)^2) 2^34 = (S + 2(ha+hb) + 2) 2^34 <= (S + 2^17 - 2) 2^34.
;; The float64 test computes fl(fl(a^2) + fl(b^2)). a^2, b^2 < 2^64, so each product is off by at
;; most half an ulp, 2^10, and rounding is monotone. Hence:
;;   S < 2^30 - 2^17 ($hitBelow): a^2 + b^2 < (2^30 - 2) 2^34 < 2^64 - 2^11, so fl(a^2) + fl(b^2)
;;     < 2^64, which rounds to at most 2^64 (representable): a hit, certainly.
;;   S > 2^30 (S >= $missFrom = 2^30 + 1): a^2 + b^2 >= 2^64 + 2^34, so fl(a^2) + fl(b^2) >=
;;     2^64 + 2^34 - 2^11, more than half an ulp (2^11) above 2^64: it rounds to at least
;;     2^64 + 2^12, a miss, certainly.
;;   Otherwise (2^30 - 2^17 <= S <= 2^30, about one point in 10,000 and one vector in 2,700) the
;;   vector's four points take the float64 test itself, and its result replaces the integer one.
;; So the hits are the float64 test's, bit for bit; the unit test "decides points at the circle's
;; edge" crafts states whose points straddle the circle and both thresholds.
;;
;; Why two vectors and not four: V8 on x64 has 16 xmm registers, and four vectors' states (16)
;; spill to the stack on every round (measured ~2x slower); two fit with room for temporaries.
;; The float64 conversion builds 2^52 + a by interleaving a with the high word 0x43300000
;; (i32x4 unpack low/high, which V8 maps to one punpck each) and subtracts 2^52. The exact test
;; is written out in each vector's branch rather than called: a call in the loop made V8 keep
;; values around it, ~4 % slower. The loop's constants are loaded from memory (the data segment)
;; rather than written as v128.const: short of registers, V8 rebuilt each v128.const in every
;; round with a movq, a vmovq and a vpunpcklqdq, and a load is one load; ~7 % faster.
(module
  (memory (export "memory") 1)
  ;; The loop's constants, i32x4 splats from byte 256 (after the two groups' states): 5 and 9,
  ;; $hitBelow = 2^30 - 2^17 at 288, $missFrom = 2^30 + 1 at 304.
  (data (i32.const 256)
    "\05\00\00\00\05\00\00\00\05\00\00\00\05\00\00\00"
    "\09\00\00\00\09\00\00\00\09\00\00\00\09\00\00\00"
    "\00\00\fe\3f\00\00\fe\3f\00\00\fe\3f\00\00\fe\3f"
    "\01\00\00\40\01\00\00\40\01\00\00\40\01\00\00\40")
  (func (export "hits") (param $base i32) (param $rounds i32) (result f64)
    (local $s0a v128) (local $s1a v128) (local $s2a v128) (local $s3a v128)
    (local $s0b v128) (local $s1b v128) (local $s2b v128) (local $s3b v128)
    (local $acc v128) (local $r v128) (local $x v128) (local $y v128) (local $t v128)
    (local $q v128) (local $s v128) (local $c v128)
    (local.set $s0a (v128.load offset=0 (local.get $base)))
    (local.set $s0b (v128.load offset=16 (local.get $base)))
    (local.set $s1a (v128.load offset=32 (local.get $base)))
    (local.set $s1b (v128.load offset=48 (local.get $base)))
    (local.set $s2a (v128.load offset=64 (local.get $base)))
    (local.set $s2b (v128.load offset=80 (local.get $base)))
    (local.set $s3a (v128.load offset=96 (local.get $base)))
    (local.set $s3b (v128.load offset=112 (local.get $base)))
    (block $done
      (loop $round
        (br_if $done (i32.eqz (local.get $rounds)))

        ;; vector a, output x: rotl(s1 * 5, 7) * 9 (5 and 9 loaded from bytes 256 and 272), then the
        ;; state update
        (local.set $r (i32x4.mul (local.get $s1a) (v128.load offset=256 (i32.const 0))))
        (local.set $x (i32x4.mul (v128.or (i32x4.shl (local.get $r) (i32.const 7)) (i32x4.shr_u (local.get $r) (i32.const 25))) (v128.load offset=272 (i32.const 0))))
        (local.set $t (i32x4.shl (local.get $s1a) (i32.const 9)))
        (local.set $s2a (v128.xor (local.get $s2a) (local.get $s0a)))
        (local.set $s3a (v128.xor (local.get $s3a) (local.get $s1a)))
        (local.set $s1a (v128.xor (local.get $s1a) (local.get $s2a)))
        (local.set $s0a (v128.xor (local.get $s0a) (local.get $s3a)))
        (local.set $s2a (v128.xor (local.get $s2a) (local.get $t)))
        (local.set $s3a (v128.or (i32x4.shl (local.get $s3a) (i32.const 11)) (i32x4.shr_u (local.get $s3a) (i32.const 21))))
        ;; vector a, output y
        (local.set $r (i32x4.mul (local.get $s1a) (v128.load offset=256 (i32.const 0))))
        (local.set $y (i32x4.mul (v128.or (i32x4.shl (local.get $r) (i32.const 7)) (i32x4.shr_u (local.get $r) (i32.const 25))) (v128.load offset=272 (i32.const 0))))
        (local.set $t (i32x4.shl (local.get $s1a) (i32.const 9)))
        (local.set $s2a (v128.xor (local.get $s2a) (local.get $s0a)))
        (local.set $s3a (v128.xor (local.get $s3a) (local.get $s1a)))
        (local.set $s1a (v128.xor (local.get $s1a) (local.get $s2a)))
        (local.set $s0a (v128.xor (local.get $s0a) (local.get $s3a)))
        (local.set $s2a (v128.xor (local.get $s2a) (local.get $t)))
        (local.set $s3a (v128.or (i32x4.shl (local.get $s3a) (i32.const 11)) (i32x4.shr_u (local.get $s3a) (i32.const 21))))
        ;; the point test: S = ha^2 + hb^2; acc -= (S < $hitBelow), a mask of -1 where true;
        ;; where some lane is neither a certain hit nor a certain miss, the float64 test instead
        (local.set $s (i32x4.dot_i16x8_s
          (local.tee $q (i8x16.shuffle 0 1 18 19 4 5 22 23 8 9 26 27 12 13 30 31 (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shr_u (local.get $y) (i32.const 1))))
          (local.get $q)))
        (local.set $c (i32x4.gt_s (v128.load offset=288 (i32.const 0)) (local.get $s))) ;; S < $hitBelow
        (local.set $acc (i32x4.sub (local.get $acc) (local.get $c)))
        (if (v128.any_true (v128.xor (local.get $c) (i32x4.gt_s (v128.load offset=304 (i32.const 0)) (local.get $s)))) ;; S < $missFrom
          (then
            (local.set $r (f64x2.sub (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x) (v128.const i32x4 0x43300000 0x43300000 0x43300000 0x43300000)) (v128.const f64x2 0x1p52 0x1p52)))
            (local.set $t (f64x2.sub (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y) (v128.const i32x4 0x43300000 0x43300000 0x43300000 0x43300000)) (v128.const f64x2 0x1p52 0x1p52)))
            (local.set $q (f64x2.le (f64x2.add (f64x2.mul (local.get $r) (local.get $r)) (f64x2.mul (local.get $t) (local.get $t))) (v128.const f64x2 0x1p64 0x1p64)))
            (local.set $r (f64x2.sub (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x) (v128.const i32x4 0x43300000 0x43300000 0x43300000 0x43300000)) (v128.const f64x2 0x1p52 0x1p52)))
            (local.set $t (f64x2.sub (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y) (v128.const i32x4 0x43300000 0x43300000 0x43300000 0x43300000)) (v128.const f64x2 0x1p52 0x1p52)))
            (local.set $t (f64x2.le (f64x2.add (f64x2.mul (local.get $r) (local.get $r)) (f64x2.mul (local.get $t) (local.get $t))) (v128.const f64x2 0x1p64 0x1p64)))
            (local.set $acc (i32x4.sub (i32x4.add (local.get $acc) (local.get $c))
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $q) (local.get $t))))))

        ;; vector b, the same
        (local.set $r (i32x4.mul (local.get $s1b) (v128.load offset=256 (i32.const 0))))
        (local.set $x (i32x4.mul (v128.or (i32x4.shl (local.get $r) (i32.const 7)) (i32x4.shr_u (local.get $r) (i32.const 25))) (v128.load offset=272 (i32.const 0))))
        (local.set $t (i32x4.shl (local.get $s1b) (i32.const 9)))
        (local.set $s2b (v128.xor (local.get $s2b) (local.get $s0b)))
        (local.set $s3b (v128.xor (local.get $s3b) (local.get $s1b)))
        (local.set $s1b (v128.xor (local.get $s1b) (local.get $s2b)))
        (local.set $s0b (v128.xor (local.get $s0b) (local.get $s3b)))
        (local.set $s2b (v128.xor (local.get $s2b) (local.get $t)))
        (local.set $s3b (v128.or (i32x4.shl (local.get $s3b) (i32.const 11)) (i32x4.shr_u (local.get $s3b) (i32.const 21))))
        (local.set $r (i32x4.mul (local.get $s1b) (v128.load offset=256 (i32.const 0))))
        (local.set $y (i32x4.mul (v128.or (i32x4.shl (local.get $r) (i32.const 7)) (i32x4.shr_u (local.get $r) (i32.const 25))) (v128.load offset=272 (i32.const 0))))
        (local.set $t (i32x4.shl (local.get $s1b) (i32.const 9)))
        (local.set $s2b (v128.xor (local.get $s2b) (local.get $s0b)))
        (local.set $s3b (v128.xor (local.get $s3b) (local.get $s1b)))
        (local.set $s1b (v128.xor (local.get $s1b) (local.get $s2b)))
        (local.set $s0b (v128.xor (local.get $s0b) (local.get $s3b)))
        (local.set $s2b (v128.xor (local.get $s2b) (local.get $t)))
        (local.set $s3b (v128.or (i32x4.shl (local.get $s3b) (i32.const 11)) (i32x4.shr_u (local.get $s3b) (i32.const 21))))
        (local.set $s (i32x4.dot_i16x8_s
          (local.tee $q (i8x16.shuffle 0 1 18 19 4 5 22 23 8 9 26 27 12 13 30 31 (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shr_u (local.get $y) (i32.const 1))))
          (local.get $q)))
        (local.set $c (i32x4.gt_s (v128.load offset=288 (i32.const 0)) (local.get $s))) ;; S < $hitBelow
        (local.set $acc (i32x4.sub (local.get $acc) (local.get $c)))
        (if (v128.any_true (v128.xor (local.get $c) (i32x4.gt_s (v128.load offset=304 (i32.const 0)) (local.get $s)))) ;; S < $missFrom
          (then
            (local.set $r (f64x2.sub (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x) (v128.const i32x4 0x43300000 0x43300000 0x43300000 0x43300000)) (v128.const f64x2 0x1p52 0x1p52)))
            (local.set $t (f64x2.sub (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y) (v128.const i32x4 0x43300000 0x43300000 0x43300000 0x43300000)) (v128.const f64x2 0x1p52 0x1p52)))
            (local.set $q (f64x2.le (f64x2.add (f64x2.mul (local.get $r) (local.get $r)) (f64x2.mul (local.get $t) (local.get $t))) (v128.const f64x2 0x1p64 0x1p64)))
            (local.set $r (f64x2.sub (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x) (v128.const i32x4 0x43300000 0x43300000 0x43300000 0x43300000)) (v128.const f64x2 0x1p52 0x1p52)))
            (local.set $t (f64x2.sub (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y) (v128.const i32x4 0x43300000 0x43300000 0x43300000 0x43300000)) (v128.const f64x2 0x1p52 0x1p52)))
            (local.set $t (f64x2.le (f64x2.add (f64x2.mul (local.get $r) (local.get $r)) (f64x2.mul (local.get $t) (local.get $t))) (v128.const f64x2 0x1p64 0x1p64)))
            (local.set $acc (i32x4.sub (i32x4.add (local.get $acc) (local.get $c))
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $q) (local.get $t))))))

        (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
        (br $round)))
    (v128.store offset=0 (local.get $base) (local.get $s0a))
    (v128.store offset=16 (local.get $base) (local.get $s0b))
    (v128.store offset=32 (local.get $base) (local.get $s1a))
    (v128.store offset=48 (local.get $base) (local.get $s1b))
    (v128.store offset=64 (local.get $base) (local.get $s2a))
    (v128.store offset=80 (local.get $base) (local.get $s2b))
    (v128.store offset=96 (local.get $base) (local.get $s3a))
    (v128.store offset=112 (local.get $base) (local.get $s3b))
    (f64.convert_i32_u (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))))
