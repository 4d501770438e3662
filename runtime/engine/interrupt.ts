import { RunLock } from './run-lock';

/**
 * Ctrl-C (SIGINT) during a training run. While a training loop runs (`onStopRequest`), the first press asks it
 * to finish its step, save a checkpoint and stop. Any other press (the second, or one after the loop while the run
 * is torn down) aborts: one line, the run folders' locks released, and the process dies of the signal.
 *
 * NOTE: dying of the signal (the default action, re-raised) is deliberate: process.exit() runs ONNX Runtime's
 * native destructors while a worker thread may be inside session.run, which aborted the process (rc 134).
 * Checkpoints are written synchronously, so a press is handled before or after a write, never in the middle:
 * an abort keeps the last complete checkpoint.
 */
let runs = 0;
let installed = false;
let stopper: (() => void) | null = null;
let stopping = false;

function onSigint(): void {
  if (stopper && !stopping) {
    stopping = true;
    stopper();
    return;
  }
  process.stderr.write('\naborted (Ctrl-C): the last checkpoint written is kept\n');
  RunLock.releaseAll(); // no 'exit' handlers run when the signal kills the process
  uninstall();
  process.kill(process.pid, 'SIGINT');
}

function install(): void {
  if (installed) return;
  installed = true;
  stopping = false;
  process.on('SIGINT', onSigint);
}

function uninstall(): void {
  if (installed) process.off('SIGINT', onSigint);
  installed = false;
  stopper = null;
  stopping = false;
}

/**
 * Marks a training run (inRun) until the returned function is called: once its loop has started, Ctrl-C stays
 * handled (abort with the lock released) until the run's teardown is over. Before the loop, Ctrl-C keeps its
 * default action, so that it stops long synchronous set-up work (graph building) at once; the lock this leaves
 * is recognised as stale by the next run.
 */
export function sigintRun(): () => void {
  runs++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--runs === 0) uninstall();
  };
}

/**
 * While the returned function is not called, the first Ctrl-C calls `stop` (a training loop: finish the step,
 * save, stop) and a second one aborts; after it, within a run (sigintRun), Ctrl-C aborts.
 */
export function onStopRequest(stop: () => void): () => void {
  install();
  stopper = stop;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    stopper = null;
    if (runs === 0) uninstall();
  };
}
