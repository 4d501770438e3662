// Stand-in for node:process in the browser bundle: sdk/bytes.ts names atomic writes' temporary files with the
// process id, for writeNifti, which the app never calls.
export const pid = 0;
export const platform: string = 'browser';
