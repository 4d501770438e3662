export { damageAppearance, type AppearanceOptions } from './appearance';
export { applyCurve, bezierCurve, bezierIntensity, type BezierOptions, type IntensityCurve } from './bezier';
export { blurAxis, elasticField, gaussianKernel } from './elastic';
export { inPaint, outPaint } from './painting';
export { localPixelShuffle, permutation, type PixelShuffleOptions } from './pixel-shuffle';
export {
  drawSpatial, gvslMatrix, sourceCoord, spatialParams, type SpatialOptions, type SpatialParams, type SpatialValues,
} from './spatial';
export { applySpatial } from './warp';
