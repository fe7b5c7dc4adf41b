// The package version, used in commitInfo.engineInfo and Parquet created_by. Keep in step with package.json.
export const DELTATS_VERSION = '0.1.0';
export const ENGINE_INFO = `deltats/${DELTATS_VERSION}`;
