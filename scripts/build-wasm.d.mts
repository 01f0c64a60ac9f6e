/** The generated resample-simd-wasm.ts source for the current resample-simd.wat. */
export function assemble(): Promise<string>;
