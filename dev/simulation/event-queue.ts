/** A binary min-heap of timed events; ties keep insertion order, so runs are deterministic. */
export interface TimedEvent {
  time: number;
  order: number;
}

/** An event without its tie-breaking order, which the queue assigns (distributes over unions). */
export type Unordered<T> = T extends unknown ? Omit<T, 'order'> : never;

export class EventQueue<T extends TimedEvent> {
  private readonly heap: T[] = [];
  private counter = 0;

  get size(): number {
    return this.heap.length;
  }

  push(event: Unordered<T>): void {
    const item = { ...event, order: this.counter++ } as T;
    const heap = this.heap;
    heap.push(item);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.less(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.time : Infinity;
  }

  pop(): T | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === index) break;
        [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
        index = smallest;
      }
    }
    return top;
  }

  private less(a: T, b: T): boolean {
    return a.time < b.time || (a.time === b.time && a.order < b.order);
  }
}
