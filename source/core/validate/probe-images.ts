/** Tiny images the checks feed to the real decoding and preprocessing path. */

/** A valid 8x8 RGB PNG (one flat colour). */
export const SMALL_VALID_PNG: Uint8Array = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGM4UaGBFTEMLQkAUtVaAV8W4QQAAAAASUVORK5CYII=',
  'base64',
);

/** A well-formed PNG chunk stream (valid header, checksums) whose compressed pixel data is garbage. */
export const CORRUPT_PNG: Uint8Array = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAMElEQVQLMFV6n8TpDjNYfaLH7BE2W4Clyu8UOV6DqM3yFzxhhqvQ9Ro/ZImu0/gdQmeMsdbLDVRWAAAAAElFTkSuQmCC',
  'base64',
);

export const EMPTY_FILE: Uint8Array = new Uint8Array(0);
