import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../src/runner/keyed-mutex.js';

describe('KeyedMutex', () => {
  it('runs tasks with the same key one after another and others side by side', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const gate = (name: string) => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      const task = async () => {
        events.push(`start ${name}`);
        await opened;
        events.push(`end ${name}`);
        return name;
      };
      return { open, task };
    };
    const a = gate('a');
    const b = gate('b');
    const c = gate('c');
    const first = mutex.run('cache', a.task);
    const second = mutex.run('cache', b.task);
    const other = mutex.run('other-cache', c.task);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['start a', 'start c']);
    a.open();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['start a', 'start c', 'end a', 'start b']);
    b.open();
    c.open();
    expect(await Promise.all([second, other])).toEqual(['b', 'c']);
  });

  it('releases the key when a task throws', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await mutex.run('k', () => Promise.resolve('next'))).toBe('next');
  });
});
