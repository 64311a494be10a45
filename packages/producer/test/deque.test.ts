import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deque } from '../src/deque.js';
import { TimerQueue } from '../src/timer-queue.js';

describe('Deque', () => {
  it('behaves like an array under any mix of push, unshift and shift', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('push', 'unshift', 'shift'), fc.integer())), (ops) => {
        const deque = new Deque<number>();
        const model: number[] = [];
        for (const [op, value] of ops) {
          if (op === 'push') {
            deque.push(value);
            model.push(value);
          } else if (op === 'unshift') {
            deque.unshift(value);
            model.unshift(value);
          } else {
            expect(deque.shift()).toBe(model.shift());
          }
          expect(deque.length).toBe(model.length);
          expect(deque.peek()).toBe(model[0]);
        }
        expect(deque.drain()).toEqual(model);
        expect(deque.length).toBe(0);
      }),
    );
  });
});

describe('TimerQueue', () => {
  it('hands items out in due order, only once due', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1_000)), fc.nat(1_000), (dues, now) => {
        const queue = new TimerQueue<number>();
        dues.forEach((due, i) => queue.add(due, i));
        expect(queue.nextDue).toBe(dues.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...dues));
        const taken: number[] = [];
        for (let item = queue.takeDue(now); item !== undefined; item = queue.takeDue(now)) taken.push(dues[item]!);
        expect(taken).toEqual(dues.filter((d) => d <= now).sort((a, b) => a - b));
        expect(queue.drain().map((i) => dues[i]!)).toEqual(dues.filter((d) => d > now).sort((a, b) => a - b));
      }),
    );
  });
});
