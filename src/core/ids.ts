import { randomBytes } from 'node:crypto';

/** `job_` + 128 random bits in base64url: unguessable, URL-safe, no hash-tag braces. */
export function newJobId(): string {
  return `job_${randomBytes(16).toString('base64url')}`;
}

const JOB_ID = /^job_[A-Za-z0-9_-]{22}$/;

/** Ids are checked before they reach Redis, so a path trick or a key pattern is a plain 404. */
export function isJobId(value: string): boolean {
  return JOB_ID.test(value);
}
