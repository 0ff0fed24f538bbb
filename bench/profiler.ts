/** CPU profiling of a bench server between two IPC messages (`node --cpu-prof`, scoped to phases). */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Answers `{type:'profile-start'}` and `{type:'profile-stop', path}` from the bench runner. */
export function listenForProfiling(): void {
  let session: Session | undefined;
  process.on('message', (message: { type?: string; path?: string }) => {
    if (message?.type === 'profile-start') {
      void (async () => {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        process.send?.({ type: 'profile-started' });
      })();
    } else if (message?.type === 'profile-stop' && session) {
      const current = session;
      session = undefined;
      void (async () => {
        const { profile } = await current.post('Profiler.stop');
        writeFileSync(message.path!, JSON.stringify(profile));
        current.disconnect();
        process.send?.({ type: 'profile-stopped' });
      })();
    }
  });
}
