import { describe, expect, it } from 'vitest';
import { AbortedError } from '@kinesis-kit/core';
import { VirtualClock } from '../../bench/sim/virtual-clock.js';

describe('VirtualClock', () => {
  it('fires sleeps in time order, at their time, only when advanced', async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    void clock.sleep(30).then(() => fired.push(`b@${clock.now()}`));
    void clock.sleep(10).then(() => fired.push(`a@${clock.now()}`));
    void clock.sleep(30).then(() => fired.push(`c@${clock.now()}`));
    await clock.settle();
    expect(fired).toEqual([]);
    await clock.advanceTo(29);
    expect(fired).toEqual(['a@10']);
    await clock.advanceTo(100);
    expect(fired).toEqual(['a@10', 'b@30', 'c@30']);
    expect(clock.now()).toBe(100);
  });

  it('runs chains of async work started by an event before time moves on', async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(5);
        await Promise.resolve();
        seen.push(clock.now());
      }
    };
    void loop();
    await clock.advanceTo(100);
    expect(seen).toEqual([5, 10, 15]);
  });

  it('rejects an aborted sleep with AbortedError and never fires it', async () => {
    const clock = new VirtualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(10, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toBeInstanceOf(AbortedError);
    await clock.advanceTo(20);
    await expect(clock.sleep(1, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });

  it('a killed view never wakes again, while other views go on', async () => {
    const clock = new VirtualClock(0);
    const [dead, alive] = [clock.view(), clock.view()];
    let deadWoke = false;
    let aliveWoke = false;
    void dead.sleep(10).then(() => (deadWoke = true));
    void alive.sleep(10).then(() => (aliveWoke = true));
    dead.kill();
    void dead.sleep(1).then(() => (deadWoke = true));
    await clock.advanceTo(50);
    expect({ deadWoke, aliveWoke }).toEqual({ deadWoke: false, aliveWoke: true });
  });

  it('until() reports how long a condition took, or undefined at its limit', async () => {
    const clock = new VirtualClock(0);
    let flag = false;
    void clock.sleep(250).then(() => (flag = true));
    expect(await clock.until(() => flag, 1_000, 100)).toBe(300);
    expect(await clock.until(() => false, 500, 100)).toBeUndefined();
  });
});
