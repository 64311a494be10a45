import { describe, expect, it } from 'vitest';
import { Admission } from '../src/admission.js';

describe('Admission', () => {
  it('admits waiters in arrival order as room frees up, never letting a newcomer overtake them', async () => {
    const admission = new Admission(2, 1_000);
    admission.take(10);
    admission.take(10);
    expect(admission.hasRoom(1)).toBe(false);
    const admitted: string[] = [];
    admission.wait(10, () => (admission.take(10), admitted.push('a')), () => admitted.push('refused a'));
    admission.wait(10, () => (admission.take(10), admitted.push('b')), () => admitted.push('refused b'));
    admission.release(10);
    expect(admission.hasRoom(1)).toBe(false); // 'a' is still queued: nobody may jump it
    await Promise.resolve();
    expect(admitted).toEqual(['a']);
    admission.release(10);
    await Promise.resolve();
    expect(admitted).toEqual(['a', 'b']);
    expect(admission.records).toBe(2);
  });

  it('bounds bytes as well as records', async () => {
    const admission = new Admission(100, 100);
    admission.take(80);
    expect(admission.hasRoom(20)).toBe(true);
    expect(admission.hasRoom(21)).toBe(false);
    let admitted = false;
    admission.wait(50, () => (admission.take(50), (admitted = true)), () => undefined);
    admission.release(80);
    await Promise.resolve();
    expect(admitted).toBe(true);
    expect(admission.bytes).toBe(50);
  });

  it('skips cancelled waiters and refuses the rest on close', async () => {
    const admission = new Admission(1, 100);
    admission.take(1);
    const events: string[] = [];
    const cancelA = admission.wait(1, () => events.push('a'), () => events.push('refused a'));
    admission.wait(1, () => (admission.take(1), events.push('b')), () => events.push('refused b'));
    admission.wait(1, () => events.push('c'), () => events.push('refused c'));
    expect(cancelA()).toBe(true);
    expect(cancelA()).toBe(false);
    admission.release(1);
    await Promise.resolve();
    expect(events).toEqual(['b']);
    admission.refuseAll();
    expect(events).toEqual(['b', 'refused c']);
    expect(admission.waiting).toBe(0);
  });
});
