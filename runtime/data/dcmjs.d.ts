/** The small part of dcmjs (no bundled types) that runtime/data/dicom.ts and the tests use. */
declare module 'dcmjs' {
  interface DicomDictLike {
    meta: Record<string, { Value?: unknown[] }>;
    dict: Record<string, unknown>;
  }
  export const data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDictLike };
    DicomMetaDictionary: { naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown> };
    datasetToBuffer(dataset: Record<string, unknown>): Uint8Array;
  };
}
