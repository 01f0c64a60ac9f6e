/**
 * For tests of the libturbojpeg path: its library name, or undefined after skipping the test where it is not
 * available. CI installs libturbojpeg0 and sets VC_TEST_REQUIRE_TURBOJPEG, so there a missing library fails instead.
 */
import assert from 'node:assert/strict';
import {jpegDecoderStatus} from '../../source/core/image/turbojpeg.js';

export function turboJpegOrSkip(t: {skip: (message: string) => void}): string | undefined {
  const status = jpegDecoderStatus();
  if ('library' in status) return status.library;
  assert.ok(!process.env.VC_TEST_REQUIRE_TURBOJPEG, `libturbojpeg is required here: ${status.unavailable}`);
  t.skip(`libturbojpeg is not available: ${status.unavailable}`);
  return undefined;
}
