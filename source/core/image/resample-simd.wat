;; The torchvision flavour of resample.ts (antialiased uint8 resize, int16 weights) with WebAssembly SIMD.
;; Same arithmetic as the JavaScript loops: int32 sums seeded with half, arithmetic shift, clamp to 0..255.
;; Build: node scripts/build-wasm.mjs (writes resample-simd-wasm.ts). Callers pad every buffer by 16 bytes:
;; loads read up to 12 bytes past a row's last tap (times zero weights) and stores up to one byte past a row's end.
(module
  (memory (export "memory") 1)

  ;; One row of output per input row: out[y][xx] = clamp((half + sum_x src[y][start[xx] + x] * w[xx][x]) >> precision)
  ;; Four taps per step: each pair of taps is one i32x4.dot_i16x8_s of [R0 R1 G0 G1 B0 B1 0 0] by [w0 w1] x 4,
  ;; the same exact int32 sums as the JavaScript loop. `kernelSize` is the weight rows' stride, a multiple of 4, with zero
  ;; weights past each position's taps. The byte spreading is i8x16.swizzle with 0x80 for zero lanes (one pshufb
  ;; on x64), not a two-operand i8x16.shuffle against a zero vector, which V8 compiles to several instructions.
  ;; Two rows per sweep share each position's weight loads and loop overhead; an odd last row is paired with
  ;; itself. Row A's pixels are stored as exactly 3 bytes (its last one would otherwise clobber row B's first);
  ;; row B's 4-byte stores spill only into the next sweep's row, which is written later.
  (func (export "horizontal")
    (param $src i32) (param $srcStride i32) (param $rowCount i32)
    (param $start i32) (param $taps i32) (param $kernelSize i32) (param $weights i32)
    (param $firstColumn i32) (param $columns i32) (param $precision i32) (param $out i32)
    (local $y i32) (local $xx i32) (local $end i32) (local $rowA i32) (local $rowB i32) (local $pa i32)
    (local $pb i32) (local $n i32) (local $wp i32) (local $x i32) (local $oa i32) (local $ob i32)
    (local $rowBytes i32) (local $q i32) (local $accA v128) (local $accB v128) (local $half v128) (local $v v128)
    (local $w0 v128) (local $w1 v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $precision) (i32.const 1)))))
    (local.set $rowBytes (i32.mul (local.get $columns) (i32.const 3)))
    (local.set $end (i32.add (local.get $firstColumn) (local.get $columns)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rowCount)))
        (local.set $rowA (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcStride))))
        (local.set $oa (i32.add (local.get $out) (i32.mul (local.get $y) (local.get $rowBytes))))
        (local.set $rowB (local.get $rowA))
        (local.set $ob (local.get $oa))
        (if (i32.lt_u (i32.add (local.get $y) (i32.const 1)) (local.get $rowCount))
          (then
            (local.set $rowB (i32.add (local.get $rowA) (local.get $srcStride)))
            (local.set $ob (i32.add (local.get $oa) (local.get $rowBytes)))))
        (local.set $xx (local.get $firstColumn))
        (block $columnsDone
          (loop $columnsLoop
            (br_if $columnsDone (i32.ge_u (local.get $xx) (local.get $end)))
            ;; $q: where position xx's first tap starts within a row, in bytes.
            (local.set $q (i32.mul (i32.load (i32.add (local.get $start) (i32.shl (local.get $xx) (i32.const 2)))) (i32.const 3)))
            (local.set $pa (i32.add (local.get $rowA) (local.get $q)))
            (local.set $pb (i32.add (local.get $rowB) (local.get $q)))
            (local.set $n (i32.load (i32.add (local.get $taps) (i32.shl (local.get $xx) (i32.const 2)))))
            (local.set $wp (i32.add (local.get $weights)
              (i32.shl (i32.mul (local.get $xx) (local.get $kernelSize)) (i32.const 1))))
            (local.set $accA (local.get $half))
            (local.set $accB (local.get $half))
            (local.set $x (i32.const 0))
            (block $tapsDone
              (loop $tapsLoop
                (br_if $tapsDone (i32.ge_u (local.get $x) (local.get $n)))
                (local.set $w0 (v128.load32_splat (local.get $wp)))
                (local.set $w1 (v128.load32_splat offset=4 (local.get $wp)))
                (local.set $v (v128.load (local.get $pa)))
                (local.set $accA (i32x4.add (local.get $accA)
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (local.get $v) (v128.const i8x16 0 0x80 3 0x80 1 0x80 4 0x80 2 0x80 5 0x80 0x80 0x80 0x80 0x80))
                    (local.get $w0))))
                (local.set $accA (i32x4.add (local.get $accA)
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (local.get $v) (v128.const i8x16 6 0x80 9 0x80 7 0x80 10 0x80 8 0x80 11 0x80 0x80 0x80 0x80 0x80))
                    (local.get $w1))))
                (local.set $v (v128.load (local.get $pb)))
                (local.set $accB (i32x4.add (local.get $accB)
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (local.get $v) (v128.const i8x16 0 0x80 3 0x80 1 0x80 4 0x80 2 0x80 5 0x80 0x80 0x80 0x80 0x80))
                    (local.get $w0))))
                (local.set $accB (i32x4.add (local.get $accB)
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (local.get $v) (v128.const i8x16 6 0x80 9 0x80 7 0x80 10 0x80 8 0x80 11 0x80 0x80 0x80 0x80 0x80))
                    (local.get $w1))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 12)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 12)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
                (local.set $x (i32.add (local.get $x) (i32.const 4)))
                (br $tapsLoop)))
            (local.set $v
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s
                  (i32x4.shr_s (local.get $accA) (local.get $precision))
                  (i32x4.shr_s (local.get $accB) (local.get $precision)))
                (v128.const i32x4 0 0 0 0)))
            (i32.store (local.get $ob) (i32x4.extract_lane 1 (local.get $v)))
            (v128.store16_lane 0 (local.get $oa) (local.get $v))
            (v128.store8_lane offset=2 2 (local.get $oa) (local.get $v))
            (local.set $oa (i32.add (local.get $oa) (i32.const 3)))
            (local.set $ob (i32.add (local.get $ob) (i32.const 3)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $columnsLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 2)))
        (br $rows))))

  ;; Output rows [firstRow, firstRow + rows), each rowBytes wide (>= 16), 16 bytes at a time; the last chunk of a
  ;; row is moved back to end at the row's end (it recomputes a few bytes with the same result).
  (func (export "vertical")
    (param $src i32) (param $stride i32) (param $srcFirstRow i32)
    (param $start i32) (param $taps i32) (param $kernelSize i32) (param $weights i32)
    (param $firstRow i32) (param $rows i32) (param $rowBytes i32) (param $precision i32) (param $out i32)
    (local $yy i32) (local $end i32) (local $n i32) (local $wp i32) (local $base i32) (local $x i32) (local $cx i32)
    (local $p i32) (local $y i32) (local $orow i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $half v128) (local $v v128) (local $lo v128) (local $hi v128) (local $w v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $precision) (i32.const 1)))))
    (local.set $yy (local.get $firstRow))
    (local.set $end (i32.add (local.get $firstRow) (local.get $rows)))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $yy) (local.get $end)))
        (local.set $n (i32.load (i32.add (local.get $taps) (i32.shl (local.get $yy) (i32.const 2)))))
        (local.set $wp (i32.add (local.get $weights)
          (i32.shl (i32.mul (local.get $yy) (local.get $kernelSize)) (i32.const 1))))
        (local.set $base (i32.add (local.get $src)
          (i32.mul
            (i32.sub (i32.load (i32.add (local.get $start) (i32.shl (local.get $yy) (i32.const 2)))) (local.get $srcFirstRow))
            (local.get $stride))))
        (local.set $orow (i32.add (local.get $out)
          (i32.mul (i32.sub (local.get $yy) (local.get $firstRow)) (local.get $rowBytes))))
        (local.set $x (i32.const 0))
        (block $chunksDone
          (loop $chunks
            (br_if $chunksDone (i32.ge_u (local.get $x) (local.get $rowBytes)))
            (local.set $cx (select (local.get $x) (i32.sub (local.get $rowBytes) (i32.const 16))
              (i32.le_u (i32.add (local.get $x) (i32.const 16)) (local.get $rowBytes))))
            (local.set $a (local.get $half))
            (local.set $b (local.get $half))
            (local.set $c (local.get $half))
            (local.set $d (local.get $half))
            (local.set $p (i32.add (local.get $base) (local.get $cx)))
            (local.set $y (i32.const 0))
            (block $tapsDone
              (loop $tapsLoop
                (br_if $tapsDone (i32.ge_u (local.get $y) (local.get $n)))
                (local.set $v (v128.load (local.get $p)))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $w (i16x8.splat (i32.load16_s (i32.add (local.get $wp) (i32.shl (local.get $y) (i32.const 1))))))
                (local.set $a (i32x4.add (local.get $a) (i32x4.extmul_low_i16x8_s (local.get $lo) (local.get $w))))
                (local.set $b (i32x4.add (local.get $b) (i32x4.extmul_high_i16x8_s (local.get $lo) (local.get $w))))
                (local.set $c (i32x4.add (local.get $c) (i32x4.extmul_low_i16x8_s (local.get $hi) (local.get $w))))
                (local.set $d (i32x4.add (local.get $d) (i32x4.extmul_high_i16x8_s (local.get $hi) (local.get $w))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $y (i32.add (local.get $y) (i32.const 1)))
                (br $tapsLoop)))
            (v128.store (i32.add (local.get $orow) (local.get $cx))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s
                  (i32x4.shr_s (local.get $a) (local.get $precision))
                  (i32x4.shr_s (local.get $b) (local.get $precision)))
                (i16x8.narrow_i32x4_s
                  (i32x4.shr_s (local.get $c) (local.get $precision))
                  (i32x4.shr_s (local.get $d) (local.get $precision)))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $chunks)))
        (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
        (br $rowsLoop))))
)
