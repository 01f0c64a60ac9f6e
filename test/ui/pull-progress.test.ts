import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {PullEvent} from '../../source/core/model/pull-types.js';
import {reducePull, startPull} from '../../source/ui/pull-progress.js';

test('a model pull folds into one progress fraction, done on install', () => {
  const events = [
    {type: 'pull-start', approxBytes: 1000},
    {
      type: 'file-progress',
      path: 'onnx/vision_model.onnx',
      bytes: 300,
      totalBytes: 600,
      bytesPerSecond: 1,
      etaSeconds: 1,
    },
    {
      type: 'file-progress',
      path: 'onnx/text_model.onnx',
      bytes: 200,
      totalBytes: 400,
      bytesPerSecond: 1,
      etaSeconds: 1,
    },
    {
      type: 'file-progress',
      path: 'onnx/vision_model.onnx',
      bytes: 600,
      totalBytes: 600,
      bytesPerSecond: 1,
      etaSeconds: 0,
    },
  ] as PullEvent[];
  let tracker = startPull('ViT-B-32', 'q8');
  for (const event of events) tracker = reducePull(tracker, event);
  assert.equal(tracker.view.fraction, 0.8);
  assert.equal(tracker.view.state, 'pulling');
  tracker = reducePull(tracker, {type: 'installed'} as PullEvent);
  assert.deepEqual(tracker.view, {model: 'ViT-B-32', dtype: 'q8', fraction: 1, state: 'done'});
});
