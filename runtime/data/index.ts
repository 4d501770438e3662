/** Data pipeline for GVSL pre-training: volumes, file formats, orientation, resampling, sampling, augmentation. */
export type { Mat4 } from './affine';
export * from './augment/index';
export { readDicomSeries, type ReadDicomOptions } from './dicom';
export { DataError } from './errors';
export { sampleGvslBatch, type GvslBatch, type GvslBatchOptions } from './gvsl-batch';
export { encodeNifti, parseNifti, readNifti, writeNifti, type MultiComponentVolume, type ReadNiftiOptions, type WriteNiftiOptions } from './nifti';
export { checkFinite, normalize, percentiles, presetFromName, PRESETS, type NormalizeOptions, type NormalizePreset } from './normalize';
export { axisCodes, CANONICAL, reorient, type AxisCodes } from './orient';
export { makePhantom, type PhantomOptions } from './phantom';
export { loadVolume, prepareVolume, type PrepareOptions } from './prepare';
export { resample, type ResampleOptions } from './resample';
export { SAMPLE_FILES, samplePaths, samplesDir } from './samples';
export { cropAt, randomCrop, samplePair, type Crop } from './sampling';
export { makeVolume, spacingOf, voxelCount, type Dims3, type NiftiSpace, type Volume } from './volume';
