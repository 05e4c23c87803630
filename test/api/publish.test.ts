// -p's text syntax checks host addresses with node's isIPv4, the API with z.ipv4(): they must agree.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatPublish, parsePublish } from '../../src/api/publish.ts';

describe('parsePublish', () => {
  it('accepts as HOST_IP exactly the addresses the API accepts', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.255',
      '0.0.0.0',
      '01.2.3.4',
      '1.2.3',
      '256.1.1.1',
      '1.2.3.4.5',
      '::1',
      'a.b.c.d',
      ' 1.2.3.4',
    ]) {
      let ours: boolean;
      try {
        parsePublish(`${ip}:8080:80`);
        ours = true;
      } catch {
        ours = false;
      }
      expect({ ip, ours }).toEqual({ ip, ours: z.ipv4().safeParse(ip).success });
    }
  });

  it('round-trips through formatPublish', () => {
    expect(formatPublish(parsePublish('127.0.0.1:8080:80/udp'))).toBe('127.0.0.1:8080->80/udp');
    expect(formatPublish(parsePublish('9000:90'))).toBe('0.0.0.0:9000->90/tcp');
  });
});
