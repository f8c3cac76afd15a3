// Proves the kernel fires events in (time, seq) order with working cancel, run(untilMs), stop and loud limits, and that every promise continuation an event makes runnable (deep await chains, nested async calls, Promise.all, same-time rescheduling) finishes before the next event, by recording the virtual time and fire order that the code itself observes. The host (nextTick hop, event-loop turn, foreign-tick count) is passed in; the kernel touches no global.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { yieldToEventLoop } from '../../src/adapters/drain.js';
import { nodeKernelHost } from '../../src/adapters/kernel-host.js';
import { Kernel, KernelLimitError } from '../../src/sim/kernel.js';
import type { EventId, KernelHost, KernelOptions } from '../../src/sim/kernel.js';

/** process.nextTick before the host wrapped it: calls through it are invisible to the counter. */
const uncountedNextTick = process.nextTick;
/** Node's host with the foreign-tick count: a hop after every event. */
const host = nodeKernelHost({ countForeignTicks: true });
/** As the simulator uses it: a hop only after an event that made or settled a promise. */
const watching = nodeKernelHost({ countForeignTicks: true, watchPromises: true });
/** Every drain case holds on both. */
const HOSTS: [string, KernelHost][] = [
  ['a hop after every event', host],
  ['a hop only after promise activity', watching],
];

function newKernel(options: Omit<KernelOptions, 'host'> = {}): Kernel {
  return new Kernel({ host, ...options });
}

/** An async function that awaits `depth` nested async calls, each awaiting a settled promise. */
async function nested(depth: number): Promise<number> {
  if (depth === 0) return 0;
  await Promise.resolve();
  return 1 + (await nested(depth - 1));
}

describe('ordering', () => {
  it('fires equal times in schedule order and earlier times first', async () => {
    const kernel = newKernel();
    const fired: string[] = [];
    kernel.schedule(5, () => fired.push('5a'));
    kernel.schedule(1, () => fired.push('1a'));
    kernel.schedule(5, () => fired.push('5b'));
    kernel.scheduleAt(1, () => fired.push('1b'));
    kernel.schedule(0, () => fired.push('0'));
    kernel.schedule(5, () => fired.push('5c'));
    const stats = await kernel.run();
    expect(fired).toEqual(['0', '1a', '1b', '5a', '5b', '5c']);
    expect(stats).toMatchObject({ events: 6, endTimeMs: 5, reason: 'empty' });
    expect(kernel.pending).toBe(0);
    expect(kernel.eventsProcessed).toBe(6);
  });

  it('runs an event scheduled at the current time after those already due then', async () => {
    const kernel = newKernel();
    const fired: string[] = [];
    kernel.schedule(3, () => {
      fired.push('first');
      kernel.schedule(0, () => fired.push('rescheduled'));
    });
    kernel.schedule(3, () => fired.push('second'));
    await kernel.run();
    expect(fired).toEqual(['first', 'second', 'rescheduled']);
  });

  it('matches a sort by (time, seq) for any schedule/cancel program (property)', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('schedule' as const), timeMs: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 300 }), async (ops) => {
        const kernel = newKernel();
        const fired: number[] = [];
        const live: Array<{ id: EventId; timeMs: number; label: number }> = [];
        let label = 0;
        for (const o of ops) {
          if (o.kind === 'schedule') {
            const mine = label++;
            live.push({ id: kernel.scheduleAt(o.timeMs, () => fired.push(mine)), timeMs: o.timeMs, label: mine });
          } else if (live.length > 0) {
            const [victim] = live.splice(o.index % live.length, 1);
            expect(kernel.cancel(victim!.id)).toBe(true);
            expect(kernel.cancel(victim!.id)).toBe(false);
          }
          expect(kernel.pending).toBe(live.length);
        }
        await kernel.run();
        const expected = [...live].sort((a, b) => a.timeMs - b.timeMs || a.label - b.label).map((e) => e.label);
        expect(fired).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the order while the queue grows far past its initial capacity', async () => {
    const kernel = newKernel();
    const count = 50_000;
    let x = 7;
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      x = (x * 48271) % 2147483647;
      times.push(x % 1000);
    }
    const fired: number[] = [];
    times.forEach((t, i) => kernel.scheduleAt(t, () => fired.push(i)));
    expect(kernel.pending).toBe(count);
    await kernel.run();
    const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((e) => e.i);
    expect(fired).toEqual(expected);
  });
});

