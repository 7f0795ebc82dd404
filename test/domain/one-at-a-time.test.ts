/** Jobs of the key cache never overlap, run in the order asked for, and a request joins a job still waiting of its kind. */
import { describe, expect, test } from 'bun:test';
import { oneAtATime } from '../../src/domain/one-at-a-time';

const covers = (waiting: string, asked: string) => waiting === asked || waiting === 'reload';

describe('one at a time', () => {
  test('never two at once, in the order asked; a failure does not stop the next', async () => {
    const ask = oneAtATime<string>(covers);
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const job = (name: string, fail = false) => async () => {
      running++;
      most = Math.max(most, running);
      await Bun.sleep(5);
      order.push(name);
      running--;
      if (fail) throw new Error(name);
    };
    const first = ask('a', job('a1'));
    const second = ask('b', job('b1', true));
    const third = ask('a', job('a2'));
    await first;
    await expect(second).rejects.toThrow('b1');
    await third;
    expect(order).toEqual(['a1', 'b1', 'a2']);
    expect(most).toBe(1);
  });

  test('asked again while one of its kind waits: joins it; once it has started: a run of its own', async () => {
    const ask = oneAtATime<string>(covers);
    let runs = 0;
    const job = async () => {
      runs++;
      await Bun.sleep(5);
    };
    const started = ask('catch-up', job);
    await Bun.sleep(1); // the first has started
    const waiting = ask('catch-up', job);
    expect(ask('catch-up', job)).toBe(waiting); // joined
    const reload = ask('reload', job);
    expect(ask('catch-up', job)).toBe(reload); // a waiting reload covers a catch-up
    await Promise.all([started, waiting, reload]);
    expect(runs).toBe(3);
    await ask.idle();
  });
});
