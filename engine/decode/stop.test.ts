// StopMatcher: releases text that cannot start a stop string, holds back possible prefixes,
// cuts before the earliest stop string even when it spans pieces.
import { describe, expect, it } from 'vitest';
import { StopMatcher } from './stop.ts';

function feed(stops: string[], pieces: string[]): { out: string[]; m: StopMatcher } {
  const m = new StopMatcher(stops);
  return { out: pieces.map((p) => m.push(p)), m };
}

describe('StopMatcher', () => {
  it('passes text through without stops', () => {
    const { out, m } = feed([], ['a', 'b c']);
    expect(out).toEqual(['a', 'b c']);
    expect(m.stopped).toBe(false);
  });
  it('holds back a possible prefix and releases it when it does not match', () => {
    const { out, m } = feed(['\n\nUser:'], ['Hi', '\n', '\nU', 'x']);
    expect(out).toEqual(['Hi', '', '', '\n\nUx']);
    expect(m.flush()).toBe('');
    expect(m.output).toBe('Hi\n\nUx');
  });
  it('cuts before a stop string spread over pieces', () => {
    const { out, m } = feed(['</answer>'], ['The cat', '</ans', 'wer> more']);
    expect(out.join('')).toBe('The cat');
    expect(m.stopped).toBe(true);
    expect(m.output).toBe('The cat');
    expect(m.push('x')).toBe('');
  });
  it('stops at the earliest of several stop strings', () => {
    const { out, m } = feed(['END', 'ZZ'], ['aZZbEND']);
    expect(out).toEqual(['a']);
    expect(m.output).toBe('a');
  });
  it('flush releases what was held at the end of the stream', () => {
    const m = new StopMatcher(['###']);
    expect(m.push('done #')).toBe('done ');
    expect(m.flush()).toBe('#');
  });
});
