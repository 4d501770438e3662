import * as fs from 'node:fs';
import * as os from 'node:os';

/** Where a benchmark ran: printed with every result, so that a table always says what machine it is from. */
export interface MachineInfo {
  /** /proc/cpuinfo's model name (with its family and model numbers), else Node's os.cpus() model. */
  cpu: string;
  /** Logical CPUs the OS reports. */
  logical_cpus: number;
  /** The clock the OS reports (MHz; on a VM often the nominal one, not the boost clock). */
  cpu_mhz: number;
  /** fp32 lanes of the widest vector FMA the CPU flags show: 16 (AVX-512F), 8 (AVX2 + FMA), else 4. */
  simd_fp32_lanes: number;
}

/** Reads the CPU's description (Linux /proc/cpuinfo; elsewhere what os.cpus() tells). */
export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  let info = '';
  try {
    info = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: os.cpus() only
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1].trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const model = field('model name') ?? cpus[0]?.model ?? 'unknown CPU';
  const family = field('cpu family');
  const cpu = family ? `${model} (family ${family}, model ${field('model')})` : model;
  const mhz = Number(field('cpu MHz')) || cpus[0]?.speed || 0;
  const lanes = flags.has('avx512f') ? 16 : flags.has('avx2') && flags.has('fma') ? 8 : 4;
  return { cpu, logical_cpus: cpus.length, cpu_mhz: Math.round(mhz), simd_fp32_lanes: lanes };
}

/**
 * The fp32 peak of `threads` cores (GFLOP/s): cores × 2 FMA pipes × lanes × 2 FLOP per FMA × clock. Two FMA
 * pipes per core is what current x86 server cores have (Zen 4/5, Intel since Haswell); the clock is the
 * reported one, so under turbo the true peak is higher and the fraction lower.
 */
export function fp32PeakGflops(m: MachineInfo, threads: number): number {
  return Math.min(threads, m.logical_cpus) * 2 * m.simd_fp32_lanes * 2 * (m.cpu_mhz / 1000);
}

/** The 1-minute load average (0 where the OS has none, e.g. Windows). */
export const loadAverage = (): number => Math.round(os.loadavg()[0] * 100) / 100;
