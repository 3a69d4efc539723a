import { describe, expect, it } from 'vitest';
import { decodeRecord, encodePatch, encodeRecord } from '../../src/core/job-record.js';
import { queuedRecord } from '../support/job-record.js';

describe('the job record codec', () => {
  it('writes no empty field, and reads a missing one back as empty', () => {
    const record = queuedRecord(1_796_000_000_000);
    const fields = encodeRecord(record);
    for (const [k, v] of Object.entries(fields)) expect(v, k).not.toBe('');
    // Nulls and false flags are absent altogether.
    for (const k of ['id', 'traceparent', 'priority', 'metadata', 'runAt', 'startedAt', 'finishedAt', 'progress', 'result', 'error', 'callback', 'callbackState', 'deadLettered', 'cancelRequested']) {
      expect(fields).not.toHaveProperty(k);
    }
    expect(decodeRecord(fields, record.id)).toEqual(record);
  });

  it('keeps every field a finished job fills, and round-trips them', () => {
    const record = queuedRecord(1_796_000_000_000, {
      status: 'failed',
      attempts: 3,
      startedAtMs: 1_796_000_000_100,
      finishedAtMs: 1_796_000_000_900,
      progress: { done: 3 },
      error: { code: 'busy', message: 'upstream busy', retryable: true },
      deadLettered: true,
      cancelRequested: true,
      callback: { url: 'http://127.0.0.1:9/hook', events: ['job.failed'] },
      callbackState: 'pending',
      priority: -2,
      metadata: { order: '42' },
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(decodeRecord(encodeRecord(record), record.id)).toEqual(record);
  });

  it('empties a field with "" in a patch (the scripts delete it), flags included', () => {
    expect(encodePatch({ runAtMs: null, error: null, deadLettered: false, cancelRequested: false, progress: null })).toEqual([
      'progress', '', 'error', '', 'deadLettered', '', 'cancelRequested', '', 'runAt', '',
    ]);
    expect(encodePatch({ deadLettered: true })).toEqual(['deadLettered', '1']);
  });
});