describe('cancel', () => {
  it('removes a pending event and reports false once it fired or was cancelled', async () => {
    const kernel = newKernel();
    const fired: string[] = [];
    const a = kernel.schedule(1, () => fired.push('a'));
    const b = kernel.schedule(2, () => fired.push('b'));
    kernel.schedule(3, () => fired.push('c'));
    expect(kernel.cancel(b)).toBe(true);
    expect(kernel.pending).toBe(2);
    await kernel.run();
    expect(fired).toEqual(['a', 'c']);
    expect(kernel.cancel(a)).toBe(false);
    expect(kernel.cancel(b)).toBe(false);
  });

  it('does not let a stale handle cancel a new event that reuses its slot', async () => {
    const kernel = newKernel();
    const fired: string[] = [];
    const old = kernel.schedule(1, () => fired.push('old'));
    await kernel.run();
    const fresh = kernel.schedule(1, () => fired.push('fresh'));
    expect(fresh.slot).toBe(old.slot); // the free-list handed the slot back
    expect(kernel.cancel(old)).toBe(false);
    await kernel.run();
    expect(fired).toEqual(['old', 'fresh']);
  });

  it('can cancel from inside an event, including an event at the same time', async () => {
    const kernel = newKernel();
    const fired: string[] = [];
    kernel.schedule(4, () => {
      fired.push('canceller');
      expect(kernel.cancel(victim)).toBe(true);
    });
    const victim = kernel.schedule(4, () => fired.push('victim'));
    kernel.schedule(4, () => fired.push('survivor'));
    await kernel.run();
    expect(fired).toEqual(['canceller', 'survivor']);
  });

  it('keeps a cancelled event slot until its entry leaves the heap, and counts only live events against maxQueueLength', async () => {
    const kernel = newKernel({ maxQueueLength: 4 });
    const fired: number[] = [];
    const ids = [1, 2, 3, 4].map((t) => kernel.schedule(t, () => fired.push(t)));
    for (const id of ids.slice(0, 3)) expect(kernel.cancel(id)).toBe(true);
    expect(kernel.pending).toBe(1);
    // Three more fit: the cancelled entries are not pending, and none of their slots is reused yet.
    const later = [5, 6, 7].map((t) => kernel.schedule(t, () => fired.push(t)));
    for (const id of later) expect(ids.map((i) => i.slot)).not.toContain(id.slot);
    expect(() => kernel.schedule(8, () => fired.push(8))).toThrow(/maxQueueLength/);
  });

  it('drops cancelled entries that reach the top without firing them or moving the clock to them', async () => {
    const kernel = newKernel();
    const fired: string[] = [];
    const early = [1, 2, 3].map((t) => kernel.schedule(t, () => fired.push(`early ${t}`)));
    kernel.schedule(10, () => fired.push(`at ${kernel.nowMs()}`));
    for (const id of early) kernel.cancel(id);
    const stats = await kernel.run();
    expect(fired).toEqual(['at 10']);
    expect(stats.events).toBe(1);
    expect(kernel.pending).toBe(0);
    // Their slots are free again: four new events take the four slots made, and no new one.
    const reused = [1, 2, 3, 4].map((t) => kernel.schedule(t, () => fired.push(`reused ${t}`)).slot);
    expect(new Set(reused)).toEqual(new Set([0, 1, 2, 3]));
  });
});

