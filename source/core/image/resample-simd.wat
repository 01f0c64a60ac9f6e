;; The torchvision flavour of resample.ts (antialiased uint8 resize, int16 weights) with WebAssembly SIMD.
;; Same arithmetic as the JavaScript loops: int32 sums seeded with half, arithmetic shift, clamp to 0..255.
;; Build: node scripts/build-wasm.mjs (writes resample-simd-wasm.ts). Callers pad every buffer by 16 bytes:
;; loads read up to 12 bytes past a row's last tap (times zero weights) and stores up to one byte past a row's end.
(module
  (memory (export "memory") 1)

  ;; One row of output per input row: out[y][xx] = clamp((half + sum_x src[y][start[xx] + x] * w[xx][x]) >> precision)
  ;; Four taps per step: each pair of taps is one i32x4.dot_i16x8_s of [R0 R1 G0 G1 B0 B1 0 0] by [w0 w1] x 4,
  ;; the same exact int32 sums as the JavaScript loop. `kernelSize` is the weight rows' stride, a multiple of 4, with zero
  ;; weights past each position's taps.
  (func (export "horizontal")
    (param $src i32) (param $srcStride i32) (param $rowCount i32)
    (param $start i32) (param $taps i32) (param $kernelSize i32) (param $weights i32)
    (param $firstColumn i32) (param $columns i32) (param $precision i32) (param $out i32)
    (local $y i32) (local $xx i32) (local $end i32) (local $row i32) (local $p i32) (local $n i32)
    (local $wp i32) (local $x i32) (local $o i32) (local $acc v128) (local $half v128) (local $v v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $precision) (i32.const 1)))))
    (local.set $o (local.get $out))
    (local.set $end (i32.add (local.get $firstColumn) (local.get $columns)))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rowCount)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcStride))))
        (local.set $xx (local.get $firstColumn))
        (block $columnsDone
          (loop $columnsLoop
            (br_if $columnsDone (i32.ge_u (local.get $xx) (local.get $end)))
            (local.set $p (i32.add (local.get $row)
              (i32.mul (i32.load (i32.add (local.get $start) (i32.shl (local.get $xx) (i32.const 2)))) (i32.const 3))))
            (local.set $n (i32.load (i32.add (local.get $taps) (i32.shl (local.get $xx) (i32.const 2)))))
            (local.set $wp (i32.add (local.get $weights)
              (i32.shl (i32.mul (local.get $xx) (local.get $kernelSize)) (i32.const 1))))
            (local.set $acc (local.get $half))
            (local.set $x (i32.const 0))
            (block $tapsDone
              (loop $tapsLoop
                (br_if $tapsDone (i32.ge_u (local.get $x) (local.get $n)))
                (local.set $v (v128.load (local.get $p)))
                (local.set $acc (i32x4.add (local.get $acc)
                  (i32x4.dot_i16x8_s
                    (i8x16.shuffle 0 16 3 16 1 16 4 16 2 16 5 16 16 16 16 16 (local.get $v) (v128.const i64x2 0 0))
                    (v128.load32_splat (local.get $wp)))))
                (local.set $acc (i32x4.add (local.get $acc)
                  (i32x4.dot_i16x8_s
                    (i8x16.shuffle 6 16 9 16 7 16 10 16 8 16 11 16 16 16 16 16 (local.get $v) (v128.const i64x2 0 0))
                    (v128.load32_splat (i32.add (local.get $wp) (i32.const 4))))))
                (local.set $p (i32.add (local.get $p) (i32.const 12)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
                (local.set $x (i32.add (local.get $x) (i32.const 4)))
                (br $tapsLoop)))
            (local.set $acc (i32x4.shr_s (local.get $acc) (local.get $precision)))
            (i32.store (local.get $o)
              (i32x4.extract_lane 0
                (i8x16.narrow_i16x8_u
                  (i16x8.narrow_i32x4_s (local.get $acc) (local.get $acc))
                  (v128.const i32x4 0 0 0 0))))
            (local.set $o (i32.add (local.get $o) (i32.const 3)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $columnsLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  ;; Output rows [firstRow, firstRow + rows), each rowBytes wide (>= 8), 8 bytes at a time; the last chunk of a
  ;; row is moved back to end at the row's end (it recomputes a few bytes with the same result).
  (func (export "vertical")
    (param $src i32) (param $stride i32) (param $srcFirstRow i32)
    (param $start i32) (param $taps i32) (param $kernelSize i32) (param $weights i32)
    (param $firstRow i32) (param $rows i32) (param $rowBytes i32) (param $precision i32) (param $out i32)
    (local $yy i32) (local $end i32) (local $n i32) (local $wp i32) (local $base i32) (local $x i32) (local $cx i32)
    (local $p i32) (local $y i32) (local $orow i32) (local $lo v128) (local $hi v128) (local $half v128)
    (local $v v128) (local $w v128)
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
            (local.set $cx (select (local.get $x) (i32.sub (local.get $rowBytes) (i32.const 8))
              (i32.le_u (i32.add (local.get $x) (i32.const 8)) (local.get $rowBytes))))
            (local.set $lo (local.get $half))
            (local.set $hi (local.get $half))
            (local.set $p (i32.add (local.get $base) (local.get $cx)))
            (local.set $y (i32.const 0))
            (block $tapsDone
              (loop $tapsLoop
                (br_if $tapsDone (i32.ge_u (local.get $y) (local.get $n)))
                (local.set $v (i16x8.extend_low_i8x16_u (v128.load64_zero (local.get $p))))
                (local.set $w (i16x8.splat (i32.load16_s (i32.add (local.get $wp) (i32.shl (local.get $y) (i32.const 1))))))
                (local.set $lo (i32x4.add (local.get $lo) (i32x4.extmul_low_i16x8_s (local.get $v) (local.get $w))))
                (local.set $hi (i32x4.add (local.get $hi) (i32x4.extmul_high_i16x8_s (local.get $v) (local.get $w))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $y (i32.add (local.get $y) (i32.const 1)))
                (br $tapsLoop)))
            (v128.store64_lane 0 (i32.add (local.get $orow) (local.get $cx))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s
                  (i32x4.shr_s (local.get $lo) (local.get $precision))
                  (i32x4.shr_s (local.get $hi) (local.get $precision)))
                (v128.const i32x4 0 0 0 0)))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))
            (br $chunks)))
        (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
        (br $rowsLoop))))
)
