/** GVSL written with the DSL: the U-Net backbone, the Z-matching head, warps, losses, segmentation, graph builders. */
export * from './build';
export { gvslLosses, type GvslOptions, type GvslOutputs, type LossWeights } from './gvsl';
export { boxSum3d, mseLoss, nccLoss, smoothLoss } from './losses';
export { trilinearSample } from './sampling';
export * from './similarity';
export * from './seg';
export { DoubleConv, Down, OFFICIAL_WIDTHS, parseWidths, Up } from './unet';
export * from './warp';
