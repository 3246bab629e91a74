import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FRAME_MAC_BYTES, FrameMacs } from './data-plane-frame.ts';

const pairKey = randomBytes(32);
const nonce = randomBytes(32);
const header = Buffer.alloc(40, 1);
const payload = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);

/** Seals `frames` in order with a fresh sender. */
function seal(frames: ReadonlyArray<readonly [Buffer, Buffer | undefined]>, sender = new FrameMacs(pairKey, nonce, 0)): Buffer[] {
  return frames.map(([head, body]) => sender.next(head, body));
}

describe('FrameMacs (GMAC per frame)', () => {
  it('is a 16-byte AES-256-GCM tag over header || payload, keyed by HKDF of the pair key and nonce, the frame number as IV', () => {
    const [first, second] = seal([
      [header, payload],
      [header, payload],
    ]);
    expect(first).toHaveLength(FRAME_MAC_BYTES);
    // Recomputed independently, and checked by a GCM decipher: the construction is standard GMAC.
    const key = Buffer.from(hkdfSync('sha256', pairKey, nonce, Buffer.concat([Buffer.from('tunefleet frames v3\0data-plane\0', 'latin1'), Buffer.from([0, 0])]), 32));
    for (const [frameNumber, tag] of [first!, second!].entries()) {
      const iv = Buffer.alloc(12);
      iv.writeBigUInt64LE(BigInt(frameNumber));
      const check = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
      check.setAAD(Buffer.concat([header, payload]));
      check.setAuthTag(tag);
      expect(() => check.final()).not.toThrow();
    }
    // The same frame twice gets two tags (a new IV each frame), so a copy of the first is no second.
    expect(first!.equals(second!)).toBe(false);
  });

  it('verifies frames sealed in order, with and without a payload', () => {
    const frames: Array<readonly [Buffer, Buffer | undefined]> = [
      [header, payload],
      [header, undefined],
      [header, Buffer.alloc(0)],
      [Buffer.alloc(40, 2), Buffer.alloc(1 << 20, 7)],
    ];
    const receiver = new FrameMacs(pairKey, nonce, 0);
    for (const [index, tag] of seal(frames).entries()) expect(receiver.verifyNext(frames[index]![0], frames[index]![1], tag)).toBe(true);
  });

  it('refuses an altered header, an altered payload or a truncated tag', () => {
    const [tag] = seal([[header, payload]]);
    const alteredHeader = Buffer.from(header);
    alteredHeader[4]! ^= 1;
    expect(new FrameMacs(pairKey, nonce, 0).verifyNext(alteredHeader, payload, tag!)).toBe(false);
    const alteredPayload = Buffer.from(payload);
    alteredPayload[payload.length - 1]! ^= 0x80;
    expect(new FrameMacs(pairKey, nonce, 0).verifyNext(header, alteredPayload, tag!)).toBe(false);
    expect(new FrameMacs(pairKey, nonce, 0).verifyNext(header, payload, tag!.subarray(0, 12))).toBe(false);
  });

  it('refuses a replayed, a dropped or a reordered frame', () => {
    const frames: Array<readonly [Buffer, Buffer]> = [
      [header, payload],
      [Buffer.alloc(40, 3), payload],
      [Buffer.alloc(40, 4), payload],
    ];
    const tags = seal(frames);
    const replayed = new FrameMacs(pairKey, nonce, 0);
    expect(replayed.verifyNext(...frames[0]!, tags[0]!)).toBe(true);
    expect(replayed.verifyNext(...frames[0]!, tags[0]!)).toBe(false);
    expect(new FrameMacs(pairKey, nonce, 0).verifyNext(...frames[1]!, tags[1]!)).toBe(false); // frame 0 dropped
    const reordered = new FrameMacs(pairKey, nonce, 0);
    expect(reordered.verifyNext(...frames[0]!, tags[0]!)).toBe(true);
    expect(reordered.verifyNext(...frames[2]!, tags[2]!)).toBe(false);
  });

  it('refuses a frame MACed under another pair key, connection nonce, lane or purpose', () => {
    const [tag] = seal([[header, payload]]);
    expect(new FrameMacs(randomBytes(32), nonce, 0).verifyNext(header, payload, tag!)).toBe(false);
    expect(new FrameMacs(pairKey, randomBytes(32), 0).verifyNext(header, payload, tag!)).toBe(false);
    expect(new FrameMacs(pairKey, nonce, 1).verifyNext(header, payload, tag!)).toBe(false);
    expect(new FrameMacs(pairKey, nonce, 0, 'exchange').verifyNext(header, payload, tag!)).toBe(false);
  });
});