describe('run, stop and the clock', () => {
  it('run({untilMs}) fires events up to and including untilMs, sets the clock, and can continue', async () => {
    const kernel = newKernel();
    const seen: Array<[string, number]> = [];
    kernel.schedule(10, () => seen.push(['10', kernel.nowMs()]));
    kernel.schedule(20, () => seen.push(['20', kernel.clock.nowMs()]));
    kernel.schedule(21, () => seen.push(['21', kernel.nowMs()]));
    const first = await kernel.run({ untilMs: 20 });
    expect(first).toMatchObject({ events: 2, endTimeMs: 20, reason: 'until' });
    expect(seen).toEqual([['10', 10], ['20', 20]]);
    expect(kernel.pending).toBe(1);

    const idle = await kernel.run({ untilMs: 20.5 });
    expect(idle).toMatchObject({ events: 0, endTimeMs: 20.5, reason: 'until' });
    expect(kernel.nowMs()).toBe(20.5);

    const rest = await kernel.run();
    expect(rest).toMatchObject({ events: 1, endTimeMs: 21, reason: 'empty' });
    expect(seen.at(-1)).toEqual(['21', 21]);

    const empty = await kernel.run({ untilMs: 100 });
    expect(empty).toMatchObject({ events: 0, endTimeMs: 100, reason: 'until' });
    expect(kernel.schedule(0, () => undefined).timeMs).toBe(100);
  });

  it('rejects bad arguments with RangeError', async () => {
    const kernel = newKernel();
    await kernel.run({ untilMs: 50 });
    expect(() => kernel.schedule(-1, () => undefined)).toThrow(RangeError);
    expect(() => kernel.schedule(Number.NaN, () => undefined)).toThrow(RangeError);
    expect(() => kernel.schedule(Infinity, () => undefined)).toThrow(RangeError);
    expect(() => kernel.scheduleAt(49, () => undefined)).toThrow(/timeMs must be finite and >= now \(50\)/);
    expect(() => kernel.timers.sleep(-0.5)).toThrow(RangeError);
    expect(() => kernel.timers.sleep(Number.NaN)).toThrow(RangeError);
    expect(() => kernel.timers.sleep(Infinity)).toThrow(RangeError);
    await expect(kernel.run({ untilMs: 10 })).rejects.toThrow(RangeError);
    expect(() => newKernel({ maxEvents: 0 })).toThrow(/maxEvents/);
    expect(kernel.pending).toBe(0);
  });

  it('stop() ends the run after the current event and its continuations; run resumes later', async () => {
    const kernel = newKernel();
    const log: string[] = [];
    kernel.schedule(1, () => {
      log.push('stopper');
      void nested(100).then(() => log.push('stopper continuation'));
      kernel.stop();
    });
    kernel.schedule(1, () => log.push('same time, after'));
    kernel.schedule(2, () => log.push('later'));
    const stats = await kernel.run();
    expect(stats).toMatchObject({ events: 1, endTimeMs: 1, reason: 'stopped' });
    expect(log).toEqual(['stopper', 'stopper continuation']);
    expect(kernel.pending).toBe(2);
    const rest = await kernel.run();
    expect(rest.events).toBe(2);
    expect(log).toEqual(['stopper', 'stopper continuation', 'same time, after', 'later']);
  });

  it('refuses a second concurrent run', async () => {
    const kernel = newKernel();
    kernel.schedule(1, () => undefined);
    const first = kernel.run();
    await expect(kernel.run()).rejects.toThrow(/already running/);
    await expect(first).resolves.toMatchObject({ events: 1 });
  });

  it('rejects run with the error an event callback throws, and can continue afterwards', async () => {
    const kernel = newKernel();
    const boom = new Error('boom');
    const fired: string[] = [];
    kernel.schedule(1, () => {
      throw boom;
    });
    kernel.schedule(2, () => fired.push('after'));
    await expect(kernel.run()).rejects.toBe(boom);
    expect(kernel.nowMs()).toBe(1);
    expect(fired).toEqual([]);
    await kernel.run();
    expect(fired).toEqual(['after']);
  });
});

