import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
/**
 * Random bytes for ids, drawn from the CSPRNG 4 KiB at a time: one randomFillSync call per
 * 256 ids instead of one per id (the call's fixed cost was most of an id's, and ids are
 * made on every submit). Each byte is used once.
 */
const pool = Buffer.allocUnsafe(ID_BYTES * 256);
let used = pool.length;

function randomId(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += ID_BYTES;
  return pool.toString('base64url', used - ID_BYTES, used);
}

/** `job_` + 128 random bits in base64url: unguessable, URL-safe, no hash-tag braces. */
export function newJobId(): string {
  return `job_${randomId()}`;
}

const JOB_ID = /^job_[A-Za-z0-9_-]{22}$/;

/** Ids are checked before they reach Redis, so a path trick or a key pattern is a plain 404. */
export function isJobId(value: string): boolean {
  return JOB_ID.test(value);
}
