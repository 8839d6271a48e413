/** The bridge's version, reported by /health. */
export const BRIDGE_VERSION = '0.1.0';
