import { createHash, randomFillSync } from 'node:crypto';

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

/** Length of a target's slot tag: 24 bits, so two targets rarely share a hash slot (sharing one is harmless). */
const SLOT_TAG_CHARS = 4;
const slotTags = new Map<string, string>();

/**
 * The hash tag a target's keys share: its queue, its jobs' records, events and attempts,
 * its dead-letter index and its outbox all hash to one Redis Cluster slot, so that every
 * state change of a job, side effects included, is one script on one slot. A pure function
 * of the name (the first 24 bits of its SHA-1, base64url), the same in every process.
 */
export function slotTag(target: string): string {
  let tag = slotTags.get(target);
  if (tag === undefined) {
    tag = createHash('sha1').update(target).digest('base64url').slice(0, SLOT_TAG_CHARS);
    slotTags.set(target, tag);
  }
  return tag;
}

/**
 * `job_` + the target's slot tag + 128 random bits in base64url: unguessable, URL-safe, no
 * hash-tag braces, and it routes to its slot on its own (jobSlotTag), so a status read
 * needs nothing but the id.
 */
export function newJobId(target: string): string {
  return `job_${slotTag(target)}${randomId()}`;
}

/** The slot tag a job id carries (see newJobId). */
export function jobSlotTag(id: string): string {
  return id.slice(4, 4 + SLOT_TAG_CHARS);
}

/**
 * `bat_` + 128 random bits in base64url. Its first 4 characters are its slot tag
 * (batchSlotTag), so batches spread over a cluster's slots and a read needs only the id.
 */
export function newBatchId(): string {
  return `bat_${randomId()}`;
}

export function batchSlotTag(id: string): string {
  return id.slice(4, 4 + SLOT_TAG_CHARS);
}

export const BATCH_ID = /^bat_[A-Za-z0-9_-]{22}$/;

export function isBatchId(value: string): boolean {
  return BATCH_ID.test(value);
}

/** What every job id looks like (see newJobId). */
export const JOB_ID = /^job_[A-Za-z0-9_-]{26}$/;

/** Ids are checked before they reach Redis, so a path trick or a key pattern is a plain 404. */
export function isJobId(value: string): boolean {
  return JOB_ID.test(value);
}
