import { Assignment, JobState, type HeartbeatRequest, type HeartbeatResponse } from '@tunefleet/proto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CoordinatorLink } from './coordinator-link.ts';
import { ASSIGNMENT_POLL_MS, Heartbeat } from './heartbeat.ts';

const INTERVAL_MS = 20_000;

/** A coordinator that answers every Heartbeat with `reply()` and records when each came. */
function fakeLink(reply: () => HeartbeatResponse): { link: CoordinatorLink; beats: { atMs: number; request: HeartbeatRequest }[] } {
  const beats: { atMs: number; request: HeartbeatRequest }[] = [];
  const link: CoordinatorLink = {
    register: () => Promise.resolve({ heartbeatIntervalMs: INTERVAL_MS }),
    heartbeat: (request) => {
      beats.push({ atMs: Date.now(), request });
      return Promise.resolve(reply());
    },
    reportProgress: () => Promise.reject(new Error('not used')),
    deregister: () => Promise.resolve({}),
    close: () => undefined,
  };
  return { link, beats };
}

describe('Heartbeat', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('a rank that left its ring polls for its next assignment at once, not a heartbeat interval later', async () => {
    let assignment: Assignment | undefined;
    const { link, beats } = fakeLink(() => ({ assignment, shouldStop: false, jobState: JobState.JOB_STATE_RUNNING }));
    const heartbeat = new Heartbeat(link, 'w1', INTERVAL_MS, () => Promise.resolve(), () => undefined);
    try {
      heartbeat.ringGeneration = 4; // training: beats go out every interval
      await vi.advanceTimersByTimeAsync(1_000);
      expect(beats.map((b) => b.atMs)).toEqual([0]);
      // The ring re-forms: this rank leaves it and waits; the coordinator forms the new ring 3 s later.
      heartbeat.leaveRing();
      let next: Assignment | undefined;
      void heartbeat.nextAssignment().then((a) => (next = a));
      await vi.advanceTimersByTimeAsync(3_000);
      assignment = Assignment.fromPartial({ jobId: 'job-1', rank: 1, worldSize: 2, ringGeneration: 5 });
      await vi.advanceTimersByTimeAsync(ASSIGNMENT_POLL_MS);
      expect(next?.ringGeneration).toBe(5);
      // Polled at the assignment rate from the moment it waited (before: the next beat came at 20 s).
      const waiting = beats.filter((b) => b.atMs >= 1_000);
      expect(waiting[0]!.atMs).toBe(1_000);
      expect(waiting.at(-1)!.atMs).toBeLessThanOrEqual(4_000 + ASSIGNMENT_POLL_MS);
      expect(waiting.every((b) => b.request.ringGeneration === 0)).toBe(true);
    } finally {
      heartbeat.close();
    }
  });

  it('never runs two beats at once when a waiter arrives while a beat is in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const beats: number[] = [];
    const link: CoordinatorLink = {
      ...fakeLink(() => ({ assignment: undefined, shouldStop: false, jobState: JobState.JOB_STATE_RUNNING })).link,
      heartbeat: async () => {
        beats.push(Date.now());
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 100));
        inFlight--;
        return { assignment: undefined, shouldStop: false, jobState: JobState.JOB_STATE_RUNNING };
      },
    };
    const heartbeat = new Heartbeat(link, 'w1', INTERVAL_MS, () => Promise.resolve(), () => undefined);
    try {
      void heartbeat.nextAssignment(); // while the first beat is in flight
      await vi.advanceTimersByTimeAsync(2_000);
      expect(maxInFlight).toBe(1);
      // One beat, then one every ASSIGNMENT_POLL_MS after each answer (100 ms): 0, 350, 700, ...
      expect(beats.slice(0, 3)).toEqual([0, 100 + ASSIGNMENT_POLL_MS, 2 * (100 + ASSIGNMENT_POLL_MS)]);
    } finally {
      heartbeat.close();
    }
  });
});