describe('limits', () => {
  it('maxEvents rejects run with a named KernelLimitError instead of running forever', async () => {
    const kernel = newKernel({ maxEvents: 1000 });
    const forever = (): void => {
      kernel.schedule(1, forever);
    };
    kernel.schedule(0, forever);
    const error: unknown = await kernel.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelLimitError);
    const limitError = error as KernelLimitError;
    expect(limitError.name).toBe('KernelLimitError');
    expect(limitError.limit).toBe('maxEvents');
    expect(limitError.value).toBe(1000);
    expect(limitError.message).toMatch(/maxEvents=1000/);
    expect(kernel.eventsProcessed).toBe(1000);
    // The fault is latched: the kernel refuses to go on.
    await expect(kernel.run()).rejects.toBe(limitError);
  });

  it('maxTimeMs throws at schedule time, and from sleep', async () => {
    const kernel = newKernel({ maxTimeMs: 1000 });
    kernel.schedule(1000, () => undefined);
    expect(() => kernel.schedule(1000.5, () => undefined)).toThrow(KernelLimitError);
    const other = newKernel({ maxTimeMs: 1000 });
    await expect(other.timers.sleep(2000)).rejects.toMatchObject({ limit: 'maxTimeMs', value: 1000 });
    await expect(newKernel({ maxTimeMs: 10 }).run({ untilMs: 11 })).rejects.toMatchObject({ limit: 'maxTimeMs' });
  });

  it('a limit hit inside a continuation that swallows the error still rejects run', async () => {
    const kernel = newKernel({ maxTimeMs: 100 });
    let swallowed: unknown;
    const proc = async (): Promise<void> => {
      for (;;) {
        try {
          await kernel.timers.sleep(30);
        } catch (error) {
          swallowed = error;
          return; // a careless caller that ignores the failure
        }
      }
    };
    void proc();
    const error: unknown = await kernel.run().catch((e: unknown) => e);
    expect(swallowed).toBeInstanceOf(KernelLimitError);
    expect(error).toBe(swallowed);
    expect(kernel.nowMs()).toBe(90);
  });

  it('maxQueueLength throws when too many events are pending', () => {
    const kernel = newKernel({ maxQueueLength: 3 });
    for (let i = 0; i < 3; i++) kernel.schedule(i, () => undefined);
    expect(() => kernel.schedule(5, () => undefined)).toThrow(
      expect.objectContaining({ name: 'KernelLimitError', limit: 'maxQueueLength', value: 3 }) as Error,
    );
    expect(kernel.pending).toBe(3);
  });
});

