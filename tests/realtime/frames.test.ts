import * as ws from 'ws';
import type { Writable } from 'node:stream';
import { textFrame } from '../../src/realtime/feed';

/** ws's frame parser: exported by the package at run time, absent from its type definitions. */
type ReceiverLike = Writable & { on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): ReceiverLike; on(event: 'error', listener: (error: Error) => void): ReceiverLike };
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean }) => ReceiverLike };

/** What a WebSocket client's own parser (ws's Receiver) reads from the bytes. */
function decode(frame: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? reject(new Error('binary')) : resolve(data.toString())));
    receiver.on('error', reject);
    receiver.write(frame);
  });
}

describe('textFrame', () => {
  it.each([0, 125, 126, 65_535, 65_536, 200_000])('frames a %i-byte message as a client reads it', async (length) => {
    const text = 'é'.repeat(length >> 1) + 'x'.repeat(length & 1);
    const payload = Buffer.from(text);
    expect(payload.length).toBe(length);
    const frame = textFrame(payload);
    expect(frame[0]).toBe(0x81);
    expect(frame.length).toBe(length + (length < 126 ? 2 : length < 65_536 ? 4 : 10));
    expect(await decode(frame)).toBe(text);
  });
});
