/**
 * A gate: a promise a test (or a stand-in) waits on until someone opens it. Tests order concurrent
 * work with gates, never with sleeps, so they pass however loaded the machine is.
 */
export interface Gate {
  /** Settles when `open()` is called. */
  readonly opened: Promise<void>;
  open(): void;
}

export function createGate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
