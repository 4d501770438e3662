import * as path from 'node:path';

/** The repository root. */
export const ROOT = path.join(__dirname, '..', '..');
/** Committed test fixtures (test/data). */
export const TEST_DATA = path.join(ROOT, 'test', 'data');
/**
 * The shared folder next to the repository (`../shared` from its root: reference code, fixtures, public data).
 * Tests that need it skip or fail with its path when it is absent.
 */
export const SHARED = path.resolve(ROOT, '..', 'shared');