describe.each(HOSTS)('draining continuations before time advances, %s', (_name, drainHost) => {
  const newKernel = (options: Omit<KernelOptions, 'host'> = {}): Kernel => new Kernel({ host: drainHost, ...options });

  it('runs the continuation of a promise made before the run and settled by a plain event at that event\'s time', async () => {
    // The event neither makes nor awaits a promise: it settles one. Only the settle tells the
    // kernel that a continuation is now pending.
    const kernel = newKernel();
    const log: Array<[string, number]> = [];
    let settle: () => void = () => undefined;
    const made = new Promise<void>((resolve) => (settle = resolve));
    void made.then(() => log.push(['continuation', kernel.nowMs()]));
    kernel.schedule(5, () => settle());
    kernel.schedule(5, () => log.push(['same time', kernel.nowMs()]));
    kernel.schedule(6, () => log.push(['next', kernel.nowMs()]));
    await kernel.run();
    expect(log).toEqual([
      ['continuation', 5],
      ['same time', 5],
      ['next', 6],
    ]);
  });

  it('a 2000-deep chain of nested async calls finishes at the time of the event that started it', async () => {
    const kernel = newKernel();
    const log: Array<[string, number]> = [];
    kernel.schedule(10, () => {
      void nested(2000).then((depth) => log.push([`chain ${depth}`, kernel.nowMs()]));
    });
    kernel.schedule(11, () => log.push(['next event', kernel.nowMs()]));
    await kernel.run();
    expect(log).toEqual([
      ['chain 2000', 10],
      ['next event', 11],
    ]);
  });

  it('finishes 2000 sequential awaits in one async function before a same-time event fires', async () => {
    const kernel = newKernel();
    const log: string[] = [];
    kernel.schedule(7, () => {
      void (async () => {
        for (let i = 0; i < 2000; i++) {
          await null;
          if (kernel.nowMs() !== 7) log.push(`time moved at await ${i}`);
        }
        log.push('loop done');
      })();
    });
    kernel.schedule(7, () => log.push('same-time event'));
    await kernel.run();
    expect(log).toEqual(['loop done', 'same-time event']);
  });

  it('finishes Promise.all over 100 chains, each 50 deep, before the next event', async () => {
    const kernel = newKernel();
    const log: string[] = [];
    const timesSeen = new Set<number>();
    const chain = async (depth: number): Promise<void> => {
      timesSeen.add(kernel.nowMs());
      if (depth > 0) {
        await Promise.resolve();
        await chain(depth - 1);
      }
    };
    kernel.schedule(3, () => {
      void Promise.all(Array.from({ length: 100 }, () => chain(50))).then((results) => log.push(`all ${results.length}`));
    });
    kernel.schedule(3, () => log.push('same time'));
    kernel.schedule(4, () => log.push('later'));
    await kernel.run();
    expect(log).toEqual(['all 100', 'same time', 'later']);
    expect([...timesSeen]).toEqual([3]);
  });

  it('orders same-time events that continuations schedule after the events already due', async () => {
    const kernel = newKernel();
    const log: string[] = [];
    kernel.schedule(5, () => {
      log.push('start');
      void (async () => {
        await nested(500);
        kernel.schedule(0, () => log.push('scheduled by continuation'));
        await kernel.timers.sleep(0);
        log.push(`resumed after sleep(0) at ${kernel.nowMs()}`);
      })();
    });
    kernel.schedule(5, () => log.push('due at 5'));
    await kernel.run();
    expect(log).toEqual(['start', 'due at 5', 'scheduled by continuation', 'resumed after sleep(0) at 5']);
  });

  it('drains thenables, async generators and caught rejections too', async () => {
    const kernel = newKernel();
    const log: string[] = [];
    async function* ticks(): AsyncGenerator<number> {
      for (let i = 0; i < 100; i++) {
        await Promise.resolve();
        yield i;
      }
    }
    kernel.schedule(1, () => {
      void (async () => {
        const thenable = { then: (resolve: (v: number) => void) => resolve(42) };
        const value = await thenable;
        let sum = 0;
        for await (const i of ticks()) sum += i;
        try {
          await Promise.reject(new Error('expected'));
        } catch {
          sum += 1;
        }
        log.push(`done ${value} ${sum} at ${kernel.nowMs()}`);
      })();
    });
    kernel.schedule(1, () => log.push('next'));
    await kernel.run();
    expect(log).toEqual(['done 42 4951 at 1', 'next']);
  });

  it('takes no host turn for promise-only code', async () => {
    const kernel = newKernel();
    void (async () => {
      for (let i = 0; i < 10_000; i++) {
        await kernel.timers.sleep(1);
        await nested(3);
      }
    })();
    const stats = await kernel.run();
    expect(stats.events).toBe(10_000);
    // At most one, at the start, if the test runner itself used nextTick before `run`.
    expect(stats.hostTurns).toBeLessThanOrEqual(1);
  });

  // The fast path alone would get these wrong: all queued ticks run before the next microtask
  // phase, so the chain a tick starts would still be running when the next event fires (see
  // "The gap" in kernel.ts). The kernel sees the foreign nextTick and drains with a host turn.
  it('drains promise chains started by nextTick callbacks an event queues', async () => {
    const kernel = newKernel();
    const log: string[] = [];
    kernel.schedule(1, () => {
      process.nextTick(() => {
        log.push(`tick at ${kernel.nowMs()}`);
        void nested(50).then(() => log.push(`tick chain at ${kernel.nowMs()}`));
      });
    });
    kernel.schedule(1, () => log.push('next'));
    kernel.schedule(2, () => log.push('later'));
    const stats = await kernel.run();
    expect(log).toEqual(['tick at 1', 'tick chain at 1', 'next', 'later']);
    expect(stats.hostTurns).toBeGreaterThanOrEqual(1);
  });

  it('drains nextTick queued from a microtask, and ticks nested in ticks', async () => {
    const kernel = newKernel();
    const log: string[] = [];
    kernel.schedule(1, () => {
      void nested(10).then(() => {
        process.nextTick(() => {
          log.push(`tick at ${kernel.nowMs()}`);
          void nested(30).then(() => {
            process.nextTick(() => {
              void nested(30).then(() => log.push(`inner chain at ${kernel.nowMs()}`));
            });
          });
        });
      });
    });
    kernel.schedule(2, () => log.push('event at 2'));
    await kernel.run();
    expect(log).toEqual(['tick at 1', 'inner chain at 1', 'event at 2']);
  });

  it('still drains when other code swaps process.nextTick for an uncounted one', async () => {
    const kernel = newKernel();
    const log: string[] = [];
    kernel.schedule(1, () => {
      // What vitest's RPC does: put back a nextTick it saved earlier, then queue through it.
      process.nextTick = uncountedNextTick;
      uncountedNextTick(() => {
        void nested(50).then(() => log.push(`chain at ${kernel.nowMs()}`));
      });
    });
    kernel.schedule(2, () => log.push('event at 2'));
    const stats = await kernel.run();
    expect(log).toEqual(['chain at 1', 'event at 2']);
    expect(stats.hostTurns).toBeGreaterThanOrEqual(1);
    expect(process.nextTick).not.toBe(uncountedNextTick); // the counter is back
  });

  // Without a count the gap is open: the chain a foreign tick starts runs past the next event.
  // This is what the simulator's host closes with `countForeignTicks`.
  it('a host that counts no ticks leaves the gap open, so the simulator counts them', async () => {
    const kernel = new Kernel({ host: nodeKernelHost() });
    const log: string[] = [];
    kernel.schedule(1, () => {
      process.nextTick(() => {
        void nested(50).then(() => log.push('tick chain'));
      });
    });
    kernel.schedule(1, () => log.push('next'));
    const stats = await kernel.run();
    expect(log).toEqual(['next', 'tick chain']);
    expect(stats.hostTurns).toBe(0);
  });

  it('interleaves sleeping processes exactly as their virtual times dictate', async () => {
    const kernel = newKernel();
    const trace: string[] = [];
    const proc = async (name: string, periodMs: number, rounds: number): Promise<void> => {
      for (let i = 0; i < rounds; i++) {
        await kernel.timers.sleep(periodMs);
        await nested(20); // work between sleeps must not let time move
        trace.push(`${kernel.nowMs()}:${name}`);
      }
    };
    void proc('a', 3, 4);
    void proc('b', 2, 5);
    await kernel.run();
    // At t=6 both wake; a scheduled its wake-up at t=3, b at t=4, so a (smaller seq) goes first.
    expect(trace).toEqual(['2:b', '3:a', '4:b', '6:a', '6:b', '8:b', '9:a', '10:b', '12:a']);
  });
});

