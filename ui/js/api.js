// The one way the UI calls Rust. Every failure becomes a CommandError with a stable `code`
// (from the shell's `{code, message}` errors) and a `message` fit to show the admin.

export class CommandError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }
}

function normalise(error) {
  if (error instanceof CommandError) return error;
  if (error && typeof error === 'object' && typeof error.code === 'string') {
    return new CommandError(error.code, String(error.message ?? error.code));
  }
  if (typeof error === 'string') return new CommandError('unexpected', error);
  return new CommandError('unexpected', String(error?.message ?? error));
}

export async function invoke(command, args = {}) {
  const core = window.__TAURI__?.core;
  if (!core?.invoke) {
    throw new CommandError('no_backend', 'This page only works inside the Directory Sync app.');
  }
  try {
    return await core.invoke(command, args);
  } catch (error) {
    throw normalise(error);
  }
}

// Subscribes to an event the Rust side emits (e.g. `sync://progress`); `handler` gets the payload.
// Resolves to the function that unsubscribes.
export async function listen(event, handler) {
  const events = window.__TAURI__?.event;
  if (!events?.listen) return () => {};
  return events.listen(event, (e) => handler(e.payload));
}
