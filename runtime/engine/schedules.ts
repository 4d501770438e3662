/**
 * Learning-rate schedules as plain functions of the step, with torch.optim.lr_scheduler's semantics: `s(k)` is the
 * learning rate of the (k+1)-th optimizer step, i.e. what `scheduler.get_last_lr()` returns after k calls of
 * `scheduler.step()`. Being pure functions of k, they need no state in a checkpoint: a resumed run at step k
 * continues with exactly the learning rates of an uninterrupted one.
 */

/** A learning rate as a function of the number of optimizer steps already done (k = 0 for the first step). */
export type Schedule = (k: number) => number;

function checkStep(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`a schedule's step must be an integer >= 0, got ${k}`);
}

function positive(name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a positive number, got ${v}`);
}

/**
 * The same learning rate at every step.
 * @example constant(1e-3)
 */
export function constant(lr: number): Schedule {
  return (k) => {
    checkStep(k);
    return lr;
  };
}

/**
 * torch.optim.lr_scheduler.StepLR: `lr · gamma^⌊k / stepSize⌋`.
 * @param lr - the base learning rate
 * @param stepSize - steps between two decays
 * @param gamma - factor of each decay (PyTorch's default 0.1)
 */
export function stepDecay(lr: number, stepSize: number, gamma = 0.1): Schedule {
  positive('stepSize', stepSize);
  return (k) => {
    checkStep(k);
    return lr * gamma ** Math.floor(k / stepSize);
  };
}

/**
 * torch.optim.lr_scheduler.CosineAnnealingLR (its closed form):
 * `etaMin + (lr − etaMin) · (1 + cos(π·k / tMax)) / 2`; past `tMax` it rises again, as PyTorch's does.
 * @param lr - the base learning rate (at k = 0)
 * @param tMax - steps of one half cosine period
 * @param etaMin - the smallest learning rate (default 0)
 */
export function cosine(lr: number, tMax: number, etaMin = 0): Schedule {
  positive('tMax', tMax);
  return (k) => {
    checkStep(k);
    return etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * k) / tMax))) / 2;
  };
}

/**
 * torch.optim.lr_scheduler.LinearLR: the factor goes linearly from `startFactor` to `endFactor` over
 * `totalIters` steps, then stays: `lr · (start + (end − start) · min(k, totalIters) / totalIters)`.
 * @param lr - the base learning rate
 * @param startFactor - factor at k = 0 (PyTorch's default 1/3)
 * @param endFactor - factor from k = totalIters on (default 1)
 * @param totalIters - steps of the ramp (PyTorch's default 5)
 */
export function linear(lr: number, startFactor = 1 / 3, endFactor = 1, totalIters = 5): Schedule {
  positive('totalIters', totalIters);
  return (k) => {
    checkStep(k);
    return lr * (startFactor + ((endFactor - startFactor) * Math.min(k, totalIters)) / totalIters);
  };
}

/**
 * torch.optim.lr_scheduler.SequentialLR: `schedules[i]` runs from `milestones[i − 1]` on, with its own step
 * count starting at 0 there.
 * @example sequential([linear(0.1, 0.1, 1, 5), cosine(0.1, 95)], [5])
 */
export function sequential(schedules: Schedule[], milestones: number[]): Schedule {
  if (milestones.length !== schedules.length - 1) {
    throw new RangeError(
      `sequential needs one milestone fewer than schedules: got ${schedules.length} schedules and ${milestones.length} milestones`,
    );
  }
  milestones.forEach((m, i) => {
    if (!Number.isInteger(m) || m <= (milestones[i - 1] ?? 0))
      throw new RangeError(`milestones must be increasing positive integers, got [${milestones}]`);
  });
  return (k) => {
    checkStep(k);
    let i = 0;
    while (i < milestones.length && k >= milestones[i]) i++;
    return schedules[i](k - (i ? milestones[i - 1] : 0));
  };
}

/**
 * Linear warm-up over `steps` steps (from `startFactor · after(0)` up to `after(0)`), then `after`, restarted at
 * the end of the warm-up: PyTorch's `SequentialLR([LinearLR(start_factor, total_iters=steps), after],
 * milestones=[steps])`.
 * @example warmup(5, cosine(3e-4, 995), 0.01)
 */
export function warmup(steps: number, after: Schedule, startFactor = 1 / 3): Schedule {
  positive('warm-up steps', steps);
  return sequential([linear(after(0), startFactor, 1, steps), after], [steps]);
}

/** A schedule given as a number means a constant learning rate. */
export function asSchedule(lr: number | Schedule): Schedule {
  return typeof lr === 'number' ? constant(lr) : lr;
}