describe('events with no promise in them', () => {
  const counted = (base: KernelHost): { host: KernelHost; hops: () => number } => {
    let hops = 0;
    return {
      host: {
        ...base,
        nextTick: (callback) => {
          hops++;
          base.nextTick(callback);
        },
      },
      hops: () => hops,
    };
  };
  const chainOfCallbacks = async (kernelHost: KernelHost): Promise<{ times: number[]; events: number }> => {
    const kernel = new Kernel({ host: kernelHost });
    const times: number[] = [];
    const again = (left: number): void => {
      times.push(kernel.nowMs());
      if (left > 0) kernel.after(left % 3, () => again(left - 1));
    };
    kernel.schedule(1, () => again(1_000));
    const stats = await kernel.run();
    return { times, events: stats.events };
  };

  it('fire one after another without a hop when the host watches promises, in the same order', async () => {
    const plain = counted(host);
    const fast = counted(watching);
    const a = await chainOfCallbacks(plain.host);
    const b = await chainOfCallbacks(fast.host);
    expect(b).toEqual(a);
    expect(a.events).toBe(1_001);
    // One hop to enter the run and one per event without a watch; with it, the entry alone.
    expect(plain.hops()).toBe(1 + 1_001);
    expect(fast.hops()).toBe(1);
  });

  it('hop again after the first event that makes a promise, and not before', async () => {
    const fast = counted(watching);
    const kernel = new Kernel({ host: fast.host });
    const log: string[] = [];
    for (let t = 1; t <= 5; t++) kernel.schedule(t, () => log.push(`plain ${t}`));
    kernel.schedule(6, () => {
      void Promise.resolve().then(() => log.push(`continuation at ${kernel.nowMs()}`));
    });
    for (let t = 7; t <= 9; t++) kernel.schedule(t, () => log.push(`plain ${t}`));
    await kernel.run();
    expect(log).toEqual(['plain 1', 'plain 2', 'plain 3', 'plain 4', 'plain 5', 'continuation at 6', 'plain 7', 'plain 8', 'plain 9']);
    // The entry, and the drain after the event at 6.
    expect(fast.hops()).toBe(2);
  });

  it('count promises only while a kernel runs: the hooks are off outside runs', () => {
    const first = watching.watchPromises!();
    const before = first.activity();
    void Promise.resolve();
    expect(first.activity()).toBeGreaterThan(before);
    first.stop();
    const after = first.activity();
    void Promise.resolve();
    void new Promise<void>((resolve) => resolve());
    const second = watching.watchPromises!();
    expect(second.activity()).toBe(after);
    second.stop();
    second.stop(); // twice is once
  });
});

