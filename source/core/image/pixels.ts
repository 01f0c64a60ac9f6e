/** The pixel buffer the resamplers read and the window of the output they compute (shared by both kernels). */
export interface RgbPixels {
  /** Interleaved 8-bit RGB, row-major, `width * height * 3` bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** A window of the resized image: rows [top, top + rows), columns [left, left + columns). */
export interface ResizeWindow {
  top: number;
  left: number;
  rows: number;
  columns: number;
}
