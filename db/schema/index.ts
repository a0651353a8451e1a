/** The whole schema, one file per domain. drizzle-kit reads this file (drizzle.config.ts). */
export * from "./core";
export * from "./federation";
export * from "./tokens";
export * from "./users";
export * from "./posture";
export * from "./mas";
export * from "./bulk";