describe('the host', () => {
  it('is all the kernel touches: it reads and patches no global', async () => {
    const before = process.nextTick;
    let hops = 0;
    let turns = 0;
    const plain: KernelHost = {
      nextTick: (callback) => {
        hops++;
        uncountedNextTick(callback);
      },
      turn: async () => {
        turns++;
        await yieldToEventLoop();
      },
    };
    const kernel = new Kernel({ host: plain, yieldEveryEvents: 4 });
    const log: number[] = [];
    void (async () => {
      for (let i = 0; i < 10; i++) {
        await kernel.timers.sleep(1);
        await nested(5);
        log.push(kernel.nowMs());
      }
    })();
    const stats = await kernel.run();
    expect(log).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(process.nextTick).toBe(before);
    // One hop into the run and one after each event; a turn every 4 events.
    expect(hops).toBe(1 + stats.events);
    expect(turns).toBe(stats.hostTurns);
    expect(turns).toBe(Math.floor(10 / 4));
  });

  it("takes a turn before the next event whenever the host's foreign-tick count moved", async () => {
    let count = 0;
    let turns = 0;
    const counting: KernelHost = {
      nextTick: uncountedNextTick,
      turn: async () => {
        turns++;
        await yieldToEventLoop();
      },
      foreignTicks: () => count,
    };
    const kernel = new Kernel({ host: counting });
    const log: string[] = [];
    kernel.schedule(1, () => {
      count++; // what a counting wrapper does when simulated code queues a tick
      log.push('a');
    });
    kernel.schedule(1, () => log.push('b'));
    kernel.schedule(2, () => log.push('c'));
    const stats = await kernel.run();
    expect(log).toEqual(['a', 'b', 'c']);
    expect(turns).toBe(1);
    expect(stats.hostTurns).toBe(1);
  });

  it('counts foreign ticks only when asked: nodeKernelHost() alone changes nothing global', () => {
    const before = process.nextTick;
    const plain = nodeKernelHost();
    expect(plain.foreignTicks).toBeUndefined();
    expect(process.nextTick).toBe(before);
  });
});

describe('long runs and the host event loop', () => {
  it('does not grow the stack over a million events', async () => {
    const kernel = newKernel();
    const depths: number[] = [];
    const previousLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      const probe = (): void => {
        depths.push((new Error().stack ?? '').split('\n').length);
      };
      void (async () => {
        for (let i = 1; i <= 1_000_000; i++) {
          await kernel.timers.sleep(1);
          if (i === 10 || i === 1_000_000) probe();
        }
      })();
      const stats = await kernel.run();
      expect(stats.events).toBe(1_000_000);
    } finally {
      Error.stackTraceLimit = previousLimit;
    }
    expect(depths).toHaveLength(2);
    expect(depths[1]).toBe(depths[0]);
  });

  it('yieldEveryEvents takes host turns without changing the outcome', async () => {
    const program = async (kernel: Kernel): Promise<{ trace: string[]; hostTurns: number }> => {
      const trace: string[] = [];
      for (let p = 0; p < 5; p++) {
        void (async () => {
          for (let i = 0; i < 40; i++) {
            await kernel.timers.sleep(1 + ((p * 7 + i) % 3));
            await nested(5);
            trace.push(`${kernel.nowMs()}:${p}`);
          }
        })();
      }
      const stats = await kernel.run();
      return { trace, hostTurns: stats.hostTurns };
    };
    let turns = 0;
    const countedTurn = async (): Promise<void> => {
      turns++;
      await yieldToEventLoop();
    };
    const plain = await program(newKernel());
    const yielding = await program(new Kernel({ yieldEveryEvents: 16, host: { ...host, turn: countedTurn } }));
    expect(yielding.trace).toEqual(plain.trace);
    expect(plain.trace).toHaveLength(200);
    expect(turns).toBe(yielding.hostTurns);
    // floor(200 / 16) periodic turns, plus at most one at the start for the runner's own ticks.
    expect(turns - Math.floor(200 / 16)).toBeGreaterThanOrEqual(0);
    expect(turns - Math.floor(200 / 16)).toBeLessThanOrEqual(1);
    expect(() => newKernel({ yieldEveryEvents: 0 })).toThrow(/yieldEveryEvents/);
  });

  it('rejects run when the host turn fails', async () => {
    const kernel = new Kernel({ yieldEveryEvents: 1, host: { ...host, turn: () => Promise.reject(new Error('host gone')) } });
    kernel.schedule(1, () => undefined);
    kernel.schedule(2, () => undefined);
    await expect(kernel.run()).rejects.toThrow('host gone');
  });
});
