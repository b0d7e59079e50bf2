/**
 * JSON codec for transports that carry text (the WebSocket host): Uint8Array values (document
 * bytes) travel as `{"$bytes": "<base64>"}` and come back as Uint8Array. The MessagePort
 * transport needs none of this: structured clone carries typed arrays natively.
 * Pure: works in Node and in the browser (btoa/atob are global in both).
 */

const TAG = '$bytes';

function bytesToBase64(b: Uint8Array): string {
  let s = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < b.length; i += CHUNK) s += String.fromCharCode.apply(null, b.subarray(i, i + CHUNK) as unknown as number[]);
  return btoa(s);
}

function base64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function wireEncode(msg: unknown): string {
  return JSON.stringify(msg, (_k, v: unknown) => (v instanceof Uint8Array ? { [TAG]: bytesToBase64(v) } : v));
}

export function wireDecode(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o[TAG] === 'string' && Object.keys(o).length === 1) return base64ToBytes(o[TAG] as string);
    }
    return v;
  });
}
