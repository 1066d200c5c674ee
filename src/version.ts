/** The gridmon release this source builds. Keep in step with deno.json. */
export const GRIDMON_VERSION = "0.1.0";
